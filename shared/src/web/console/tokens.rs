//! The console's initial access tokens section (RFC 7591 §3): issue one (its value shown
//! once), see each with its uses and expiry, disable one.

use maud::{Markup, html};

use super::fields::{Typed, input};
use super::format::time;
use super::{Section, button, create_form, history};
use crate::model::InitialAccessToken;

pub(super) fn list(csrf: &str, now: i64, tokens: &[InitialAccessToken], typed: &Typed) -> Markup {
    let s = Section::InitialAccessTokens;
    let refill = typed.of("create", None);
    html! {
        (create_form(csrf, s, "New initial access token", html! {
            (input(refill, ("name", "Name"), "text", true, None))
            (input(refill, ("max_uses", "Registrations it allows (optional; empty: any number)"), "number", false, None))
            (input(refill, ("expires_in_hours", "Expires in (hours, at most 720)"), "number", true, Some("24")))
        }))
        h2 { "Initial access tokens (" (tokens.len()) ")" }
        @if tokens.is_empty() { p.meta { "No initial access token yet." } }
        @for t in tokens {
            div.item id={ "token-" (t.id) } {
                b { (t.name) } @if t.disabled { " (disabled)" }
                div.meta {
                    code { (t.id) } " · created " (time(t.created_at, now))
                    " · expires " (time(t.expires_at, now))
                    " · used " (t.uses)
                    @if let Some(max) = t.max_uses { " of " (max) } " times"
                }
                @if !t.disabled { (button(csrf, s, "disable", ("id", &t.id), "Disable")) }
                (history(&t.id))
            }
        }
    }
}
