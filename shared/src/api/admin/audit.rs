//! `GET /admin/audit`: the trail, newest first, filtered and paged.

use lambda_http::Request;
use serde::Serialize;

use super::{Reply, query_param};
use crate::Deps;
use crate::http::json_response;
use crate::model::AuditEvent;
use crate::usecases::admin::{self, AuditFilter};

/// One record as the admin API, the CLI and the console show it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AuditEventView<'a> {
    pub id: &'a str,
    /// RFC 3339 with milliseconds, UTC.
    pub time: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub actor: &'a str,
    pub subject: &'a str,
    pub outcome: &'static str,
    pub reason: Option<&'a str>,
    pub source_ip: &'a str,
    pub user_agent: Option<&'a str>,
    pub request_id: &'a str,
    pub dialect: &'a str,
}

impl<'a> AuditEventView<'a> {
    pub fn new(event: &'a AuditEvent) -> AuditEventView<'a> {
        let ms = u64::try_from(event.time_ms).unwrap_or(0);
        let time = std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms);
        AuditEventView {
            id: &event.id,
            time: humantime::format_rfc3339_millis(time).to_string(),
            kind: event.kind.as_str(),
            actor: &event.actor,
            subject: &event.subject,
            outcome: event.outcome.as_str(),
            reason: event.reason.as_deref(),
            source_ip: &event.source_ip,
            user_agent: event.user_agent.as_deref(),
            request_id: &event.request_id,
            dialect: &event.dialect,
        }
    }
}

/// `GET /admin/audit?subject=&actor=&type=&since=&until=&cursor=&limit=`.
pub async fn list(deps: &Deps, req: Request) -> Reply {
    let filter = AuditFilter {
        subject: query_param(&req, "subject"),
        actor: query_param(&req, "actor"),
        kind: query_param(&req, "type"),
        since: query_param(&req, "since"),
        until: query_param(&req, "until"),
        cursor: query_param(&req, "cursor"),
        limit: query_param(&req, "limit"),
    };
    let listing = admin::list_audit(&deps.store, filter, now_ms()).await?;
    let events: Vec<AuditEventView> = listing.events.iter().map(AuditEventView::new).collect();
    Ok(json_response(
        200,
        &serde_json::json!({ "events": events, "next_cursor": listing.next_cursor }),
    ))
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
