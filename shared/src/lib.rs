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

/// mimalloc for every binary that turns on the `mimalloc` feature (the functions, the CLI): a
/// request allocates and frees a few hundred small blocks (the SDK's builders and config
/// layers, header maps, JSON), where glibc's malloc took about a tenth of the CPU
/// (README, "Where a request's CPU goes").
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The AWS SDK configuration every function and tool shares: region and credentials from the
/// environment, and one HTTPS client ([`https_client`]).
///
/// Stalled-stream protection is off: DynamoDB and Secrets Manager bodies are a few KB, the
/// function's timeout bounds a hung call, and the protection's throughput checks cost about
/// 4% of a request's instructions (scripts/callgrind). A connection must open within 3 s.
pub async fn sdk_config() -> aws_config::SdkConfig {
    use aws_config::stalled_stream_protection::StalledStreamProtectionConfig;
    use aws_config::timeout::TimeoutConfig;
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(https_client())
        .stalled_stream_protection(StalledStreamProtectionConfig::disabled())
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(std::time::Duration::from_secs(3))
                .build(),
        )
        .load()
        .await
}

/// Builds the DynamoDB client once per cold start. `AWS_ENDPOINT_URL_DYNAMODB` points it at a
/// local server.
pub async fn dynamodb_client() -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(&sdk_config().await)
}

/// The roots AWS service endpoints chain to (Amazon Root CA 1-4 and the Starfield root they are
/// cross-signed by), compiled in.
const AWS_ROOTS: &[u8] = include_bytes!("../certs/aws-roots.pem");

/// The HTTP client for AWS calls: rustls with the `ring` provider, trusting only
/// [`AWS_ROOTS`]. The SDK's default client scans the system store at cold start (about 5 ms,
/// 150 file opens) and links a second TLS stack (aws-lc); plain `http://` endpoints (a local
/// store) work as before.
pub fn https_client() -> aws_sdk_dynamodb::config::SharedHttpClient {
    use aws_smithy_http_client::tls::{self, TlsContext, TrustStore, rustls_provider::CryptoMode};
    let trust = TrustStore::empty()
        .with_native_roots(false)
        .with_pem_certificate(AWS_ROOTS);
    let builder = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::Ring));
    match TlsContext::builder().with_trust_store(trust).build() {
        Ok(context) => builder.tls_context(context).build_https(),
        // Not reached (the roots are fixed); the provider's own default context still verifies.
        Err(_) => builder.build_https(),
    }
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
        let config = sdk_config().await;
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
        // `WARM_UP_DYNAMODB=false` leaves the connection to the first request: only for
        // measuring what the warm-up saves (scripts/coldstart).
        if std::env::var("WARM_UP_DYNAMODB").ok().as_deref() != Some("false") {
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
