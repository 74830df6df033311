//! The console's users section: make a user, see who signs in through a provider, lift a
//! wrong-code limit, disable a user or set a new password.

use std::collections::HashMap;

use maud::{Markup, html};

use super::fields::{Typed, check, input};
use super::format::time;
use super::{Section, button, create_form, form, history};
use crate::model::User;
use crate::usecases::admin::LimitState;
use crate::web::pages::hidden;

/// A wait in words: "2 h 24 min", "3 min", "under a minute".
fn wait_in_words(seconds: i64) -> String {
    let minutes = (seconds + 59) / 60;
    match (minutes / 60, minutes % 60) {
        (0, 0) => "under a minute".into(),
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    }
}

pub(super) fn list(
    csrf: &str,
    now: i64,
    users: &[User],
    limits: &HashMap<String, LimitState>,
    typed: &Typed,
) -> Markup {
    let s = Section::Users;
    let refill = typed.of("create", None);
    html! {
        (create_form(csrf, s, "New user", html! {
            (input(refill, ("username", "Username"), "text", true, None))
            (input(None, ("password", "Password"), "password", true, None))
            (input(refill, ("display_name", "Display name (optional)"), "text", false, None))
            (input(refill, ("email", "Email (optional)"), "email", false, None))
            (check(refill, ("email_verified", "email_verified", "The email address is verified"), false))
        }))
        h2 { "Users (" (users.len()) ")" }
        @for u in users {
            div.item id={ "user-" (u.username) } {
                b { (u.username) } @if u.disabled { " (disabled)" }
                div.meta {
                    @if let Some(name) = &u.display_name { bdi { (name) } " · " }
                    @if let Some(email) = &u.email { (email) @if u.email_verified { " (verified)" } " · " }
                    "created " (time(u.created_at, now))
                    @if let Some(f) = &u.federation {
                        " · signs in through " code { (f.provider_id) } " as " code { (f.subject) }
                    }
                }
                @if let Some(limit) = limits.get(&u.username) {
                    p.limit {
                        @if limit.remaining == 0 {
                            "Held back after wrong codes: next try in "
                            (wait_in_words(limit.retry_after_seconds)) ". "
                        } @else {
                            (limit.burst - limit.remaining) " wrong codes recently. "
                        }
                    }
                    (button(csrf, s, "unlock", ("username", &u.username), "Lift limits"))
                }
                @if !u.disabled { (button(csrf, s, "disable", ("username", &u.username), "Disable")) }
                (form(csrf, &s.path(), "password", html! {
                    (hidden("username", &u.username))
                    input type="password" name="password" aria-label="New password"
                        autocomplete="new-password" required;
                    button.inline type="submit" { "Reset password" }
                }))
                (history(&u.username))
            }
        }
    }
}
