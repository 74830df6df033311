//! `GET /health` (only `devicegate serve` answers it, [`crate::routes::LOCAL`]): 200
//! `{"status":"ok"}` once the store has answered one cheap read, 503 `temporarily_unavailable`
//! in the OAuth error shape when it cannot be reached.

use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::json;

use crate::Deps;
use crate::http::json_response;
use crate::routes::Outcome;

/// The key read: no API key hashes to it, so the read finds nothing and costs half a read unit.
const PROBE_KEY: &str = "health-check";

pub async fn handle(deps: &Deps) -> Outcome {
    let store = &deps.store;
    let read = store
        .client()
        .get_item()
        .table_name(&store.tables().api_keys)
        .key("key_hash", AttributeValue::S(PROBE_KEY.to_owned()))
        .send()
        .await;
    match read {
        Ok(_) => Ok(json_response(200, &json!({"status": "ok"}))),
        Err(e) => {
            tracing::warn!(error = %DisplayErrorContext(&e), "health check: the store cannot be reached");
            Ok(json_response(
                503,
                &json!({
                    "error": "temporarily_unavailable",
                    "error_description": "the store cannot be reached",
                }),
            ))
        }
    }
}
