//! The console's templates section (VMware mobile registration): define a template, see
//! each with its redirect URIs and lifetimes, disable one.

use maud::{Markup, html};

use super::fields::{Typed, check, input, lines};
use super::format::time;
use super::{Section, button, create_form, history};
use crate::model::vmware::RegistrationTemplate;

pub(super) fn list(
    csrf: &str,
    now: i64,
    templates: &[RegistrationTemplate],
    typed: &Typed,
) -> Markup {
    let s = Section::Templates;
    let refill = typed.of("create", None);
    html! {
        (create_form(csrf, s, "New template", html! {
            (input(refill, ("template_id", "Template id (the app's app_product_id)"), "text", true, None))
            (lines(refill, ("redirect_uris", "Redirect URIs (one a line, 1 to 10)"), 3))
            (input(refill, ("scopes", "Scopes (optional, space-separated)"), "text", false, None))
            (input(refill, ("access_token_ttl", "Access token lifetime (seconds, optional)"), "number", false, None))
            (input(refill, ("refresh_token_ttl", "Refresh token lifetime (seconds, optional)"), "number", false, None))
            (check(refill, ("issue_refresh_tokens", "issue_refresh_tokens", "Instances may refresh their tokens"), true))
        }))
        h2 { "Templates (" (templates.len()) ")" }
        @if templates.is_empty() { p.meta { "No template yet: VMware apps cannot register." } }
        @for t in templates {
            div.item id={ "template-" (t.template_id) } {
                b { code { (t.template_id) } } @if t.disabled { " (disabled)" }
                div.meta {
                    "created " (time(t.created_at, now))
                    " · access token " (t.lifetimes.access_token_ttl) " s"
                    " · refresh token " (t.lifetimes.refresh_token_ttl) " s"
                    " · refresh: " (if t.issue_refresh_tokens { "yes" } else { "no" })
                    br;
                    "redirect URIs: " code { (t.redirect_uris.join(" ")) }
                    " · scopes: " (t.scopes.tokens().join(" "))
                }
                @if !t.disabled { (button(csrf, s, "disable", ("id", &t.template_id), "Disable")) }
                (history(&t.template_id))
            }
        }
    }
}
