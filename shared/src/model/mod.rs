//! The internal model every dialect maps onto. Types validate on construction, so a value of
//! one of these types is already known to be within DESIGN.md's limits.

use serde::{Deserialize, Serialize};

use crate::error::Error;

macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
        pub enum $name { $(#[serde(rename = $text)] $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
            pub fn parse(text: &str) -> Option<Self> {
                match text { $($text => Some($name::$variant),)+ _ => None }
            }
            /// The accepted values, for error messages.
            pub fn expected() -> String {
                [$($text),+].join(", ")
            }
            /// Parses the value of a request field, or says which values the field accepts.
            pub fn parse_field(field: &str, text: &str) -> Result<Self, $crate::error::Error> {
                Self::parse(text).ok_or_else(|| {
                    $crate::error::Error::invalid_request(format!(
                        "{field} must be one of: {}",
                        Self::expected()
                    ))
                })
            }
        }
    };
}

mod oauth;
pub mod vmware;
pub use oauth::{
    ClientOrigin, GrantType, LoginId, LoginIdKind, OAuthClient, OAuthClientType, RedirectUri,
    Registration, Scope, Session, TokenEndpointAuthMethod, User, UserCodeRecord, Username,
    email_key,
};

wire_enum!(
    /// What kind of device registers (Paragon `client_type`).
    ClientType {
        Printer = "printer",
        ChromeExtension = "chrome_extension",
        DesktopClient = "desktop_client",
        MobileDevice = "mobile_device",
        Server = "server",
    }
);

wire_enum!(
    /// How a device's public key is encoded (Paragon `key_type`).
    KeyType { Rsa = "rsa", X509 = "x509", Ed25519 = "ed25519" }
);

wire_enum!(
    /// A device's standing with the administrator.
    DeviceStatus { Pending = "pending", Approved = "approved", Denied = "denied", Revoked = "revoked" }
);

wire_enum!(
    /// Where a device code is in its life.
    CodeStatus { Pending = "pending", Approved = "approved", Denied = "denied", Redeemed = "redeemed" }
);

wire_enum!(
    /// A token family is revoked as a whole.
    FamilyStatus { Active = "active", Revoked = "revoked" }
);

wire_enum!(
    TokenKind { Access = "access", Refresh = "refresh" }
);

/// A device identifier: 1..=256 printable ASCII characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientId(String);

impl ClientId {
    pub const MAX_LEN: usize = 256;

