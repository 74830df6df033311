//! The `expiry` Lambda function: fed by the DeviceCodesTable's stream (TTL removals only, by the
//! event source's filter), it records each device code that expired unused in the audit trail
//! (`devicegate::api::expiry`). Not an HTTP function: it answers the batch's item failures.

use std::sync::Arc;

use aws_lambda_events::event::dynamodb::Event;
use aws_lambda_events::event::streams::DynamoDbEventResponse;
use devicegate::api::expiry;
use devicegate::{deps, http};
use lambda_http::{Error, LambdaEvent, lambda_runtime, service_fn};

// Lambda hands an instance one invocation at a time: one thread, no cross-thread wake-ups.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    devicegate::telemetry::init();
    let store = Arc::new(deps::store_from_env().await.map_err(|e| {
        tracing::error!(error = %e, "the function cannot start");
        Error::from(e)
    })?);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Event>| {
        let store = store.clone();
        async move {
            let started = std::time::Instant::now();
            let (response, tally) = expiry::handle(
                &store,
                &event.payload,
                &event.context.request_id,
                http::now(),
            )
            .await;
            tracing::info!(
                records = event.payload.records.len(),
                recorded = tally.recorded,
                already = tally.already,
                skipped = tally.skipped,
                failed = tally.failed,
                latency_ms = http::millis(started.elapsed()),
                "expiry batch"
            );
            Ok::<DynamoDbEventResponse, Error>(response)
        }
    }))
    .await
}
