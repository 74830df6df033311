//! The `authorizer` Lambda function: API Gateway's HTTP API Lambda authorizer (payload 2.0,
//! simple responses) for the routes a deployment puts behind devicegate. Not an HTTP router:
//! API Gateway invokes it with an authorizer event and reads `{"isAuthorized", "context"}`.

use std::sync::Arc;

use devicegate::api::authorizer::{self, AuthorizerResponse};
use devicegate::{Deps, http, metrics};
use lambda_http::aws_lambda_events::apigw::ApiGatewayV2CustomAuthorizerV2Request;
use lambda_http::{Error, LambdaEvent, lambda_runtime, service_fn};

// Lambda hands an instance one invocation at a time: one thread, no cross-thread wake-ups.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    devicegate::telemetry::init();
    let deps = Arc::new(Deps::from_env().await.map_err(|e| {
        tracing::error!(error = %e, "the function cannot start");
        Error::from(e)
    })?);
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<ApiGatewayV2CustomAuthorizerV2Request>| {
            let deps = deps.clone();
            async move {
                let started = std::time::Instant::now();
                let (decided, store) =
                    metrics::counted(authorizer::handle(&deps, &event.payload)).await;
                log_decision(&decided, started.elapsed(), store);
                // A store failure is an error: API Gateway answers 500, never a guess.
                decided.map_err(|e| {
                    tracing::error!(error = %e, "authorizer failed");
                    Error::from(e.description())
                })
            }
        },
    ))
    .await
}

/// The one line an invocation logs: the decision, and (unless `METRICS=off`) its metrics as the
/// request line of an HTTP function carries them, with the status API Gateway answers (200
/// allowed, 403 refused, 500 when the store failed).
fn log_decision(
    decided: &Result<AuthorizerResponse, devicegate::error::Error>,
    elapsed: std::time::Duration,
    store: metrics::StoreUse,
) {
    let (authorized, status) = match decided {
        Ok(r) if r.is_authorized => (true, 200),
        Ok(_) => (false, 403),
        Err(_) => (false, 500),
    };
    let kind = decided.as_ref().ok().and_then(|r| r.context.get("kind"));
    let latency_ms = http::millis(elapsed);
    if metrics::enabled() {
        let emf = metrics::RequestMetrics {
            function: "authorizer",
            route: "authorizer",
            status,
            latency_ms,
            store,
        }
        .emf();
        tracing::info!(authorized, ?kind, latency_ms, emf = %emf, "authorizer decision");
    } else {
        tracing::info!(authorized, ?kind, latency_ms, "authorizer decision");
    }
}
