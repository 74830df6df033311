//! Settings read once per cold start.

use crate::error::Error;
use crate::model::{OAuthClient, Scope};
use crate::storage::Tables;

pub use crate::secrets::ServerSecret;

mod pages;
pub use pages::PageSettings;

#[derive(Clone, Debug)]
pub struct Settings {
    pub tables: Tables,
    /// How long a registration waits for an administrator (docs/design.md: 72 h by default).
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
    /// `LOCAL_PASSWORDS` (`enabled`, the default, or `disabled`): whether people may sign in
    /// on the pages with a devicegate password, or only through an identity provider.
    pub local_passwords: bool,
    /// Who may register OAuth clients, and the bounds on self-registered ones.
    pub registration: RegistrationSettings,
    /// The OpenID Connect provider's keys and ID token lifetime.
    pub oidc: OidcSettings,
    /// `AUDIT_RETENTION_DAYS` (default 400): how long an audit record is kept.
    pub audit_retention_days: i64,
    /// What the pages show: the organisation's name and logo, scope descriptions.
    pub pages: PageSettings,
}

/// The OpenID Connect provider's settings.
#[derive(Clone, Debug)]
pub struct OidcSettings {
    /// The signing keys, read at cold start from `SIGNING_KEYS_ARN` (Secrets Manager) or
    /// `SIGNING_KEYS_FILE` (local runs). Without them no ID token is issued and discovery and
    /// the JWK Set answer 404: an OAuth-only deployment.
    pub keys: Option<std::sync::Arc<crate::oidc::SigningKeySet>>,
    /// `SIGNING_KEYS_FILE`: where a local run keeps its key set (created on first start).
    pub keys_file: Option<std::path::PathBuf>,
    /// `ID_TOKEN_TTL_SECONDS` (default 3600).
    pub id_token_ttl: i64,
}

pub const DEFAULT_ID_TOKEN_TTL: i64 = 3600;

/// Names the Secrets Manager secret holding the signing key set in deployed stacks.
pub const SIGNING_KEYS_ARN: &str = "SIGNING_KEYS_ARN";

impl Default for OidcSettings {
    fn default() -> OidcSettings {
        OidcSettings {
            keys: None,
            keys_file: None,
            id_token_ttl: DEFAULT_ID_TOKEN_TTL,
        }
    }
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
            idle_ttl: OAuthClient::DEFAULT_IDLE_TTL,
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
pub use crate::storage::audit::DEFAULT_AUDIT_RETENTION_DAYS;

impl Settings {
    /// Reads the environment once, at cold start (see [`Settings::from_lookup`]).
    pub fn from_env() -> Result<Settings, String> {
        Settings::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads every setting from `lookup`. An unset or empty variable takes its default; any
    /// other value must be valid, or the function does not start, with a message that names
    /// the variable: a typo in a deployment fails loudly instead of quietly running on a
    /// default.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Settings, String> {
        let value = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let seconds = |name: &str, default: i64| positive(name, value(name), default, "seconds");
        let server_secret = value("SERVER_SECRET")
            .map(|text| ServerSecret::from_text(&text))
            .transpose()?;
        let defaults = RegistrationSettings::default();
        let policy = match value("REGISTRATION_POLICY") {
            None => defaults.policy,
            Some(text) => RegistrationPolicy::parse(&text).ok_or_else(|| {
                format!(
                    "REGISTRATION_POLICY is {text:?}; use open, initial-access-token or disabled"
                )
            })?,
        };
        let per_minute = "REGISTRATIONS_PER_SOURCE_PER_MINUTE";
        let registration = RegistrationSettings {
            policy,
            secret_ttl: seconds("CLIENT_SECRET_TTL_SECONDS", defaults.secret_ttl)?,
            idle_ttl: seconds("CLIENT_IDLE_TTL_SECONDS", defaults.idle_ttl)?,
            per_source_per_minute: positive(
                per_minute,
                value(per_minute),
                defaults.per_source_per_minute,
                "registrations",
            )?,
            allowed_scopes: Scope::parse(&value("REGISTRATION_SCOPES").unwrap_or_default())
                .map_err(|e| format!("REGISTRATION_SCOPES: {}", e.description()))?,
        };
        // `METRICS` (on, the default, or off) is read by the log's set-up; a typo stops here.
        crate::metrics::parse(value("METRICS").as_deref())?;
        Ok(Settings {
            tables: Tables::from_lookup(&lookup),
            approval_window: seconds("APPROVAL_WINDOW_SECONDS", DEFAULT_APPROVAL_WINDOW)?,
            poll_interval: seconds("POLL_INTERVAL_SECONDS", DEFAULT_POLL_INTERVAL)?,
            device_code_ttl: seconds("DEVICE_CODE_TTL_SECONDS", DEFAULT_DEVICE_CODE_TTL)?,
            server_secret,
            issuer: value("ISSUER").map(|v| issuer(&v)).transpose()?,
            secure_cookies: flag("COOKIE_SECURE", value("COOKIE_SECURE"), true)?,
            local_passwords: match value("LOCAL_PASSWORDS").as_deref() {
                None | Some("enabled") => true,
                Some("disabled") => false,
                Some(other) => {
                    return Err(format!(
                        "LOCAL_PASSWORDS is {other:?}; use enabled or disabled"
                    ));
                }
            },
            registration,
            oidc: OidcSettings {
                keys: None,
                keys_file: value("SIGNING_KEYS_FILE").map(std::path::PathBuf::from),
                id_token_ttl: seconds("ID_TOKEN_TTL_SECONDS", DEFAULT_ID_TOKEN_TTL)?,
            },
            audit_retention_days: positive(
                "AUDIT_RETENTION_DAYS",
                value("AUDIT_RETENTION_DAYS"),
                DEFAULT_AUDIT_RETENTION_DAYS,
                "days",
            )?,
            pages: PageSettings::from_lookup(value)?,
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
            local_passwords: true,
            registration: RegistrationSettings::default(),
            oidc: OidcSettings::default(),
            audit_retention_days: DEFAULT_AUDIT_RETENTION_DAYS,
            pages: PageSettings::default(),
        }
    }
}

/// A whole number above 0, or the default when unset.
fn positive(name: &str, value: Option<String>, default: i64, unit: &str) -> Result<i64, String> {
    match value {
        None => Ok(default),
        Some(text) => match text.trim().parse::<i64>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(format!(
                "{name} is {text:?}; use a whole number of {unit} above 0 (unset: {default})"
            )),
        },
    }
}

/// `true` or `false`, or the default when unset.
pub fn flag(name: &str, value: Option<String>, default: bool) -> Result<bool, String> {
    match value.as_deref().map(str::trim) {
        None => Ok(default),
        Some("true") => Ok(true),
        Some("false") => Ok(false),
        Some(text) => Err(format!("{name} is {text:?}; use true or false")),
    }
}

/// The public base URL: `http(s)://host[:port][/path]`, without query or fragment; a trailing
/// `/` is dropped, since every route is appended to it.
fn issuer(text: &str) -> Result<String, String> {
    let trimmed = text.trim().trim_end_matches('/');
    let refuse = || {
        format!(
            "ISSUER is {text:?}; use the URL clients reach devicegate at, e.g. \
             https://id.example.com (no query or fragment)"
        )
    };
    let url = url::Url::parse(trimmed).map_err(|_| refuse())?;
    let plain = matches!(url.scheme(), "https" | "http")
        && url.host_str().is_some()
        && url.query().is_none()
        && url.fragment().is_none()
        && url.username().is_empty()
        && url.password().is_none();
    if !plain {
        return Err(refuse());
    }
    Ok(trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(vars: &[(&str, &str)]) -> Result<Settings, String> {
        Settings::from_lookup(|name| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (*v).to_owned())
        })
    }

