//! The standard OAuth 2.0 dialect: RFC 6749 (client authentication, token endpoint, errors),
//! RFC 8628 (device authorization), RFC 7009 (revocation), RFC 7662 (introspection) and
//! RFC 8414 (metadata). Form-urlencoded in, JSON out.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use lambda_http::http::header;
use lambda_http::{Body, Request, Response};

use crate::error::Error;
use crate::http::{Form, json_response, single_header};
use crate::model::{Scope, TokenSet};
use crate::usecases::authorization_code::CodeGrant;
use crate::usecases::client_auth::ClientCredentials;
use crate::usecases::device_grant::TooFastPolls;
use crate::usecases::device_grant::{DeviceAuthorization, DeviceAuthorizationRequest};
use crate::usecases::grants::{self, Caller, Grant};
use crate::usecases::token_status::{Introspection, TokenTypeHint};

pub const DEVICE_AUTHORIZATION_PATH: &str = "/oauth2/device_authorization";
pub const TOKEN_PATH: &str = "/oauth2/token";
/// The authorization endpoint (RFC 6749 §3.1), on the `device-redirect` function.
pub const AUTHORIZE_PATH: &str = "/oauth2/authorize";
pub const REVOKE_PATH: &str = "/oauth2/revoke";
pub const INTROSPECT_PATH: &str = "/oauth2/introspect";
pub const METADATA_PATH: &str = "/.well-known/oauth-authorization-server";
pub const VERIFICATION_PATH: &str = "/device";

pub const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// Longest client id, secret, code or token accepted before any lookup.
const MAX_CREDENTIAL_LEN: usize = 512;

/// Reads an RFC 6749 request's strict form body (the route table has matched method and path).
pub fn read_form(req: &Request) -> Result<Form, Error> {
    Form::from_request(req)
}

/// A redirect URI or PKCE verifier: longer than a credential may be, bounded all the same.
pub(crate) fn bounded_uri<'a>(name: &str, value: &'a str) -> Result<&'a str, Error> {
    if value.len() > crate::model::RedirectUri::MAX_LEN {
        return Err(Error::invalid_request(format!("{name} is too long")));
    }
    Ok(value)
}

pub(crate) fn bounded<'a>(name: &str, value: &'a str) -> Result<&'a str, Error> {
    if value.len() > MAX_CREDENTIAL_LEN {
        return Err(Error::invalid_request(format!("{name} is too long")));
    }
    Ok(value)
}

/// Client authentication (RFC 6749 §2.3): HTTP Basic with the form-urlencoded id and secret
/// (`client_secret_basic`), `client_id` and `client_secret` in the body (`client_secret_post`),
/// or `client_id` alone (`none`, public clients). Using two methods at once is refused (§2.3).
pub fn client_credentials(req: &Request, form: &Form) -> Result<ClientCredentials, Error> {
    let basic = single_header(req, header::AUTHORIZATION.as_str())?
        .and_then(|v| {
            v.split_once(' ')
                .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("basic"))
        })
        .map(|(_, encoded)| decode_basic(encoded.trim()))
        .transpose()?;
    let body_id = form.optional("client_id");
    let body_secret = form.optional("client_secret");
    match basic {
        Some((id, secret)) => {
            if body_secret.is_some() {
                return Err(Error::invalid_request(
                    "use one client authentication method, not HTTP Basic and client_secret together",
                ));
            }
            if body_id.is_some_and(|b| b != id) {
                return Err(Error::invalid_request(
                    "client_id in the body differs from the one in HTTP Basic",
                ));
            }
            Ok(ClientCredentials {
                client_id: bounded("client_id", &id)?.to_owned(),
                secret: Some(bounded("client_secret", &secret)?.to_owned()),
            })
        }
        None => {
            let client_id = body_id.ok_or_else(|| {
                Error::InvalidClient(
                    "authenticate with HTTP Basic, or send client_id (and client_secret)".into(),
                )
            })?;
            Ok(ClientCredentials {
                client_id: bounded("client_id", client_id)?.to_owned(),
                secret: body_secret
                    .map(|s| bounded("client_secret", s).map(str::to_owned))
                    .transpose()?,
            })
        }
    }
}