    pub fn parse(value: &str) -> Result<Self, Error> {
        if value.is_empty() || value.len() > Self::MAX_LEN {
            return Err(Error::invalid_request(
                "client_id must be 1 to 256 characters",
            ));
        }
        if !value.bytes().all(|b| (0x20..=0x7e).contains(&b)) {
            return Err(Error::invalid_request("client_id must be printable ASCII"));
        }
        Ok(ClientId(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Checks an optional free-text field against its limit (in characters).
pub fn bounded_text(
    name: &str,
    value: Option<&str>,
    max_chars: usize,
) -> Result<Option<String>, Error> {
    match value {
        None => Ok(None),
        Some(v) if v.chars().count() > max_chars => Err(Error::invalid_request(format!(
            "{name} must be at most {max_chars} characters"
        ))),
        Some(v) if v.chars().any(|c| c.is_control() && c != '\n' && c != '\t') => Err(
            Error::invalid_request(format!("{name} must not contain control characters")),
        ),
        Some(v) => Ok(Some(v.to_owned())),
    }
}

/// A device's public key as it was registered: its type and the base64 of its DER.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredKey {
    pub key_type: KeyType,
    pub public_key: String,
}

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

/// A registered device (table `DevicesTable`, key `client_id`).
///
/// `status` is the device's standing; a registration waiting for an administrator is kept apart
/// in `pending`, so that a re-registration of an approved device neither knocks it back nor
/// changes its key, type or description until an administrator approves it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Device {
    pub client_id: String,
    pub client_type: ClientType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_description: Option<String>,
    pub status: DeviceStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<StoredKey>,
    /// The API key the device registered under; it may never register under another.
    pub api_key_id: String,
    /// That key's name, for administrators telling registrations apart.
    #[serde(default)]
    pub api_key_name: String,
    /// The registration an administrator's decision applies to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending: Option<PendingRegistration>,
    /// [`PENDING_QUEUE`] while `pending` is set, absent otherwise: the sparse index `by_queue`
    /// lists exactly the devices waiting for a decision, whatever their status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    /// Optimistic-concurrency counter: every write is conditional on the version it read.
    pub version: i64,
}

/// The value of [`Device::queue`] while a registration waits for a decision.
pub const PENDING_QUEUE: &str = "pending";

impl Device {
    /// The registration waiting for a decision, if it has not expired.
    pub fn live_pending(&self, now: i64) -> Option<&PendingRegistration> {
        self.pending.as_ref().filter(|p| p.expires_at > now)
    }

    /// Puts a registration in the queue for an administrator.
    pub fn queue_registration(&mut self, pending: PendingRegistration) {
        self.queue = Some(PENDING_QUEUE.to_owned());
        self.pending = Some(pending);
    }

    /// Takes the registration out of the queue.
    pub fn take_pending(&mut self) -> Option<PendingRegistration> {
        self.queue = None;
        self.pending.take()
    }
}

/// What a registration asks for until an administrator decides: the device code it issued (by
/// hash) and what the device said about itself.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PendingRegistration {
    pub code_hash: String,
    pub client_type: ClientType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_description: Option<String>,
    /// The key the registration proposes; attached to the device only on approval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<StoredKey>,
    pub created_at: i64,
    pub expires_at: i64,
}

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
    /// A Paragon device's API key's `allowed_sources` when the code was issued: the redemption
    /// is refused from anywhere else.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_sources: Vec<String>,
    /// Set when redeemed: the token family the redemption started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_id: Option<String>,
    /// Set when a signed request redeemed it: that request's [`SignedRequest::replay_key`], so
    /// that replaying it revokes nothing.
    ///
    /// [`SignedRequest::replay_key`]: crate::usecases::SignedRequest::replay_key
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redeemed_by: Option<String>,
    pub ttl: i64,
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
/// token names it, so one read tells whether the key still stands (see [`ApiKeyGuard`]).
pub fn api_key_guard_id(api_key_id: &str) -> String {
    format!("apikey#{api_key_id}")
}

/// An API key's standing as the authorizer reads it beside a user token's family. Absent means
/// the key was never disabled nor given a new expiry since the token was issued.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyGuard {
    pub family_id: String,
    pub status: FamilyStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
}

impl ApiKeyGuard {
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

/// Settings an administrator gives an API key.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeySettings {
    #[serde(default)]
    pub auto_trust: bool,
    #[serde(default)]
    pub allow_untrusted_endpoints: bool,
    #[serde(default)]
    pub allow_unauthenticated_requests: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token_ttl: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token_ttl: Option<i64>,
    /// Epoch seconds after which the key no longer works.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
    /// Source addresses (CIDRs) allowed to register, take tokens and sign in with the key;
    /// empty: any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_sources: Vec<String>,
}

/// The most CIDRs one API key may list.
pub const MAX_ALLOWED_SOURCES: usize = 50;

/// The longest lifetimes an administrator may configure.
pub const MAX_ACCESS_TTL: i64 = 24 * 3600;
pub const MAX_REFRESH_TTL: i64 = 365 * 24 * 3600;
/// The furthest an API key's expiry may be set: ten years ahead.
pub const MAX_API_KEY_LIFETIME: i64 = 10 * 365 * 24 * 3600;

