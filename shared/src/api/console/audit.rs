//! The console's audit section, `GET /admin/console/audit?subject=&actor=&type=&since=&until=
//! &cursor=&limit=`: the query read as the JSON route reads it and handed to the same use case
//! ([`admin::list_audit`]). The only translation is the form's times: a `datetime-local`
//! field sends `2026-12-07T10:00`, a minute in UTC, which becomes the RFC 3339 time the use
//! case reads (`since` from the minute's start, `until` to its end).

use lambda_http::{Request, RequestExt};

use crate::Deps;
use crate::api::admin::audit::now_ms;
use crate::error::Error;
use crate::usecases::admin::{self, AuditFilter, AuditListing};
use crate::web::console::Content;

/// A query parameter; a field the form left empty is no filter.
fn query_param(req: &Request, name: &str) -> Option<String> {
    req.query_string_parameters_ref()
        .and_then(|q| q.first(name))
        .filter(|v| !v.trim().is_empty())
        .map(str::to_owned)
}

/// The filters exactly as the browser sent them: what the form and the "Older" link show.
fn given(req: &Request) -> AuditFilter {
    AuditFilter {
        subject: query_param(req, "subject"),
        actor: query_param(req, "actor"),
        kind: query_param(req, "type"),
        since: query_param(req, "since"),
        until: query_param(req, "until"),
        cursor: query_param(req, "cursor"),
        limit: query_param(req, "limit"),
    }
}

/// A `datetime-local` value (`YYYY-MM-DDTHH:MM`, no seconds, no zone) as RFC 3339 in UTC with
/// `seconds` appended; anything else is left for the use case to judge.
fn from_form(time: Option<String>, seconds: &str) -> Option<String> {
    time.map(|t| {
        let t = t.trim();
        let minute_only =
            t.len() == 16 && t.get(10..11) == Some("T") && t.matches(':').count() == 1;
        if minute_only {
            format!("{t}{seconds}Z")
        } else {
            t.to_owned()
        }
    })
}

/// The section's content: the use case's listing, under the filters as given.
pub(super) async fn load(deps: &Deps, req: &Request) -> Result<Content, Error> {
    let shown = given(req);
    let filter = AuditFilter {
        since: from_form(shown.since.clone(), ":00"),
        until: from_form(shown.until.clone(), ":59.999"),
        ..shown.clone()
    };
    let listing = admin::list_audit(&deps.store, filter, now_ms()).await?;
    Ok(Content::Audit(shown, listing))
}

/// The section when the use case refused a filter: the form as given, and no records.
pub(super) fn refused(req: &Request) -> Content {
    let listing = AuditListing {
        events: Vec::new(),
        next_cursor: None,
    };
    Content::Audit(given(req), listing)
}

/// The use case's error as the console's notice: a sentence, its first word (the filter's
/// name) capitalised.
pub(super) fn sentence(error: &Error) -> String {
    let text = error.description();
    let mut chars = text.chars();
    let mut out: String = chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default();
    if !out.ends_with('.') {
        out.push('.');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_minute_becomes_an_rfc_3339_time_the_use_case_reads() -> Result<(), Error> {
        let since = from_form(Some("2026-12-07T10:00".into()), ":00");
        let until = from_form(Some("2026-12-07T10:00".into()), ":59.999");
        assert_eq!(since.as_deref(), Some("2026-12-07T10:00:00Z"));
        assert_eq!(until.as_deref(), Some("2026-12-07T10:00:59.999Z"));
        let exact = from_form(Some("2026-12-07T10:00:05Z".into()), ":00");
        assert_eq!(exact.as_deref(), Some("2026-12-07T10:00:05Z"));
        AuditFilter {
            since,
            until,
            ..AuditFilter::default()
        }
        .query()?;
        Ok(())
    }

    #[test]
    fn a_refused_filter_reads_as_a_sentence_naming_it() {
        let error = AuditFilter {
            since: from_form(Some("yesterday".into()), ":00"),
            ..AuditFilter::default()
        }
        .query()
        .err()
        .map(|e| sentence(&e))
        .unwrap_or_default();
        assert!(error.starts_with("Since must be"), "{error}");
        assert!(error.ends_with('.'), "{error}");
    }
}