/// `base64(urlencode(id) ":" urlencode(secret))` (RFC 6749 §2.3.1).
fn decode_basic(encoded: &str) -> Result<(String, String), Error> {
    let bad = || Error::InvalidClient("malformed HTTP Basic credentials".into());
    let bytes = STANDARD.decode(encoded).map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let (id, secret) = text.split_once(':').ok_or_else(bad)?;
    let decode = |part: &str| {
        percent_encoding::percent_decode_str(&part.replace('+', " "))
            .decode_utf8()
            .map(|c| c.into_owned())
            .map_err(|_| bad())
    };
    let (id, secret) = (decode(id)?, decode(secret)?);
    if id.is_empty() {
        return Err(bad());
    }
    Ok((id, secret))
}

fn scope_param(form: &Form) -> Result<Scope, Error> {
    Scope::parse(form.optional("scope").unwrap_or(""))
}

/// `POST /oauth2/device_authorization` (RFC 8628 §3.1).
pub fn parse_device_authorization(
    req: &Request,
    form: &Form,
) -> Result<DeviceAuthorizationRequest, Error> {
    Ok(DeviceAuthorizationRequest {
        client: client_credentials(req, form)?,
        scope: scope_param(form)?,
    })
}

/// RFC 8628 §3.2.
pub fn device_authorization_response(auth: &DeviceAuthorization, base_url: &str) -> Response<Body> {
    json_response(200, &super::DeviceAuthorizationOut::new(auth, base_url))
}

/// The grants `POST /oauth2/token` serves.
#[derive(Debug)]
pub enum TokenRequest {
    DeviceCode {
        client: ClientCredentials,
        device_code: String,
    },
    Refresh {
        client: ClientCredentials,
        refresh_token: String,
        scope: Option<Scope>,
    },
    AuthorizationCode {
        client: ClientCredentials,
        grant: CodeGrant,
    },
}

pub fn parse_token(req: &Request, form: &Form) -> Result<TokenRequest, Error> {
    let grant_type = form.required("grant_type")?;
    match grant_type {
        DEVICE_CODE_GRANT => Ok(TokenRequest::DeviceCode {
            client: client_credentials(req, form)?,
            device_code: bounded("device_code", form.required("device_code")?)?.to_owned(),
        }),
        "refresh_token" => Ok(TokenRequest::Refresh {
            client: client_credentials(req, form)?,
            refresh_token: bounded("refresh_token", form.required("refresh_token")?)?.to_owned(),
            scope: form.optional("scope").map(Scope::parse).transpose()?,
        }),
        "authorization_code" => {
            let optional = |name: &str| {
                form.optional(name)
                    .map(|v| bounded_uri(name, v).map(str::to_owned))
                    .transpose()
            };
            Ok(TokenRequest::AuthorizationCode {
                client: client_credentials(req, form)?,
                grant: CodeGrant {
                    code: bounded("code", form.required("code")?)?.to_owned(),
                    redirect_uri: optional("redirect_uri")?,
                    code_verifier: optional("code_verifier")?,
                },
            })
        }
        other => Err(Error::UnsupportedGrantType(format!(
            "grant_type {} is not supported here; use authorization_code, {DEVICE_CODE_GRANT} or refresh_token",
            super::paragon::printable(other)
        ))),
    }
}

/// The `oauth2` dialect (RFC 6749, RFC 8628).
pub struct Rfc6749;

impl super::DeviceAuthorizationCodec for Rfc6749 {
    const DIALECT: &'static str = "oauth2";

    fn parse(req: &Request) -> Result<DeviceAuthorizationRequest, Error> {
        parse_device_authorization(req, &read_form(req)?)
    }

