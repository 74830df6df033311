//! Initial access tokens (RFC 7591 §3): what lets a caller register when registration is closed.

use crate::error::Error;
use crate::model::*;
use crate::secrets::{self, SecretKind};
use crate::storage::Store;

use super::*;

/// What an administrator asks for when issuing an initial access token.
#[derive(Clone, Debug)]
pub struct NewInitialAccessToken {
    pub name: String,
    /// `None`: any number of registrations until expiry.
    pub max_uses: Option<i64>,
    /// Seconds until it expires: at most 30 days.
    pub expires_in: i64,
}

/// The longest an initial access token may live.
pub const MAX_INITIAL_ACCESS_TOKEN_TTL: i64 = 30 * 24 * 3600;

/// Issues an initial access token: its value is returned this once and stored only as a hash.
pub async fn issue_initial_access_token(
    store: &Store,
    new: NewInitialAccessToken,
    now: i64,
    origin: &Origin,
) -> Result<(InitialAccessToken, String), Error> {
    let name = bounded_text("name", Some(new.name.trim()), 128)?.unwrap_or_default();
    if name.is_empty() {
        return Err(Error::invalid_request("name must be 1 to 128 characters"));
    }
    if new.max_uses.is_some_and(|m| m < 1) {
        return Err(Error::invalid_request("max_uses must be at least 1"));
    }
    if !(60..=MAX_INITIAL_ACCESS_TOKEN_TTL).contains(&new.expires_in) {
        return Err(Error::invalid_request(format!(
            "expires_in must be 60 to {MAX_INITIAL_ACCESS_TOKEN_TTL} seconds"
        )));
    }
    let secret = secrets::issue(SecretKind::InitialAccessToken)?;
    let token = InitialAccessToken {
        token_hash: secret.hash().to_owned(),
        id: ulid::Ulid::new().to_string(),
        name,
        max_uses: new.max_uses,
        uses: 0,
        expires_at: now + new.expires_in,
        disabled: false,
        created_at: now,
        ttl: now + new.expires_in,
    };
    let audit = AuditEvent::success(AuditType::InitialAccessTokenCreated, origin, &token.id);
    store.put_initial_access_token(&token, &audit).await?;
    Ok((token, secret.into_value()))
}
