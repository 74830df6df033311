//! The device verification page (`/device`, RFC 8628 §3.3): enter the code the device shows,
//! check who asks for what, approve or deny.

use maud::{Markup, html};

use super::frame::{hidden, layout, message};
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

/// `confirmation`: the reference to this request that the decision carries back
/// ([`crate::usecases::verification::confirmation`]); `note`: why it is shown again, if it is.
pub fn confirm(
    csrf: &str,
    who: &str,
    request: &PendingRequest,
    confirmation: &str,
    note: Option<&str>,
) -> String {
    let client = &request.client;
    let code = request.user_code.display();
    layout(
        "Approve device",
        html! {
            h1 { "Approve this device?" }
            (message(note, "warn"))
            @if client.self_registered() {
                (message(
                    Some("This application registered itself; devicegate has not verified who made it."),
                    "warn",
                ))
            }
            @if client.self_registered() {
                // Its name is only what it said it is: quoted, and marked as such.
                p {
                    "An application calling itself "
                    b { "\u{201c}" bdi { (client.client_name) } "\u{201d}" }
                    " (unverified) wants to act on your behalf."
                }
            } @else {
                p { b { (client.client_name) } " wants to act on your behalf." }
            }
            p {
                "Code: " span.code-shown { (code) } br;
                "Check that your device shows the same code."
            }
            @if request.scope.is_empty() {
                p { "It asks for no particular scope." }
            } @else {
                p { "It asks for:" }
                ul { @for token in request.scope.tokens() { li { code { (token) } } } }
            }
            form method="post" action="/device" {
                (hidden("csrf", csrf))
                (hidden("user_code", &code))
                (hidden("request", confirmation))
                button type="submit" name="action" value="approve" { "Approve" }
                button.deny type="submit" name="action" value="deny" { "Deny" }
            }
            (signed_in_footer(csrf, who))
        },
    )
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
