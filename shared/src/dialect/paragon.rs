//! Dispatcher Paragon Cloud's trusted-device OAuth API: form-urlencoded in, JSON out, errors as
//! `{"error", "error_description"}` (RFC 6749 §5.2).

use lambda_http::{Body, Request, Response};
use serde::Serialize;

use crate::error::Error;
use crate::http::{Form, json_response, raw_body, single_header};
use crate::model::{
    ClientId, ClientType, DisplayName, KeyType, LoginId, LoginIdKind, StoredKey, TokenSet,
    bounded_text,
};
use crate::signatures::DevicePublicKey;
use crate::usecases::SignedRequest;
use crate::usecases::device_grant::{DeviceCodeGrant, TooFastPolls};
use crate::usecases::device_trust::{RegisterRequest, Registration};
use crate::usecases::grants::{self, Caller, Grant};
use crate::usecases::refresh::RefreshGrant;
use crate::usecases::user_tokens::{Credentials, LoginRequest};

pub const REGISTER_PATH: &str = "/oauth/v1/register";
pub const TOKEN_PATH: &str = "/oauth/v1/token";
/// The request header carrying a device's signature over the raw body.
pub const SIGNATURE_HEADER: &str = "hcp-request-signature";

pub const MAX_DESCRIPTION: usize = 1024;
pub const MAX_STATE: usize = 512;
pub const MAX_API_KEY_LEN: usize = 512;

/// Reads a Paragon request: a strict form body, and the optional `HCP-Request-Signature` over
/// the exact raw body bytes (the route table has matched method and path).
pub fn read_request(req: &Request) -> Result<(Form, Option<SignedRequest<'_>>), Error> {
    let form = Form::from_request(req)?;
    let timestamp = form
        .optional("timestamp")
        .map(|t| {
            t.parse::<i64>().map_err(|_| {
                Error::invalid_request("timestamp must be whole seconds since the Unix epoch")
            })
        })
        .transpose()?;
    let signed = single_header(req, SIGNATURE_HEADER)?.map(|signature| SignedRequest {
        signature,
        body: raw_body(req),
        timestamp,
    });
    Ok((form, signed))
}

/// `POST /oauth/v1/register`: every field, enum and limit of docs/design.md.
pub fn parse_register(form: &Form) -> Result<RegisterRequest, Error> {
    let client_id = ClientId::parse(form.required("client_id")?)?;
    let api_key = bounded_secret("client_secret", form.required("client_secret")?)?;
    let client_type = ClientType::parse_field("client_type", form.required("client_type")?)?;
    match form.required("response_type")? {
        "device_code" => {}
        _ => {
            return Err(Error::UnsupportedResponseType(
                "response_type must be device_code".into(),
            ));
        }
    }
    // Shown to administrators as the device's own claim.
    let client_description = form
        .optional("client_description")
        .filter(|text| !text.trim().is_empty())
        .map(|text| DisplayName::parse("client_description", text, MAX_DESCRIPTION))
        .transpose()?
        .map(DisplayName::into_string);
    let state = bounded_text("state", form.optional("state"), MAX_STATE)?;
    let key = match (form.optional("public_key"), form.optional("key_type")) {
        (None, None) => None,
        (Some(public_key), Some(key_type)) => {
            let key_type = KeyType::parse_field("key_type", key_type)?;
            DevicePublicKey::parse(key_type, public_key)
                .map_err(|e| Error::invalid_request(e.to_string()))?;
            Some(StoredKey {
                key_type,
                public_key: public_key.trim().to_owned(),
            })
        }
        _ => {
            return Err(Error::invalid_request(
                "public_key and key_type must be sent together",
            ));
        }
    };
    Ok(RegisterRequest {
        client_id,
        api_key,
        client_type,
        client_description,
        state,
        key,
    })
}

/// The grants `POST /oauth/v1/token` accepts.
#[derive(Debug)]
pub enum TokenRequest {
    DeviceCode(DeviceCodeGrant),
    Refresh(RefreshGrant),
}

pub fn parse_token(form: &Form) -> Result<TokenRequest, Error> {
    let grant_type = form.required("grant_type")?;
    let client_id = ClientId::parse(form.required("client_id")?)?
        .as_str()
        .to_owned();
    let api_key = bounded_secret("client_secret", form.required("client_secret")?)?;
    match grant_type {
        "device_code" | "urn:ietf:params:oauth:grant-type:device_code" => {
            Ok(TokenRequest::DeviceCode(DeviceCodeGrant {
                client_id,
                api_key,
                device_code: bounded_secret("device_code", form.required("device_code")?)?,
            }))
        }
        "refresh_token" => Ok(TokenRequest::Refresh(RefreshGrant {
            client_id,
            api_key,
            refresh_token: bounded_secret("refresh_token", form.required("refresh_token")?)?,
        })),
        other => Err(Error::UnsupportedGrantType(format!(
            "grant_type {} is not supported here; use device_code or refresh_token",
            printable(other)
        ))),
    }
}

fn bounded_secret(name: &str, value: &str) -> Result<String, Error> {
    if value.len() > MAX_API_KEY_LEN {
        return Err(Error::invalid_request(format!("{name} is too long")));
    }
    Ok(value.to_owned())
}

/// Echoes a client's value into an error message only when it is short and plain.
pub(crate) fn printable(value: &str) -> String {
    if value.len() <= 64 && value.bytes().all(|b| b.is_ascii_graphic()) {
        value.to_owned()
    } else {
        "(unprintable)".to_owned()
    }
}

