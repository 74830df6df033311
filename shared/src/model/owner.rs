//! Whose a code or token is ([`Owner`], stored), who must still be in good standing for it
//! ([`Holder`]), and the keys under which families and guards are found.

use serde::{Deserialize, Serialize};

use super::FamilyStatus;

/// Whose a device code or a token is, stored as it is (a map tagged by `kind`), never guessed
/// from which other attributes happen to be present. The `client_id` beside it names the device
/// or the client.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Owner {
    /// A Paragon device, bound to the API key it registered with.
    Device {
        api_key_id: String,
        api_key_hash: String,
    },
    /// An OAuth client, acting for the user who approved (none until someone has).
    Client {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        username: Option<String>,
    },
    /// A user who signed in through `POST /api/v1/login` under an API key, on a trusted device
    /// (or on none, where the key allows untrusted endpoints). The token's `client_id` is
    /// [`USER_TOKEN_CLIENT_ID`].
    User {
        username: String,
        api_key_id: String,
        api_key_hash: String,
        /// The key's expiry when the token was issued: no user token outlives its key.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        api_key_expires_at: Option<i64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        device: Option<DeviceBinding>,
    },
}

/// The `client_id` of user tokens, as Paragon clients send it to refresh them.
pub const USER_TOKEN_CLIENT_ID: &str = "api";

/// The trusted device a user signed in on: the device and the token family of the device
/// token it presented. Revoking the device (or that family) ends the user's tokens.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceBinding {
    pub client_id: String,
    pub family_id: String,
}

impl Owner {
    /// The stored tag of [`Owner::Client`], for conditions.
    pub const CLIENT_KIND: &'static str = "client";

    pub fn holder<'a>(&'a self, client_id: &'a str) -> Holder<'a> {
        match self {
            Owner::Device { api_key_hash, .. } => Holder::Device {
                client_id,
                api_key_hash,
            },
            Owner::Client { username } => Holder::OAuthClient {
                client_id,
                username: username.as_deref(),
            },
            Owner::User {
                username,
                api_key_hash,
                device,
                ..
            } => Holder::User {
                username,
                api_key_hash,
                device: device.as_ref(),
            },
        }
    }

    pub fn api_key_hash(&self) -> Option<&str> {
        match self {
            Owner::Device { api_key_hash, .. } | Owner::User { api_key_hash, .. } => {
                Some(api_key_hash)
            }
            Owner::Client { .. } => None,
        }
    }

    pub fn username(&self) -> Option<&str> {
        match self {
            Owner::Device { .. } => None,
            Owner::Client { username } => username.as_deref(),
            Owner::User { username, .. } => Some(username),
        }
    }
}

/// Who a device code or token belongs to, and so what a redemption or refresh re-checks:
/// a Paragon device (the device approved, its API key usable) or an OAuth client acting for a
/// user (the client enabled, the user enabled).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Holder<'a> {
    Device {
        client_id: &'a str,
        api_key_hash: &'a str,
    },
    OAuthClient {
        client_id: &'a str,
        username: Option<&'a str>,
    },
    /// A user token: the user enabled, the API key usable, and the device it was issued on (if
    /// any) still approved with its token family active.
    User {
        username: &'a str,
        api_key_hash: &'a str,
        device: Option<&'a DeviceBinding>,
    },
}

impl Holder<'_> {
    /// The namespaced owner of a token family: `device#<client_id>`, `client#<client_id>` or
    /// `user#<username>`.
    pub fn owner_key(&self) -> String {
        match self {
            Holder::Device { client_id, .. } => device_owner_key(client_id),
            Holder::OAuthClient { client_id, .. } => client_owner_key(client_id),
            Holder::User { username, .. } => user_owner_key(username),
        }
    }
}

/// The owner key of a user's token families (disabling the user revokes them).
pub fn user_owner_key(username: &str) -> String {
    format!("user#{username}")
}

/// Where an API key's revocation is recorded for the authorizer: an item in the families table
/// whose id is `apikey#<id>`, written when the key is disabled or its expiry changes. A user
/// token names it, so one read tells whether the key still stands (see [`Guard`]).
pub fn api_key_guard_id(api_key_id: &str) -> String {
    format!("apikey#{api_key_id}")
}

/// Where a user's being disabled is recorded for the authorizer: an item in the families table
/// whose id is `user#<username>`, written when the user is disabled. A user token names its
/// user, so the authorizer reads it beside the token and refuses the token of a disabled user
/// even when the revocation of its family (found through an eventually consistent index)
/// missed it.
pub fn user_guard_id(username: &str) -> String {
    format!("user#{username}")
}

/// An API key's or a user's standing as the authorizer reads it beside a user token's family.
/// Absent means the key was never disabled nor given a new expiry, or the user never disabled,
/// since the token was issued.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Guard {
    pub family_id: String,
    pub status: FamilyStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
}

impl Guard {
    pub fn stands(&self, now: i64) -> bool {
        self.status == FamilyStatus::Active && self.expires_at.is_none_or(|at| at > now)
    }
}

/// The owner key of a Paragon device's token families.
pub fn device_owner_key(client_id: &str) -> String {
    format!("device#{client_id}")
}

/// The owner key of an OAuth client's token families.
pub fn client_owner_key(client_id: &str) -> String {
    format!("client#{client_id}")
}