impl ApiKeySettings {
    pub fn validate(&self, now: i64) -> Result<(), Error> {
        check_ttl("access_token_ttl", self.access_token_ttl, MAX_ACCESS_TTL)?;
        check_ttl("refresh_token_ttl", self.refresh_token_ttl, MAX_REFRESH_TTL)?;
        if self
            .expires_at
            .is_some_and(|at| at <= now || at > now.saturating_add(MAX_API_KEY_LIFETIME))
        {
            return Err(Error::invalid_request(
                "expires_at must be in the future and at most ten years ahead",
            ));
        }
        if self.allowed_sources.len() > MAX_ALLOWED_SOURCES {
            return Err(Error::invalid_request(format!(
                "allowed_sources lists at most {MAX_ALLOWED_SOURCES} networks"
            )));
        }
        for cidr in &self.allowed_sources {
            if parse_network(cidr).is_none() {
                return Err(Error::invalid_request(format!(
                    "allowed_sources: {:?} is not an address or a CIDR such as 203.0.113.0/24",
                    cidr.chars().take(64).collect::<String>()
                )));
            }
        }
        Ok(())
    }

    /// Whether a request from `source` may use the key: any source when no list is set; else
    /// only an address inside one of the listed networks (an unknown source never is).
    pub fn allows_source(&self, source: &str) -> bool {
        source_allowed(&self.allowed_sources, source)
    }

    /// Refuses a source outside the key's allowed networks.
    pub fn check_source(&self, source: &str) -> Result<(), Error> {
        if self.allows_source(source) {
            Ok(())
        } else {
            Err(Error::Forbidden(
                "this API key may not be used from this address".into(),
            ))
        }
    }

    pub fn lifetimes(&self) -> Lifetimes {
        let default = Lifetimes::default();
        Lifetimes {
            access_token_ttl: self.access_token_ttl.unwrap_or(default.access_token_ttl),
            refresh_token_ttl: self.refresh_token_ttl.unwrap_or(default.refresh_token_ttl),
        }
    }
}

/// Whether `source` is inside one of the `allowed` networks; any source when none is listed,
/// and never an unparseable one when some are.
pub fn source_allowed(allowed: &[String], source: &str) -> bool {
    if allowed.is_empty() {
        return true;
    }

    let Ok(address) = source.parse::<std::net::IpAddr>() else {
        return false;
    };
    let address = match address {
        std::net::IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, std::net::IpAddr::V4),
        v4 => v4,
    };
    allowed
        .iter()
        .filter_map(|cidr| parse_network(cidr))
        .any(|net| net.contains(&address))
}

/// A network as an administrator writes it: a CIDR, or a single address.
fn parse_network(text: &str) -> Option<ipnet::IpNet> {
    text.parse::<ipnet::IpNet>().ok().or_else(|| {
        text.parse::<std::net::IpAddr>()
            .ok()
            .map(ipnet::IpNet::from)
    })
}

fn check_ttl(name: &str, value: Option<i64>, max: i64) -> Result<(), Error> {
    match value {
        Some(v) if !(60..=max).contains(&v) => Err(Error::invalid_request(format!(
            "{name} must be between 60 and {max} seconds"
        ))),
        _ => Ok(()),
    }
}

/// An API key (table `ApiKeysTable`, key `key_hash`, index `by_id`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApiKey {
    pub key_hash: String,
    pub id: String,
    pub name: String,
    pub settings: ApiKeySettings,
    pub disabled: bool,
    pub created_at: i64,
}

impl ApiKey {
    pub fn is_usable(&self, now: i64) -> bool {
        !self.disabled && self.settings.expires_at.is_none_or(|at| at > now)
    }
}

/// An administrator's key (table `AdminKeysTable`, key `key_hash`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AdminKey {
    pub key_hash: String,
    pub id: String,
    pub name: String,
    pub disabled: bool,
    pub created_at: i64,
}

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
    pub ttl: i64,
}

