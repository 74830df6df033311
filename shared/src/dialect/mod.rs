//! Wire formats. Each dialect only parses, names fields, wraps and shapes errors; the rules are
//! in [`crate::usecases`]. A dialect implements a codec for each operation it serves (dialects
//! serve different sets), and the handlers in [`crate::api`] are generic over the codec, so a
//! route is one line in [`crate::routes`]: `api::token::handle::<Rfc6749>`.

pub mod aws;
pub mod huawei;
pub mod openid;
pub mod paragon;
pub mod rfc6749;
pub mod rfc7591;
pub mod vmware;

use lambda_http::{Body, Request, Response};

use crate::error::Error;
use crate::model::{ClientOrigin, Scope, TokenSet};
use crate::usecases::authorization_code::CodeGrant;
use crate::usecases::client_auth::ClientCredentials;
use crate::usecases::client_registration::{Defaults, MetadataRequest, Registered};
use crate::usecases::device_grant::TooFastPolls;
use crate::usecases::device_grant::{DeviceAuthorization, DeviceAuthorizationRequest};
use crate::usecases::grants::{Grant, TokenRequest};

/// A dialect's token endpoint.
pub trait TokenCodec {
    /// How the dialect's clients expect a too-early poll to be answered.
    const TOO_FAST: TooFastPolls;
    /// The dialect's name in the audit trail.
    const DIALECT: &'static str;

    /// Reads the grant and who presents it.
    fn parse(req: &Request) -> Result<TokenRequest<'_>, Error>;

    /// Writes the tokens.
    fn render(tokens: &TokenSet) -> Response<Body>;
}

/// A dialect's device authorization endpoint (RFC 8628 §3.1 and its relatives).
pub trait DeviceAuthorizationCodec {
    /// The dialect's name in the audit trail.
    const DIALECT: &'static str;

    /// Reads the client and the scope it asks for.
    fn parse(req: &Request) -> Result<DeviceAuthorizationRequest, Error>;

    /// Writes the codes and where to enter them (`base_url` is the issuer).
    fn render(started: &DeviceAuthorization, base_url: &str) -> Response<Body>;
}

/// A dialect's client registration endpoint (RFC 7591 §3 and its relatives).
pub trait ClientRegistrationCodec {
    /// How clients registered here are marked.
    const ORIGIN: ClientOrigin;
    /// What the dialect assumes for fields left out, and the methods it accepts.
    const DEFAULTS: Defaults;

    /// Reads the metadata the client asserts.
    fn parse(req: &Request) -> Result<MetadataRequest, Error>;

    /// Writes the client information (`base_url` is the issuer).
    fn render(registered: &Registered, base_url: &str) -> Response<Body>;
}

/// RFC 8628 §3.2's answer, as every dialect names it in snake_case (aws renames the keys).
#[derive(serde::Serialize, utoipa::ToSchema)]
pub(crate) struct DeviceAuthorizationOut<'a> {
    device_code: &'a str,
    user_code: String,
    verification_uri: String,
    verification_uri_complete: String,
    expires_in: i64,
    interval: i64,
}

impl<'a> DeviceAuthorizationOut<'a> {
    pub(crate) fn new(started: &'a DeviceAuthorization, base_url: &str) -> Self {
        let user_code = started.user_code.display();
        let verification_uri = format!("{base_url}{}", rfc6749::VERIFICATION_PATH);
        DeviceAuthorizationOut {
            device_code: &started.device_code,
            verification_uri_complete: format!("{verification_uri}?user_code={user_code}"),
            verification_uri,
            user_code,
            expires_in: started.expires_in,
            interval: started.interval,
        }
    }
}

/// RFC 6749 §5.1's token response, as every dialect names it in snake_case.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub(crate) struct TokenOut<'a> {
    access_token: &'a str,
    token_type: &'static str,
    expires_in: i64,
    refresh_token: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<&'a str>,
    /// OpenID Connect Core §3.1.3.3 (`idToken` in the AWS dialect).
    #[serde(skip_serializing_if = "Option::is_none")]
    id_token: Option<&'a str>,
}

