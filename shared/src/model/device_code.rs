//! Device codes (RFC 8628 and Paragon registrations) and the user codes that point at them.

use serde::{Deserialize, Serialize};

use super::{Holder, Lifetimes, Owner, StoredKey};

wire_enum!(
    /// Where a device code is in its life.
    CodeStatus { Pending = "pending", Approved = "approved", Denied = "denied", Redeemed = "redeemed" }
);

/// A device code (table `DeviceCodesTable`, key `code_hash`, TTL `ttl`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeviceCode {
    pub code_hash: String,
    /// The Paragon device's `client_id`, or the OAuth client's.
    pub client_id: String,
    /// Whose code it is: a device under its API key, or a client (and, once decided, the user).
    pub owner: Owner,
    /// OAuth codes: the scope asked for, and the user code's keyed hash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_code_hmac: Option<String>,
    pub status: CodeStatus,
    pub created_at: i64,
    pub expires_at: i64,
    /// Seconds a client must wait between polls; grows by 5 on every `slow_down`.
    pub interval: i64,
    /// The earliest time the next poll is welcome.
    pub next_poll_at: i64,
    /// A random id of the last poll recorded: an SDK retry of that very write (its answer
    /// lost on the way back) finds its own id and is answered as recorded, not as too fast.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_poll_id: Option<String>,
    /// The key that must sign every token request for this code, when the device has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<StoredKey>,
    /// An OAuth client's secret hash, as the client authenticated with it when the code was
    /// issued (none for a public client): a pending poll is checked against it on the code
    /// alone, one write and no read; the redemption checks the client as it is then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret_hash: Option<String>,
    pub lifetimes: Lifetimes,
    /// Set when redeemed: the token family the redemption started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_id: Option<String>,
    /// Set when a signed request redeemed it: that request's [`SignedRequest::replay_key`], so
    /// that replaying it revokes nothing.
    ///
    /// [`SignedRequest::replay_key`]: crate::usecases::SignedRequest::replay_key
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redeemed_by: Option<String>,
    /// OAuth codes: where the device authorization request came from, shown on the page that
    /// approves it (34 bytes of item size for `{"ip":"203.0.113.7","cc":"NL"}`, at most 62 with a full IPv6 address).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_from: Option<StartedFrom>,
    pub ttl: i64,
}

/// The address a device authorization came from, and its country when the CDN in front says
/// (`CloudFront-Viewer-Country`, `CF-IPCountry`): short names, since every code carries it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StartedFrom {
    pub ip: String,
    #[serde(rename = "cc", default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

impl DeviceCode {
    pub fn is_expired(&self, now: i64) -> bool {
        self.expires_at <= now
    }

    /// Who must still be in good standing for this code to be redeemed.
    pub fn holder(&self) -> Holder<'_> {
        self.owner.holder(&self.client_id)
    }
}

/// Points a live user code at its device code (table `UserCodesTable`, key `code_hmac`, TTL).
/// The key is an HMAC of the normalised user code under the server secret, so the table alone
/// does not reveal live codes; a conditional put keeps codes unique among live ones.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UserCodeRecord {
    pub code_hmac: String,
    pub device_code_hash: String,
    pub client_id: String,
    pub expires_at: i64,
    pub ttl: i64,
}
