//! The one error type of every use case: what went wrong, in the use cases' terms. How it looks
//! on the wire (status, error code, body) is each dialect's business: see
//! [`crate::http::ErrorShape`]. An `Internal` error keeps its cause for the log and is answered
//! with nothing of the cause in the body.

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
    /// RFC 7591 §3.2.2: a metadata field is missing, malformed or not allowed.
    #[error("invalid_client_metadata: {0}")]
    InvalidClientMetadata(String),
    /// RFC 7591 §3.2.2: devicegate approves no software statement.
    #[error("unapproved_software_statement: {0}")]
    UnapprovedSoftwareStatement(String),
    /// RFC 6750 §3.1: a bearer token (a registration access token) that is missing or wrong.
    #[error("invalid_token: {0}")]
    InvalidToken(String),
    /// Not allowed here at all (client registration switched off).
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("authorization_pending")]
    AuthorizationPending,
    #[error("slow_down")]
    SlowDown,
    #[error("access_denied: {0}")]
    AccessDenied(String),
    #[error("expired_token")]
    ExpiredToken,
    /// OpenID Connect `prompt=none` without a sign-in that would do (Core §3.1.2.6).
    #[error("login_required: {0}")]
    LoginRequired(String),
    /// OpenID Connect `prompt=none` where the person would have to consent.
    #[error("consent_required: {0}")]
    ConsentRequired(String),
    /// A bearer token valid but not for this (RFC 6750 §3.1): 403.
    #[error("insufficient_scope: {0}")]
    InsufficientScope(String),
    #[error("unauthorized")]
    Unauthorized,
    /// Too many failed attempts; retry after this many seconds.
    #[error("too_many_attempts: retry in {0} s")]
    TooManyAttempts(i64),
    #[error("not_found: {0}")]
    NotFound(String),
    #[error("conflict: {0}")]
    Conflict(String),
    /// An upstream identity provider down, slow or unreadable: 502, nothing of its answer shown.
    #[error("temporarily_unavailable: {0}")]
    Upstream(String),
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
            | Error::InvalidClientMetadata(d)
            | Error::UnapprovedSoftwareStatement(d)
            | Error::InvalidToken(d)
            | Error::Forbidden(d)
            | Error::AccessDenied(d)
            | Error::LoginRequired(d)
            | Error::ConsentRequired(d)
            | Error::InsufficientScope(d)
            | Error::NotFound(d)
            | Error::Conflict(d)
            | Error::Upstream(d) => d.clone(),
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
    fn internal_cause_never_reaches_the_description() {
        let e = Error::internal("table devicegate-tokens: ResourceNotFound");
        assert!(!e.description().contains("devicegate-tokens"));
    }
}
