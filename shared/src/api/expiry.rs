//! The `expiry` function: DynamoDB TTL deletes device codes once they expire, and the
//! DeviceCodesTable's stream (old images) hands each deletion here. Each TTL removal is recorded
//! in the audit trail by [`crate::usecases::expiry::record_expired`] (a code that expired
//! pending, or approved but never redeemed); any other change is not this function's.
//!
//! Failures are reported per record (`ReportBatchItemFailures`): Lambda retries from the first
//! one reported, so the handler stops there; what keeps failing ends in the template's dead
//! letter queue, never dropped unseen.

use aws_lambda_events::event::dynamodb::{Event, EventRecord};
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};

use crate::error::Error;
use crate::model::{DeviceCode, Origin};
use crate::storage::Store;
use crate::usecases::expiry::{Expiry, record_expired};

/// What one batch came to, for the invocation's log line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub recorded: usize,
    pub already: usize,
    /// TTL removals that need no record (denied, redeemed), and changes that are not removals.
    pub skipped: usize,
    pub failed: usize,
}

/// Handles one batch of stream records. `request_id` is the invocation's, quoted in each record.
pub async fn handle(
    store: &Store,
    event: &Event,
    request_id: &str,
    now: i64,
) -> (DynamoDbEventResponse, Tally) {
    let mut origin = Origin::system("expiry");
    origin.request_id = request_id.to_owned();
    let mut response = DynamoDbEventResponse::default();
    let mut tally = Tally::default();
    for record in &event.records {
        match handle_record(store, record, &origin, now).await {
            Ok(Some(Expiry::Recorded)) => tally.recorded += 1,
            Ok(Some(Expiry::AlreadyRecorded)) => tally.already += 1,
            Ok(Some(Expiry::NotDue) | None) => tally.skipped += 1,
            Err(e) => {
                tracing::error!(
                    error = %e,
                    event_id = %record.event_id,
                    "an expired device code was not recorded; the batch is retried from it"
                );
                tally.failed += 1;
                let mut failure = DynamoDbBatchItemFailure::default();
                failure.item_identifier = record.change.sequence_number.clone();
                response.batch_item_failures.push(failure);
                // Lambda retries from the first failure reported: the rest come again.
                break;
            }
        }
    }
    (response, tally)
}

/// One stream record: `None` when it is not a TTL removal (the event source's filter passes
/// only those; anything else is left alone).
async fn handle_record(
    store: &Store,
    record: &EventRecord,
    origin: &Origin,
    now: i64,
) -> Result<Option<Expiry>, Error> {
    if !is_ttl_removal(record) {
        return Ok(None);
    }
    let code: DeviceCode = serde_dynamo::from_item(record.change.old_image.clone())
        .map_err(|e| Error::internal(format!("the removed device code does not decode: {e}")))?;
    record_expired(store, &code, origin, now).await.map(Some)
}

/// A deletion by DynamoDB's TTL: `REMOVE`, by the service `dynamodb.amazonaws.com`.
pub fn is_ttl_removal(record: &EventRecord) -> bool {
    record.event_name == "REMOVE"
        && record
            .user_identity
            .as_ref()
            .is_some_and(|u| u.type_ == "Service" && u.principal_id == "dynamodb.amazonaws.com")
}
