//! The admin console's pages (`/admin/console`), rendered with maud like the verification
//! page and under the same Content-Security-Policy: no script, one pinned style sheet, every
//! form that changes something a POST carrying the CSRF token of the admin cookie (or, to sign
//! in, of the pre-session cookie); the audit section's filter form is a GET, and only reads.
//! The handlers are in [`crate::api::console`].

mod audit;
mod identity_providers;
mod users;

use std::collections::HashMap;

use maud::{Markup, html};

use super::pages::{hidden, message, page};
use crate::api::admin::views::rfc3339;
use crate::model::{ApiKey, Device, DeviceStatus, OAuthClient, User};
use crate::usecases::admin::{AuditFilter, AuditListing, CreatedApiKey, LimitState};
use crate::usecases::federation::ProviderButton;
use audit::history;
pub use audit::history_href;
pub use identity_providers::ProviderRow;

/// Where the console lives; each section is a path below it.
pub const PATH: &str = "/admin/console";

/// The console's sections, one page each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    Devices,
    ApiKeys,
    Clients,
    Users,
    IdentityProviders,
    Audit,
}

impl Section {
    pub const ALL: [Section; 6] = [
        Section::Devices,
        Section::ApiKeys,
        Section::Clients,
        Section::Users,
        Section::IdentityProviders,
        Section::Audit,
    ];

    /// The section's path segment.
    pub fn slug(self) -> &'static str {
        match self {
            Section::Devices => "devices",
            Section::ApiKeys => "api-keys",
            Section::Clients => "clients",
            Section::Users => "users",
            Section::IdentityProviders => "identity-providers",
            Section::Audit => "audit",
        }
    }

    pub fn parse(slug: &str) -> Option<Section> {
        Section::ALL.into_iter().find(|s| s.slug() == slug)
    }

    pub fn title(self) -> &'static str {
        match self {
            Section::Devices => "Devices",
            Section::ApiKeys => "API keys",
            Section::Clients => "Clients",
            Section::Users => "Users",
            Section::IdentityProviders => "Identity providers",
            Section::Audit => "Audit",
        }
    }

    pub fn path(self) -> String {
        format!("{PATH}/{}", self.slug())
    }
}

/// What a section shows, as the admin use cases listed it.
pub enum Content {
    /// Registrations waiting for a decision, then every device by status.
    Devices {
        pending: Vec<Device>,
        by_status: Vec<(DeviceStatus, Vec<Device>)>,
    },
    ApiKeys(Vec<ApiKey>),
    Clients(Vec<OAuthClient>),
    /// Every user, and the wrong-code limits of those with recent failures.
    Users(Vec<User>, HashMap<String, LimitState>),
    /// Every upstream provider, and the redirect URI a new one registers.
    IdentityProviders(Vec<ProviderRow>, String),
    /// The trail, filtered as the filters (as given) say, newest first.
    Audit(AuditFilter, AuditListing),
}

impl Content {
    pub fn section(&self) -> Section {
        match self {
            Content::Devices { .. } => Section::Devices,
            Content::ApiKeys(_) => Section::ApiKeys,
            Content::Clients(_) => Section::Clients,
            Content::Users(..) => Section::Users,
            Content::IdentityProviders(..) => Section::IdentityProviders,
            Content::Audit(..) => Section::Audit,
        }
    }
}

/// What the last action did.
pub enum Notice {
    Done(String),
    Failed(String),
    /// A new API key: its value is on this page and never again.
    NewApiKey(CreatedApiKey),
}

/// A POST form to `to` for `action`, with the CSRF token: every console form is one of these.
fn form(csrf: &str, to: &str, action: &str, fields: Markup) -> Markup {
    html! {
        form class=(action) method="post" action=(to) {
            (hidden("csrf", csrf))
            (hidden("action", action))
            (fields)
        }
    }
}