impl<'a> TokenOut<'a> {
    pub(crate) fn new(tokens: &'a TokenSet) -> Self {
        TokenOut {
            access_token: &tokens.access_token,
            token_type: "Bearer",
            expires_in: tokens.expires_in,
            refresh_token: &tokens.refresh_token,
            scope: tokens.scope.as_deref(),
            id_token: tokens.id_token.as_deref(),
        }
    }
}

/// `client_secret_post` in a JSON body, where the dialect requires both fields (aws, huawei).
pub(crate) fn posted_credentials(
    (id_field, client_id): (&str, &str),
    (secret_field, client_secret): (&str, &str),
) -> Result<ClientCredentials, Error> {
    if client_id.is_empty() || client_secret.is_empty() {
        return Err(Error::InvalidClient(format!(
            "{id_field} and {secret_field} are required"
        )));
    }
    Ok(ClientCredentials {
        client_id: rfc6749::bounded(id_field, client_id)?.to_owned(),
        secret: Some(rfc6749::bounded(secret_field, client_secret)?.to_owned()),
    })
}

/// The field names of a JSON dialect's token request, for its error messages.
pub(crate) struct GrantFields {
    pub device_code: &'static str,
    pub refresh_token: &'static str,
    pub redirect_uri: &'static str,
    pub code_verifier: &'static str,
}

/// A JSON token request's grant fields, whatever the dialect calls them.
#[derive(Default)]
pub(crate) struct JsonGrant {
    pub device_code: Option<String>,
    pub refresh_token: Option<String>,
    pub scope: Option<Vec<String>>,
    pub code: Option<String>,
    pub redirect_uri: Option<String>,
    pub code_verifier: Option<String>,
}

/// The grant a JSON dialect's token request names (aws and huawei share the grant types and
/// differ only in field names). The device grant is accepted by its URN and its short name.
pub(crate) fn json_grant(
    grant_type: &str,
    input: JsonGrant,
    fields: &GrantFields,
) -> Result<Grant, Error> {
    let required = |value: Option<String>, name: &str| {
        value
            .filter(|v| !v.is_empty())
            .ok_or_else(|| Error::invalid_request(format!("missing field {name}")))
            .and_then(|v| rfc6749::bounded(name, &v).map(str::to_owned))
    };
    let optional = |value: Option<String>, name: &str| {
        value
            .filter(|v| !v.is_empty())
            .map(|v| rfc6749::bounded_uri(name, &v).map(str::to_owned))
            .transpose()
    };
    match grant_type {
        rfc6749::DEVICE_CODE_GRANT | "device_code" => Ok(Grant::DeviceCode(required(
            input.device_code,
            fields.device_code,
        )?)),
        "refresh_token" => Ok(Grant::Refresh {
            refresh_token: required(input.refresh_token, fields.refresh_token)?,
            scope: input
                .scope
                .map(|tokens| Scope::from_tokens(tokens.iter().map(String::as_str)))
                .transpose()?,
        }),
        "authorization_code" => Ok(Grant::AuthorizationCode(CodeGrant {
            code: required(input.code, "code")?,
            redirect_uri: optional(input.redirect_uri, fields.redirect_uri)?,
            code_verifier: optional(input.code_verifier, fields.code_verifier)?,
        })),
        other => Err(Error::UnsupportedGrantType(format!(
            "grant type {} is not supported here; use authorization_code, {} or refresh_token",
            paragon::printable(other),
            rfc6749::DEVICE_CODE_GRANT
        ))),
    }
}

pub use aws::Aws;
pub use huawei::Huawei;
pub use paragon::Paragon;
pub use rfc6749::Rfc6749;
pub use rfc7591::Rfc7591;
