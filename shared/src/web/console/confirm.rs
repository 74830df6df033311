//! The step before a destructive action (deny, revoke, disable, delete), without script: the
//! action's button posts here first, and this page says what will happen to what; its Confirm
//! button posts the same fields again with `confirm=yes` and the CSRF token, and only that
//! post acts. Cancel goes back to the list.

use maud::{Markup, html};

use super::Section;
use crate::web::pages::{hidden, page};

/// Whether `action` destroys or stops something, and so asks first.
pub fn is_destructive(action: &str) -> bool {
    matches!(action, "deny" | "revoke" | "disable" | "delete")
}

/// The field a confirmed form carries to say the person confirmed.
pub const CONFIRM_FIELD: &str = "confirm";

/// What an action of a section asks first: the question, what will happen, and what the item
/// is called; `None` for an action that asks nothing.
fn describe(section: Section, action: &str) -> Option<(&'static str, &'static str, &'static str)> {
    Some(match (section, action) {
        (Section::Devices, "deny") => (
            "Deny this device?",
            "Its registration is refused: the device gets no tokens, and its next poll is told so.",
            "Device",
        ),
        (Section::Devices, "revoke") => (
            "Revoke this device?",
            "Its tokens stop working at once and it cannot get new ones.",
            "Device",
        ),
        (Section::ApiKeys, "disable") => (
            "Disable this API key?",
            "Registrations, tokens and logins under this key stop at once.",
            "API key",
        ),
        (Section::Clients, "delete") => (
            "Delete this client?",
            "Its tokens are revoked and the client is removed for good.",
            "Client",
        ),
        (Section::Clients, "disable") => (
            "Disable this client?",
            "Its tokens stop refreshing and are no longer accepted.",
            "Client",
        ),
        (Section::Users, "disable") => (
            "Disable this user?",
            "The user can no longer sign in or approve devices.",
            "User",
        ),
        (Section::IdentityProviders, "delete") => (
            "Delete this identity provider?",
            "It is removed for good: nobody can sign in through it any more.",
            "Identity provider",
        ),
        (Section::IdentityProviders, "disable") => (
            "Disable this identity provider?",
            "Its sign-in button goes away until you enable it again.",
            "Identity provider",
        ),
        (Section::Templates, "disable") => (
            "Disable this template?",
            "Apps can no longer register with it; instances already registered keep working.",
            "Template",
        ),
        (Section::InitialAccessTokens, "disable") => (
            "Disable this initial access token?",
            "Clients can no longer register with it.",
            "Initial access token",
        ),
        _ => return None,
    })
}

/// Whether `action` of `section` destroys or stops something, and so asks first.
pub fn asks_first(section: Section, action: &str) -> bool {
    describe(section, action).is_some()
}

/// The label of the Confirm button: the action's own verb.
fn verb(action: &str) -> &'static str {
    match action {
        "deny" => "Deny",
        "revoke" => "Revoke",
        "delete" => "Delete",
        _ => "Disable",
    }
}

/// The confirmation page of `action` on the item `target` (its field and value), in `section`.
pub fn confirm(csrf: &str, section: Section, action: &str, target: (&str, &str)) -> String {
    let (question, consequence, noun) =
        describe(section, action).unwrap_or(("Are you sure?", "This cannot be undone.", "Item"));
    let body: Markup = html! {
        h1 { (question) }
        p { (noun) ": " b { code id="confirm-target" { (target.1) } } }
        p.msg.warn role="alert" { (consequence) " Confirm to go ahead, or cancel to change nothing." }
        form.confirm method="post" action=(section.path()) {
            (hidden("csrf", csrf))
            (hidden("action", action))
            (hidden(target.0, target.1))
            (hidden(CONFIRM_FIELD, "yes"))
            button.deny type="submit" { (verb(action)) }
        }
        a.button.cancel href=(section.path()) { "Cancel" }
    };
    page(question, false, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_confirm_button_re_posts_the_item_with_the_token() {
        let html = confirm("tok", Section::Clients, "delete", ("client_id", "c<1>"));
        assert!(html.contains("Delete this client?"), "{html}");
        assert!(html.contains("name=\"csrf\" value=\"tok\""), "{html}");
        assert!(html.contains("name=\"confirm\" value=\"yes\""), "{html}");
        assert!(
            html.contains("name=\"client_id\" value=\"c&lt;1&gt;\""),
            "{html}"
        );
        assert!(html.contains("href=\"/admin/console/clients\""), "{html}");
        assert!(is_destructive("deny") && !is_destructive("approve"));
        assert!(asks_first(Section::Devices, "deny") && !asks_first(Section::Devices, "delete"));
        for s in Section::ALL {
            assert!(!asks_first(s, "create"));
        }
    }
}
