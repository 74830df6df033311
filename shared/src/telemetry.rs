//! Structured JSON logs. Every line inside a request carries the Lambda request id through the
//! `request` span that [`crate::http::serve`] opens.

use tracing_subscriber::EnvFilter;

/// Installs the JSON subscriber once per cold start. `RUST_LOG` overrides the `info` default.
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // A second call (tests) leaves the first subscriber in place.
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(true)
        .with_span_list(false)
        .with_target(false)
        .try_init();
}
