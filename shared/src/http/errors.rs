//! How each family of endpoints writes its errors (status, wire name, body, headers), and the
//! challenge a 401 carries.

use lambda_http::http::{HeaderValue, header};
use lambda_http::{Body, Request, Response};
use serde::Serialize;

use super::{json_response, single_header};
use crate::error::Error;

/// How a family of endpoints writes its errors: the use cases name the kind of error, the shape
/// decides its status, wire name, body and headers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorShape {
    /// RFC 6749 §5.2, RFC 8628 §3.5, RFC 7591 §3.2.2 (`oauth2` and `paragon`): `{"error",
    /// "error_description"}`, 400 except `invalid_client` and `invalid_token` (401); 403, 429
    /// and 5xx as usual.
    OAuth,
    /// The admin API: the same body, with 401 `unauthorized`, 404 `not_found`, 409 `conflict`.
    Admin,
    /// AWS IAM Identity Center OIDC (rest-json): the OAuth body, the exception named in
    /// `x-amzn-ErrorType` (the AWS SDKs pick the typed error from it, not from the status) and
    /// the status the service model gives that exception.
    Aws,
    /// Huawei IAM Identity Center: `{"error_code", "error_msg"}` (what the Huawei SDKs read),
    /// with `error_code` the OAuth code so a polling client can tell the conditions apart, plus
    /// the OAuth pair; every response carries `X-Request-Id`.
    Huawei,
}

/// The error body of RFC 6749 §5.2, which the OAuth, admin and AWS shapes answer.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = OAuthError)]
pub(crate) struct OAuthBody<'a> {
    /// The error code (RFC 6749 §5.2, RFC 8628 §3.5, RFC 7591 §3.2.2, or the admin API's).
    error: &'a str,
    /// What went wrong and what to do next, for a person.
    error_description: String,
}

/// The Huawei shape: the pair the Huawei SDKs read, and the OAuth pair.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = HuaweiError)]
pub(crate) struct HuaweiBody<'a> {
    error_code: &'a str,
    error_msg: String,
    error: &'a str,
    error_description: String,
}

impl ErrorShape {
    /// The HTTP status and the OAuth-style error code of an error.
    pub fn wire(self, error: &Error) -> (u16, &'static str) {
        let code = match error {
            Error::InvalidRequest(_) => "invalid_request",
            Error::InvalidClient(_) => "invalid_client",
            Error::InvalidGrant(_) => "invalid_grant",
            Error::UnsupportedGrantType(_) => "unsupported_grant_type",
            Error::UnsupportedResponseType(_) => "unsupported_response_type",
            Error::InvalidScope(_) => "invalid_scope",
            Error::UnauthorizedClient(_) => "unauthorized_client",
            Error::InvalidRedirectUri(_) => "invalid_redirect_uri",
            Error::UnsupportedTokenType(_) => "unsupported_token_type",
            Error::InvalidClientMetadata(_) => "invalid_client_metadata",
            Error::UnapprovedSoftwareStatement(_) => "unapproved_software_statement",
            Error::InvalidToken(_) => "invalid_token",
            Error::Forbidden(_) => "access_denied",
            Error::AuthorizationPending => "authorization_pending",
            Error::SlowDown => "slow_down",
            Error::AccessDenied(_) => "access_denied",
            Error::ExpiredToken => "expired_token",
            Error::LoginRequired(_) => "login_required",
            Error::ConsentRequired(_) => "consent_required",
            Error::InsufficientScope(_) => "insufficient_scope",
            Error::Unauthorized => "unauthorized",
            Error::TooManyAttempts(_) => "too_many_attempts",
            Error::NotFound(_) => "not_found",
            Error::Conflict(_) => "conflict",
            Error::Upstream(_) => "temporarily_unavailable",
            Error::Internal(_) => "server_error",
        };
        let status = match (self, error) {
            (_, Error::Internal(_)) => 500,
            (_, Error::Upstream(_)) => 502,
            (_, Error::InvalidClient(_)) => 401,
            // The sso-oidc model: every exception but these two is a 400.
            (ErrorShape::Aws, _) => 400,
            (_, Error::Unauthorized | Error::InvalidToken(_)) => 401,
            (_, Error::Forbidden(_) | Error::InsufficientScope(_)) => 403,
            (_, Error::NotFound(_)) => 404,
            (_, Error::Conflict(_)) => 409,
            (_, Error::TooManyAttempts(_)) => 429,
            _ => 400,
        };
        (status, code)
    }

