//! The console's API keys section: make a key (its value shown once), see each key's
//! settings, disable one.

use maud::{Markup, html};

use super::format::{time, time_or_never};
use super::{Section, button, checkbox, create_form, history, text_field, yes_no};
use crate::model::ApiKey;

pub(super) fn list(csrf: &str, now: i64, keys: &[ApiKey]) -> Markup {
    let s = Section::ApiKeys;
    html! {
        (create_form(csrf, s, "New API key", html! {
            (text_field("name", "Name", "text", true))
            (checkbox("auto_trust", "Approve its devices as they register (auto trust)"))
            (checkbox("allow_untrusted_endpoints", "Allow untrusted endpoints"))
            (checkbox("allow_unauthenticated_requests", "Allow unsigned requests"))
            (text_field("access_token_ttl", "Access token lifetime (seconds, optional)", "number", false))
            (text_field("refresh_token_ttl", "Refresh token lifetime (seconds, optional)", "number", false))
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
                @if !k.disabled { (button(csrf, s, "disable", ("id", &k.id), "Disable")) }
                (history(&k.id))
            }
        }
    }
}
