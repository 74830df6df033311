//! The authorization endpoint's consent pages: who asks for what and where the answer goes,
//! for a client (RFC 6749 §4.1) and for VMware's mobile registration.

use maud::{Markup, html};

use super::frame::{hidden, layout, message};

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
                    Some("This application registered itself. Its maker is not verified: allow it only if you trust it."),
                    "warn",
                ))
                p {
                    "An application calling itself "
                    b { "\u{201c}" bdi { (client.client_name) } "\u{201d}" }
                    " (unverified) wants to act on your behalf."
                }
            } @else {
                p { b { (client.client_name) } " wants to act on your behalf." }
                p.badge { "Registered by your administrator" }
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
