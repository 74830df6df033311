//! Reading the audit trail back, as an administrator does: `GET /admin/audit`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::Value;

use crate::TestEnv;

/// The records a filter (`subject=...&type=...`) finds, newest first.
pub async fn trail(env: &TestEnv, admin: &str, query: &str) -> Vec<Value> {
    let reply = env
        .admin("GET", &format!("/admin/audit?{query}"), Some(admin), None)
        .await;
    assert_eq!(reply.status, 200, "{query}: {}", reply.json);
    reply.json["events"].as_array().cloned().unwrap_or_default()
}

/// The records' types, in order.
pub fn types(events: &[Value]) -> Vec<&str> {
    events.iter().filter_map(|e| e["type"].as_str()).collect()
}
