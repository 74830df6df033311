//! Users on trusted devices (Paragon's two-token model): a user signs in with a device token
//! and an API key and gets a user token; the user token is refreshed with `client_id=api`;
//! the authorizer judges user tokens (and the API key policies) for the API behind
//! devicegate. The API key policies are applied here and nowhere else:
//!
//! | policy | effect |
//! |---|---|
//! | `allow_untrusted_endpoints` | login without a device token |
//! | `allow_unauthenticated_requests` | password-less login (from a trusted device); protected routes without a user token |
//! | `allowed_sources` | register, token and login only from these networks |
//!
//! [`login`] signs a person in, [`refresh`] rotates their tokens, [`authorizer`] judges one for
//! API Gateway.

mod authorizer;
mod login;
mod refresh;

use crate::model::*;
use crate::storage::*;
use crate::usecases::sign_in::{Limit, counter, shown_as};

pub use authorizer::{Authorization, AuthorizerInput, authorize};
pub use login::login;
pub use refresh::refresh_as_user;

/// Who the person says they are.
#[derive(Clone, PartialEq, Eq)]
pub enum Credentials {
    /// Always allowed (subject to the device-token rule).
    Password {
        username: String,
        password: String,
    },
    /// Password-less: only with an API key that allows unauthenticated requests, from a
    /// trusted device.
    Username(String),
    LoginId(LoginId),
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credentials::Password { username, .. } => write!(f, "Password({username}, ..)"),
            Credentials::Username(username) => write!(f, "Username({username})"),
            Credentials::LoginId(id) => write!(f, "{id:?}"),
        }
    }
}

/// A login request, whatever its encoding.
#[derive(Debug)]
pub struct LoginRequest {
    /// `X-Api-Key`.
    pub api_key: String,
    /// `Authorization: Bearer <device token>`, when sent.
    pub device_token: Option<String>,
    pub credentials: Credentials,
    pub source: String,
}

/// Failed logins per identifier and source address: 10 in 15 minutes.
pub const LOGIN_LIMIT_PER_USER_AND_SOURCE: Limit = Limit {
    max_failures: 10,
    window: 900,
};

/// Failed logins per source address: 30 in 15 minutes.
pub const LOGIN_LIMIT_PER_SOURCE: Limit = Limit {
    max_failures: 30,
    window: 900,
};

/// The counters a login takes from: the identifier's from this source (`user#<username>`, or a
/// login id's kind and keyed hash), shown in the trail as `shown`, and the source's.
pub fn login_counters(subject: &str, shown: &str, source: &str) -> [AttemptCounter; 2] {
    [
        shown_as(
            counter(
                "login-user-source",
                &format!("{subject}#{source}"),
                LOGIN_LIMIT_PER_USER_AND_SOURCE,
            ),
            shown,
        ),
        counter("login-source", source, LOGIN_LIMIT_PER_SOURCE),
    ]
}
