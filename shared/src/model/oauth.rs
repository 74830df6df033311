//! The OAuth side of the model: clients, users, scopes, user codes, and the verification page's
//! sessions.

use serde::{Deserialize, Serialize};

use super::{Lifetimes, MAX_ACCESS_TTL, MAX_REFRESH_TTL, check_ttl};
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

/// A set of scope tokens (RFC 6749 §3.3): each 1..=128 characters of `NQCHAR`, at most 32,
/// kept sorted and without repeats so that equal scopes compare equal.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Scope(Vec<String>);

impl Scope {
    pub const MAX_TOKENS: usize = 32;
    pub const MAX_TOKEN_LEN: usize = 128;

    /// Parses a space-delimited scope string.
    pub fn parse(text: &str) -> Result<Scope, Error> {
        Scope::from_tokens(text.split(' ').filter(|t| !t.is_empty()))
    }

    pub fn from_tokens<'a>(tokens: impl IntoIterator<Item = &'a str>) -> Result<Scope, Error> {
        let mut out: Vec<String> = Vec::new();
        for token in tokens {
            let nqchar =
                |b: u8| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b);
            if token.is_empty() || token.len() > Self::MAX_TOKEN_LEN || !token.bytes().all(nqchar) {
                return Err(Error::InvalidScope(format!(
                    "scope tokens are 1 to {} printable characters without quotes or backslashes",
                    Self::MAX_TOKEN_LEN
                )));
            }
            out.push(token.to_owned());
        }
        out.sort();
        out.dedup();
        if out.len() > Self::MAX_TOKENS {
            return Err(Error::InvalidScope(format!(
                "at most {} scope tokens",
                Self::MAX_TOKENS
            )));
        }
        Ok(Scope(out))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn tokens(&self) -> &[String] {
        &self.0
    }

    pub fn is_subset_of(&self, other: &Scope) -> bool {
        self.0.iter().all(|t| other.0.contains(t))
    }

    /// The wire form: tokens joined by single spaces; `None` when empty.
    pub fn to_wire(&self) -> Option<String> {
        (!self.0.is_empty()).then(|| self.0.join(" "))
    }
}

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

/// A user's sign-in name: 1..=64 characters from `A-Z a-z 0-9 . _ @ -`, compared as given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub const MAX_LEN: usize = 64;

    pub fn parse(text: &str) -> Result<Username, Error> {
        let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '@' | '-');
        if text.is_empty() || text.len() > Self::MAX_LEN || !text.chars().all(allowed) {
            return Err(Error::invalid_request(
                "username must be 1 to 64 characters of letters, digits, '.', '_', '@' or '-'",
            ));
        }
        Ok(Username(text.to_owned()))
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

/// A person who signs in on the verification page (table `UsersTable`, key `username`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub username: String,
    /// PHC string of an argon2id hash.
    pub password_hash: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    pub disabled: bool,
    pub created_at: i64,
    pub updated_at: i64,
    /// Goes up by one whenever the password is reset or the user disabled; a page session is
    /// good only while it holds the value the user had when it started.
    #[serde(default)]
    pub credentials_version: i64,
    /// Password-less sign-in identifiers (`POST /api/v1/login`), indexed (`by_card_id`,
    /// `by_short_id`, `by_email`) by [`LoginId::lookup_key`]: card and short ids only as a
    /// keyed hash under the server secret, the email lower-cased.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card_id_hmac: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub short_id_hmac: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_key: Option<String>,
}

/// How a user is named in a password-less sign-in, other than by username.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoginIdKind {
    CardId,
    ShortId,
    Email,
}

impl LoginIdKind {
    /// The user attribute (and index) holding this identifier's keyed hash.
    pub fn attribute(self) -> &'static str {
        match self {
            LoginIdKind::CardId => "card_id_hmac",
            LoginIdKind::ShortId => "short_id_hmac",
            LoginIdKind::Email => "email_key",
        }
    }

    pub fn index(self) -> &'static str {
        match self {
            LoginIdKind::CardId => "by_card_id",
            LoginIdKind::ShortId => "by_short_id",
            LoginIdKind::Email => "by_email",
        }
    }

    pub fn field(self) -> &'static str {
        match self {
            LoginIdKind::CardId => "card_id",
            LoginIdKind::ShortId => "short_id",
            LoginIdKind::Email => "email",
        }
    }
}

/// A card id, short id or email as a person presents it: 1..256 printable characters, compared
/// after trimming (and, for emails, ASCII lower-casing).
#[derive(Clone, PartialEq, Eq)]
pub struct LoginId {
    kind: LoginIdKind,
    value: String,
}

impl std::fmt::Debug for LoginId {
    // Card ids are credentials where passwords are not asked for: never in a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LoginId({:?}, ..)", self.kind)
    }
}

impl LoginId {
    pub const MAX_LEN: usize = 256;

    pub fn parse(kind: LoginIdKind, text: &str) -> Result<LoginId, Error> {
        let trimmed = text.trim();
        if trimmed.is_empty()
            || trimmed.len() > Self::MAX_LEN
            || trimmed.chars().any(|c| c.is_control())
        {
            return Err(Error::invalid_request(format!(
                "{} must be 1 to {} printable characters",
                kind.field(),
                Self::MAX_LEN
            )));
        }
        let value = match kind {
            LoginIdKind::Email => trimmed.to_ascii_lowercase(),
            _ => trimmed.to_owned(),
        };
        Ok(LoginId { kind, value })
    }

    pub fn kind(&self) -> LoginIdKind {
        self.kind
    }

    /// What it is stored and looked up by: a keyed hash for card and short ids (credentials
    /// in their own right), the lower-cased address for an email (stored beside it anyway).
    pub fn lookup_key(&self, secret: &crate::config::ServerSecret) -> String {
        let label = match self.kind {
            LoginIdKind::CardId => "login-card-id",
            LoginIdKind::ShortId => "login-short-id",
            LoginIdKind::Email => return email_key(&self.value),
        };
        crate::usercode::keyed_hash(secret, label, self.value.as_bytes())
    }
}

/// The form of an email address the `by_email` index holds.
pub fn email_key(email: &str) -> String {
    email.trim().to_ascii_lowercase()
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_parses_sorts_and_refuses_bad_tokens() -> Result<(), Error> {
        let scope = Scope::parse("write  read read")?;
        assert_eq!(scope.tokens(), ["read", "write"]);
        assert_eq!(scope.to_wire().as_deref(), Some("read write"));
        assert!(Scope::parse("a\"b").is_err());
        assert!(Scope::parse("caf\u{e9}").is_err());
        assert!(Scope::parse(&"x".repeat(129)).is_err());
        assert!(Scope::parse("")?.is_empty());
        assert!(Scope::parse("read")?.is_subset_of(&scope));
        assert!(!Scope::parse("admin")?.is_subset_of(&scope));
        Ok(())
    }

    #[test]
    fn username_limits() {
        assert!(Username::parse("ada.lovelace@example.com").is_ok());
        assert!(Username::parse("").is_err());
        assert!(Username::parse("with space").is_err());
        assert!(Username::parse(&"a".repeat(65)).is_err());
    }
}
