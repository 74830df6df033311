//! Settings read once per cold start.

use crate::error::Error;
use crate::model::Scope;
use crate::storage::Tables;

#[derive(Clone, Debug)]
pub struct Settings {
    pub tables: Tables,
    /// How long a registration waits for an administrator (DESIGN.md: 72 h by default).
    pub approval_window: i64,
    /// The minimum seconds between polls a device is told (RFC 8628's default, 5).
    pub poll_interval: i64,
    /// How long an RFC 8628 device code and its user code live (default 600 s).
    pub device_code_ttl: i64,
    /// Keys user-code HMACs and CSRF tokens: read from Secrets Manager (`SERVER_SECRET_ARN`) in
    /// deployed stacks, or `SERVER_SECRET` in local runs; at least 32 characters. Only the
    /// functions that need it get it; they refuse to start without it.
    pub server_secret: Option<ServerSecret>,
    /// The public base URL (`https://id.example.com`), used for `verification_uri` and the
    /// metadata document. When unset, it is taken from each request's `Host` header.
    pub issuer: Option<String>,
    /// Whether cookies carry `Secure`; only local runs over plain HTTP turn it off.
    pub secure_cookies: bool,
    /// Who may register OAuth clients, and the bounds on self-registered ones.
    pub registration: RegistrationSettings,
}

/// Who may register a client through the registration dialects (RFC 7591 §3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegistrationPolicy {
    /// Anyone, within the per-source rate limit.
    Open,
    /// Only with an initial access token an administrator issued.
    InitialAccessToken,
    /// Nobody: the registration routes answer 403 and metadata does not advertise them.
    Disabled,
}

impl RegistrationPolicy {
    pub fn parse(text: &str) -> Option<RegistrationPolicy> {
        match text {
            "open" => Some(RegistrationPolicy::Open),
            "initial-access-token" => Some(RegistrationPolicy::InitialAccessToken),
            "disabled" => Some(RegistrationPolicy::Disabled),
            _ => None,
        }
    }
}

/// The bounds on self-registered clients.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegistrationSettings {
    pub policy: RegistrationPolicy,
    /// How long a self-registered client's secret authenticates (AWS: 90 days).
    pub secret_ttl: i64,
    /// A self-registered client unused this long is deleted by TTL.
    pub idle_ttl: i64,
    /// Registrations per source address per minute.
    pub per_source_per_minute: i64,
    /// The scope tokens a self-registered client may ask for (`REGISTRATION_SCOPES`, space
    /// separated). Empty: none. A client's registered scope is the most it can ever be
    /// granted, so what strangers may claim is the deployment's decision.
    pub allowed_scopes: Scope,
}

impl Default for RegistrationSettings {
    fn default() -> Self {
        RegistrationSettings {
            policy: RegistrationPolicy::Open,
            secret_ttl: 90 * 24 * 3600,
            idle_ttl: 90 * 24 * 3600,
            per_source_per_minute: 20,
            allowed_scopes: Scope::default(),
        }
    }
}

/// Names the Secrets Manager secret holding the server secret in deployed stacks. The secret is
/// read once per cold start and kept in memory; it is never put in an environment variable,
/// which anyone allowed `lambda:GetFunctionConfiguration` could read.
pub const SERVER_SECRET_ARN: &str = "SERVER_SECRET_ARN";

/// Reads the server secret from Secrets Manager (one call, at cold start).
pub async fn fetch_server_secret(
    client: &aws_sdk_secretsmanager::Client,
    arn: &str,
) -> Result<ServerSecret, String> {
    let output = client
        .get_secret_value()
        .secret_id(arn)
        .send()
        .await
        .map_err(|e| {
            format!(
                "reading the server secret from Secrets Manager: {}",
                aws_sdk_secretsmanager::error::DisplayErrorContext(&e)
            )
        })?;
    let text = output
        .secret_string()
        .ok_or("the server secret in Secrets Manager has no SecretString")?;
    ServerSecret::from_text(text)
}

pub const DEFAULT_APPROVAL_WINDOW: i64 = 72 * 3600;
pub const DEFAULT_POLL_INTERVAL: i64 = 5;
pub const DEFAULT_DEVICE_CODE_TTL: i64 = 600;

