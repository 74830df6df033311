//! Authorization codes (RFC 6749 §4.1 with PKCE).

use serde::{Deserialize, Serialize};

use super::Lifetimes;

/// An authorization code (RFC 6749 §4.1; table `AuthorizationCodesTable`, key `code_hash`, TTL
/// `ttl`): single-use, short-lived, bound to the client, the exact redirect URI sent, the user
/// who approved and the PKCE challenge (RFC 7636, S256).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuthorizationCode {
    pub code_hash: String,
    pub client_id: String,
    pub redirect_uri: String,
    pub username: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// BASE64URL(SHA-256(code_verifier)), when the request carried one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_challenge: Option<String>,
    /// The request's OpenID Connect `nonce`, for the ID token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    /// When the approving person signed in (their session's start).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<i64>,
    pub lifetimes: Lifetimes,
    pub issued_at: i64,
    pub expires_at: i64,
    /// Set when redeemed: the family the redemption started (a second use revokes it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_id: Option<String>,
    pub ttl: i64,
}
