//! The console's audit section: the trail `GET /admin/audit` answers, as a table under a GET
//! filter form, newest first, with an "Older" link that carries the filters and the listing's
//! opaque cursor. Every other section links here with [`history_href`].

use maud::{Markup, html};

use super::Section;
use crate::api::admin::audit::AuditEventView;
use crate::model::AuditType;
use crate::usecases::admin::{AuditFilter, AuditListing};
use crate::web::pages::hidden;

/// The audit section filtered by one subject: a device's or client's client id, a user's
/// username, an API key's id.
pub fn history_href(subject: &str) -> String {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("subject", subject)
        .finish();
    format!("{}?{query}", Section::Audit.path())
}

/// The "History" link of a row.
pub(super) fn history(subject: &str) -> Markup {
    html! { a.history href=(history_href(subject)) { "History" } }
}

/// The filters as given, and `cursor`: the next page's address.
fn older_href(filter: &AuditFilter, cursor: &str) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in [
        ("subject", &filter.subject),
        ("actor", &filter.actor),
        ("type", &filter.kind),
        ("since", &filter.since),
        ("until", &filter.until),
        ("limit", &filter.limit),
    ] {
        if let Some(value) = value.as_deref().filter(|v| !v.is_empty()) {
            query.append_pair(name, value);
        }
    }
    query.append_pair("cursor", cursor);
    format!("{}?{}", Section::Audit.path(), query.finish())
}

/// `2026-12-07T09:14:03.120Z` as `7 Dec 2026, 09:14:03 UTC` (or as it is, if it is not that).
fn human(rfc3339: &str) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let part = |from: usize, to: usize| rfc3339.get(from..to);
    let month = part(5, 7)
        .and_then(|m| m.parse::<usize>().ok())
        .and_then(|m| MONTHS.get(m.wrapping_sub(1)));
    match (part(0, 4), month, part(8, 10), part(11, 19)) {
        (Some(year), Some(month), Some(day), Some(time)) => {
            format!("{} {month} {year}, {time} UTC", day.trim_start_matches('0'))
        }
        _ => rfc3339.to_owned(),
    }
}

fn text_filter(id: &str, label: &str, value: Option<&str>) -> Markup {
    html! {
        label for=(id) { (label) }
        input type="text" id=(id) name=(id) value=(value.unwrap_or("")) autocomplete="off"
            autocapitalize="none";
    }
}

fn time_filter(id: &str, label: &str, value: Option<&str>) -> Markup {
    html! {
        label for=(id) { (label) " (UTC)" }
        input type="datetime-local" id=(id) name=(id) value=(value.unwrap_or(""));
    }
}

pub(super) fn list(filter: &AuditFilter, listing: &AuditListing) -> Markup {
    let chosen = filter.kind.as_deref().unwrap_or("");
    html! {
        form.filters method="get" action=(Section::Audit.path()) {
            (text_filter("subject", "Subject", filter.subject.as_deref()))
            (text_filter("actor", "Actor", filter.actor.as_deref()))
            label for="type" { "Type" }
            select id="type" name="type" {
                option value="" selected[chosen.is_empty()] { "Any type" }
                @for kind in AuditType::ALL {
                    option value=(kind.as_str()) selected[chosen == kind.as_str()] { (kind.as_str()) }
                }
            }
            (time_filter("since", "Since", filter.since.as_deref()))
            (time_filter("until", "Until", filter.until.as_deref()))
            @if let Some(limit) = filter.limit.as_deref().filter(|l| !l.is_empty()) {
                (hidden("limit", limit))
            }
            button type="submit" { "Filter" }
        }
        p.meta { "Newest first. " a href=(Section::Audit.path()) { "Clear the filters" } }
        @if listing.events.is_empty() {
            p.meta.empty { "No record matches." }
        } @else {
            div.scroll {
                table.audit {
                    thead {
                        tr {
                            @for name in ["Time", "Type", "Actor", "Subject", "Outcome", "Reason",
                                "Source IP", "User agent", "Request id", "Dialect"] {
                                th scope="col" { (name) }
                            }
                        }
                    }
                    tbody {
                        @for event in &listing.events {
                            @let v = AuditEventView::new(event);
                            tr id={ "event-" (v.id) } {
                                td.time { time datetime=(v.time) title=(v.time) { (human(&v.time)) } }
                                td.type { code { (v.kind) } }
                                td.actor { code { (v.actor) } }
                                td.subject { code { (v.subject) } }
                                td.outcome { (v.outcome) }
                                td.reason { (v.reason.unwrap_or("")) }
                                td.ip { (v.source_ip) }
                                td.ua { (v.user_agent.unwrap_or("")) }
                                td.rid { code { (v.request_id) } }
                                td.dialect { (v.dialect) }
                            }
                        }
                    }
                }
            }
        }
        @if let Some(cursor) = &listing.next_cursor {
            p { a.older href=(older_href(filter, cursor)) rel="next" { "Older" } }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_as_a_person_writes_them() {
        assert_eq!(
            human("2026-12-07T09:14:03.120Z"),
            "7 Dec 2026, 09:14:03 UTC"
        );
        assert_eq!(human("garbled"), "garbled");
    }

    #[test]
    fn the_older_link_carries_the_filters_and_the_cursor() {
        let filter = AuditFilter {
            subject: Some("printer 7&x".into()),
            kind: Some("device.approved".into()),
            limit: Some("2".into()),
            ..AuditFilter::default()
        };
        assert_eq!(
            older_href(&filter, "abc"),
            "/admin/console/audit?subject=printer+7%26x&type=device.approved&limit=2&cursor=abc"
        );
        assert_eq!(
            history_href("ada@x"),
            "/admin/console/audit?subject=ada%40x"
        );
    }
}
