//! The console's form fields, and what was typed into a form the console refused: the page
//! that says why shows that form again as it was sent (never a password or a secret), the
//! other forms as they were.

use std::collections::HashMap;

use maud::{Markup, html};

/// What one refused form held: its action, the item it named, and its fields.
#[derive(Debug, Default)]
pub struct Typed {
    action: String,
    id: Option<String>,
    values: HashMap<String, String>,
}

/// The typed values of the one form being refilled, if this is it.
pub type Refill<'a> = Option<&'a HashMap<String, String>>;

/// Fields never shown again: credentials, and the form's own machinery.
fn kept(name: &str) -> bool {
    !(name.contains("password")
        || name.contains("secret")
        || matches!(name, "csrf" | "action" | "confirm" | "admin_key"))
}

impl Typed {
    /// Nothing refused: every form as it first is.
    pub fn none() -> Typed {
        Typed::default()
    }

    /// The fields of a refused form of `action` (one on an item names it by `id`).
    pub fn from_form<'a>(action: &str, fields: impl Iterator<Item = (&'a str, &'a str)>) -> Typed {
        let values: HashMap<String, String> = fields
            .filter(|(name, _)| kept(name))
            .map(|(name, value)| (name.to_owned(), value.to_owned()))
            .collect();
        Typed {
            action: action.to_owned(),
            id: values.get("id").cloned(),
            values,
        }
    }

    /// The values to refill the form of `action` (on the item `id`) with, if it was refused.
    pub fn of(&self, action: &str, id: Option<&str>) -> Refill<'_> {
        (self.action == action && self.id.as_deref() == id).then_some(&self.values)
    }
}

/// A labelled input: the typed value, else `current`.
pub fn input(
    refill: Refill,
    (id, label): (&str, &str),
    kind: &str,
    required: bool,
    current: Option<&str>,
) -> Markup {
    let value = refill
        .map(|typed| typed.get(id).map(String::as_str))
        .unwrap_or(current);
    html! {
        label for=(id) { (label) }
        input type=(kind) id=(id) name=(id) value=[value] autocomplete="off"
            autocapitalize="none" required[required];
    }
}

/// A labelled text area, one value a line.
pub fn lines(refill: Refill, (id, label): (&str, &str), rows: u32) -> Markup {
    let value = refill
        .and_then(|typed| typed.get(id))
        .map_or("", String::as_str);
    html! {
        label for=(id) { (label) }
        textarea id=(id) name=(id) rows=(rows) autocomplete="off" autocapitalize="none"
            spellcheck="false" { (value) }
    }
}

/// A checkbox: as typed, else `current`. `id` may differ from the field name to keep ids
/// unique on a page with one form per item.
pub fn check(refill: Refill, (id, name, label): (&str, &str, &str), current: bool) -> Markup {
    let checked = refill.map_or(current, |typed| typed.contains_key(name));
    html! {
        label.check for=(id) {
            input type="checkbox" id=(id) name=(name) value="on" checked[checked]; (label)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_form_comes_back_without_its_secrets() {
        let sent = [
            ("csrf", "t"),
            ("action", "create"),
            ("username", "grace"),
            ("password", "hunter2 hunter2"),
            ("client_secret", "s"),
        ];
        let typed = Typed::from_form("create", sent.into_iter());
        let refill = typed.of("create", None);
        let html = input(refill, ("username", "Username"), "text", true, None).into_string();
        assert!(html.contains("value=\"grace\""), "{html}");
        let html = input(refill, ("password", "P"), "password", true, None).into_string();
        assert!(!html.contains("hunter2"), "{html}");
        assert!(typed.of("disable", None).is_none());
        assert!(refill.is_some_and(|r| !r.contains_key("client_secret")));
    }
}
