//! `devicegate serve`: every route of every function in one local process, on the same routers
//! the Lambda functions run ([`devicegate::routes::router_all`]), each request given what API
//! Gateway would give it (the request context with the peer's address, the query parameters).
//! Storage is an embedded dynoxide database in the data folder, or any DynamoDB endpoint.
//!
//! [`gateway`] plays API Gateway, [`store`] the DynamoDB behind it, [`first_run`] what a new
//! data folder is given, [`expiry`] TTL and the `expiry` function (expired device codes
//! recorded in the audit trail, then deleted).

mod events;
pub mod expiry;
mod first_run;
mod gateway;
mod health;
mod openapi;
mod store;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use devicegate::storage::schema;
use devicegate::usecases::admin;
use devicegate::{Deps, Settings, Store, http::now};

use crate::examples::seed_examples_without_admin_key;

use first_run::{print_first_run, server_secret};
pub use gateway::router;
use store::{EmbeddedStore, dynamodb_client};
pub use store::{NoIdempotencyToken, run_store};

/// What `devicegate serve` is told on its command line.
#[derive(Clone, Debug)]
pub struct Options {
    pub listen: SocketAddr,
    /// Where the embedded store and the server secret live.
    pub data: PathBuf,
    /// An external DynamoDB-compatible endpoint instead of the embedded store.
    pub dynamodb_endpoint: Option<String>,
    pub json_logs: bool,
    /// Where audit events go as JSON lines (else the log).
    pub events_file: Option<PathBuf>,
}

/// The scope tokens self-registered clients may ask for locally, unless `REGISTRATION_SCOPES`
/// says otherwise (the examples and the SDKs' usual scopes).
const LOCAL_REGISTRATION_SCOPES: &str = "read write openid sso:account:access";

/// Serves `deps` on `listener` until `shutdown` resolves.
pub async fn serve_http(
    listener: tokio::net::TcpListener,
    deps: Arc<Deps>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router(deps).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// Runs `devicegate serve` until Ctrl-C or SIGTERM.
pub async fn run(options: Options) -> Result<(), String> {
    init_logs(options.json_logs);
    // Plain HTTP, cookies without `Secure`, example credentials: for this machine only.
    if !options.listen.ip().is_loopback() {
        return Err(format!(
            "{} is not a loopback address; devicegate serve is for local runs (deploy with sam \
             deploy, or put it behind your own TLS proxy on a loopback address)",
            options.listen
        ));
    }
    std::fs::create_dir_all(&options.data)
        .map_err(|e| format!("cannot create {}: {e}", options.data.display()))?;
    let listener = tokio::net::TcpListener::bind(options.listen)
        .await
        .map_err(|e| {
            format!(
                "cannot listen on {}: {e} (is another devicegate running? try --listen 127.0.0.1:0)",
                options.listen
            )
        })?;
    let address = listener
        .local_addr()
        .map_err(|e| format!("listener address: {e}"))?;
    let base = format!("http://{address}");

    let (endpoint, store) = match &options.dynamodb_endpoint {
        Some(url) => (url.clone(), None),
        None => {
            let store = EmbeddedStore::start(&options.data.join("devicegate.db")).await?;
            (store.endpoint.clone(), Some(store))
        }
    };
    // The token only slows a loopback dynoxide down; a remote store keeps it.
    let loopback_store = store.is_some()
        || url::Url::parse(&endpoint)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .is_some_and(|h| {
                h == "localhost"
                    || h.parse::<std::net::IpAddr>()
                        .is_ok_and(|ip| ip.is_loopback())
            });
    let client = dynamodb_client(&endpoint, loopback_store).await;
    let mut settings = Settings::from_env()?;
    let sweep_every = expiry::period_from_env()?;
    if settings.server_secret.is_none() {
        settings.server_secret = Some(server_secret(&options.data)?);
    }
    // The OpenID Connect signing keys: SIGNING_KEYS_FILE, or beside the data (made on first run).
    let keys_file = settings
        .oidc
        .keys_file
        .clone()
        .unwrap_or_else(|| options.data.join("signing-keys.json"));
    settings.oidc.keys = Some(Arc::new(
        devicegate::oidc::key_storage::load_or_create_file(&keys_file, now())
            .map_err(|e| format!("the signing keys in {}: {e}", keys_file.display()))?,
    ));
    settings.issuer.get_or_insert_with(|| base.clone());
    // Plain HTTP on loopback: cookies cannot be `Secure` or `__Host-`.
    settings.secure_cookies = false;
    if std::env::var_os("REGISTRATION_SCOPES").is_none() {
        settings.registration.allowed_scopes =
            devicegate::model::Scope::parse(LOCAL_REGISTRATION_SCOPES)
                .map_err(|e| e.to_string())?;
    }
    let created = schema::create_tables(&client, &settings.tables)
        .await
        .map_err(|e| format!("creating the tables: {e}"))?;
    let store_handle = Store::new(client, settings.tables.clone())
        .with_client_idle_ttl(settings.registration.idle_ttl)
        .with_audit_retention_days(settings.audit_retention_days)
        .with_audit_sink(events::sink(options.events_file.as_deref())?);
    seed_examples_without_admin_key(&store_handle, &settings, now())
        .await
        .map_err(|e| format!("writing the examples: {e}"))?;
    if created.is_empty() {
        println!(
            "devicegate: reusing the data in {} (delete the folder to start afresh)",
            options.data.display()
        );
    } else {
        let admin_key = admin::create_admin_key(
            &store_handle,
            "devicegate serve",
            now(),
            &devicegate::model::Origin::system("serve"),
        )
        .await
        .map_err(|e| format!("making the admin key: {e}"))?;
        print_first_run(&base, &admin_key, &options.data);
    }
    let deps = Arc::new(Deps {
        store: store_handle,
        settings,
    });
    let sweeper = tokio::spawn(expiry::run(deps.store.clone(), sweep_every));
    println!("devicegate: listening on {base}");
    let served = serve_http(listener, deps, shutdown_signal()).await;
    sweeper.abort();
    if let Some(store) = store {
        store.stop().await;
    }
    served.map_err(|e| format!("server failed: {e}"))?;
    println!("devicegate: stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
    println!("devicegate: stopping");
}

/// One log line per request (method, route, status, latency, request id): JSON or readable,
/// filtered as the functions filter theirs ([`devicegate::telemetry`]: the embedded store's
/// report of each refusal it was asked for stays out of the log unless `RUST_LOG` names it).
fn init_logs(json: bool) {
    use lambda_http::tracing::subscriber::fmt;
    let builder = fmt()
        .with_target(false)
        .with_env_filter(devicegate::telemetry::filter_from_env());
    let result = if json {
        devicegate::telemetry::enable_metrics_from_env();
        builder
            .json()
            .event_format(devicegate::telemetry::Emf(
                fmt::format().json().with_target(false),
            ))
            .try_init()
    } else {
        builder.try_init()
    };
    if let Err(e) = result {
        eprintln!("logging is already set up: {e}");
    }
}
