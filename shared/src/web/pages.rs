//! The pages a person sees, rendered with maud (which escapes every interpolated value, in text
//! and in attributes): server-rendered, no scripts, one small inline style sheet allowed by its
//! hash in the Content-Security-Policy, readable on a phone.

use std::sync::OnceLock;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use maud::{DOCTYPE, Markup, PreEscaped, html};
use sha2::{Digest, Sha256};

use crate::usecases::federation::ProviderButton;
use crate::usecases::verification::PendingRequest;
const STYLE: &str = "\
*{box-sizing:border-box}\
body{margin:0;font:16px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;background:#f4f5f7;color:#1d2430}\
main{max-width:26rem;margin:2rem auto;padding:0 1rem}\
.card{background:#fff;border-radius:.75rem;box-shadow:0 1px 3px #0002;padding:1.5rem}\
h1{font-size:1.35rem;margin:0 0 1rem}\
label{display:block;font-weight:600;margin:.75rem 0 .25rem}\
input[type=text],input[type=password]{width:100%;padding:.65rem .75rem;font-size:1.05rem;border:1px solid #b8bfcc;border-radius:.5rem}\
input.code{font:600 1.4rem/1 ui-monospace,monospace;letter-spacing:.15em;text-transform:uppercase;text-align:center}\
button{width:100%;margin-top:1rem;padding:.7rem;font-size:1rem;font-weight:600;border:0;border-radius:.5rem;background:#1f5fd6;color:#fff;cursor:pointer}\
button.deny{background:#fff;color:#a3261b;border:1px solid #a3261b}\
button.link{background:none;color:#1f5fd6;width:auto;padding:0;margin:0;font-weight:400}\
.msg{padding:.6rem .75rem;border-radius:.5rem;background:#fdecea;color:#8a1c13;margin-bottom:1rem}\
.ok{background:#e7f6ec;color:#155e2b}\
.warn{background:#fff4e0;color:#7a4b00}\
.code-shown{font:600 1.3rem ui-monospace,monospace;letter-spacing:.1em}\
ul{padding-left:1.2rem}\
footer{display:flex;justify-content:space-between;align-items:center;margin-top:1rem;color:#5b6475;font-size:.9rem}\
footer form{margin:0}\
main.wide{max-width:60rem}\
nav{display:flex;flex-wrap:wrap;gap:.25rem 1rem;align-items:center;margin:0 0 1rem}\
nav form{margin:0 0 0 auto}\
h2{font-size:1.1rem;margin:1.5rem 0 .5rem}\
.item{border-top:1px solid #e3e6ec;padding:.75rem 0}\
.item form{display:inline-block;margin:0 .5rem 0 0}\
.item button,button.inline{width:auto;margin:.5rem 0 0;padding:.4rem .9rem}\
.meta{color:#5b6475;font-size:.9rem;overflow-wrap:anywhere}\
code{overflow-wrap:anywhere}\
.check{display:flex;gap:.5rem;align-items:center;font-weight:400}\
a.button{display:block;margin-top:1rem;padding:.7rem;text-align:center;font-weight:600;border:1px solid #1f5fd6;border-radius:.5rem;color:#1f5fd6;text-decoration:none}";

/// The Content-Security-Policy: nothing but this page's own style sheet and forms.
pub fn content_security_policy() -> &'static str {
    static CSP: OnceLock<String> = OnceLock::new();
    CSP.get_or_init(|| {
        let hash = STANDARD.encode(Sha256::digest(STYLE.as_bytes()));
        format!(
            "default-src 'none'; style-src 'sha256-{hash}'; form-action 'self'; \
             frame-ancestors 'none'; base-uri 'none'"
        )
    })
}

fn layout(title: &str, body: Markup) -> String {
    page(title, false, body)
}

/// The page around `body`: `wide` for the console's lists.
pub(super) fn page(title: &str, wide: bool, body: Markup) -> String {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width,initial-scale=1";
                meta name="robots" content="noindex";
                title { (title) " · devicegate" }
                style { (PreEscaped(STYLE)) }
            }
            body { main.wide[wide] { div.card { (body) } } }
        }
    }
    .into_string()
}

pub(super) fn message(text: Option<&str>, class: &str) -> Markup {
    html! {
        @if let Some(text) = text {
            p class={ "msg " (class) } role="alert" { (text) }
        }
    }
}

pub(super) fn hidden(name: &str, value: &str) -> Markup {
    html! { input type="hidden" name=(name) value=(value); }
}

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

pub fn sign_in(
    csrf: &str,
    user_code: Option<&str>,
    error: Option<&str>,
    choices: &SignInChoices,
) -> String {
    layout(
        "Sign in",
        html! {
            h1 { "Sign in to connect a device" }
            (message(error, ""))
            @if choices.passwords {
                form method="post" action="/device" {
                    (hidden("csrf", csrf))
                    (hidden("action", "sign_in"))
                    @if let Some(code) = user_code { (hidden("user_code", code)) }
                    label for="username" { "Username" }
                    input type="text" id="username" name="username" autocomplete="username"
                        autocapitalize="none" required;
                    label for="password" { "Password" }
                    input type="password" id="password" name="password"
                        autocomplete="current-password" required;
                    button type="submit" { "Sign in" }
                }
            }
            (providers(choices))
        },
    )
}

