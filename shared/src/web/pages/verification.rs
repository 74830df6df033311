//! The device verification page (`/device`, RFC 8628 §3.3): enter the code the device shows,
//! check who asks for what, approve or deny.

use maud::{Markup, html};

use super::frame::{hidden, layout, message};
use crate::config::PageSettings;
use crate::usecases::verification::PendingRequest;

fn signed_in_footer(csrf: &str, who: &str) -> Markup {
    html! {
        footer {
            span { "Signed in as " b { (who) } }
            form method="post" action="/device" {
                (hidden("csrf", csrf))
                (hidden("action", "sign_out"))
                button.link type="submit" { "Sign out" }
            }
        }
    }
}

pub fn enter_code(csrf: &str, who: &str, typed: Option<&str>, error: Option<&str>) -> String {
    layout(
        "Enter code",
        html! {
            h1 { "Connect a device" }
            (message(error, ""))
            p { "Enter the code shown on your device." }
            form method="post" action="/device" {
                (hidden("csrf", csrf))
                (hidden("action", "find"))
                label for="user_code" { "Code" }
                input.code type="text" id="user_code" name="user_code" value=(typed.unwrap_or(""))
                    placeholder="XXXX-XXXX" autocomplete="off" autocapitalize="characters"
                    spellcheck="false" maxlength="16" required;
                button type="submit" { "Continue" }
            }
            (signed_in_footer(csrf, who))
        },
    )
}

/// What the confirm page needs besides the request: the form's CSRF token and confirmation
/// ([`crate::usecases::verification::confirmation`]), who is signed in, the time, and why it is
/// shown again (`note`), if it is.
pub struct ConfirmForm<'a> {
    pub csrf: &'a str,
    pub who: &'a str,
    pub confirmation: &'a str,
    pub note: Option<&'a str>,
    pub now: i64,
}

/// Who asks for what, from where and since when; approve or deny.
pub fn confirm(form: ConfirmForm<'_>, request: &PendingRequest, pages: &PageSettings) -> String {
    let client = &request.client;
    let code = request.user_code.display();
    layout(
        "Approve device",
        html! {
            (brand(pages))
            h1 { "Approve this device?" }
            (message(form.note, "warn"))
            @if client.self_registered() {
                (message(
                    Some("This application registered itself. Its maker is not verified: approve it only if you trust it."),
                    "warn",
                ))
                // Its name is only what it said it is: quoted, and marked as such.
                p {
                    "An application calling itself "
                    b { "\u{201c}" bdi { (client.client_name) } "\u{201d}" }
                    " (unverified) wants to act on your behalf."
                }
            } @else {
                p { b { (client.client_name) } " wants to act on your behalf." }
                p.badge { "Registered by your administrator" }
            }
            p {
                "Code: " span.code-shown { (code) } br;
                "Check that your device shows the same code."
            }
            (context(request, form.now))
            (scopes(&request.scope, pages))
            form method="post" action="/device" {
                (hidden("csrf", form.csrf))
                (hidden("user_code", &code))
                (hidden("request", form.confirmation))
                button type="submit" name="action" value="approve" { "Approve" }
                p.deny-line { "Didn\u{2019}t start this? Deny it." }
                button.deny type="submit" name="action" value="deny" { "Deny" }
            }
            (signed_in_footer(form.csrf, form.who))
        },
    )
}

/// The organisation's name (and logo) at the top of a page, when configured.
pub(super) fn brand(pages: &PageSettings) -> Markup {
    if let Some(logo) = &pages.organization_logo_url {
        super::frame::allow_logo(logo);
    }
    html! {
        @if let Some(name) = &pages.organization_name {
            header.brand {
                @if let Some(logo) = &pages.organization_logo_url {
                    img src=(logo) alt="" width="32" height="32";
                }
                span { (name) }
            }
        }
    }
}

/// Where and when the device asked: the address (and country), how long ago, and how long the
/// code stays good (its exact time in a `title`: no script counts down).
fn context(request: &PendingRequest, now: i64) -> Markup {
    let started = (now - request.created_at).max(0) / 60;
    let left = ((request.expires_at - now).max(0) + 59) / 60;
    html! {
        ul.context {
            @if let Some(from) = &request.started_from {
                li {
                    "Requested from " code { (from.ip) }
                    @if let Some(country) = &from.country { " (" (country) ")" }
                }
            }
            li title=(utc(request.created_at)) {
                @if started == 0 { "Started just now" } @else { "Started " (plural(started, "minute")) " ago" }
            }
            li title=(utc(request.expires_at)) {
                "Expires in " (plural(left, "minute")) " (" (utc(request.expires_at)) ")"
            }
        }
    }
}

fn scopes(scope: &crate::model::Scope, pages: &PageSettings) -> Markup {
    html! {
        @if scope.is_empty() {
            p { "It asks for no particular scope." }
        } @else {
            p { "It asks to:" }
            ul {
                @for token in scope.tokens() {
                    li {
                        @if let Some(description) = pages.describe(token) {
                            (description) " " span.meta { "(" code { (token) } ")" }
                        } @else {
                            "Use the scope " code { (token) }
                        }
                    }
                }
            }
        }
    }
}

fn plural(n: i64, unit: &str) -> String {
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
    }
}

/// `2026-12-07 09:14 UTC`.
fn utc(epoch: i64) -> String {
    let secs = u64::try_from(epoch).unwrap_or(0).min(253_402_300_799);
    let text = humantime::format_rfc3339_seconds(
        std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs),
    )
    .to_string();
    match (text.get(0..10), text.get(11..16)) {
        (Some(date), Some(time)) => format!("{date} {time} UTC"),
        _ => text,
    }
}

pub fn done(approved: bool, client_name: &str) -> String {
    let body = if approved {
        html! {
            h1 { "Device connected" }
            p.msg.ok { "You approved " b { (client_name) } "." }
            p { "You can close this page and return to your device." }
        }
    } else {
        html! {
            h1 { "Request denied" }
            p.msg { "You denied " b { (client_name) } ". It gets no access." }
            p { "You can close this page." }
        }
    };
    layout(if approved { "Approved" } else { "Denied" }, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_codes_are_escaped_everywhere() {
        let html = enter_code("c", "<ada>", Some("\"><script>"), None);
        assert!(
            !html.contains("<ada>") && !html.contains("\"><script>"),
            "{html}"
        );
        let html = done(true, "<img src=x>");
        assert!(!html.contains("<img"), "{html}");
    }
}
