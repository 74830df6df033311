//! Tokens: lifetimes, token families, access and refresh token records, and what a client is
//! handed.

use serde::{Deserialize, Serialize};

use super::{Holder, Owner};

wire_enum!(
    /// A token family is revoked as a whole.
    FamilyStatus { Active = "active", Revoked = "revoked" }
);

wire_enum!(
    TokenKind { Access = "access", Refresh = "refresh" }
);

/// Token lifetimes, in seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lifetimes {
    pub access_token_ttl: i64,
    pub refresh_token_ttl: i64,
}

impl Default for Lifetimes {
    fn default() -> Self {
        Lifetimes {
            access_token_ttl: 3600,
            refresh_token_ttl: 90 * 24 * 3600,
        }
    }
}

/// Every token issued from one device-code redemption, through all its refreshes
/// (table `FamiliesTable`, key `family_id`, index `by_owner`, TTL `ttl`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TokenFamily {
    pub family_id: String,
    pub client_id: String,
    /// Whose family this is, namespaced ([`Holder::owner_key`]): revoking a device revokes its
    /// families and never an OAuth client's, whatever their ids.
    pub owner: String,
    pub status: FamilyStatus,
    pub created_at: i64,
    pub ttl: i64,
}

/// An access or refresh token (table `TokensTable`, key `token_hash`, TTL `ttl`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TokenRecord {
    pub token_hash: String,
    pub kind: TokenKind,
    pub family_id: String,
    pub client_id: String,
    pub owner: Owner,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    pub issued_at: i64,
    pub expires_at: i64,
    pub lifetimes: Lifetimes,
    /// Set on a refresh token once it has been exchanged; presenting it again is reuse.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotated_at: Option<i64>,
    /// The replay key of the signed request that exchanged it, if one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotated_by: Option<String>,
    /// When the person the token speaks for signed in, kept through refreshes for the ID
    /// token's `auth_time`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<i64>,
    pub ttl: i64,
}

impl TokenRecord {
    pub fn holder(&self) -> Holder<'_> {
        self.owner.holder(&self.client_id)
    }
}

/// Tokens handed to a client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenSet {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: i64,
    pub scope: Option<String>,
    /// An OpenID Connect ID token, added by [`crate::oidc::identity`] after the grant, never
    /// by a grant itself.
    pub id_token: Option<String>,
    /// The person the grant speaks for, when one approved it: what the OpenID Connect layer
    /// needs to say who signed in. Not handed out.
    pub authentication: Option<Authentication>,
}

/// Who approved a grant and how, as the OpenID Connect layer needs it (OIDC Core §2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Authentication {
    pub username: String,
    /// The client the tokens were issued to: the ID token's `aud`.
    pub client_id: String,
    /// When the person signed in, if known.
    pub auth_time: Option<i64>,
    /// The authorization request's `nonce`, echoed in the first ID token only.
    pub nonce: Option<String>,
}
