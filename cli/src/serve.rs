//! `devicegate serve`: every route of every function in one local process, on the same routers
//! the Lambda functions run ([`devicegate::routes::router_all`]), each request given what API
//! Gateway would give it (the request context with the peer's address, the query parameters).
//! Storage is an embedded dynoxide database in the data folder, or any DynamoDB endpoint.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request};
use axum::middleware::Next;
use axum::response::Response;
use devicegate::config::ServerSecret;
use devicegate::storage::schema;
use devicegate::usecases::admin;
use devicegate::{Deps, Settings, Store, http::now, routes};
use lambda_http::RequestExt;
use lambda_http::aws_lambda_events::apigw::{
    ApiGatewayRequestAuthorizer, ApiGatewayV2httpRequestContext,
    ApiGatewayV2httpRequestContextHttpDescription,
};
use lambda_http::request::RequestContext;

use crate::examples::{credentials, seed_examples_without_admin_key};

/// What `devicegate serve` is told on its command line.
#[derive(Clone, Debug)]
pub struct Options {
    pub listen: SocketAddr,
    /// Where the embedded store and the server secret live.
    pub data: PathBuf,
    /// An external DynamoDB-compatible endpoint instead of the embedded store.
    pub dynamodb_endpoint: Option<String>,
    pub json_logs: bool,
}

/// The scope tokens self-registered clients may ask for locally, unless `REGISTRATION_SCOPES`
/// says otherwise (the examples and the SDKs' usual scopes).
const LOCAL_REGISTRATION_SCOPES: &str = "read write openid sso:account:access";

/// The local stand-in for API Gateway in front of [`routes::router_all`].
pub fn router(deps: Arc<Deps>) -> axum::Router {
    routes::router_all(deps.clone()).layer(axum::middleware::from_fn_with_state(
        deps,
        api_gateway_context,
    ))
}

/// Gives each request the query parameters and request context (method, path, source address)
/// that API Gateway puts on the requests it hands a Lambda function, and, on the routes of
/// [`routes::PROTECTED`], runs the authorizer first as API Gateway does: 403
/// `{"message":"Forbidden"}` when it refuses, its context in `requestContext.authorizer.lambda`
/// when it allows.
async fn api_gateway_context(
    axum::extract::State(deps): axum::extract::State<Arc<Deps>>,
    req: Request,
    next: Next,
) -> Response {
    // A web page that rebinds its own name to 127.0.0.1 would otherwise be same-origin with
    // devicegate: only loopback names are answered.
    if !loopback_host(req.headers().get(axum::http::header::HOST)) {
        let mut refused = Response::new(axum::body::Body::from(
            "devicegate serve answers only requests addressed to a loopback host\n",
        ));
        *refused.status_mut() = axum::http::StatusCode::MISDIRECTED_REQUEST;
        return refused;
    }
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip().to_string());
    let query: std::collections::HashMap<String, String> = req
        .uri()
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let mut described = ApiGatewayV2httpRequestContextHttpDescription::default();
    described.method = req.method().clone();
    described.path = Some(req.uri().path().to_owned());
    described.source_ip = peer;
    let mut context = ApiGatewayV2httpRequestContext::default();
    let protected = routes::PROTECTED
        .iter()
        .any(|(method, path)| req.method().as_str() == *method && req.uri().path() == *path);
    if protected {
        let source = described.source_ip.clone().unwrap_or_default();
        match devicegate::api::authorizer::judge(&deps, req.headers(), &source).await {
            Ok(decision) if decision.is_authorized => {
                let mut authorizer = ApiGatewayRequestAuthorizer::default();
                authorizer.fields = decision.context.into_iter().collect();
                context.authorizer = Some(authorizer);
            }
            Ok(_) => return gateway_answer(403, r#"{"message":"Forbidden"}"#),
            Err(e) => {
                tracing::error!(error = %e, "authorizer failed");
                return gateway_answer(500, r#"{"message":"Internal Server Error"}"#);
            }
        }
    }
    context.http = described;
    let req = req
        .with_query_string_parameters(query)
        .with_request_context(RequestContext::ApiGatewayV2(context));
    next.run(req).await
}

/// A response API Gateway gives on its own (as it does when an authorizer refuses).
fn gateway_answer(status: u16, body: &'static str) -> Response {
    let mut response = Response::new(axum::body::Body::from(body));
    *response.status_mut() =
        axum::http::StatusCode::from_u16(status).unwrap_or(axum::http::StatusCode::FORBIDDEN);
    response.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("application/json"),
    );
    response
}

