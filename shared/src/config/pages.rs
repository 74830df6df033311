//! What the pages show about the organisation running devicegate: its name and logo, and what
//! each scope means in words a person reads before approving.

use std::collections::BTreeMap;

/// `ORGANIZATION_NAME`, `ORGANIZATION_LOGO_URL` and `SCOPE_DESCRIPTIONS`, read at cold start.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PageSettings {
    /// `ORGANIZATION_NAME`: shown at the top of every page (unset: none).
    pub organization_name: Option<String>,
    /// `ORGANIZATION_LOGO_URL`: an `https` image shown beside the name (unset: none).
    pub organization_logo_url: Option<String>,
    /// `SCOPE_DESCRIPTIONS`: a JSON object, scope to description, over the built-in ones.
    pub scope_descriptions: BTreeMap<String, String>,
}

/// The descriptions every deployment has, unless `SCOPE_DESCRIPTIONS` says otherwise.
const BUILT_IN: &[(&str, &str)] = &[
    ("openid", "Sign you in"),
    ("profile", "See your name"),
    ("email", "See your email address"),
    ("offline_access", "Stay signed in until you sign it out"),
];

/// The longest name or description a setting may give (a page shows them whole).
const MAX_TEXT: usize = 200;

impl PageSettings {
    /// Reads the three settings from `value` (unset and empty already `None`).
    pub fn from_lookup(value: impl Fn(&str) -> Option<String>) -> Result<PageSettings, String> {
        let organization_name = value("ORGANIZATION_NAME")
            .map(|name| text("ORGANIZATION_NAME", name.trim()))
            .transpose()?;
        let organization_logo_url = value("ORGANIZATION_LOGO_URL")
            .map(|url| logo_url(url.trim()))
            .transpose()?;
        let scope_descriptions = match value("SCOPE_DESCRIPTIONS") {
            None => BTreeMap::new(),
            Some(json) => descriptions(&json)?,
        };
        Ok(PageSettings {
            organization_name,
            organization_logo_url,
            scope_descriptions,
        })
    }

    /// What `scope` means, in words: the configured description, else the built-in one.
    pub fn describe(&self, scope: &str) -> Option<&str> {
        self.scope_descriptions
            .get(scope)
            .map(String::as_str)
            .or_else(|| BUILT_IN.iter().find(|(s, _)| *s == scope).map(|(_, d)| *d))
    }
}

fn text(name: &str, value: &str) -> Result<String, String> {
    if value.chars().count() > MAX_TEXT || value.chars().any(char::is_control) {
        return Err(format!(
            "{name} is {value:?}; use plain text of at most {MAX_TEXT} characters"
        ));
    }
    Ok(value.to_owned())
}

fn logo_url(text: &str) -> Result<String, String> {
    let ok = url::Url::parse(text).is_ok_and(|url| {
        url.scheme() == "https" && url.host_str().is_some() && url.username().is_empty()
    });
    if !ok || text.len() > 2048 {
        return Err(format!(
            "ORGANIZATION_LOGO_URL is {text:?}; use an https URL of an image, e.g. \
             https://example.com/logo.png"
        ));
    }
    Ok(text.to_owned())
}

fn descriptions(json: &str) -> Result<BTreeMap<String, String>, String> {
    let refuse = |why: &str| {
        format!(
            "SCOPE_DESCRIPTIONS: {why}; use a JSON object of scope to description, e.g. \
             {{\"read\":\"Read your files\"}}"
        )
    };
    let parsed: BTreeMap<String, String> =
        serde_json::from_str(json).map_err(|e| refuse(&e.to_string()))?;
    for (scope, description) in &parsed {
        if !crate::model::Scope::parse(scope).is_ok_and(|s| s.tokens() == [scope.clone()]) {
            return Err(refuse(&format!("{scope:?} is not one scope")));
        }
        text("SCOPE_DESCRIPTIONS", description).map_err(|e| refuse(&e))?;
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(vars: &[(&str, &str)]) -> Result<PageSettings, String> {
        PageSettings::from_lookup(|name| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (*v).to_owned())
        })
    }

    #[test]
    fn descriptions_override_the_built_in_ones() -> Result<(), String> {
        let s = read(&[
            (
                "SCOPE_DESCRIPTIONS",
                r#"{"read":"Read your files","email":"Your mail"}"#,
            ),
            ("ORGANIZATION_NAME", " Acme Corp "),
            ("ORGANIZATION_LOGO_URL", "https://acme.example/logo.png"),
        ])?;
        assert_eq!(s.describe("read"), Some("Read your files"));
        assert_eq!(s.describe("email"), Some("Your mail"));
        assert_eq!(s.describe("openid"), Some("Sign you in"));
        assert_eq!(s.describe("write"), None);
        assert_eq!(s.organization_name.as_deref(), Some("Acme Corp"));
        assert_eq!(read(&[])?, PageSettings::default());
        Ok(())
    }

    #[test]
    fn a_bad_value_names_its_setting() {
        for (name, bad) in [
            ("SCOPE_DESCRIPTIONS", "read=Read your files"),
            ("SCOPE_DESCRIPTIONS", r#"{"read write":"Both"}"#),
            ("SCOPE_DESCRIPTIONS", r#"{"read":1}"#),
            ("ORGANIZATION_LOGO_URL", "http://acme.example/logo.png"),
            ("ORGANIZATION_LOGO_URL", "logo.png"),
            ("ORGANIZATION_NAME", "Acme\nCorp"),
        ] {
            let error = read(&[(name, bad)]).err();
            assert!(
                error.as_deref().is_some_and(|e| e.contains(name)),
                "{name}={bad:?}: {error:?}"
            );
        }
    }
}