/// The server's own secret: never printed (its `Debug` is redacted) and zeroed when dropped.
#[derive(Clone)]
pub struct ServerSecret(secrecy::SecretSlice<u8>);

impl std::fmt::Debug for ServerSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ServerSecret(..)")
    }
}

impl ServerSecret {
    pub const MIN_BYTES: usize = 32;

    pub fn from_bytes(bytes: Vec<u8>) -> ServerSecret {
        ServerSecret(bytes.into())
    }

    /// Reads `SERVER_SECRET`: any text of at least 32 bytes (the template generates 64 random
    /// letters and digits in Secrets Manager).
    pub fn from_text(text: &str) -> Result<ServerSecret, String> {
        let bytes = text.trim().as_bytes();
        if bytes.len() < Self::MIN_BYTES {
            return Err(format!(
                "SERVER_SECRET must be at least {} characters",
                Self::MIN_BYTES
            ));
        }
        Ok(ServerSecret::from_bytes(bytes.to_vec()))
    }

    pub fn bytes(&self) -> &[u8] {
        use secrecy::ExposeSecret as _;
        self.0.expose_secret()
    }
}

impl Settings {
    /// Reads the environment. A short `SERVER_SECRET` is an error.
    pub fn from_env() -> Result<Settings, String> {
        let lookup = |name: &str| std::env::var(name).ok();
        let positive = |name: &str, default: i64| {
            lookup(name)
                .and_then(|v| v.parse().ok())
                .filter(|v: &i64| *v > 0)
                .unwrap_or(default)
        };
        let server_secret = lookup("SERVER_SECRET")
            .map(|text| ServerSecret::from_text(&text))
            .transpose()?;
        let defaults = RegistrationSettings::default();
        let policy = match lookup("REGISTRATION_POLICY").filter(|v| !v.is_empty()) {
            None => defaults.policy,
            Some(text) => RegistrationPolicy::parse(&text).ok_or_else(|| {
                format!(
                    "REGISTRATION_POLICY is {text:?}; use open, initial-access-token or disabled"
                )
            })?,
        };
        let registration = RegistrationSettings {
            policy,
            secret_ttl: positive("CLIENT_SECRET_TTL_SECONDS", defaults.secret_ttl),
            idle_ttl: positive("CLIENT_IDLE_TTL_SECONDS", defaults.idle_ttl),
            per_source_per_minute: positive(
                "REGISTRATIONS_PER_SOURCE_PER_MINUTE",
                defaults.per_source_per_minute,
            ),
            allowed_scopes: Scope::parse(&lookup("REGISTRATION_SCOPES").unwrap_or_default())
                .map_err(|e| format!("REGISTRATION_SCOPES: {}", e.description()))?,
        };
        Ok(Settings {
            tables: Tables::from_lookup(lookup),
            approval_window: positive("APPROVAL_WINDOW_SECONDS", DEFAULT_APPROVAL_WINDOW),
            poll_interval: positive("POLL_INTERVAL_SECONDS", DEFAULT_POLL_INTERVAL),
            device_code_ttl: positive("DEVICE_CODE_TTL_SECONDS", DEFAULT_DEVICE_CODE_TTL),
            server_secret,
            issuer: lookup("ISSUER")
                .map(|v| v.trim_end_matches('/').to_owned())
                .filter(|v| !v.is_empty()),
            secure_cookies: lookup("COOKIE_SECURE").is_none_or(|v| v != "false"),
            registration,
        })
    }

    /// The server secret, for the functions that need one.
    pub fn server_secret(&self) -> Result<&ServerSecret, Error> {
        self.server_secret
            .as_ref()
            .ok_or_else(|| Error::internal("SERVER_SECRET is not set"))
    }

    /// Settings for tests and tools: default tables and lifetimes, the given secret.
    pub fn with_secret(server_secret: ServerSecret) -> Settings {
        Settings {
            tables: Tables::from_lookup(|_| None),
            approval_window: DEFAULT_APPROVAL_WINDOW,
            poll_interval: DEFAULT_POLL_INTERVAL,
            device_code_ttl: DEFAULT_DEVICE_CODE_TTL,
            server_secret: Some(server_secret),
            issuer: None,
            secure_cookies: true,
            registration: RegistrationSettings::default(),
        }
    }
}