/// Whether a `Host` header names this machine: `localhost`, `127.x.y.z` or `[::1]`, any port.
fn loopback_host(host: Option<&axum::http::HeaderValue>) -> bool {
    let Some(host) = host.and_then(|h| h.to_str().ok()) else {
        return false;
    };
    let name = match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    };
    let name = name.trim_start_matches('[').trim_end_matches(']');
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

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
    if settings.server_secret.is_none() {
        settings.server_secret = Some(server_secret(&options.data)?);
    }
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
        .with_client_idle_ttl(settings.registration.idle_ttl);
    seed_examples_without_admin_key(&store_handle, &settings, now())
        .await
        .map_err(|e| format!("writing the examples: {e}"))?;
    if created.is_empty() {
        println!(
            "devicegate: reusing the data in {} (delete the folder to start afresh)",
            options.data.display()
        );
    } else {
        let admin_key = admin::create_admin_key(&store_handle, "devicegate serve", now())
            .await
            .map_err(|e| format!("making the admin key: {e}"))?;
        print_first_run(&base, &admin_key, &options.data);
    }
    let deps = Arc::new(Deps {
        store: store_handle,
        settings,
    });
    println!("devicegate: listening on {base}");
    let served = serve_http(listener, deps, shutdown_signal()).await;
    if let Some(store) = store {
        store.stop().await;
    }
    served.map_err(|e| format!("server failed: {e}"))?;
    println!("devicegate: stopped");
    Ok(())
}

fn print_first_run(base: &str, admin_key: &str, data: &Path) {
    println!(
        "\
devicegate: first run; the tables, a server secret and the example records are in {data}.

  admin key (shown this once): {admin_key}
  admin API:      curl -s -H 'authorization: Bearer {admin_key}' {base}/admin/devices
  device flow:    curl -s {base}/oauth2/device_authorization -d client_id={cli}
  admin console:  {base}/admin/console  (sign in with the admin key)
  sign in at:     {base}/device  (user {user}, password \"{password}\")
  sample events:  use the example keys of cli/src/examples.rs (API key {api_key})
",
        data = data.display(),
        cli = credentials::CLI_CLIENT_ID,
        user = credentials::USERNAME,
        password = credentials::PASSWORD,
        api_key = credentials::API_KEY,
    );
}

/// The server secret of this data folder: made once from the OS generator, kept in
/// `server-secret` (readable by its owner only).
fn server_secret(data: &Path) -> Result<ServerSecret, String> {
    let path = data.join("server-secret");
    if let Ok(text) = std::fs::read_to_string(&path) {
        return ServerSecret::from_text(&text);
    }
    let bytes = devicegate::secrets::random_bytes::<32>()
        .map_err(|e| format!("making the server secret: {e}"))?;
    let text = devicegate::secrets::to_hex(&bytes);
    write_private(&path, &text)?;
    ServerSecret::from_text(&text)
}

fn write_private(path: &Path, text: &str) -> Result<(), String> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    options
        .open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(|e| format!("writing {}: {e}", path.display()))
}

