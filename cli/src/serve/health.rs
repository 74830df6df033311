//! `GET /health`, which only `devicegate serve` (and the load harness in front of it) answers:
//! 200 `{"status":"ok"}` once the store has answered one cheap read, 503
//! `temporarily_unavailable` in the OAuth error shape when it cannot be reached. Deployed
//! stacks have no such route: the `metadata` function reads no table and links no DynamoDB
//! client, and a deployment is watched by its metrics and alarms (docs/monitoring.md).
//!
//! It passes through [`http::serve`] like every route: request id, request line, metrics.

use std::sync::Arc;

use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::types::AttributeValue;
use axum::extract::RawPathParams;
use devicegate::http::{self, ErrorShape, Site, json_response};
use devicegate::{Deps, routes};
use serde_json::json;

/// The path, and how its metrics name it.
pub const PATH: &str = "/health";
const SITE: Site = Site {
    function: routes::LOCAL_FUNCTION,
    route: PATH,
};

/// The key read: no API key hashes to it, so the read finds nothing and costs half a read unit.
const PROBE_KEY: &str = "health-check";

/// The route, for [`super::router`].
pub(super) fn routes(deps: Arc<Deps>) -> axum::Router {
    let handler = move |params: RawPathParams, req: axum::extract::Request| {
        let deps = deps.clone();
        async move {
            let req = http::from_axum(req, &params).await;
            let response = http::serve(req, SITE, ErrorShape::OAuth, |_| async move {
                Ok(probe(&deps).await)
            })
            .await;
            http::into_axum(response)
        }
    };
    axum::Router::new().route(PATH, axum::routing::get(handler))
}

/// One read of a key that never exists, and the answer it makes.
async fn probe(deps: &Deps) -> lambda_http::Response<lambda_http::Body> {
    let store = &deps.store;
    let read = store
        .client()
        .get_item()
        .table_name(&store.tables().api_keys)
        .key("key_hash", AttributeValue::S(PROBE_KEY.to_owned()))
        .send()
        .await;
    match read {
        Ok(_) => json_response(200, &json!({"status": "ok"})),
        Err(e) => {
            tracing::warn!(error = %DisplayErrorContext(&e), "health check: the store cannot be reached");
            json_response(
                503,
                &json!({
                    "error": "temporarily_unavailable",
                    "error_description": "the store cannot be reached",
                }),
            )
        }
    }
}
