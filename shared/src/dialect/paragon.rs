//! Dispatcher Paragon Cloud's trusted-device OAuth API: form-urlencoded in, JSON out, errors as
//! `{"error", "error_description"}` (RFC 6749 §5.2).

use lambda_http::{Body, Request, Response};
use serde::Serialize;

use crate::error::Error;
use crate::http::{Form, json_response, raw_body, single_header};
use crate::keys::DevicePublicKey;
use crate::model::{
    ClientId, ClientType, KeyType, LoginId, LoginIdKind, StoredKey, TokenSet, bounded_text,
};
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

/// `POST /oauth/v1/register`: every field, enum and limit of DESIGN.md.
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
    let client_description = bounded_text(
        "client_description",
        form.optional("client_description"),
        MAX_DESCRIPTION,
    )?;
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

pub fn registration_response(registration: &Registration) -> Response<Body> {
    #[derive(Serialize)]
    struct Out<'a> {
        device_code: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        state: Option<&'a str>,
        expires_in: i64,
        interval: i64,
    }
    json_response(
        200,
        &Out {
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
pub use super::oauth2::token_response;

/// Dispatcher Paragon Cloud's trusted-device dialect.
pub struct Paragon;

impl super::TokenCodec for Paragon {
    /// Paragon clients know only `authorization_pending` and give up on anything else.
    const TOO_FAST: TooFastPolls = TooFastPolls::AnswerPending;

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
mod tests {
    use super::*;

    fn login_request(headers: &[(&str, &str)], content_type: &str, body: &str) -> Request {
        let mut builder = lambda_http::http::Request::builder()
            .method("POST")
            .uri("https://gate.test/api/v1/login")
            .header("content-type", content_type);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder
            .body(Body::Text(body.to_owned()))
            .unwrap_or_default()
    }

    #[test]
    fn login_reads_every_kind_of_credentials_in_a_form_or_json() {
        let key = [("x-api-key", "dgk_k"), ("authorization", "Bearer dga_t")];
        let form = "application/x-www-form-urlencoded";
        let parsed = |ct: &str, body: &str| parse_login(&login_request(&key, ct, body));
        let Ok(login) = parsed(form, "username=ada&password=pw+pw+pw") else {
            panic!("a password login");
        };
        assert_eq!(login.api_key, "dgk_k");
        assert_eq!(login.device_token.as_deref(), Some("dga_t"));
        assert!(
            matches!(login.credentials, Credentials::Password { ref password, .. } if password == "pw pw pw")
        );
        let json = parsed("application/json", r#"{"card_id": " C-1 "}"#);
        assert!(
            matches!(json, Ok(ref l) if matches!(l.credentials, Credentials::LoginId(ref id) if id.kind() == LoginIdKind::CardId)),
            "{json:?}"
        );
        assert!(matches!(
            parsed(form, "username=ada").map(|l| l.credentials),
            Ok(Credentials::Username(u)) if u == "ada"
        ));
        for (body, why) in [
            ("password=pw", "a password needs a username"),
            ("card_id=1&email=a%40b.c", "one kind of credentials"),
            ("username=ada&short_id=1", "one kind of credentials"),
            ("", "send username and password"),
        ] {
            assert!(
                matches!(parsed(form, body), Err(Error::InvalidRequest(ref m)) if m.contains(why)),
                "{body}"
            );
        }
        let no_key = parse_login(&login_request(&[], form, "username=ada"));
        assert!(matches!(no_key, Err(Error::InvalidClient(_))), "{no_key:?}");
        let basic = parse_login(&login_request(
            &[("x-api-key", "k"), ("authorization", "Basic abc")],
            form,
            "username=ada",
        ));
        assert!(matches!(basic, Err(Error::InvalidToken(_))), "{basic:?}");
    }

    const KEY: &str = "HUUtnCdtG1x9oiSI4ODtvIEmI/qp7lFknsu1lpVk8T8=";

    fn form(body: &str) -> Form {
        Form::parse(body.as_bytes()).unwrap_or_else(|e| panic!("{e}"))
    }

    fn base() -> String {
        "client_id=printer-1&client_secret=k&client_type=printer&response_type=device_code".into()
    }

    fn register_error(body: &str) -> Error {
        match parse_register(&form(body)) {
            Ok(r) => panic!("accepted: {r:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn a_minimal_registration_parses() -> Result<(), Error> {
        let r = parse_register(&form(&base()))?;
        assert_eq!(r.client_id.as_str(), "printer-1");
        assert_eq!(r.client_type, ClientType::Printer);
        assert!(r.key.is_none() && r.state.is_none() && r.client_description.is_none());
        Ok(())
    }

    #[test]
    fn a_full_registration_parses() -> Result<(), Error> {
        let body = format!(
            "{}&client_description=Floor+3&state=xyz&key_type=ed25519&public_key={}",
            base(),
            KEY.replace('+', "%2B")
                .replace('/', "%2F")
                .replace('=', "%3D")
        );
        let r = parse_register(&form(&body))?;
        assert_eq!(r.client_description.as_deref(), Some("Floor 3"));
        assert_eq!(r.state.as_deref(), Some("xyz"));
        assert_eq!(
            r.key.map(|k| (k.key_type, k.public_key)),
            Some((KeyType::Ed25519, KEY.to_owned()))
        );
        Ok(())
    }

    #[test]
    fn every_required_field_is_required() {
        for field in ["client_id", "client_secret", "client_type", "response_type"] {
            let body: Vec<&str> = base()
                .leak()
                .split('&')
                .filter(|p| !p.starts_with(field))
                .collect();
            let e = register_error(&body.join("&"));
            assert!(
                matches!(&e, Error::InvalidRequest(m) if m.contains(field)),
                "{field}: {e:?}"
            );
        }
    }

    #[test]
    fn enums_and_limits_are_enforced() {
        assert!(
            matches!(register_error(&base().replace("printer&", "toaster&")), Error::InvalidRequest(m) if m.contains("client_type"))
        );
        assert!(matches!(
            register_error(&base().replace("=device_code", "=code")),
            Error::UnsupportedResponseType(_)
        ));
        assert!(matches!(
            register_error(&format!(
                "{}&client_description={}",
                base(),
                "a".repeat(1025)
            )),
            Error::InvalidRequest(_)
        ));
        assert!(
            parse_register(&form(&format!(
                "{}&client_description={}",
                base(),
                "a".repeat(1024)
            )))
            .is_ok()
        );
        assert!(matches!(
            register_error(&format!("{}&state={}", base(), "s".repeat(513))),
            Error::InvalidRequest(_)
        ));
        assert!(matches!(
            register_error(&base().replace("printer-1", &"x".repeat(257))),
            Error::InvalidRequest(_)
        ));
    }

    #[test]
    fn key_fields_come_together_and_must_parse() {
        assert!(
            matches!(register_error(&format!("{}&key_type=ed25519", base())), Error::InvalidRequest(m) if m.contains("together"))
        );
        assert!(
            matches!(register_error(&format!("{}&public_key=abc", base())), Error::InvalidRequest(m) if m.contains("together"))
        );
        assert!(
            matches!(register_error(&format!("{}&key_type=dsa&public_key=abc", base())), Error::InvalidRequest(m) if m.contains("key_type"))
        );
        assert!(
            matches!(register_error(&format!("{}&key_type=rsa&public_key=AAAA", base())), Error::InvalidRequest(m) if m.contains("rsa"))
        );
    }

    #[test]
    fn token_grants_parse() -> Result<(), Error> {
        for grant in [
            "device_code",
            "urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code",
        ] {
            let t = parse_token(&form(&format!(
                "grant_type={grant}&client_id=c&client_secret=k&device_code=d"
            )))?;
            assert!(matches!(t, TokenRequest::DeviceCode(g) if g.device_code == "d"));
        }
        let t = parse_token(&form(
            "grant_type=refresh_token&client_id=c&client_secret=k&refresh_token=r",
        ))?;
        assert!(matches!(t, TokenRequest::Refresh(g) if g.refresh_token == "r"));
        Ok(())
    }

    #[test]
    fn token_errors() {
        let err = |b: &str| parse_token(&form(b)).err();
        assert!(matches!(
            err("grant_type=password&client_id=c&client_secret=k"),
            Some(Error::UnsupportedGrantType(_))
        ));
        assert!(
            matches!(err("client_id=c&client_secret=k&device_code=d"), Some(Error::InvalidRequest(m)) if m.contains("grant_type"))
        );
        assert!(
            matches!(err("grant_type=device_code&client_id=c&client_secret=k"), Some(Error::InvalidRequest(m)) if m.contains("device_code"))
        );
        assert!(
            matches!(err("grant_type=device_code&client_secret=k&device_code=d"), Some(Error::InvalidRequest(m)) if m.contains("client_id"))
        );
        assert!(
            matches!(err("grant_type=device_code&client_id=c&device_code=d"), Some(Error::InvalidRequest(m)) if m.contains("client_secret"))
        );
    }
}
