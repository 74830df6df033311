//! Every function's `main`: logs set up, state built once per cold start (clients, settings,
//! the server secret, the DynamoDB connection warmed), then the function's router served by the
//! Lambda runtime.

use std::future::Future;
use std::sync::Arc;

use crate::routes::{self, Route};

/// Runs one function: `routes` is its table in [`crate::routes`], `state` builds what its
/// handlers share (a function that cannot build it does not start).
pub async fn run<S, F>(routes: &'static [Route<S>], state: F) -> Result<(), lambda_http::Error>
where
    S: Send + Sync + 'static,
    F: Future<Output = Result<S, String>>,
{
    crate::telemetry::init();
    let state = state.await.map_err(|e| {
        tracing::error!(error = %e, "the function cannot start");
        lambda_http::Error::from(e)
    })?;
    lambda_http::run(routes::router(routes, Arc::new(state))).await
}