    fn render(started: &DeviceAuthorization, base_url: &str) -> Response<Body> {
        device_authorization_response(started, base_url)
    }
}

impl super::TokenCodec for Rfc6749 {
    /// RFC 8628 §3.5: `slow_down`, and the interval grows by 5 s for good.
    const TOO_FAST: TooFastPolls = TooFastPolls::SlowDown;
    const DIALECT: &'static str = "oauth2";

    fn parse(req: &Request) -> Result<grants::TokenRequest<'_>, Error> {
        let form = read_form(req)?;
        Ok(match parse_token(req, &form)? {
            TokenRequest::DeviceCode {
                client,
                device_code,
            } => grants::TokenRequest {
                caller: Caller::Client(client),
                grant: Grant::DeviceCode(device_code),
            },
            TokenRequest::Refresh {
                client,
                refresh_token,
                scope,
            } => grants::TokenRequest {
                caller: Caller::Client(client),
                grant: Grant::Refresh {
                    refresh_token,
                    scope,
                },
            },
            TokenRequest::AuthorizationCode { client, grant } => grants::TokenRequest {
                caller: Caller::Client(client),
                grant: Grant::AuthorizationCode(grant),
            },
        })
    }

    fn render(tokens: &TokenSet) -> Response<Body> {
        token_response(tokens)
    }
}

/// RFC 6749 §5.1.
pub fn token_response(tokens: &TokenSet) -> Response<Body> {
    json_response(200, &super::TokenOut::new(tokens))
}

/// `POST /oauth2/revoke` and `/oauth2/introspect`: the client, the token and its
/// `token_type_hint` (revocation finds every token by its hash and ignores it; introspection
/// shows a client its own refresh token only when it says it sends one).
pub fn parse_token_lookup(
    req: &Request,
    form: &Form,
) -> Result<(ClientCredentials, String, Option<TokenTypeHint>), Error> {
    let client = client_credentials(req, form)?;
    let hint = match form.optional("token_type_hint") {
        None => None,
        Some("access_token") => Some(TokenTypeHint::AccessToken),
        Some("refresh_token") => Some(TokenTypeHint::RefreshToken),
        Some(other) => {
            return Err(Error::UnsupportedTokenType(format!(
                "token_type_hint {} is not one this server issues",
                other.chars().take(64).collect::<String>()
            )));
        }
    };
    let token = bounded("token", form.required("token")?)?.to_owned();
    Ok((client, token, hint))
}

/// RFC 7009 §2.2: 200 with an empty body.
pub fn revoke_response() -> Response<Body> {
    let mut response = Response::new(Body::Empty);
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    response
}

/// RFC 7662 §2.2.
pub fn introspection_response(result: &Introspection, issuer: &str) -> Response<Body> {
    match result {
        Introspection::Inactive => json_response(200, &IntrospectionOut::default()),
        Introspection::Active(token) => json_response(
            200,
            &IntrospectionOut {
                active: true,
                scope: Some(token.scope.as_deref()),
                client_id: Some(&token.client_id),
                username: Some(token.username.as_deref()),
                sub: Some(token.username.as_deref().unwrap_or(&token.client_id)),
                token_type: Some(token.token_type),
                exp: Some(token.exp),
                iat: Some(token.iat),
                iss: Some(issuer),
            },
        ),
    }
}

/// RFC 7662 §2.2's answer: `{"active": false}` alone for a token that is not active.
#[derive(Default, serde::Serialize, utoipa::ToSchema)]
pub(crate) struct IntrospectionOut<'a> {
    active: bool,
    /// Null when the token carries no scope.
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<Option<&'a str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_id: Option<&'a str>,
    /// Null for a device's token.
    #[serde(skip_serializing_if = "Option::is_none")]
    username: Option<Option<&'a str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sub: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    token_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    exp: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    iat: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    iss: Option<&'a str>,
}

mod metadata;
#[cfg(test)]
mod tests;

pub use metadata::{base_url, metadata_response};