    #[test]
    fn unset_and_empty_settings_take_their_defaults() -> Result<(), String> {
        for vars in [
            &[][..],
            &[("POLL_INTERVAL_SECONDS", ""), ("ISSUER", " ")][..],
        ] {
            let s = settings(vars)?;
            assert_eq!(s.poll_interval, DEFAULT_POLL_INTERVAL);
            assert_eq!(s.issuer, None);
            assert!(s.secure_cookies);
            assert_eq!(s.registration, RegistrationSettings::default());
        }
        let s = settings(&[
            ("POLL_INTERVAL_SECONDS", "7"),
            ("ISSUER", "https://id.example.com/"),
            ("COOKIE_SECURE", "false"),
            ("REGISTRATIONS_PER_SOURCE_PER_MINUTE", "3"),
        ])?;
        assert_eq!(s.poll_interval, 7);
        assert_eq!(s.issuer.as_deref(), Some("https://id.example.com"));
        assert!(!s.secure_cookies);
        assert_eq!(s.registration.per_source_per_minute, 3);
        Ok(())
    }

    #[test]
    fn a_bad_value_fails_the_start_naming_its_variable() {
        for (name, bad) in [
            ("APPROVAL_WINDOW_SECONDS", "3d"),
            ("DEVICE_CODE_TTL_SECONDS", "0"),
            ("POLL_INTERVAL_SECONDS", "-5"),
            ("CLIENT_SECRET_TTL_SECONDS", "1.5"),
            ("CLIENT_IDLE_TTL_SECONDS", "ninety days"),
            ("AUDIT_RETENTION_DAYS", "0"),
            (
                "REGISTRATIONS_PER_SOURCE_PER_MINUTE",
                "99999999999999999999",
            ),
            ("REGISTRATION_POLICY", "closed"),
            ("REGISTRATION_SCOPES", "caf\u{e9}"),
            ("COOKIE_SECURE", "no"),
            ("ISSUER", "id.example.com"),
            ("ISSUER", "https://id.example.com/?x=1"),
            ("ISSUER", "ftp://id.example.com"),
            ("SERVER_SECRET", "short"),
            ("METRICS", "false"),
        ] {
            let error = settings(&[(name, bad)]).err();
            assert!(
                error.as_deref().is_some_and(|e| e.contains(name)),
                "{name}={bad:?}: {error:?}"
            );
        }
    }
}
