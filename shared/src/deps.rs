//! What every function builds once at cold start and lends to each request.

use crate::aws::sdk_config;
use crate::config::{self, Settings};
use crate::storage::Store;

/// What every function holds for its lifetime: built once in `main`, lent to each request.
#[derive(Clone, Debug)]
pub struct Deps {
    pub store: Store,
    pub settings: Settings,
}

impl Deps {
    /// Reads settings, builds the client, and pays the TLS handshake during init. Fails (and so
    /// the function does not start) when a required setting is missing.
    pub async fn from_env() -> Result<Deps, String> {
        let mut settings = Settings::from_env()?;
        let config = sdk_config().await;
        if settings.server_secret.is_none()
            && let Ok(arn) = std::env::var(config::SERVER_SECRET_ARN)
        {
            let client = aws_sdk_secretsmanager::Client::new(&config);
            settings.server_secret = Some(config::fetch_server_secret(&client, &arn).await?);
        }
        settings.oidc.keys = load_signing_keys(&settings, Some(&config)).await?;
        let store = Store::new(
            crate::aws::metered_dynamodb_client(&config),
            settings.tables.clone(),
        )
        .with_client_idle_ttl(settings.registration.idle_ttl)
        .with_audit_retention_days(settings.audit_retention_days);
        // `WARM_UP_DYNAMODB=false` leaves the connection to the first request: only for
        // measuring what the warm-up saves (scripts/coldstart).
        if config::flag(
            "WARM_UP_DYNAMODB",
            std::env::var("WARM_UP_DYNAMODB").ok(),
            true,
        )? {
            store.warm_up().await;
        }
        Ok(Deps { store, settings })
    }

    /// As [`Deps::from_env`], for a function that cannot work without the server secret
    /// (`SERVER_SECRET_ARN`, or `SERVER_SECRET` in local runs).
    pub async fn from_env_with_secret() -> Result<Deps, String> {
        let deps = Deps::from_env().await?;
        if deps.settings.server_secret.is_none() {
            return Err(format!(
                "neither {} nor SERVER_SECRET is set; this function needs the server secret",
                config::SERVER_SECRET_ARN
            ));
        }
        Ok(deps)
    }
}

/// The `metadata` function's state: it reads no table, so it builds an AWS client only to read
/// the signing keys' secret, and only where one is named.
pub async fn settings_with_signing_keys() -> Result<Settings, String> {
    let mut settings = Settings::from_env()?;
    settings.oidc.keys = load_signing_keys(&settings, None).await?;
    Ok(settings)
}

/// The signing key set, once per cold start: from Secrets Manager (created there on the first
/// start after a deploy) or from the local key file (created on first run).
async fn load_signing_keys(
    settings: &Settings,
    config: Option<&aws_config::SdkConfig>,
) -> Result<Option<std::sync::Arc<crate::oidc::SigningKeySet>>, String> {
    use crate::oidc::key_storage;
    let now = crate::http::now();
    let set = match (
        std::env::var(config::SIGNING_KEYS_ARN)
            .ok()
            .filter(|v| !v.is_empty()),
        &settings.oidc.keys_file,
    ) {
        (Some(arn), _) => {
            let client = match config {
                Some(config) => aws_sdk_secretsmanager::Client::new(config),
                None => aws_sdk_secretsmanager::Client::new(&sdk_config().await),
            };
            key_storage::load_or_create_secret(&client, &arn, now)
                .await
                .map_err(|e| format!("{}: {e}", config::SIGNING_KEYS_ARN))?
        }
        (None, Some(path)) => key_storage::load_or_create_file(path, now)
            .map_err(|e| format!("SIGNING_KEYS_FILE: {e}"))?,
        (None, None) => return Ok(None),
    };
    Ok(Some(std::sync::Arc::new(set)))
}

/// The store alone, for a function that serves no request and needs no secret (the `expiry`
/// function, fed by a DynamoDB stream): settings and the client, no warm-up read (its policy
/// allows only the writes it makes).
pub async fn store_from_env() -> Result<Store, String> {
    let settings = Settings::from_env()?;
    let config = sdk_config().await;
    Ok(Store::new(
        crate::aws::metered_dynamodb_client(&config),
        settings.tables,
    )
    .with_audit_retention_days(settings.audit_retention_days))
}
