//! The sign-in pages: the device page's and the authorization endpoint's, each a password
//! form (where local passwords are on) and a button per enabled identity provider.

use maud::{Markup, html};

use super::frame::{hidden, layout, message};
use super::verification::brand;
use crate::config::PageSettings;
use crate::usecases::federation::ProviderButton;

pub fn sign_in(
    csrf: &str,
    user_code: Option<&str>,
    error: Option<&str>,
    choices: &SignInChoices,
) -> String {
    layout(
        "Sign in",
        html! {
            (brand(choices.pages))
            h1 { "Sign in to connect a device" }
            (message(error, ""))
            @if choices.passwords {
                form method="post" action="/device" {
                    (hidden("csrf", csrf))
                    (hidden("action", "sign_in"))
                    @if let Some(code) = user_code { (hidden("user_code", code)) }
                    (username_field(choices.username))
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
    /// The username typed last time (a wrong password keeps it; the password is never kept).
    pub username: Option<&'a str>,
    /// The organisation's name and logo.
    pub pages: &'a PageSettings,
}

fn username_field(typed: Option<&str>) -> Markup {
    html! {
        label for="username" { "Username" }
        input type="text" id="username" name="username" autocomplete="username"
            autocapitalize="none" value=(typed.unwrap_or("")) required;
    }
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
            p { "No way to sign in is set up here yet. Ask your administrator to set one up." }
        }
    }
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
            (brand(choices.pages))
            h1 { "Sign in to continue" }
            (message(error, ""))
            @if choices.passwords {
                form method="post" action=(action) {
                    (hidden("csrf", csrf))
                    (hidden("action", "sign_in"))
                    (hidden("request", request))
                    (username_field(choices.username))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_in_page_carries_the_code_and_csrf_escaped() {
        let pages = PageSettings::default();
        let choices = SignInChoices {
            providers: &[],
            passwords: true,
            username: Some("ad\"a"),
            pages: &pages,
        };
        let html = sign_in("tok\"en", Some("BCDF-GHJK"), Some("<script>"), &choices);
        assert!(html.contains("value=\"tok&quot;en\""), "{html}");
        assert!(html.contains("value=\"BCDF-GHJK\""));
        assert!(
            html.contains("value=\"ad&quot;a\""),
            "the username is kept: {html}"
        );
        assert!(!html.contains("<script>"));
        assert!(html.contains("&lt;script&gt;"));
        assert!(html.contains("width=device-width"));
    }
}
