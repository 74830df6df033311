//! Settings read once per cold start.

use crate::error::Error;
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
        }
    }
}