/// `POST /oauth/v1/register`'s answer.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct RegistrationOut<'a> {
    device_code: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    state: Option<&'a str>,
    expires_in: i64,
    interval: i64,
}

pub fn registration_response(registration: &Registration) -> Response<Body> {
    json_response(
        200,
        &RegistrationOut {
            device_code: &registration.device_code,
            state: registration.state.as_deref(),
            expires_in: registration.expires_in,
            interval: registration.interval,
        },
    )
}

/// The header a Paragon client sends its API key in (`POST /api/v1/login`, protected routes).
pub const API_KEY_HEADER: &str = "x-api-key";

/// `POST /api/v1/login`: `X-Api-Key`, the device token as `Authorization: Bearer` (optional),
/// and one kind of credentials, form-urlencoded or JSON: `username` + `password`, or one of
/// `username`, `card_id`, `short_id`, `email` alone (password-less).
pub fn parse_login(req: &Request) -> Result<LoginRequest, Error> {
    #[derive(serde::Deserialize, Default)]
    struct Fields {
        username: Option<String>,
        password: Option<String>,
        card_id: Option<String>,
        short_id: Option<String>,
        email: Option<String>,
    }
    let api_key = single_header(req, API_KEY_HEADER)?
        .filter(|k| !k.is_empty())
        .ok_or_else(|| Error::InvalidClient("send the API key in the X-Api-Key header".into()))?;
    let api_key = bounded_secret("X-Api-Key", api_key)?;
    let device_token = match single_header(req, "authorization")? {
        None => None,
        Some(value) => {
            let token = value
                .strip_prefix("Bearer ")
                .or_else(|| value.strip_prefix("bearer "))
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .ok_or_else(|| {
                    Error::InvalidToken(
                        "Authorization must be Bearer <the device's access token>".into(),
                    )
                })?;
            Some(bounded_secret("device token", token)?.to_owned())
        }
    };
    let content_type = single_header(req, "content-type")?.unwrap_or("");
    let fields = if content_type
        .split(';')
        .next()
        .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
    {
        crate::http::json_body::<Fields>(req)?
    } else {
        let form = Form::from_request(req)?;
        let take = |name: &str| form.optional(name).map(str::to_owned);
        Fields {
            username: take("username"),
            password: take("password"),
            card_id: take("card_id"),
            short_id: take("short_id"),
            email: take("email"),
        }
    };
    let some = |v: Option<String>| v.filter(|v| !v.is_empty());
    let (username, password) = (some(fields.username), some(fields.password));
    // No user has a longer name; it also keys the attempt counters (DynamoDB: 2048 bytes).
    if username
        .as_ref()
        .is_some_and(|u| u.len() > crate::model::Username::MAX_LEN)
    {
        return Err(Error::invalid_request("username is too long"));
    }
    let ids = [
        (LoginIdKind::CardId, some(fields.card_id)),
        (LoginIdKind::ShortId, some(fields.short_id)),
        (LoginIdKind::Email, some(fields.email)),
    ];
    let mut ids = ids
        .into_iter()
        .filter_map(|(kind, value)| value.map(|v| (kind, v)));
    let credentials = match (username, password, ids.next(), ids.next()) {
        (Some(username), Some(password), None, _) => {
            if password.chars().count() > crate::password::MAX_LEN {
                return Err(Error::invalid_request("password is too long"));
            }
            Credentials::Password { username, password }
        }
        (None, Some(_), _, _) => {
            return Err(Error::invalid_request("a password needs a username"));
        }
        (Some(username), None, None, _) => Credentials::Username(username),
        (None, None, Some((kind, value)), None) => {
            Credentials::LoginId(LoginId::parse(kind, &value)?)
        }
        (None, None, None, _) => {
            return Err(Error::invalid_request(
                "send username and password, or one of username, card_id, short_id, email",
            ));
        }
        _ => {
            return Err(Error::invalid_request(
                "send one kind of credentials: username and password, or one identifier alone",
            ));
        }
    };
    Ok(LoginRequest {
        api_key: api_key.to_owned(),
        device_token,
        credentials,
        source: crate::http::source_address(req),
    })
}

/// Paragon's token response is RFC 6749 §5.1's.
pub use super::rfc6749::token_response;

/// Dispatcher Paragon Cloud's trusted-device dialect.
pub struct Paragon;

impl super::TokenCodec for Paragon {
    /// Paragon clients know only `authorization_pending` and give up on anything else.
    const TOO_FAST: TooFastPolls = TooFastPolls::AnswerPending;
    const DIALECT: &'static str = "paragon";

    fn parse(req: &Request) -> Result<grants::TokenRequest<'_>, Error> {
        let (form, signed) = read_request(req)?;
        let (client_id, api_key, grant) = match parse_token(&form)? {
            TokenRequest::DeviceCode(g) => {
                (g.client_id, g.api_key, Grant::DeviceCode(g.device_code))
            }
            TokenRequest::Refresh(g) => (
                g.client_id,
                g.api_key,
                Grant::Refresh {
                    refresh_token: g.refresh_token,
                    scope: None,
                },
            ),
        };
        // `client_id=api` is how Paragon clients refresh a user token (never a device's id:
        // registration refuses it).
        let caller = if client_id.as_str() == crate::model::USER_TOKEN_CLIENT_ID {
            Caller::User { api_key }
        } else {
            Caller::Device {
                client_id,
                api_key,
                signed,
            }
        };
        Ok(grants::TokenRequest { caller, grant })
    }

    fn render(tokens: &TokenSet) -> Response<Body> {
        token_response(tokens)
    }
}

#[cfg(test)]
mod tests;