async fn dynamodb_client(endpoint: &str, loopback_store: bool) -> aws_sdk_dynamodb::Client {
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(devicegate::https_client())
        .stalled_stream_protection(
            aws_config::stalled_stream_protection::StalledStreamProtectionConfig::disabled(),
        )
        .region(aws_config::Region::new(
            std::env::var("AWS_REGION").unwrap_or_else(|_| "us-east-1".into()),
        ))
        .load()
        .await;
    let mut builder = aws_sdk_dynamodb::config::Builder::from(&config).endpoint_url(endpoint);
    // A loopback store takes any credentials and is only slowed by idempotency tokens; a remote
    // one gets the operator's credentials and keeps the tokens.
    if loopback_store {
        builder = builder
            .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
                "local",
                "local",
                None,
                None,
                "devicegate-serve",
            ))
            .interceptor(NoIdempotencyToken);
    }
    aws_sdk_dynamodb::Client::from_conf(builder.build())
}

/// Removes the `ClientRequestToken` the SDK puts on every `TransactWriteItems`. dynoxide walks
/// its whole cache of recent tokens on each transaction, so a busy local store slowed from
/// about 124 µs to 1,863 µs per write after 60,000 transactions. Without the token a
/// transaction retried after a lost answer runs again; every devicegate transaction is
/// conditional, so a second run is refused rather than applied twice, and on loopback answers
/// are not lost.
#[derive(Debug)]
pub struct NoIdempotencyToken;

impl aws_sdk_dynamodb::config::Intercept for NoIdempotencyToken {
    fn name(&self) -> &'static str {
        "NoIdempotencyToken"
    }

    fn modify_before_transmit(
        &self,
        context: &mut aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextMut<
            '_,
        >,
        _components: &aws_sdk_dynamodb::config::RuntimeComponents,
        _cfg: &mut aws_sdk_dynamodb::config::ConfigBag,
    ) -> Result<(), aws_smithy_runtime_api::box_error::BoxError> {
        let request = context.request_mut();
        let Some(body) = request.body().bytes().and_then(without_request_token) else {
            return Ok(());
        };
        request
            .headers_mut()
            .insert("content-length", body.len().to_string());
        *request.body_mut() = aws_smithy_types::body::SdkBody::from(body);
        Ok(())
    }
}

/// A `TransactWriteItems` body without its `ClientRequestToken`, or `None` when it has none. The
/// SDK writes the token as the body's last member (`...,"ClientRequestToken":"<uuid>"}`), so it
/// is cut from the end without parsing the body (parsing and rewriting the JSON cost about a
/// sixth of the process's instructions per transaction).
fn without_request_token(body: &[u8]) -> Option<Vec<u8>> {
    const KEY: &[u8] = b",\"ClientRequestToken\":\"";
    let rest = body.strip_suffix(b"\"}")?;
    let start = rest.len().saturating_sub(64 + KEY.len());
    let at = rest[start..]
        .windows(KEY.len())
        .rposition(|w| w == KEY)
        .map(|i| start + i)?;
    let token = &rest[at + KEY.len()..];
    if token.iter().any(|b| matches!(b, b'"' | b'\\')) {
        return None;
    }
    let mut out = Vec::with_capacity(at + 1);
    out.extend_from_slice(&body[..at]);
    out.push(b'}');
    Some(out)
}

/// Runs only the embedded store on `listen` (loopback only), its data in `data/devicegate.db`,
/// until Ctrl-C or SIGTERM, tuned to stay as fast full as empty (see below).
pub async fn run_store(listen: SocketAddr, data: &Path) -> Result<(), String> {
    if !listen.ip().is_loopback() {
        return Err(format!("{listen} is not a loopback address"));
    }
    std::fs::create_dir_all(data).map_err(|e| format!("cannot create {}: {e}", data.display()))?;
    let file = data.join("devicegate.db");
    let path = file
        .to_str()
        .ok_or_else(|| format!("{} is not a UTF-8 path", file.display()))?;
    let db = dynoxide::Database::new(path).map_err(|e| format!("opening {path}: {e}"))?;
    // SQLite's default 2 MB page cache and fsync at every WAL checkpoint made this store slow as
    // it filled (device authorizations/s after 100,000 stored codes: 0.38 of an empty store's);
    // a 64 MB cache, 256 MB of memory-mapped I/O and no fsync keep it flat (1.19, same run).
    // This store is for development and load runs: an OS crash may lose its last writes.
    db.enable_bulk_loading()
        .map_err(|e| format!("store settings: {e}"))?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    let address = listener
        .local_addr()
        .map_err(|e| format!("listener address: {e}"))?;
    println!("devicegate store: listening on http://{address}");
    dynoxide::server::serve_with_shutdown(listener, db, shutdown_signal()).await
}

