//! devicegate's shared library. The layers, from the outside in:
//!
//! - [`api`]: one handler per function: parse the request in its dialect, call one use case,
//!   render the result. Handlers only translate.
//! - [`dialect`]: wire formats (field names, response and error shapes) of each dialect.
//! - [`usecases`]: the rules of every flow, the same for every dialect.
//! - [`storage`]: DynamoDB, with conditional writes and transactions for every once-only change.
//! - [`model`], [`keys`], [`secrets`], [`error`]: the types the layers share.

pub mod api;
pub mod config;
pub mod dialect;
pub mod error;
pub mod http;
pub mod keys;
pub mod lambda;
pub mod model;
pub mod password;
pub mod routes;
pub mod secrets;
pub mod storage;
pub mod telemetry;
pub mod usecases;
pub mod usercode;
pub mod web;

pub use config::Settings;
pub use error::Error;
pub use storage::{Store, Tables};

/// Builds the DynamoDB client once per cold start. `AWS_ENDPOINT_URL_DYNAMODB` points it at a
/// local server.
pub async fn dynamodb_client() -> aws_sdk_dynamodb::Client {
    let config = aws_config::load_from_env().await;
    aws_sdk_dynamodb::Client::new(&config)
}

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
        let config = aws_config::load_from_env().await;
        if settings.server_secret.is_none()
            && let Ok(arn) = std::env::var(config::SERVER_SECRET_ARN)
        {
            let client = aws_sdk_secretsmanager::Client::new(&config);
            settings.server_secret = Some(config::fetch_server_secret(&client, &arn).await?);
        }
        let store = Store::new(
            aws_sdk_dynamodb::Client::new(&config),
            settings.tables.clone(),
        )
        .with_client_idle_ttl(settings.registration.idle_ttl);
        store.warm_up().await;
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
