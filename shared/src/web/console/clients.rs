//! The console's clients section: make an OAuth client (its redirect URIs one a line, its
//! grants ticked by name), see every client with its grants by name, disable one, or delete
//! a self-registered one.

use maud::{Markup, html};

use super::fields::{Typed, check, input, lines};
use super::format::{grant_name, time, time_or_never};
use super::{Section, button, create_form, history};
use crate::model::{GrantType, OAuthClient};

/// The form field of a grant's checkbox: `grant_device_code`, `grant_refresh_token`, ...
pub fn grant_field(grant: GrantType) -> String {
    let wire = grant.as_str();
    format!("grant_{}", wire.rsplit(':').next().unwrap_or(wire))
}

fn new_client(csrf: &str, typed: &Typed) -> Markup {
    let refill = typed.of("create", None);
    let chosen = refill
        .and_then(|t| t.get("client_type"))
        .map_or("public", String::as_str);
    create_form(
        csrf,
        Section::Clients,
        "New client",
        html! {
            (input(refill, ("client_name", "Name"), "text", true, None))
            label for="client_type" { "Type" }
            select id="client_type" name="client_type" {
                option value="public" selected[chosen == "public"] { "Public (an app on a device; no secret)" }
                option value="confidential" selected[chosen == "confidential"] { "Confidential (a server; gets a secret)" }
            }
            fieldset {
                legend { "Grant types" }
                @for g in GrantType::ALL {
                    @let field = grant_field(*g);
                    (check(refill, (&field, &field, grant_name(*g)), *g == GrantType::DeviceCode))
                }
            }
            (lines(refill, ("redirect_uris", "Redirect URIs (one a line; for the authorization code grant)"), 3))
            (input(refill, ("scopes", "Scopes (optional, space-separated)"), "text", false, None))
            (input(refill, ("access_token_ttl", "Access token lifetime (seconds, optional)"), "number", false, None))
            (input(refill, ("refresh_token_ttl", "Refresh token lifetime (seconds, optional)"), "number", false, None))
            (check(refill, ("introspection", "introspection", "May introspect tokens (confidential clients only)"), false))
        },
    )
}

pub(super) fn list(csrf: &str, now: i64, clients: &[OAuthClient], typed: &Typed) -> Markup {
    let s = Section::Clients;
    html! {
        (new_client(csrf, typed))
        h2 { "Clients (" (clients.len()) ")" }
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
                    @if !c.redirect_uris.is_empty() {
                        br; "redirect URIs: " code { (c.redirect_uris.join(" ")) }
                    }
                }
                @if !c.disabled { (button(csrf, s, "disable", ("client_id", &c.client_id), "Disable")) }
                @if c.self_registered() { (button(csrf, s, "delete", ("client_id", &c.client_id), "Delete")) }
                (history(&c.client_id))
            }
        }
    }
}
