//! The console's clients section: every OAuth client, with its grants by name; disable one,
//! or delete a self-registered one.

use maud::{Markup, html};

use super::format::{grant_name, time, time_or_never};
use super::{Section, button, history};
use crate::model::OAuthClient;

pub(super) fn list(csrf: &str, now: i64, clients: &[OAuthClient]) -> Markup {
    let s = Section::Clients;
    html! {
        @if clients.is_empty() { p.meta { "No OAuth client yet." } }
        @for c in clients {
            div.item id={ "client-" (c.client_id) } {
                b { bdi { (c.client_name) } } @if c.disabled { " (disabled)" }
                div.meta {
                    code { (c.client_id) } " · " (c.client_type.as_str())
                    " · made by " b { (c.origin.as_str()) }
                    " · created " (time(c.created_at, now))
                    " · last used "
                    @if c.self_registered() { (time_or_never(c.last_used_at, now)) } @else { "not tracked" }
                    br;
                    "grants: "
                    span.grants {
                        (c.grant_types.iter().map(|g| grant_name(*g)).collect::<Vec<_>>().join(", "))
                    }
                    " · scopes: " (c.scopes.tokens().join(" "))
                }
                @if !c.disabled { (button(csrf, s, "disable", ("client_id", &c.client_id), "Disable")) }
                @if c.self_registered() { (button(csrf, s, "delete", ("client_id", &c.client_id), "Delete")) }
                (history(&c.client_id))
            }
        }
    }
}