    /// The exception an AWS SDK raises for an error (`x-amzn-ErrorType`).
    pub fn aws_exception(error: &Error) -> &'static str {
        match error {
            Error::InvalidClient(_) | Error::InvalidToken(_) => "InvalidClientException",
            Error::InvalidGrant(_) => "InvalidGrantException",
            Error::UnsupportedGrantType(_) => "UnsupportedGrantTypeException",
            Error::InvalidScope(_) => "InvalidScopeException",
            Error::UnauthorizedClient(_) => "UnauthorizedClientException",
            Error::InvalidRedirectUri(_) => "InvalidRedirectUriException",
            Error::InvalidClientMetadata(_) | Error::UnapprovedSoftwareStatement(_) => {
                "InvalidClientMetadataException"
            }
            Error::AuthorizationPending => "AuthorizationPendingException",
            Error::SlowDown | Error::TooManyAttempts(_) => "SlowDownException",
            Error::AccessDenied(_) | Error::Forbidden(_) => "AccessDeniedException",
            Error::ExpiredToken => "ExpiredTokenException",
            Error::Internal(_) | Error::Upstream(_) => "InternalServerException",
            Error::InvalidRequest(_)
            | Error::UnsupportedResponseType(_)
            | Error::UnsupportedTokenType(_)
            | Error::Unauthorized
            | Error::LoginRequired(_)
            | Error::ConsentRequired(_)
            | Error::InsufficientScope(_)
            | Error::NotFound(_)
            | Error::Conflict(_) => "InvalidRequestException",
        }
    }

    /// The error response in this shape, with `WWW-Authenticate` on a 401 (see
    /// [`challenge`]); `presented` is the scheme of the request's `Authorization` header.
    pub fn render(self, error: &Error, presented: Option<AuthScheme>) -> Response<Body> {
        let (status, code) = self.wire(error);
        let description = error.description();
        let mut response = match self {
            ErrorShape::Huawei => json_response(
                status,
                &HuaweiBody {
                    error_code: code,
                    error_msg: description.clone(),
                    error: code,
                    error_description: description,
                },
            ),
            _ => json_response(
                status,
                &OAuthBody {
                    error: code,
                    error_description: description,
                },
            ),
        };
        let headers = response.headers_mut();
        if self == ErrorShape::Aws {
            headers.insert(
                "x-amzn-ErrorType",
                HeaderValue::from_static(Self::aws_exception(error)),
            );
        }
        if let Error::InsufficientScope(_) = error {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(r#"Bearer error="insufficient_scope", scope="openid""#),
            );
        }
        if status == 401
            && let Some(challenge) = challenge(error, presented)
        {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(challenge),
            );
        }
        response
    }

    /// Marks every response of the shape with the request id where its clients look for it.
    pub(super) fn stamp(self, response: &mut Response<Body>, request_id: &str) {
        let name = match self {
            ErrorShape::Aws => "x-amzn-RequestId",
            ErrorShape::Huawei => "X-Request-Id",
            ErrorShape::OAuth | ErrorShape::Admin => return,
        };
        if let Ok(value) = HeaderValue::from_str(request_id) {
            response.headers_mut().insert(name, value);
        }
    }
}

/// The HTTP authentication scheme of a request's `Authorization` header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthScheme {
    Basic,
    Bearer,
    Other,
}

impl AuthScheme {
    /// The scheme the request presented, if it sent one `Authorization` header.
    pub fn of(req: &Request) -> Option<AuthScheme> {
        let value = single_header(req, header::AUTHORIZATION.as_str()).ok()??;
        let scheme = value.split(' ').next().unwrap_or("");
        Some(if scheme.eq_ignore_ascii_case("basic") {
            AuthScheme::Basic
        } else if scheme.eq_ignore_ascii_case("bearer") {
            AuthScheme::Bearer
        } else {
            AuthScheme::Other
        })
    }
}

/// The challenge of a 401. A bearer token that failed (RFC 7592 management, an initial access
/// token, the admin API, a device token) is challenged with `Bearer` (RFC 6750 §3). A client
/// whose authentication failed is challenged in the scheme it used (RFC 6749 §5.2): `Basic` for
/// HTTP Basic, `Bearer` where it sent a bearer token beside its credentials; a client that
/// authenticated in the body used no HTTP scheme and is offered none, so that a client retrying
/// in another style on a 401 is not sent to the wrong one.
fn challenge(error: &Error, presented: Option<AuthScheme>) -> Option<&'static str> {
    match (error, presented) {
        (Error::InvalidToken(_), _) => Some(r#"Bearer error="invalid_token""#),
        (Error::InvalidClient(_), Some(AuthScheme::Basic)) => Some(BASIC_CHALLENGE),
        (Error::InvalidClient(_), Some(AuthScheme::Bearer)) => Some("Bearer"),
        (Error::InvalidClient(_), Some(AuthScheme::Other) | None) => None,
        _ => Some("Bearer"),
    }
}

/// The `Basic` challenge (RFC 7617) of the endpoints that take `client_secret_basic`.
pub const BASIC_CHALLENGE: &str = r#"Basic realm="devicegate", charset="UTF-8""#;
