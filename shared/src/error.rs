//! The one error type of every use case, and the one place that maps it to HTTP.
//!
//! Codes and statuses follow RFC 6749 §5.2 and RFC 8628 §3.5; administration adds 401/404/409.
//! An `Internal` error keeps its cause for the log and is answered `server_error` with nothing
//! of the cause in the body.

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid_request: {0}")]
    InvalidRequest(String),
    #[error("invalid_client: {0}")]
    InvalidClient(String),
    #[error("invalid_grant: {0}")]
    InvalidGrant(String),
    #[error("unsupported_grant_type: {0}")]
    UnsupportedGrantType(String),
    #[error("unsupported_response_type: {0}")]
    UnsupportedResponseType(String),
    #[error("invalid_scope: {0}")]
    InvalidScope(String),
    #[error("unauthorized_client: {0}")]
    UnauthorizedClient(String),
    #[error("invalid_redirect_uri: {0}")]
    InvalidRedirectUri(String),
    #[error("unsupported_token_type: {0}")]
    UnsupportedTokenType(String),
    #[error("authorization_pending")]
    AuthorizationPending,
    #[error("slow_down")]
    SlowDown,
    #[error("access_denied: {0}")]
    AccessDenied(String),
    #[error("expired_token")]
    ExpiredToken,
    #[error("unauthorized")]
    Unauthorized,
    /// Too many failed attempts; retry after this many seconds.
    #[error("too_many_attempts: retry in {0} s")]
    TooManyAttempts(i64),
    #[error("not_found: {0}")]
    NotFound(String),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("internal: {0}")]
    Internal(String),
}

impl Error {
    pub fn internal(cause: impl Into<String>) -> Self {
        Error::Internal(cause.into())
    }

    pub fn invalid_request(why: impl Into<String>) -> Self {
        Error::InvalidRequest(why.into())
    }

    pub fn status(&self) -> u16 {
        match self {
            Error::InvalidClient(_) | Error::Unauthorized => 401,
            Error::NotFound(_) => 404,
            Error::Conflict(_) => 409,
            Error::TooManyAttempts(_) => 429,
            Error::Internal(_) => 500,
            _ => 400,
        }
    }

    /// The wire error code.
    pub fn code(&self) -> &'static str {
        match self {
            Error::InvalidRequest(_) => "invalid_request",
            Error::InvalidClient(_) => "invalid_client",
            Error::InvalidGrant(_) => "invalid_grant",
            Error::UnsupportedGrantType(_) => "unsupported_grant_type",
            Error::UnsupportedResponseType(_) => "unsupported_response_type",
            Error::InvalidScope(_) => "invalid_scope",
            Error::UnauthorizedClient(_) => "unauthorized_client",
            Error::InvalidRedirectUri(_) => "invalid_redirect_uri",
            Error::UnsupportedTokenType(_) => "unsupported_token_type",
            Error::AuthorizationPending => "authorization_pending",
            Error::SlowDown => "slow_down",
            Error::AccessDenied(_) => "access_denied",
            Error::ExpiredToken => "expired_token",
            Error::Unauthorized => "unauthorized",
            Error::TooManyAttempts(_) => "too_many_attempts",
            Error::NotFound(_) => "not_found",
            Error::Conflict(_) => "conflict",
            Error::Internal(_) => "server_error",
        }
    }

    /// A description safe to send: never the cause of an internal error.
    pub fn description(&self) -> String {
        match self {
            Error::InvalidRequest(d)
            | Error::InvalidClient(d)
            | Error::InvalidGrant(d)
            | Error::UnsupportedGrantType(d)
            | Error::UnsupportedResponseType(d)
            | Error::InvalidScope(d)
            | Error::UnauthorizedClient(d)
            | Error::InvalidRedirectUri(d)
            | Error::UnsupportedTokenType(d)
            | Error::AccessDenied(d)
            | Error::NotFound(d)
            | Error::Conflict(d) => d.clone(),
            Error::AuthorizationPending => "the authorization request is still pending".into(),
            Error::SlowDown => "polling too fast; the interval has grown by 5 seconds".into(),
            Error::ExpiredToken => "the device code has expired".into(),
            Error::Unauthorized => "a valid admin key is required".into(),
            Error::TooManyAttempts(wait) => format!(
                "too many failed attempts; try again in {} minutes",
                (wait + 59) / 60
            ),
            Error::Internal(_) => "an internal error occurred; it has been logged".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_follow_rfc6749() {
        assert_eq!(Error::InvalidClient("x".into()).status(), 401);
        assert_eq!(Error::InvalidGrant("x".into()).status(), 400);
        assert_eq!(Error::AuthorizationPending.status(), 400);
        assert_eq!(Error::Conflict("x".into()).status(), 409);
        assert_eq!(Error::internal("db down").status(), 500);
    }

    #[test]
    fn internal_cause_never_reaches_the_description() {
        let e = Error::internal("table devicegate-tokens: ResourceNotFound");
        assert_eq!(e.code(), "server_error");
        assert!(!e.description().contains("devicegate-tokens"));
    }
}