impl TokenRecord {
    pub fn holder(&self) -> Holder<'_> {
        self.owner.holder(&self.client_id)
    }
}

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
    pub lifetimes: Lifetimes,
    pub issued_at: i64,
    pub expires_at: i64,
    /// Set when redeemed: the family the redemption started (a second use revokes it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_id: Option<String>,
    pub ttl: i64,
}

/// Tokens handed to a client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenSet {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: i64,
    pub scope: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_key_source_lists_hold_addresses_and_networks() {
        let settings = ApiKeySettings {
            allowed_sources: vec![
                "10.0.0.0/8".into(),
                "2001:db8::/32".into(),
                "192.0.2.7".into(),
            ],
            ..Default::default()
        };
        assert!(settings.validate(0).is_ok());
        for inside in ["10.1.2.3", "2001:db8::1", "192.0.2.7", "::ffff:10.9.9.9"] {
            assert!(settings.allows_source(inside), "{inside}");
        }
        for outside in ["11.0.0.1", "2001:db9::1", "192.0.2.8", "unknown", ""] {
            assert!(!settings.allows_source(outside), "{outside}");
        }
        assert!(ApiKeySettings::default().allows_source("unknown"));
        let bad = ApiKeySettings {
            allowed_sources: vec!["10.0.0.0/33".into()],
            ..Default::default()
        };
        assert!(bad.validate(0).is_err());
    }

    #[test]
    fn client_id_limits() {
        assert!(ClientId::parse("0966a26c-a5fc-4276-9c6b-587d02aceb91").is_ok());
        assert!(ClientId::parse("").is_err());
        assert!(ClientId::parse(&"a".repeat(256)).is_ok());
        assert!(ClientId::parse(&"a".repeat(257)).is_err());
        assert!(ClientId::parse("tab\there").is_err());
        assert!(ClientId::parse("café").is_err());
    }

    #[test]
    fn enums_parse_only_their_values() {
        assert_eq!(
            ClientType::parse("chrome_extension"),
            Some(ClientType::ChromeExtension)
        );
        assert_eq!(ClientType::parse("Printer"), None);
        assert_eq!(KeyType::parse("x509"), Some(KeyType::X509));
        assert_eq!(KeyType::parse("dsa"), None);
        assert_eq!(ClientType::ALL.len(), 5);
    }

    #[test]
    fn bounded_text_counts_characters() -> Result<(), Error> {
        assert_eq!(
            bounded_text("d", Some(&"é".repeat(1024)), 1024)?.map(|s| s.chars().count()),
            Some(1024)
        );
        assert!(bounded_text("d", Some(&"é".repeat(1025)), 1024).is_err());
        assert!(bounded_text("d", Some("bell\u{7}"), 1024).is_err());
        assert_eq!(bounded_text("d", None, 10)?, None);
        Ok(())
    }

    #[test]
    fn api_key_settings_bound_lifetimes() {
        let ok = ApiKeySettings {
            access_token_ttl: Some(600),
            ..Default::default()
        };
        assert!(ok.validate(0).is_ok());
        let too_long = ApiKeySettings {
            access_token_ttl: Some(MAX_ACCESS_TTL + 1),
            ..Default::default()
        };
        assert!(too_long.validate(0).is_err());
        let past = ApiKeySettings {
            expires_at: Some(10),
            ..Default::default()
        };
        assert!(past.validate(10).is_err());
        assert_eq!(ApiKeySettings::default().lifetimes(), Lifetimes::default());
    }

    #[test]
    fn api_key_usable_until_disabled_or_expired() {
        let mut key = ApiKey {
            key_hash: "h".into(),
            id: "k".into(),
            name: "n".into(),
            settings: ApiKeySettings {
                expires_at: Some(100),
                ..Default::default()
            },
            disabled: false,
            created_at: 0,
        };
        assert!(key.is_usable(99));
        assert!(!key.is_usable(100));
        key.settings.expires_at = None;
        assert!(key.is_usable(i64::MAX));
        key.disabled = true;
        assert!(!key.is_usable(0));
    }
}
