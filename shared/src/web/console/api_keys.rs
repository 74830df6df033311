//! The console's API keys section: make a key (its value shown once), see each key's
//! settings and change them, disable a key.

use maud::{Markup, html};

use super::fields::{Refill, Typed, check, input};
use super::format::{time, time_or_never};
use super::{Section, button, create_form, form, history, yes_no};
use crate::model::ApiKey;
use crate::web::pages::hidden;

/// A number field of one key's settings form: ids stay unique with one form per key.
fn number(refill: Refill, key: &str, (name, label): (&str, &str), current: i64) -> Markup {
    let id = format!("{name}-{key}");
    let typed = refill.and_then(|t| t.get(name)).map(String::as_str);
    let value = typed.map_or_else(|| current.to_string(), str::to_owned);
    html! {
        label for=(id) { (label) }
        input type="number" id=(id) name=(name) value=(value) min="1" required;
    }
}

/// A key's allowed networks, one a line, and its expiry (a minute in UTC): as typed, else as
/// they are.
fn sources_and_expiry(refill: Refill, k: &ApiKey) -> Markup {
    let (sources, expiry) = (
        format!("allowed_sources-{}", k.id),
        format!("expires_at-{}", k.id),
    );
    let typed = |name: &str| refill.and_then(|t| t.get(name)).map(String::as_str);
    let current_sources = k.settings.allowed_sources.join("\n");
    let current_expiry = k
        .settings
        .expires_at
        .map(datetime_local)
        .unwrap_or_default();
    html! {
        label for=(sources) { "Allowed networks (one address or CIDR a line; empty: anywhere)" }
        textarea id=(sources) name="allowed_sources" rows="2" spellcheck="false" {
            (typed("allowed_sources").unwrap_or(&current_sources))
        }
        label for=(expiry) { "Expires (UTC, optional)" }
        input type="datetime-local" id=(expiry) name="expires_at"
            value=(typed("expires_at").unwrap_or(&current_expiry));
    }
}

/// `epoch` as a `datetime-local` value, to the minute in UTC.
fn datetime_local(epoch: i64) -> String {
    chrono::DateTime::from_timestamp(epoch, 0)
        .map(|t| t.format("%Y-%m-%dT%H:%M").to_string())
        .unwrap_or_default()
}

/// The settings of a key, changed in place (the admin API's `POST /admin/api-keys/{id}/settings`).
fn settings_form(csrf: &str, k: &ApiKey, typed: &Typed) -> Markup {
    let refill = typed.of("settings", Some(&k.id));
    let lifetimes = k.settings.lifetimes();
    let id = |name: &str| format!("{name}-{}", k.id);
    html! {
        details.edit open[refill.is_some()] {
            summary { "Change settings" }
            (form(csrf, &Section::ApiKeys.path(), "settings", html! {
                (hidden("id", &k.id))
                (check(refill, (&id("auto_trust"), "auto_trust", "Approve its devices as they register (auto trust)"), k.settings.auto_trust))
                (check(refill, (&id("allow_untrusted_endpoints"), "allow_untrusted_endpoints", "Allow untrusted endpoints"), k.settings.allow_untrusted_endpoints))
                (check(refill, (&id("allow_unauthenticated_requests"), "allow_unauthenticated_requests", "Allow unsigned requests"), k.settings.allow_unauthenticated_requests))
                (number(refill, &k.id, ("access_token_ttl", "Access token lifetime (seconds)"), lifetimes.access_token_ttl))
                (number(refill, &k.id, ("refresh_token_ttl", "Refresh token lifetime (seconds)"), lifetimes.refresh_token_ttl))
                (sources_and_expiry(refill, k))
                button.inline type="submit" { "Save settings" }
            }))
        }
    }
}

pub(super) fn list(csrf: &str, now: i64, keys: &[ApiKey], typed: &Typed) -> Markup {
    let s = Section::ApiKeys;
    let refill = typed.of("create", None);
    html! {
        (create_form(csrf, s, "New API key", html! {
            (input(refill, ("name", "Name"), "text", true, None))
            (check(refill, ("auto_trust", "auto_trust", "Approve its devices as they register (auto trust)"), false))
            (check(refill, ("allow_untrusted_endpoints", "allow_untrusted_endpoints", "Allow untrusted endpoints"), false))
            (check(refill, ("allow_unauthenticated_requests", "allow_unauthenticated_requests", "Allow unsigned requests"), false))
            (input(refill, ("access_token_ttl", "Access token lifetime (seconds, optional)"), "number", false, None))
            (input(refill, ("refresh_token_ttl", "Refresh token lifetime (seconds, optional)"), "number", false, None))
        }))
        h2 { "API keys (" (keys.len()) ")" }
        @for k in keys {
            @let lifetimes = k.settings.lifetimes();
            div.item id={ "api-key-" (k.id) } {
                b { (k.name) } @if k.disabled { " (disabled)" }
                div.meta {
                    code { (k.id) } " · created " (time(k.created_at, now))
                    " · expires " (time_or_never(k.settings.expires_at, now))
                    br;
                    "auto trust: " (yes_no(k.settings.auto_trust))
                    " · untrusted endpoints: " (yes_no(k.settings.allow_untrusted_endpoints))
                    " · unsigned requests: " (yes_no(k.settings.allow_unauthenticated_requests))
                    " · access token " (lifetimes.access_token_ttl) " s"
                    " · refresh token " (lifetimes.refresh_token_ttl) " s"
                }
                @if !k.disabled {
                    (settings_form(csrf, k, typed))
                    (button(csrf, s, "disable", ("id", &k.id), "Disable"))
                }
                (history(&k.id))
            }
        }
    }
}