/// A one-button form acting on one item (`name` = `value`).
fn button(csrf: &str, section: Section, action: &str, target: (&str, &str), label: &str) -> Markup {
    let class = if matches!(action, "deny" | "revoke" | "disable" | "delete") {
        "deny"
    } else {
        ""
    };
    form(
        csrf,
        &section.path(),
        action,
        html! {
            (hidden(target.0, target.1))
            button class=(class) type="submit" { (label) }
        },
    )
}

/// A section's form for a new item, under its heading.
fn create_form(csrf: &str, section: Section, heading: &str, fields: Markup) -> Markup {
    html! {
        h2 { (heading) }
        (form(csrf, &section.path(), "create", html! {
            (fields)
            button type="submit" { "Create" }
        }))
    }
}

fn text_field(id: &str, label: &str, kind: &str, required: bool) -> Markup {
    html! {
        label for=(id) { (label) }
        input type=(kind) id=(id) name=(id) autocomplete="off" autocapitalize="none"
            required[required];
    }
}

fn checkbox(id: &str, label: &str) -> Markup {
    html! {
        label.check for=(id) { input type="checkbox" id=(id) name=(id) value="on"; (label) }
    }
}

fn status_title(status: DeviceStatus) -> &'static str {
    match status {
        DeviceStatus::Pending => "Pending",
        DeviceStatus::Approved => "Approved",
        DeviceStatus::Denied => "Denied",
        DeviceStatus::Revoked => "Revoked",
    }
}

fn when(epoch: Option<i64>) -> String {
    epoch.map(rfc3339).unwrap_or_else(|| "never".to_owned())
}

fn yes_no(value: bool) -> &'static str {
    if value { "yes" } else { "no" }
}

/// The sign-in page: an admin key, or a button per provider that signs in administrators.
pub fn sign_in(csrf: &str, error: Option<&str>, providers: &[ProviderButton]) -> String {
    page(
        "Admin console",
        false,
        html! {
            h1 { "devicegate admin console" }
            (message(error, ""))
            (form(csrf, PATH, "sign_in", html! {
                label for="admin_key" { "Admin key" }
                input type="password" id="admin_key" name="admin_key" autocomplete="off"
                    required;
                button type="submit" { "Sign in" }
            }))
            @for provider in providers {
                p { a.button href=(provider.href) { "Sign in with " (provider.name) } }
            }
            p.meta { "Make an admin key with " code { "devicegate bootstrap" } "." }
        },
    )
}

/// A section of the console, with the outcome of the last action above it.
pub fn section(csrf: &str, notice: Option<&Notice>, content: &Content) -> String {
    let current = content.section();
    page(
        current.title(),
        true,
        html! {
            nav {
                @for s in Section::ALL {
                    @if s == current { b { (s.title()) } } @else { a href=(s.path()) { (s.title()) } }
                }
                (form(csrf, PATH, "sign_out", html! {
                    button.link type="submit" { "Sign out" }
                }))
            }
            h1 { (current.title()) }
            @match notice {
                Some(Notice::Done(text)) => (message(Some(text.as_str()), "ok")),
                Some(Notice::Failed(text)) => (message(Some(text.as_str()), "")),
                Some(Notice::NewApiKey(created)) => {
                    div.msg.ok role="alert" {
                        "API key " b { (created.key.name) } " created. Copy it now: it is not shown again."
                        br;
                        code id="new-api-key" { (created.value) }
                    }
                },
                None => {},
            }
            @match content {
                Content::Devices { pending, by_status } => (devices(csrf, pending, by_status)),
                Content::ApiKeys(keys) => (api_keys(csrf, keys)),
                Content::Clients(clients) => (clients_list(csrf, clients)),
                Content::Users(users, limits) => (users::list(csrf, users, limits)),
                Content::IdentityProviders(rows, redirect_uri) => {
                    (identity_providers::list(csrf, rows, redirect_uri))
                },
                Content::Audit(filter, listing) => (audit::list(filter, listing)),
            }
        },
    )
}

