//! OAuth clients: their type, grants, origin, authentication method and redirect URIs.

use serde::{Deserialize, Serialize};

use super::{Lifetimes, MAX_ACCESS_TTL, MAX_REFRESH_TTL, Scope, check_ttl};
use crate::error::Error;

wire_enum!(
    /// RFC 6749 §2.1: whether a client can keep a secret.
    OAuthClientType { Public = "public", Confidential = "confidential" }
);

wire_enum!(
    /// The grants an OAuth client may be allowed. `authorization_code` can be registered (the
    /// AWS CLI and Huawei clients ask for it) but no token endpoint serves it yet.
    GrantType {
        DeviceCode = "urn:ietf:params:oauth:grant-type:device_code",
        RefreshToken = "refresh_token",
        AuthorizationCode = "authorization_code",
    }
);

wire_enum!(
    /// Who made a client: an administrator, or the client itself through one of the
    /// registration dialects (self-registered clients are shown as unverified).
    ClientOrigin {
        Admin = "admin",
        Rfc7591 = "rfc7591",
        Huawei = "huawei",
        Aws = "aws",
        Vmware = "vmware"
    }
);

// wire_enum! takes no `#[default]` on a variant, so this cannot be derived.
#[allow(clippy::derivable_impls)]
impl Default for ClientOrigin {
    fn default() -> Self {
        ClientOrigin::Admin
    }
}

impl ClientOrigin {
    /// Whether the client named itself: an administrator's client, or an app instance made from
    /// an administrator's template (VMware mobile registration), is not.
    pub fn is_self_registered(self) -> bool {
        !matches!(self, ClientOrigin::Admin | ClientOrigin::Vmware)
    }
}

wire_enum!(
    /// RFC 7591 §2 `token_endpoint_auth_method`.
    TokenEndpointAuthMethod {
        None = "none",
        ClientSecretBasic = "client_secret_basic",
        ClientSecretPost = "client_secret_post",
    }
);

/// A redirect URI a client registers (RFC 6749 §3.1.2, RFC 8252 §7), parsed rather than
/// prefix-matched: absolute, without fragment, user info or wildcard, and one of
/// - `https` with a host,
/// - `http` on a loopback host (`127.0.0.1`, `[::1]`, `localhost`), any port (RFC 8252 §7.3),
/// - a private-use scheme in reverse-domain form, such as `com.example.app:/callback`
///   (RFC 8252 §7.1), for native apps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RedirectUri(String);

impl RedirectUri {
    pub const MAX_LEN: usize = 2048;