/// dynoxide in this process, on an ephemeral loopback port, its data in one SQLite file.
struct EmbeddedStore {
    endpoint: String,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Result<(), String>>,
}

impl EmbeddedStore {
    async fn start(file: &Path) -> Result<EmbeddedStore, String> {
        let path = file
            .to_str()
            .ok_or_else(|| format!("{} is not a UTF-8 path", file.display()))?;
        let db = dynoxide::Database::new(path).map_err(|e| {
            format!(
                "opening {}: {e} (delete it to start afresh)",
                file.display()
            )
        })?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| format!("embedded store: {e}"))?;
        let endpoint = format!(
            "http://{}",
            listener
                .local_addr()
                .map_err(|e| format!("embedded store: {e}"))?
        );
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(dynoxide::server::serve_with_shutdown(
            listener,
            db,
            async move {
                let _ = stopped.await;
            },
        ));
        Ok(EmbeddedStore {
            endpoint,
            stop,
            task,
        })
    }

    /// Stops after every request in flight has finished, so no write is lost.
    async fn stop(self) {
        let _ = self.stop.send(());
        match self.task.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::error!(error = %e, "embedded store"),
            Err(e) => tracing::error!(error = %e, "embedded store task"),
        }
    }
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

/// One log line per request (method, route, status, latency, request id): JSON or readable.
fn init_logs(json: bool) {
    use lambda_http::tracing::subscriber::{EnvFilter, fmt};
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = fmt().with_target(false).with_env_filter(filter);
    let result = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
    if let Err(e) = result {
        eprintln!("logging is already set up: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_token_is_cut_from_the_end_only() {
        let body = br#"{"TransactItems":[{"Put":{"Item":{"d":{"S":",\"ClientRequestToken\":\"x"}}}}],"ClientRequestToken":"0b6c4a5e-1d2f-4c3b-9a8e-7f6d5c4b3a21"}"#;
        let cut = without_request_token(body);
        assert_eq!(
            cut.as_deref(),
            Some(&br#"{"TransactItems":[{"Put":{"Item":{"d":{"S":",\"ClientRequestToken\":\"x"}}}}]}"#[..])
        );
        let cut = cut.unwrap_or_default();
        assert!(serde_json::from_slice::<serde_json::Value>(&cut).is_ok());
        assert_eq!(without_request_token(br#"{"TransactItems":[]}"#), None);
        assert_eq!(without_request_token(b"{}"), None);
        assert_eq!(without_request_token(b""), None);
    }

    #[test]
    fn only_loopback_hosts_are_answered() {
        let host = |h: &str| {
            loopback_host(Some(
                &axum::http::HeaderValue::from_str(h)
                    .unwrap_or_else(|_| axum::http::HeaderValue::from_static("x")),
            ))
        };
        for ok in [
            "127.0.0.1:9000",
            "localhost",
            "LOCALHOST:1",
            "[::1]:9000",
            "127.1.2.3",
        ] {
            assert!(host(ok), "{ok}");
        }
        for refused in [
            "evil.example",
            "evil.example:9000",
            "10.0.0.1:9000",
            "127.0.0.1.evil.example",
            "localhost.evil.example",
        ] {
            assert!(!host(refused), "{refused}");
        }
        assert!(!loopback_host(None));
    }
}
