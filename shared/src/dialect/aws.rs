//! AWS IAM Identity Center OIDC (`sso-oidc`, rest-json): `POST /client/register`,
//! `POST /device_authorization`, `POST /token`. camelCase JSON in and out, epoch-second
//! integers; errors name their exception in `x-amzn-ErrorType` (see
//! [`crate::http::ErrorShape::Aws`]). The three operations are unsigned, so the AWS SDKs call
//! them with no credentials.

use lambda_http::{Body, Request, Response};
use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::http::{json_body, json_response};
use crate::model::{ClientOrigin, GrantType, Scope, TokenEndpointAuthMethod, TokenSet};
use crate::usecases::client_auth::ClientCredentials;
use crate::usecases::client_registration::{Defaults, MetadataRequest, Registered};
use crate::usecases::device_grant::{
    DeviceAuthorization, DeviceAuthorizationRequest, TooFastPolls,
};
use crate::usecases::grants::{Caller, TokenRequest};

use super::{GrantFields, JsonGrant, json_grant};

pub const TOKEN_PATH: &str = "/token";
/// Where `aws sso login` sends a person to sign in (the authorization code flow, which
/// devicegate does not serve yet: the device flow is what works today).
/// Where `aws sso login` sends the browser: `/authorize` at the root of the sso-oidc endpoint
/// (the AWS CLI builds it from the endpoint, whatever `authorizationEndpoint` says).
pub const AUTHORIZE_PATH: &str = "/authorize";

/// The `aws` dialect.
pub struct Aws;

/// Longest `startUrl` / `issuerUrl` accepted (they are recorded nowhere; only bounded).
const MAX_URL_LEN: usize = 2048;

fn bounded_url(name: &str, value: &str) -> Result<(), Error> {
    if value.len() > MAX_URL_LEN {
        return Err(Error::invalid_request(format!("{name} is too long")));
    }
    Ok(())
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RegisterClientIn {
    client_name: String,
    client_type: String,
    #[serde(default)]
    scopes: Vec<String>,
    #[serde(default)]
    redirect_uris: Vec<String>,
    grant_types: Option<Vec<String>>,
    issuer_url: Option<String>,
}

impl super::ClientRegistrationCodec for Aws {
    const ORIGIN: ClientOrigin = ClientOrigin::Aws;
    const DEFAULTS: Defaults = Defaults {
        grant_types: &[GrantType::DeviceCode, GrantType::RefreshToken],
        response_types: &[],
        auth_method: TokenEndpointAuthMethod::ClientSecretPost,
        auth_methods: &[TokenEndpointAuthMethod::ClientSecretPost],
    };

    fn parse(req: &Request) -> Result<MetadataRequest, Error> {
        let input: RegisterClientIn = json_body(req)?;
        if input.client_type != "public" {
            return Err(Error::InvalidClientMetadata(
                "clientType must be public".into(),
            ));
        }
        if let Some(url) = &input.issuer_url {
            bounded_url("issuerUrl", url)?;
        }
        Ok(MetadataRequest {
            client_name: Some(input.client_name),
            redirect_uris: input.redirect_uris,
            grant_types: input.grant_types,
            response_types: None,
            token_endpoint_auth_method: None,
            scopes: input.scopes,
        })
    }

    fn render(registered: &Registered, base_url: &str) -> Response<Body> {
        let client = &registered.client;
        json_response(
            200,
            &RegisterClientOut {
                client_id: &client.client_id,
                client_secret: registered.client_secret.as_deref(),
                client_id_issued_at: client.created_at,
                client_secret_expires_at: client.secret_expires_at.unwrap_or(0),
                authorization_endpoint: format!("{base_url}{AUTHORIZE_PATH}"),
                token_endpoint: format!("{base_url}{TOKEN_PATH}"),
            },
        )
    }
}

/// `RegisterClient`'s answer.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RegisterClientOut<'a> {
    client_id: &'a str,
    client_secret: Option<&'a str>,
    client_id_issued_at: i64,
    client_secret_expires_at: i64,
    authorization_endpoint: String,
    token_endpoint: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct StartDeviceAuthorizationIn {
    client_id: String,
    client_secret: String,
    start_url: String,
}

impl super::DeviceAuthorizationCodec for Aws {
    const DIALECT: &'static str = "aws";

    fn parse(req: &Request) -> Result<DeviceAuthorizationRequest, Error> {
        let input: StartDeviceAuthorizationIn = json_body(req)?;
        bounded_url("startUrl", &input.start_url)?;
        Ok(DeviceAuthorizationRequest {
            client: credentials(&input.client_id, &input.client_secret)?,
            scope: Scope::default(),
        })
    }

    /// RFC 8628's fields in camelCase.
    fn render(started: &DeviceAuthorization, base_url: &str) -> Response<Body> {
        camel_case_json(&super::DeviceAuthorizationOut::new(started, base_url))
    }
}

fn credentials(client_id: &str, client_secret: &str) -> Result<ClientCredentials, Error> {
    super::posted_credentials(("clientId", client_id), ("clientSecret", client_secret))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CreateTokenIn {
    client_id: String,
    client_secret: String,
    grant_type: String,
    device_code: Option<String>,
    refresh_token: Option<String>,
    /// The model calls it `scope` here (a list), `scopes` in RegisterClient.
    scope: Option<Vec<String>>,
    code: Option<String>,
    redirect_uri: Option<String>,
    code_verifier: Option<String>,
}

impl super::TokenCodec for Aws {
    /// RFC 8628 §3.5, as `SlowDownException`.
    const TOO_FAST: TooFastPolls = TooFastPolls::SlowDown;
    const DIALECT: &'static str = "aws";

    fn parse(req: &Request) -> Result<TokenRequest<'_>, Error> {
        let input: CreateTokenIn = json_body(req)?;
        let grant = json_grant(
            &input.grant_type,
            JsonGrant {
                device_code: input.device_code,
                refresh_token: input.refresh_token,
                scope: input.scope,
                code: input.code,
                redirect_uri: input.redirect_uri,
                code_verifier: input.code_verifier,
            },
            &GrantFields {
                device_code: "deviceCode",
                refresh_token: "refreshToken",
                redirect_uri: "redirectUri",
                code_verifier: "codeVerifier",
            },
        )?;
        Ok(TokenRequest {
            caller: Caller::Client(credentials(&input.client_id, &input.client_secret)?),
            grant,
        })
    }

    /// RFC 6749's fields in camelCase (`accessToken`, `tokenType`, `expiresIn`, ...).
    fn render(tokens: &TokenSet) -> Response<Body> {
        camel_case_json(&super::TokenOut::new(tokens))
    }
}

/// A JSON response whose top-level keys are the snake_case names turned camelCase: the sso-oidc
/// model names the RFC fields that way.
fn camel_case_json(body: &impl Serialize) -> Response<Body> {
    match serde_json::to_value(body) {
        Ok(serde_json::Value::Object(fields)) => {
            let renamed: serde_json::Map<String, serde_json::Value> = fields
                .into_iter()
                .map(|(k, v)| (camel_case(&k), v))
                .collect();
            json_response(200, &renamed)
        }
        _ => json_response(200, body),
    }
}

/// `snake_case` as `camelCase`: how the sso-oidc model names the RFC fields (the OpenAPI document
/// renames the shared schemas with it too).
pub(crate) fn camel_case(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    let mut upper = false;
    for c in key.chars() {
        match (c, upper) {
            ('_', _) => upper = true,
            (c, true) => {
                out.push(c.to_ascii_uppercase());
                upper = false;
            }
            (c, false) => out.push(c),
        }
    }
    out
}