    pub fn parse(text: &str) -> Result<RedirectUri, Error> {
        let refuse = |why: &str| {
            Error::InvalidRedirectUri(format!(
                "redirect URI {}: {why}",
                text.chars().take(80).collect::<String>()
            ))
        };
        if text.len() > Self::MAX_LEN {
            return Err(refuse("longer than 2048 characters"));
        }
        if text.contains('*') {
            return Err(refuse("wildcards are not allowed"));
        }
        if text.contains('#') {
            return Err(refuse("a fragment is not allowed"));
        }
        if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(refuse("spaces and control characters are not allowed"));
        }
        let url = url::Url::parse(text).map_err(|_| refuse("not an absolute URI"))?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(refuse("user information is not allowed"));
        }
        match url.scheme() {
            "https" => {
                if text.contains(":///") || url.host_str().is_none_or(str::is_empty) {
                    return Err(refuse("https needs a host"));
                }
            }
            "http" => {
                let loopback = match url.host() {
                    Some(url::Host::Domain(d)) => d == "localhost",
                    Some(url::Host::Ipv4(ip)) => ip == std::net::Ipv4Addr::LOCALHOST,
                    Some(url::Host::Ipv6(ip)) => ip == std::net::Ipv6Addr::LOCALHOST,
                    None => false,
                };
                if !loopback {
                    return Err(refuse(
                        "plain http is only for loopback hosts (127.0.0.1, [::1], localhost)",
                    ));
                }
            }
            scheme => {
                // A private-use scheme names a domain the app's author controls, reversed.
                let labels: Vec<&str> = scheme.split('.').collect();
                if labels.len() < 2 || labels.iter().any(|l| l.is_empty()) {
                    return Err(refuse(
                        "use https, loopback http, or a reverse-domain scheme like com.example.app",
                    ));
                }
            }
        }
        Ok(RedirectUri(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An OAuth client (table `ClientsTable`, key `client_id`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OAuthClient {
    pub client_id: String,
    pub client_name: String,
    pub client_type: OAuthClientType,
    /// SHA-256 of the client secret; confidential clients only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_hash: Option<String>,
    pub grant_types: Vec<GrantType>,
    pub scopes: Scope,
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token_ttl: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token_ttl: Option<i64>,
    /// Who made the client; self-registered clients are shown as unverified on the page.
    #[serde(default)]
    pub origin: ClientOrigin,
    /// After this the secret no longer authenticates (self-registered clients; checked in the
    /// same condition as the secret).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_expires_at: Option<i64>,
    /// What a self-registered client asked for beyond the common fields (RFC 7591/7592).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration: Option<Registration>,
    /// When a grant last used the client (device authorization, redemption, refresh); kept for
    /// self-registered clients only (an administrator's client may be shared by a whole fleet,
    /// and one hot item written by every request would make transactions conflict).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used_at: Option<i64>,
    /// TTL: a self-registered client unused until then is deleted. Registration sets it a day
    /// ahead; each device authorization, redemption and refresh moves it on by the idle time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
    /// May call the introspection endpoint (RFC 7662): a resource server. Granted only by an
    /// administrator; a confidential client is not a resource server by being confidential.
    #[serde(default)]
    pub introspection: bool,
    /// An app instance made by VMware mobile registration: one client per installation, bound
    /// to the user who registered it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<super::vmware::AppInstance>,
    pub disabled: bool,
    pub created_at: i64,
}

/// The RFC 7591 metadata a self-registered client keeps, and the hash of its registration
/// access token (RFC 7592), when it has one.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Registration {
    pub token_endpoint_auth_method: Option<TokenEndpointAuthMethod>,
    #[serde(default)]
    pub response_types: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token_hash: Option<String>,
}

impl OAuthClient {
    pub const MAX_NAME: usize = 1024;

    /// Self-registered clients get ids with this prefix, so that a write can tell them apart
    /// (and move their idle expiry on) without reading the client first.
    pub const SELF_REGISTERED_PREFIX: &'static str = "dyn-";

    /// How long a self-registered client may go unused before TTL deletes it, unless the
    /// deployment says otherwise (`CLIENT_IDLE_TTL_SECONDS`).
    pub const DEFAULT_IDLE_TTL: i64 = 90 * 24 * 3600;

    /// An enabled client made by an administrator, allowed these grants and nothing more: no
    /// scope or redirect URI, default lifetimes, no introspection. Set the rest with struct
    /// update syntax.
    pub fn new(
        client_id: impl Into<String>,
        client_name: impl Into<String>,
        client_type: OAuthClientType,
        secret_hash: Option<String>,
        grant_types: Vec<GrantType>,
        created_at: i64,
    ) -> OAuthClient {
        OAuthClient {
            client_id: client_id.into(),
            client_name: client_name.into(),
            client_type,
            secret_hash,
            grant_types,
            scopes: Scope::default(),
            redirect_uris: Vec::new(),
            access_token_ttl: None,
            refresh_token_ttl: None,
            origin: ClientOrigin::Admin,
            secret_expires_at: None,
            registration: None,
            last_used_at: None,
            expires_at: None,
            introspection: false,
            instance: None,
            disabled: false,
            created_at,
        }
    }

    pub fn self_registered(&self) -> bool {
        self.origin.is_self_registered()
    }

    /// Enabled, and not left idle past its expiry (TTL deletion is late).
    pub fn is_active(&self, now: i64) -> bool {
        !self.disabled && self.expires_at.is_none_or(|at| at > now)
    }

    pub fn allows(&self, grant: GrantType) -> bool {
        self.grant_types.contains(&grant)
    }

    pub fn lifetimes(&self) -> Lifetimes {
        let default = Lifetimes::default();
        Lifetimes {
            access_token_ttl: self.access_token_ttl.unwrap_or(default.access_token_ttl),
            refresh_token_ttl: self.refresh_token_ttl.unwrap_or(default.refresh_token_ttl),
        }
    }

    pub fn validate_lifetimes(&self) -> Result<(), Error> {
        check_ttl("access_token_ttl", self.access_token_ttl, MAX_ACCESS_TTL)?;
        check_ttl("refresh_token_ttl", self.refresh_token_ttl, MAX_REFRESH_TTL)
    }
}
