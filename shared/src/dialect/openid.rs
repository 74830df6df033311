//! OpenID Connect's own documents and endpoint: Discovery 1.0 (the provider metadata), the
//! JWK Set (RFC 7517) and UserInfo (Core §5.3, with RFC 6750 bearer tokens). JSON out.

use lambda_http::http::{HeaderValue, Method, header};
use lambda_http::{Body, Request, Response};

use crate::error::Error;
use crate::http::{Form, json_response, single_header};
use crate::oidc::SigningKeySet;
use crate::oidc::discovery::ProviderMetadata;
use crate::usecases::openid::PersonClaims;

pub use crate::oidc::discovery::{DISCOVERY_PATH, JWKS_PATH, USERINFO_PATH};

/// Longest access token read: ours are far shorter, and nothing longer reaches the store.
const MAX_TOKEN_LEN: usize = 512;

/// `GET /.well-known/openid-configuration`.
pub fn discovery_response(issuer: &str, registration_open: bool) -> Response<Body> {
    public(json_response(
        200,
        &ProviderMetadata::new(issuer, registration_open),
    ))
}

/// `GET /.well-known/jwks.json`: the public keys, next and retired ones included.
pub fn jwks_response(keys: &SigningKeySet) -> Response<Body> {
    public(json_response(200, &keys.jwks()))
}

/// Public documents the same for everyone. Five minutes: a key is published a rotation
/// before it signs, and kept a token lifetime after, so a cached set never misses a key.
fn public(mut response: Response<Body>) -> Response<Body> {
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    response.headers_mut().remove(header::PRAGMA);
    response
}

/// The access token of a UserInfo request: `Authorization: Bearer` (RFC 6750 §2.1) or, on a
/// POST, the `access_token` form field (§2.2); never both.
pub fn parse_userinfo(req: &Request) -> Result<String, Error> {
    let header = single_header(req, header::AUTHORIZATION.as_str())?;
    let from_header = header
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim().to_owned());
    let from_form = if req.method() == Method::POST && !req.body().is_empty() {
        Form::from_request(req)?
            .optional("access_token")
            .map(str::to_owned)
    } else {
        None
    };
    let token = match (header, from_header, from_form) {
        (_, Some(_), Some(_)) => {
            return Err(Error::invalid_request(
                "send the access token in the Authorization header or the body, not both",
            ));
        }
        (_, Some(token), None) | (None, None, Some(token)) => token,
        (Some(_), None, _) => {
            return Err(Error::InvalidToken(
                "UserInfo takes a Bearer access token".into(),
            ));
        }
        (None, None, None) => {
            return Err(Error::InvalidToken("no access token was sent".into()));
        }
    };
    if token.is_empty() || token.len() > MAX_TOKEN_LEN {
        return Err(Error::InvalidToken("the access token is not active".into()));
    }
    Ok(token)
}

/// The UserInfo response: the claims, never cached.
pub fn userinfo_response(claims: &PersonClaims) -> Response<Body> {
    json_response(200, claims)
}
