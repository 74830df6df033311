//! The console's identity-provider section: add an upstream OpenID Provider, see the redirect
//! URI to register there, turn one off or remove it. The client secret is a write-only field.

use maud::{Markup, html};

use super::{Section, button, create_form, form, text_field};
use crate::model::IdentityProvider;
use crate::web::pages::hidden;

/// One provider as the section shows it, with the callback to register at the provider.
pub struct ProviderRow {
    pub provider: IdentityProvider,
    pub redirect_uri: String,
}

fn checked_box(id: &str, label: &str) -> Markup {
    html! {
        label.check for=(id) {
            input type="checkbox" id=(id) name=(id) value="on" checked; (label)
        }
    }
}

pub(super) fn list(csrf: &str, rows: &[ProviderRow], redirect_uri: &str) -> Markup {
    let s = Section::IdentityProviders;
    html! {
        (create_form(csrf, s, "New identity provider", html! {
            (text_field("name", "Name (shown on the sign-in button)", "text", true))
            (text_field("issuer", "Issuer URL", "url", true))
            (text_field("client_id", "Client ID", "text", true))
            (text_field("client_secret", "Client secret", "password", true))
            (text_field("scopes", "Scopes (optional; default: openid email profile)", "text", false))
            (text_field("username_claim", "Username claim (optional; default: preferred_username, else email)", "text", false))
            (text_field("allowed_email_domains", "Allowed email domains (optional, space-separated)", "text", false))
            (text_field("required_claims", "Required claims (optional, claim=value, space-separated)", "text", false))
            (text_field("admin_claims", "Administrators (optional, claim=value: people with these claims may sign in to this console)", "text", false))
            (checked_box("jit", "Create a user at a person's first sign-in"))
            (checked_box("enabled", "Enabled"))
            p.meta { "Register this redirect URI at the provider: " code { (redirect_uri) } }
        }))
        h2 { "Identity providers (" (rows.len()) ")" }
        @if rows.is_empty() { p.meta { "No identity provider yet: people sign in with a password." } }
        @for row in rows {
            @let p = &row.provider;
            div.item id={ "identity-provider-" (p.id) } {
                b { bdi { (p.name) } } @if !p.enabled { " (disabled)" }
                div.meta {
                    code { (p.id) } " · issuer " (p.issuer) " · client " code { (p.client_id) }
                    br;
                    "redirect URI " code { (row.redirect_uri) }
                    br;
                    "scopes: " (p.scopes.join(" "))
                    " · username from " code { (p.username_claim) }
                    " · new users: " (if p.jit { "created at first sign-in" } else { "only linked ones" })
                    @if !p.allowed_email_domains.is_empty() {
                        " · email domains: " (p.allowed_email_domains.join(" "))
                    }
                    @if !p.required_claims.is_empty() {
                        " · requires: "
                        (p.required_claims.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(" "))
                    }
                    @if p.signs_in_admins() {
                        " · console administrators: "
                        (p.admin_claims.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(" "))
                    }
                }
                @if p.enabled {
                    (button(csrf, s, "disable", ("id", &p.id), "Disable"))
                } @else {
                    (form(csrf, &s.path(), "enable", html! {
                        (hidden("id", &p.id))
                        button type="submit" { "Enable" }
                    }))
                }
                (button(csrf, s, "delete", ("id", &p.id), "Delete"))
            }
        }
    }
}
