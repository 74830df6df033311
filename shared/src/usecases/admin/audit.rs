//! Reading the audit trail: the filters an administrator gives, checked once, and the opaque
//! cursor that continues a listing.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::Error;
use crate::model::{AuditEvent, AuditType};
use crate::storage::{AuditPage, AuditQuery, Store};

/// The most records one page answers, and how many when `limit` is not given.
pub const MAX_LIMIT: usize = 200;
pub const DEFAULT_LIMIT: usize = 50;

/// The filters as they arrive (query parameters, CLI flags, console form), all optional.
#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    pub subject: Option<String>,
    pub actor: Option<String>,
    pub kind: Option<String>,
    pub since: Option<String>,
    pub until: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<String>,
}

/// A page of records, newest first, and the cursor of the next page.
#[derive(Debug)]
pub struct AuditListing {
    pub events: Vec<AuditEvent>,
    pub next_cursor: Option<String>,
}

const CURSOR_PREFIX: &str = "a1:";

fn encode_cursor(id: ulid::Ulid) -> String {
    URL_SAFE_NO_PAD.encode(format!("{CURSOR_PREFIX}{id}"))
}

fn decode_cursor(text: &str) -> Result<ulid::Ulid, Error> {
    let bad = || Error::invalid_request("cursor is not one this server answered");
    let bytes = URL_SAFE_NO_PAD.decode(text.trim()).map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    text.strip_prefix(CURSOR_PREFIX)
        .and_then(|id| id.parse().ok())
        .ok_or_else(bad)
}

/// An RFC 3339 time (`2026-12-07T10:00:00Z`, or with an offset: `...T11:00:00+01:00`) as
/// Unix milliseconds, from 1970 on.
fn time_ms(field: &str, text: &str) -> Result<i64, Error> {
    chrono::DateTime::parse_from_rfc3339(text.trim())
        .ok()
        .map(|t| t.timestamp_millis())
        .filter(|ms| *ms >= 0)
        .ok_or_else(|| {
            Error::invalid_request(format!(
                "{field} must be an RFC 3339 time such as 2026-12-07T10:00:00Z"
            ))
        })
}

fn bounded(field: &str, value: Option<String>) -> Result<Option<String>, Error> {
    match value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()) {
        Some(v) if v.len() > 300 => Err(Error::invalid_request(format!(
            "{field} must be at most 300 bytes"
        ))),
        other => Ok(other),
    }
}

impl AuditFilter {
    /// The store's query, or an error naming the filter that is wrong.
    pub fn query(self) -> Result<AuditQuery, Error> {
        let since_ms = self
            .since
            .as_deref()
            .map(|t| time_ms("since", t))
            .transpose()?;
        let until_ms = self
            .until
            .as_deref()
            .map(|t| time_ms("until", t))
            .transpose()?;
        if let (Some(since), Some(until)) = (since_ms, until_ms)
            && since > until
        {
            return Err(Error::invalid_request("since must not be after until"));
        }
        let limit = match self.limit.as_deref().map(str::trim) {
            None | Some("") => DEFAULT_LIMIT,
            Some(text) => match text.parse::<usize>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
                _ => {
                    return Err(Error::invalid_request(format!(
                        "limit must be a whole number from 1 to {MAX_LIMIT}"
                    )));
                }
            },
        };
        Ok(AuditQuery {
            subject: bounded("subject", self.subject)?,
            actor: bounded("actor", self.actor)?,
            kind: bounded("type", self.kind)?
                .map(|t| AuditType::parse_field("type", &t))
                .transpose()?,
            since_ms,
            until_ms,
            before: bounded("cursor", self.cursor)?
                .map(|c| decode_cursor(&c))
                .transpose()?,
            limit,
        })
    }
}

/// The records that match, newest first, a page at a time.
pub async fn list_audit(
    store: &Store,
    filter: AuditFilter,
    now_ms: i64,
) -> Result<AuditListing, Error> {
    let query = filter.query()?;
    let AuditPage { events, next } = store.query_audit(&query, now_ms).await?;
    Ok(AuditListing {
        events,
        next_cursor: next.map(encode_cursor),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_may_carry_an_offset() {
        let utc = time_ms("since", "2026-12-07T10:00:00Z").ok();
        assert_eq!(time_ms("since", "2026-12-07T11:00:00+01:00").ok(), utc);
        assert_eq!(time_ms("since", "2026-12-07T05:00:00-05:00").ok(), utc);
        assert_eq!(time_ms("since", "2026-12-07t10:00:00z").ok(), utc);
        assert!(time_ms("since", "1969-12-31T23:59:59Z").is_err());
        assert!(time_ms("since", "2026-12-07").is_err());
    }

    #[test]
    fn each_bad_filter_is_named() {
        for (filter, named) in [
            (
                AuditFilter {
                    kind: Some("device.exploded".into()),
                    ..Default::default()
                },
                "type",
            ),
            (
                AuditFilter {
                    since: Some("yesterday".into()),
                    ..Default::default()
                },
                "since",
            ),
            (
                AuditFilter {
                    limit: Some("0".into()),
                    ..Default::default()
                },
                "limit",
            ),
            (
                AuditFilter {
                    limit: Some("201".into()),
                    ..Default::default()
                },
                "limit",
            ),
            (
                AuditFilter {
                    cursor: Some("not-a-cursor".into()),
                    ..Default::default()
                },
                "cursor",
            ),
            (
                AuditFilter {
                    subject: Some("x".repeat(301)),
                    ..Default::default()
                },
                "subject",
            ),
            (
                AuditFilter {
                    since: Some("2026-12-07T10:00:00Z".into()),
                    until: Some("2026-12-06T10:00:00Z".into()),
                    ..Default::default()
                },
                "since",
            ),
        ] {
            let error = filter
                .query()
                .err()
                .map(|e| e.description())
                .unwrap_or_default();
            assert!(error.contains(named), "{named}: {error}");
        }
    }

    #[test]
    fn a_cursor_comes_back_as_the_id_it_was_made_from() -> Result<(), Error> {
        let id = ulid::Ulid::new();
        assert_eq!(decode_cursor(&encode_cursor(id))?, id);
        Ok(())
    }
}
