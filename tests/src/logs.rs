//! The log as an operator would read it: devicegate's filter ([`devicegate::telemetry`]) over
//! JSON lines, captured in memory for the current thread (a `#[tokio::test]` runtime, and every
//! task on it: the server, its DynamoDB client, and a store of the test's own).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};

use lambda_http::tracing::dispatcher::{self, DefaultGuard};
use lambda_http::tracing::subscriber::filter::LevelFilter;
use lambda_http::tracing::subscriber::fmt;
use serde_json::Value;

/// What the thread has logged since [`capture`].
#[derive(Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    /// Every line, parsed.
    pub fn lines(&self) -> Vec<Value> {
        let bytes = self.0.lock().unwrap().clone();
        String::from_utf8(bytes)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect()
    }

    /// The lines at WARN or ERROR: the ones that ask an operator to look.
    pub fn loud(&self) -> Vec<Value> {
        self.lines()
            .into_iter()
            .filter(|l| matches!(l["level"].as_str(), Some("WARN" | "ERROR")))
            .collect()
    }

    /// The lines whose message is `message`.
    pub fn saying(&self, message: &str) -> Vec<Value> {
        self.lines()
            .into_iter()
            .filter(|l| l["fields"]["message"] == message)
            .collect()
    }
}

/// Captures the thread's log under the filter a function builds from `RUST_LOG=rust_log` (and
/// no Lambda level), in a function's JSON format with metrics on, until the guard drops.
pub fn capture(rust_log: Option<&str>) -> (Captured, DefaultGuard) {
    // With one dispatcher alive, tracing-core takes it for the global one and caches a
    // callsite's interest from whichever thread reaches it first: a callsite another test
    // reached first would stay silent here. A second dispatcher, kept for the binary's life,
    // makes it ask every dispatcher.
    static SECOND: OnceLock<dispatcher::Dispatch> = OnceLock::new();
    SECOND.get_or_init(|| {
        dispatcher::Dispatch::new(
            fmt()
                .with_max_level(LevelFilter::OFF)
                .with_writer(std::io::sink)
                .finish(),
        )
    });
    let captured = Captured::default();
    let writer = captured.clone();
    // As a function's JSON log: the request line carries its metrics (crate::metrics).
    devicegate::metrics::enable(true);
    let subscriber = fmt()
        .json()
        .event_format(devicegate::telemetry::Emf(fmt::format().json()))
        .with_env_filter(devicegate::telemetry::filter(None, rust_log))
        .with_writer(move || writer.clone())
        .finish();
    let guard = dispatcher::set_default(&dispatcher::Dispatch::new(subscriber));
    (captured, guard)
}

/// A dynoxide server on the test's own runtime, so that what it logs is captured with the rest.
pub async fn own_store() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let db = dynoxide::Database::memory().unwrap();
    tokio::spawn(dynoxide::server::serve_on(listener, db));
    addr
}
