//! The audit trail's table: a record is a `Put` that rides inside the transaction of the
//! decision it records, so one is never stored without the other. Items are keyed by month
//! (`month`, e.g. `2026-12`) and the record's ULID `id` (newest first when read backwards),
//! with the indexes `by_subject` and `by_actor` (both `id`-sorted) for the lookups an
//! administrator makes. TTL (`ttl`) removes a record after the retention; reads skip one past
//! it before TTL does.

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{Put, TransactWriteItem};

use super::Store;
use super::dynamo::{Item, db_error, from_item, n, s, to_item, tx_put};
use crate::error::Error;
use crate::model::{AuditEvent, AuditType};

/// What an administrator asks of the trail. Times are Unix milliseconds, both ends inclusive.
#[derive(Clone, Debug, Default)]
pub struct AuditQuery {
    pub subject: Option<String>,
    pub actor: Option<String>,
    pub kind: Option<AuditType>,
    pub since_ms: Option<i64>,
    pub until_ms: Option<i64>,
    /// Only records older than this id (the cursor of the previous page).
    pub before: Option<ulid::Ulid>,
    pub limit: usize,
}

/// One page, newest first; `next` is the id the next page starts below, if there may be more.
#[derive(Clone, Debug)]
pub struct AuditPage {
    pub events: Vec<AuditEvent>,
    pub next: Option<ulid::Ulid>,
}

/// What [`Store::record_once`] found: the record written now, or written before (same id).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recorded {
    Written,
    AlreadyThere,
}

/// Where a record goes once it is stored, beside the table. Deployed, the AuditTable's stream
/// and an EventBridge pipe publish each new record (template.yaml), so no request waits on
/// EventBridge and no record can be stored unpublished; `devicegate serve` has no stream and
/// hands the records it stores to a sink instead, which prints them as the bus would carry them.
#[derive(Clone)]
pub struct AuditSink(std::sync::Arc<dyn Fn(&AuditEvent) + Send + Sync>);

impl AuditSink {
    pub fn new(sink: impl Fn(&AuditEvent) + Send + Sync + 'static) -> AuditSink {
        AuditSink(std::sync::Arc::new(sink))
    }
}

impl std::fmt::Debug for AuditSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuditSink")
    }
}

/// The EventBridge event a record is published as: `source` `devicegate`, `detail-type` the
/// record's type, `detail` the record as `GET /admin/audit` shows it but in its stored form.
pub fn bus_event(event: &AuditEvent) -> serde_json::Value {
    serde_json::json!({
        "source": "devicegate",
        "detail-type": event.kind.as_str(),
        "detail": event,
    })
}

/// How many days an audit record is kept when `AUDIT_RETENTION_DAYS` is not set.
pub const DEFAULT_AUDIT_RETENTION_DAYS: i64 = 400;

/// At most this many DynamoDB pages are read for one answer: a filter that matches little
/// answers a short page with a cursor rather than reading the whole trail.
const MAX_READS: usize = 8;

/// `YYYY-MM` of a Unix millisecond time.
pub fn month_of(ms: i64) -> String {
    let secs = u64::try_from(ms.max(0) / 1000).unwrap_or(0);
    let time = std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs);
    humantime::format_rfc3339_seconds(time).to_string()[..7].to_owned()
}

/// The month before `YYYY-MM`.
fn previous_month(month: &str) -> Option<String> {
    let (year, mon) = month.split_once('-')?;
    let (year, mon): (i32, u32) = (year.parse().ok()?, mon.parse().ok()?);
    Some(if mon == 1 {
        format!("{:04}-12", year - 1)
    } else {
        format!("{year:04}-{:02}", mon - 1)
    })
}

impl Store {
    /// A record as stored: its month (the partition) and its TTL beside its fields.
    fn audit_item(&self, event: &AuditEvent) -> Result<Item, Error> {
        let mut item = to_item(event)?;
        item.insert("month".into(), s(&month_of(event.time_ms)));
        item.insert("ttl".into(), n(event.time_ms / 1000 + self.audit_retention));
        Ok(item)
    }

