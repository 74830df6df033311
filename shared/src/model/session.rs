//! Sessions: a user signed in on the verification page, an administrator in the console.

use serde::{Deserialize, Serialize};

/// A signed-in user on the verification page (table `SessionsTable`, key `session_hash`, TTL).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub session_hash: String,
    pub username: String,
    /// The user's `credentials_version` at sign-in.
    #[serde(default)]
    pub credentials_version: i64,
    pub created_at: i64,
    pub expires_at: i64,
    pub ttl: i64,
    /// The upstream identity provider's name, for a federated sign-in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
    /// That provider's id: disabling or removing it ends the session at its next request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_id: Option<String>,
}

impl Session {
    /// Who the pages say is signed in: the username, and the provider they came through.
    pub fn who(&self) -> String {
        match &self.via {
            Some(provider) => format!("{} (through {provider})", self.username),
            None => self.username.clone(),
        }
    }
}

/// A signed-in admin console (table `SessionsTable`, key `console#<hash of the cookie>`, TTL):
/// kept on the server, so that signing out ends it whatever copies of the cookie exist. The
/// cookie holds a random value, never the admin key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsoleSession {
    pub session_hash: String,
    /// The admin key signed in with; empty for an administrator who came through a provider.
    #[serde(default)]
    pub admin_key_hash: String,
    /// For one who came through an admin provider: who, by which provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub federated: Option<FederatedAdmin>,
    pub created_at: i64,
    pub expires_at: i64,
    pub ttl: i64,
}

/// An administrator signed in to the console through an admin identity provider.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FederatedAdmin {
    pub provider_id: String,
    /// Their `sub` at the provider.
    pub subject: String,
    /// Their name there (the provider's username claim), for the console's records.
    pub name: String,
}
