//! The store behind `devicegate serve`: an embedded dynoxide in the data folder, or any
//! DynamoDB endpoint, with a client tuned for a loopback store.

use std::net::SocketAddr;
use std::path::Path;

use super::shutdown_signal;

pub(super) async fn dynamodb_client(
    endpoint: &str,
    loopback_store: bool,
) -> aws_sdk_dynamodb::Client {
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
    let mut builder = aws_sdk_dynamodb::config::Builder::from(&config)
        .endpoint_url(endpoint)
        .interceptor(devicegate::metrics::StoreCalls);
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
pub(super) fn without_request_token(body: &[u8]) -> Option<Vec<u8>> {
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
pub(super) struct EmbeddedStore {
    pub(super) endpoint: String,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Result<(), String>>,
}

impl EmbeddedStore {
    pub(super) async fn start(file: &Path) -> Result<EmbeddedStore, String> {
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
    pub(super) async fn stop(self) {
        let _ = self.stop.send(());
        match self.task.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::error!(error = %e, "embedded store"),
            Err(e) => tracing::error!(error = %e, "embedded store task"),
        }
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
}
