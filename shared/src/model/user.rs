//! People: usernames, users and the login identifiers (card, short id, email) they sign in with.

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// A user's sign-in name: 1..=64 characters from `A-Z a-z 0-9 . _ @ -`, compared as given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub const MAX_LEN: usize = 64;

    pub fn parse(text: &str) -> Result<Username, Error> {
        let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '@' | '-');
        if text.is_empty() || text.len() > Self::MAX_LEN || !text.chars().all(allowed) {
            return Err(Error::invalid_request(
                "username must be 1 to 64 characters of letters, digits, '.', '_', '@' or '-'",
            ));
        }
        Ok(Username(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A person who signs in on the verification page (table `UsersTable`, key `username`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub username: String,
    /// PHC string of an argon2id hash.
    pub password_hash: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Whether an administrator vouches for `email` (OpenID Connect's `email_verified`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub email_verified: bool,
    /// The OpenID Connect `sub`: a ULID given at creation, never reused and never changed, so
    /// a relying party's account stays the same person's whatever happens to the username.
    /// Users created before OpenID Connect get theirs at their first ID token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// The upstream account this user signs in as (created on a first federated sign-in, or
    /// linked by an administrator); such a user has no password (`password_hash` empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub federation: Option<crate::model::FederatedIdentity>,
    pub disabled: bool,
    pub created_at: i64,
    pub updated_at: i64,
    /// Goes up by one whenever the password is reset or the user disabled; a page session is
    /// good only while it holds the value the user had when it started.
    #[serde(default)]
    pub credentials_version: i64,
    /// Password-less sign-in identifiers (`POST /api/v1/login`), indexed (`by_card_id`,
    /// `by_short_id`, `by_email`) by [`LoginId::lookup_key`]: card and short ids only as a
    /// keyed hash under the server secret, the email lower-cased.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card_id_hmac: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub short_id_hmac: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_key: Option<String>,
}

/// How a user is named in a password-less sign-in, other than by username.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoginIdKind {
    CardId,
    ShortId,
    Email,
}

impl LoginIdKind {
    /// The user attribute (and index) holding this identifier's keyed hash.
    pub fn attribute(self) -> &'static str {
        match self {
            LoginIdKind::CardId => "card_id_hmac",
            LoginIdKind::ShortId => "short_id_hmac",
            LoginIdKind::Email => "email_key",
        }
    }

    pub fn index(self) -> &'static str {
        match self {
            LoginIdKind::CardId => "by_card_id",
            LoginIdKind::ShortId => "by_short_id",
            LoginIdKind::Email => "by_email",
        }
    }

    pub fn field(self) -> &'static str {
        match self {
            LoginIdKind::CardId => "card_id",
            LoginIdKind::ShortId => "short_id",
            LoginIdKind::Email => "email",
        }
    }
}

/// A card id, short id or email as a person presents it: 1..256 printable characters, compared
/// after trimming (and, for emails, ASCII lower-casing).
#[derive(Clone, PartialEq, Eq)]
pub struct LoginId {
    kind: LoginIdKind,
    value: String,
}

impl std::fmt::Debug for LoginId {
    // Card ids are credentials where passwords are not asked for: never in a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LoginId({:?}, ..)", self.kind)
    }
}

impl LoginId {
    pub const MAX_LEN: usize = 256;

    pub fn parse(kind: LoginIdKind, text: &str) -> Result<LoginId, Error> {
        let trimmed = text.trim();
        if trimmed.is_empty()
            || trimmed.len() > Self::MAX_LEN
            || trimmed.chars().any(|c| c.is_control())
        {
            return Err(Error::invalid_request(format!(
                "{} must be 1 to {} printable characters",
                kind.field(),
                Self::MAX_LEN
            )));
        }
        let value = match kind {
            LoginIdKind::Email => trimmed.to_ascii_lowercase(),
            _ => trimmed.to_owned(),
        };
        Ok(LoginId { kind, value })
    }

    pub fn kind(&self) -> LoginIdKind {
        self.kind
    }

    /// What it is stored and looked up by: a keyed hash for card and short ids (credentials
    /// in their own right), the lower-cased address for an email (stored beside it anyway).
    pub fn lookup_key(&self, secret: &crate::secrets::ServerSecret) -> String {
        let label = match self.kind {
            LoginIdKind::CardId => "login-card-id",
            LoginIdKind::ShortId => "login-short-id",
            LoginIdKind::Email => return email_key(&self.value),
        };
        crate::usercode::keyed_hash(secret, label, self.value.as_bytes())
    }
}

/// The form of an email address the `by_email` index holds.
pub fn email_key(email: &str) -> String {
    email.trim().to_ascii_lowercase()
}