/// What a sign-in page offers besides (or instead of) a password: one button per enabled
/// upstream identity provider.
pub struct SignInChoices<'a> {
    pub providers: &'a [ProviderButton],
    /// Whether the password form is shown (`LOCAL_PASSWORDS`).
    pub passwords: bool,
}

fn providers(choices: &SignInChoices) -> Markup {
    html! {
        @if !choices.providers.is_empty() {
            div.providers {
                @for provider in choices.providers {
                    p { a.button href=(provider.href) { "Sign in with " (provider.name) } }
                }
            }
        }
        @if choices.providers.is_empty() && !choices.passwords {
            p { "No way to sign in is set up here yet. Ask an administrator." }
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

/// The sign-in page of the authorization endpoint: `request` is the authorization request
/// itself (re-checked from scratch when the form comes back).
pub fn authorize_sign_in(
    action: &str,
    csrf: &str,
    request: &str,
    error: Option<&str>,
    choices: &SignInChoices,
) -> String {
    layout(
        "Sign in",
        html! {
            h1 { "Sign in to continue" }
            (message(error, ""))
            @if choices.passwords {
                form method="post" action=(action) {
                    (hidden("csrf", csrf))
                    (hidden("action", "sign_in"))
                    (hidden("request", request))
                    label for="username" { "Username" }
                    input type="text" id="username" name="username" autocomplete="username"
                        autocapitalize="none" required;
                    label for="password" { "Password" }
                    input type="password" id="password" name="password"
                        autocomplete="current-password" required;
                    button type="submit" { "Sign in" }
                }
            }
            (providers(choices))
        },
    )
}

/// The consent form's fixed parts: where it posts, its CSRF token, who is signed in, where the
/// answer goes, and the request it carries.
pub struct ConsentForm<'a> {
    pub action: &'a str,
    pub csrf: &'a str,
    pub who: &'a str,
    pub return_to: &'a str,
    pub request: &'a str,
}

fn consent_buttons(form: &ConsentForm<'_>) -> Markup {
    html! {
        p.meta { "You will be sent back to " code { (form.return_to) } "." }
        form method="post" action=(form.action) {
            (hidden("csrf", form.csrf))
            (hidden("request", form.request))
            button type="submit" name="action" value="approve" { "Allow" }
            button.deny type="submit" name="action" value="deny" { "Deny" }
        }
        footer {
            span { "Signed in as " b { (form.who) } }
            form method="post" action=(form.action) {
                (hidden("csrf", form.csrf))
                (hidden("request", form.request))
                (hidden("action", "sign_out"))
                button.link type="submit" { "Sign out" }
            }
        }
    }
}

fn scope_list(scope: &crate::model::Scope) -> Markup {
    html! {
        @if scope.is_empty() {
            p { "It asks for no particular scope." }
        } @else {
            p { "It asks for:" }
            ul { @for token in scope.tokens() { li { code { (token) } } } }
        }
    }
}

/// Who asks for what, and where the answer goes; approve or deny, explicitly.
pub fn consent(
    form: ConsentForm<'_>,
    client: &crate::model::OAuthClient,
    scope: &crate::model::Scope,
) -> String {
    layout(
        "Allow access",
        html! {
            h1 { "Allow access?" }
            @if client.self_registered() {
                (message(
                    Some("This application registered itself; devicegate has not verified who made it."),
                    "warn",
                ))
                p {
                    "An application calling itself "
                    b { "\u{201c}" bdi { (client.client_name) } "\u{201d}" }
                    " (unverified) wants to act on your behalf."
                }
            } @else {
                p { b { (client.client_name) } " wants to act on your behalf." }
            }
            (scope_list(scope))
            (consent_buttons(&form))
        },
    )
}

/// VMware mobile registration: which app, on which device (as the app describes it), asks to
/// be registered to the signed-in person.
pub fn register_app(
    form: ConsentForm<'_>,
    registration: &crate::usecases::vmware::ValidRegistration,
) -> String {
    layout(
        "Register this app?",
        html! {
            h1 { "Register this app?" }
            p {
                "The app " b { (registration.template.template_id) } " on "
                b { "\u{201c}" bdi { (registration.device_name) } "\u{201d}" }
                " asks to be registered to you."
            }
            @if !registration.device_details.is_empty() {
                p { "The device says about itself (unverified):" }
                ul {
                    @for (name, value) in &registration.device_details {
                        li { code { (name) } ": " bdi { (value) } }
                    }
                }
            }
            (scope_list(&registration.scope))
            (consent_buttons(&form))
        },
    )
}

/// An error page, with a link to where the person can start again.
pub fn failure(text: &str, start: &str) -> String {
    layout(
        "Something went wrong",
        html! {
            h1 { "Something went wrong" }
            (message(Some(text), ""))
            p { a href=(start) { "Start again" } }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csp_pins_the_style_sheet() {
        let csp = content_security_policy();
        assert!(csp.contains("style-src 'sha256-"));
        assert!(!csp.contains("unsafe-inline"));
    }

    #[test]
    fn sign_in_page_carries_the_code_and_csrf_escaped() {
        let choices = SignInChoices {
            providers: &[],
            passwords: true,
        };
        let html = sign_in("tok\"en", Some("BCDF-GHJK"), Some("<script>"), &choices);
        assert!(html.contains("value=\"tok&quot;en\""), "{html}");
        assert!(html.contains("value=\"BCDF-GHJK\""));
        assert!(!html.contains("<script>"));
        assert!(html.contains("&lt;script&gt;"));
        assert!(html.contains("width=device-width"));
    }

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