fn devices(csrf: &str, pending: &[Device], by_status: &[(DeviceStatus, Vec<Device>)]) -> Markup {
    let s = Section::Devices;
    html! {
        h2 { "Waiting for a decision (" (pending.len()) ")" }
        @if pending.is_empty() { p.meta { "No registration is waiting." } }
        @for d in pending {
            @if let Some(p) = &d.pending {
                div.item id={ "pending-" (d.client_id) } {
                    b { code { (d.client_id) } } " · " (p.client_type.as_str())
                    @if let Some(text) = &p.client_description { br; bdi { (text) } }
                    div.meta {
                        "Key: " (p.key.as_ref().map_or("none", |k| k.key_type.as_str()))
                        " · registered " (rfc3339(p.created_at))
                        " · API key " (d.api_key_name)
                        @if d.status != DeviceStatus::Pending { " · now " (d.status.as_str()) }
                    }
                    (button(csrf, s, "approve", ("client_id", &d.client_id), "Approve"))
                    (button(csrf, s, "deny", ("client_id", &d.client_id), "Deny"))
                    (history(&d.client_id))
                }
            }
        }
        @for (status, list) in by_status {
            h2 { (status_title(*status)) " (" (list.len()) ")" }
            @for d in list {
                div.item id={ (status.as_str()) "-" (d.client_id) } {
                    b { code { (d.client_id) } } " · " (d.client_type.as_str())
                    @if let Some(text) = &d.client_description { br; bdi { (text) } }
                    div.meta {
                        "Key: " (d.key.as_ref().map_or("none", |k| k.key_type.as_str()))
                        " · registered " (rfc3339(d.created_at))
                        " · updated " (rfc3339(d.updated_at))
                        " · API key " (d.api_key_name)
                    }
                    @if d.status != DeviceStatus::Revoked {
                        (button(csrf, s, "revoke", ("client_id", &d.client_id), "Revoke"))
                    }
                    (history(&d.client_id))
                }
            }
        }
    }
}

fn api_keys(csrf: &str, keys: &[ApiKey]) -> Markup {
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
                    code { (k.id) } " · created " (rfc3339(k.created_at))
                    " · expires " (when(k.settings.expires_at))
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

fn clients_list(csrf: &str, clients: &[OAuthClient]) -> Markup {
    let s = Section::Clients;
    html! {
        @if clients.is_empty() { p.meta { "No OAuth client yet." } }
        @for c in clients {
            div.item id={ "client-" (c.client_id) } {
                b { bdi { (c.client_name) } } @if c.disabled { " (disabled)" }
                div.meta {
                    code { (c.client_id) } " · " (c.client_type.as_str())
                    " · made by " b { (c.origin.as_str()) }
                    " · created " (rfc3339(c.created_at))
                    " · last used " @if c.self_registered() { (when(c.last_used_at)) } @else { "not tracked" }
                    br;
                    "grants: " (c.grant_types.iter().map(|g| g.as_str()).collect::<Vec<_>>().join(" "))
                    " · scopes: " (c.scopes.tokens().join(" "))
                }
                @if !c.disabled { (button(csrf, s, "disable", ("client_id", &c.client_id), "Disable")) }
                @if c.self_registered() { (button(csrf, s, "delete", ("client_id", &c.client_id), "Delete")) }
                (history(&c.client_id))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_round_trip_and_unknown_ones_are_refused() {
        for s in Section::ALL {
            assert_eq!(Section::parse(s.slug()), Some(s));
        }
        assert_eq!(Section::parse("../devices"), None);
    }

    #[test]
    fn every_form_carries_the_token_and_values_are_escaped() {
        let html = section(
            "tok\"en",
            Some(&Notice::Failed("<script>".into())),
            &Content::Users(Vec::new(), HashMap::new()),
        );
        assert!(!html.contains("<script>"), "{html}");
        let forms = html.matches("<form").count();
        assert!(forms >= 2);
        assert_eq!(
            html.matches("name=\"csrf\" value=\"tok&quot;en\"").count(),
            forms
        );
    }
}
