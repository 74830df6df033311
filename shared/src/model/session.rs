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
    pub admin_key_hash: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub ttl: i64,
}