    /// The `Put` of one record, for the transaction of the decision it records.
    pub(super) fn audit_put(&self, event: &AuditEvent) -> Result<TransactWriteItem, Error> {
        let item = self.audit_item(event)?;
        tx_put(
            Put::builder()
                .table_name(&self.tables.audit)
                .set_item(Some(item))
                .condition_expression("attribute_not_exists(id)"),
        )
    }

    /// Runs a decision's transaction with its audit records appended (after its own items, so
    /// cancellation reasons keep their indexes): both are written or neither is.
    pub(super) async fn transact_audited(
        &self,
        mut items: Vec<TransactWriteItem>,
        events: &[&AuditEvent],
    ) -> Result<Option<Vec<aws_sdk_dynamodb::types::CancellationReason>>, Error> {
        for event in events {
            items.push(self.audit_put(event)?);
        }
        let outcome = self.transact(items).await?;
        if outcome.is_none() {
            self.published(events.iter().copied());
        }
        Ok(outcome)
    }

    /// Hands stored records to the sink, if there is one.
    fn published<'e>(&self, events: impl Iterator<Item = &'e AuditEvent>) {
        for event in events {
            crate::metrics::note_record(event);
            if let Some(sink) = &self.audit_sink {
                (sink.0)(event);
            }
        }
    }

    /// Sends every record stored from now on to `sink` as well (`devicegate serve`).
    pub fn with_audit_sink(mut self, sink: AuditSink) -> Store {
        self.audit_sink = Some(sink);
        self
    }

    /// Writes records that go with no other write: a refusal that changed nothing (a wrong
    /// refresh token) still leaves its trace. One transaction, so all or none are written.
    pub async fn record(&self, events: &[AuditEvent]) -> Result<(), Error> {
        if events.is_empty() {
            return Ok(());
        }
        let items = events
            .iter()
            .map(|e| self.audit_put(e))
            .collect::<Result<Vec<_>, _>>()?;
        match self.transact(items).await? {
            None => {
                self.published(events.iter());
                Ok(())
            }
            Some(_) => Err(Error::internal("an audit record id was taken")),
        }
    }

    /// Writes one record alone, with one `PutItem` (no transaction: 1 write unit and one per
    /// index, 3 in all), for a record whose id is derived from what it records: a second write
    /// of it (a retry, another path noticing the same thing) meets `attribute_not_exists(id)`
    /// and is answered [`Recorded::AlreadyThere`], not an error.
    pub async fn record_once(&self, event: &AuditEvent) -> Result<Recorded, Error> {
        let item = self.audit_item(event)?;
        let result = self
            .client
            .put_item()
            .table_name(&self.tables.audit)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(id)")
            .send()
            .await;
        match result {
            Ok(_) => {
                self.published(std::iter::once(event));
                Ok(Recorded::Written)
            }
            Err(SdkError::ServiceError(e))
                if matches!(e.err(), PutItemError::ConditionalCheckFailedException(_)) =>
            {
                Ok(Recorded::AlreadyThere)
            }
            Err(other) => Err(db_error("PutItem audit", other)),
        }
    }

    /// Reads the trail newest first: by subject or by actor through their index, else month by
    /// month back from `until` (or now: nothing is newer, so a later `until` reads from now)
    /// to `since` (or the retention).
    pub async fn query_audit(&self, query: &AuditQuery, now_ms: i64) -> Result<AuditPage, Error> {
        let limit = query.limit.max(1);
        let oldest = query
            .since_ms
            .unwrap_or(0)
            .max(now_ms - self.audit_retention.saturating_mul(1000));
        let mut newest = ulid::Ulid::from_parts(
            u64::try_from(query.until_ms.unwrap_or(now_ms).min(now_ms).max(0)).unwrap_or(0),
            u128::MAX,
        );
        if let Some(before) = query.before {
            newest = newest.min(ulid::Ulid(before.0.saturating_sub(1)));
        }
        let low = ulid::Ulid::from_parts(u64::try_from(oldest.max(0)).unwrap_or(0), 0);
        let mut events = Vec::new();
        if newest < low {
            return Ok(AuditPage { events, next: None });
        }
        let (index, key_name, key_value) = match (&query.subject, &query.actor) {
            (Some(subject), _) => (Some("by_subject"), "subject", subject.clone()),
            (None, Some(actor)) => (Some("by_actor"), "actor", actor.clone()),
            (None, None) => (None, "month", month_of(newest.timestamp_ms() as i64)),
        };
        let last_month = month_of(oldest);
        let mut partition = key_value;
        let mut start: Option<Item> = None;
        let mut last_seen: Option<String> = None;
        for _ in 0..MAX_READS {
            let mut request = self
                .client
                .query()
                .table_name(&self.tables.audit)
                .set_index_name(index.map(str::to_owned))
                .key_condition_expression("#k = :k AND id BETWEEN :low AND :high")
                .expression_attribute_names("#k", key_name)
                .expression_attribute_values(":k", s(&partition))
                .expression_attribute_values(":low", s(&low.to_string()))
                .expression_attribute_values(":high", s(&newest.to_string()))
                .expression_attribute_values(":now", n(now_ms / 1000))
                .scan_index_forward(false)
                .limit(i32::try_from(limit - events.len()).unwrap_or(i32::MAX))
                .set_exclusive_start_key(start.take());
            let mut filter = vec!["#ttl > :now".to_owned()];
            request = request.expression_attribute_names("#ttl", "ttl");
            if let Some(kind) = query.kind {
                filter.push("#type = :type".into());
                request = request
                    .expression_attribute_names("#type", "type")
                    .expression_attribute_values(":type", s(kind.as_str()));
            }
            if let (Some(actor), Some(_)) = (&query.actor, &query.subject) {
                filter.push("actor = :actor".into());
                request = request.expression_attribute_values(":actor", s(actor));
            }
            let output = request
                .filter_expression(filter.join(" AND "))
                .send()
                .await
                .map_err(|e| db_error("Query audit", e))?;
            for item in output.items.unwrap_or_default() {
                events.push(from_item::<AuditEvent>(item)?);
            }
            start = output.last_evaluated_key.filter(|k| !k.is_empty());
            if let Some(key) = &start {
                last_seen = key.get("id").and_then(|v| v.as_s().ok()).cloned();
            }
            if events.len() >= limit {
                break;
            }
            if start.is_none() {
                // This partition is read to its end: the month walk goes on to the one before.
                if index.is_some() || partition <= last_month {
                    return Ok(AuditPage { events, next: None });
                }
                match previous_month(&partition) {
                    Some(month) => {
                        partition = month;
                        // The next page starts below this month's first instant.
                        last_seen = Some(month_start_id(&partition).to_string());
                    }
                    None => return Ok(AuditPage { events, next: None }),
                }
            }
        }
        let next = match events.last() {
            Some(e) if events.len() >= limit => e.id.parse().ok(),
            _ => last_seen.and_then(|id| id.parse().ok()),
        };
        Ok(AuditPage { events, next })
    }
}

/// The smallest id of the month after `month`: a cursor "below" it reads `month` from its end.
fn month_start_id(month: &str) -> ulid::Ulid {
    let next = next_month(month).unwrap_or_default();
    let ms = humantime::parse_rfc3339(&format!("{next}-01T00:00:00Z"))
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(0))
        .unwrap_or(0);
    ulid::Ulid::from_parts(ms, 0)
}

fn next_month(month: &str) -> Option<String> {
    let (year, mon) = month.split_once('-')?;
    let (year, mon): (i32, u32) = (year.parse().ok()?, mon.parse().ok()?);
    Some(if mon == 12 {
        format!("{:04}-01", year + 1)
    } else {
        format!("{year:04}-{:02}", mon + 1)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_step_back_across_a_year() {
        assert_eq!(month_of(0), "1970-01");
        assert_eq!(month_of(1_796_601_600_000), "2026-12");
        assert_eq!(previous_month("2026-01").as_deref(), Some("2025-12"));
        assert_eq!(previous_month("2026-12").as_deref(), Some("2026-11"));
        assert_eq!(
            month_of(month_start_id("2026-11").timestamp_ms() as i64),
            "2026-12"
        );
    }
}
