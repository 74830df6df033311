//! The admin console's pages (`/admin/console`), rendered with maud like the verification
//! page and under the same Content-Security-Policy: no script, one pinned style sheet, every
//! form that changes something a POST carrying the CSRF token of the admin cookie (or, to sign
//! in, of the pre-session cookie); the audit section's filter form is a GET, and only reads.
//! The handlers are in [`crate::api::console`].

mod api_keys;
mod audit;
mod clients;
mod confirm;
mod devices;
mod fields;
pub mod format;
mod identity_providers;
mod paging;
mod templates;
mod tokens;
mod users;

use std::collections::HashMap;

use maud::{Markup, html};

use super::pages::{hidden, message, page};
use crate::model::vmware::RegistrationTemplate;
use crate::model::{ApiKey, Device, DeviceStatus, InitialAccessToken, OAuthClient, User};
use crate::usecases::admin::{
    AuditFilter, AuditListing, CreatedApiKey, LimitState, WaitingDeviceFlow,
};
use crate::usecases::federation::ProviderButton;
use audit::history;
pub use audit::history_href;
pub use clients::grant_field;
pub use confirm::{CONFIRM_FIELD, asks_first, confirm, is_destructive};
pub use fields::Typed;
pub use identity_providers::ProviderRow;
pub use paging::Paging;

/// Where the console lives; each section is a path below it.
pub const PATH: &str = "/admin/console";

/// The console's sections, one page each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    Devices,
    ApiKeys,
    Clients,
    Users,
    Templates,
    InitialAccessTokens,
    IdentityProviders,
    Audit,
}

impl Section {
    pub const ALL: [Section; 8] = [
        Section::Devices,
        Section::ApiKeys,
        Section::Clients,
        Section::Users,
        Section::Templates,
        Section::InitialAccessTokens,
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
            Section::Templates => "templates",
            Section::InitialAccessTokens => "initial-access-tokens",
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
            Section::Templates => "Templates",
            Section::InitialAccessTokens => "Initial access tokens",
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
        /// OAuth device flows waiting for a person to type the user code.
        waiting: Vec<WaitingDeviceFlow>,
        pending: Vec<Device>,
        by_status: Vec<(DeviceStatus, Vec<Device>)>,
    },
    ApiKeys(Vec<ApiKey>),
    Clients(Vec<OAuthClient>),
    /// Every user, and the wrong-code limits of those with recent failures.
    Users(Vec<User>, HashMap<String, LimitState>),
    /// VMware registration templates.
    Templates(Vec<RegistrationTemplate>),
    InitialAccessTokens(Vec<InitialAccessToken>),
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
            Content::Templates(_) => Section::Templates,
            Content::InitialAccessTokens(_) => Section::InitialAccessTokens,
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
    /// A new client's secret or a new initial access token: `text`, then the value, shown
    /// this once.
    Secret {
        text: String,
        value: String,
    },
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
    let class = if is_destructive(action) { "deny" } else { "" };
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

fn status_title(status: DeviceStatus) -> &'static str {
    match status {
        DeviceStatus::Pending => "Pending",
        DeviceStatus::Approved => "Approved",
        DeviceStatus::Denied => "Denied",
        DeviceStatus::Revoked => "Revoked",
    }
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
pub fn section(
    csrf: &str,
    now: i64,
    notice: Option<&Notice>,
    content: &Content,
    typed: &Typed,
    paging: Option<&Paging>,
) -> String {
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
                Some(Notice::Secret { text, value }) => {
                    div.msg.ok role="alert" {
                        (text) " Copy it now: it is not shown again." br;
                        code id="new-secret" { (value) }
                    }
                },
                None => {},
            }
            @if let Some(paging) = paging { (paging::search_form(current, paging)) }
            @match content {
                Content::Devices { waiting, pending, by_status } => {
                    (devices::waiting(now, waiting))
                    (devices::list(csrf, now, pending, by_status))
                },
                Content::ApiKeys(keys) => (api_keys::list(csrf, now, keys, typed)),
                Content::Clients(clients) => (clients::list(csrf, now, clients, typed)),
                Content::Users(users, limits) => (users::list(csrf, now, users, limits, typed)),
                Content::Templates(list) => (templates::list(csrf, now, list, typed)),
                Content::InitialAccessTokens(list) => (tokens::list(csrf, now, list, typed)),
                Content::IdentityProviders(rows, redirect_uri) => {
                    (identity_providers::list(csrf, rows, redirect_uri))
                },
                Content::Audit(filter, listing) => (audit::list(filter, listing)),
            }
            @if let Some(paging) = paging { (paging::pager(current, paging)) }
        },
    )
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
            0,
            Some(&Notice::Failed("<script>".into())),
            &Content::Users(Vec::new(), HashMap::new()),
            &Typed::none(),
            None,
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
