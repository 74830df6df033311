//! Initial access tokens (RFC 7591 §3).

use serde::{Deserialize, Serialize};

/// An initial access token (RFC 7591 §3): an administrator's permission to register clients
/// where the registration policy asks for one (table `InitialAccessTokensTable`, key
/// `token_hash`, index `by_id`, TTL `ttl`). Single- or multi-use, always with an expiry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InitialAccessToken {
    pub token_hash: String,
    pub id: String,
    pub name: String,
    /// `None`: any number of registrations until it expires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_uses: Option<i64>,
    pub uses: i64,
    pub expires_at: i64,
    pub disabled: bool,
    pub created_at: i64,
    pub ttl: i64,
}
