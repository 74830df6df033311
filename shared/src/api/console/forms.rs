//! The console's create and change forms read as the admin use cases' inputs: the same
//! structs the JSON admin API builds from its bodies. A field the console can judge itself
//! (one left empty, a number that is not one) is refused here with a sentence saying what to
//! do; everything else is the use case's to judge.

use crate::error::Error;
use crate::http::Form;
use crate::model::{GrantType, OAuthClientType, Scope};
use crate::usecases::admin::{ApiKeySettingsChange, NewClient, NewInitialAccessToken, NewTemplate};
use crate::web::console::grant_field;

/// The fields the use cases name in their refusals, as the console's forms label them.
const LABELS: [(&str, &str); 13] = [
    ("allowed_sources", "allowed networks"),
    ("access_token_ttl", "the access token lifetime"),
    ("refresh_token_ttl", "the refresh token lifetime"),
    ("client_name", "the name"),
    ("client_type", "the type"),
    ("grant_types", "the grant types"),
    ("redirect_uris", "the redirect URIs"),
    ("redirect_uri", "a redirect URI"),
    ("template_id", "the template id"),
    ("max_uses", "registrations it allows"),
    ("expires_in", "expires in"),
    ("username", "the username"),
    ("password", "the password"),
];

/// A use case's refusal as the console says it: the field by its label, and what to do next.
pub(super) fn humane(text: &str) -> String {
    let mut out = text.trim().trim_end_matches('.').to_owned();
    for (field, label) in LABELS {
        let starts = out.starts_with(field)
            && !out[field.len()..].starts_with(|c: char| c == '_' || c.is_alphanumeric());
        if starts {
            out = format!("{label}{}", &out[field.len()..]);
        }
    }
    let says_what_to_do = [
        "correct", "try", "choose", "retry", "give", "tick", "disable", "sign in",
    ]
    .iter()
    .any(|verb| out.to_lowercase().contains(verb));
    if says_what_to_do {
        format!("{out}.")
    } else {
        format!("{out}. Correct it and try again.")
    }
}

/// A text field the person must fill, or `ask` as the refusal.
fn needed<'a>(form: &'a Form, field: &str, ask: &str) -> Result<&'a str, Error> {
    form.optional(field)
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| Error::invalid_request(ask))
}

/// An optional whole number from a form field (`what` names it in the refusal).
pub(super) fn number(form: &Form, field: &str, what: &str) -> Result<Option<i64>, Error> {
    form.optional(field)
        .map(|text| {
            text.trim().parse().map_err(|_| {
                Error::invalid_request(format!("{what} must be a whole number: correct it"))
            })
        })
        .transpose()
}

/// A text area's lines, each trimmed, empty ones dropped.
fn lines(form: &Form, field: &str) -> Vec<String> {
    form.optional(field)
        .map(|text| {
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

fn scopes(form: &Form) -> Result<Scope, Error> {
    let text = form.optional("scopes").unwrap_or("");
    Scope::from_tokens(
        text.split([' ', ',', '\n'])
            .map(str::trim)
            .filter(|t| !t.is_empty()),
    )
    .map_err(|e| Error::invalid_request(e.description()))
}

fn ticked(form: &Form, field: &str) -> bool {
    form.optional(field).is_some()
}

pub(super) fn new_client(form: &Form) -> Result<NewClient, Error> {
    let name = needed(form, "client_name", "give the client a name")?;
    let client_type = OAuthClientType::parse_field(
        "client_type",
        form.optional("client_type").unwrap_or("public"),
    )?;
    let grant_types: Vec<GrantType> = GrantType::ALL
        .iter()
        .copied()
        .filter(|g| ticked(form, &grant_field(*g)))
        .collect();
    if grant_types.is_empty() {
        return Err(Error::invalid_request("tick at least one grant type"));
    }
    Ok(NewClient {
        scopes: scopes(form)?,
        redirect_uris: lines(form, "redirect_uris"),
        access_token_ttl: number(form, "access_token_ttl", "the access token lifetime")?,
        refresh_token_ttl: number(form, "refresh_token_ttl", "the refresh token lifetime")?,
        introspection: ticked(form, "introspection"),
        ..NewClient::new(name, client_type, grant_types)
    })
}

pub(super) fn new_template(form: &Form) -> Result<NewTemplate, Error> {
    let template_id = needed(form, "template_id", "give the template an id")?;
    let redirect_uris = lines(form, "redirect_uris");
    if redirect_uris.is_empty() {
        return Err(Error::invalid_request(
            "give at least one redirect URI, one a line",
        ));
    }
    Ok(NewTemplate {
        template_id: template_id.to_owned(),
        redirect_uris,
        scopes: scopes(form)?,
        access_token_ttl: number(form, "access_token_ttl", "the access token lifetime")?,
        refresh_token_ttl: number(form, "refresh_token_ttl", "the refresh token lifetime")?,
        issue_refresh_tokens: ticked(form, "issue_refresh_tokens"),
    })
}

pub(super) fn new_token(form: &Form) -> Result<NewInitialAccessToken, Error> {
    let name = needed(form, "name", "give the token a name")?;
    let hours = number(form, "expires_in_hours", "expires in")?.unwrap_or(24);
    if !(1..=720).contains(&hours) {
        return Err(Error::invalid_request(
            "expires in must be 1 to 720 hours: correct it",
        ));
    }
    Ok(NewInitialAccessToken {
        name: name.to_owned(),
        max_uses: number(form, "max_uses", "registrations it allows")?,
        expires_in: hours * 3600,
    })
}

/// A `datetime-local` minute (`2026-12-31T10:00`, UTC) as epoch seconds.
fn minute(form: &Form, field: &str, what: &str) -> Result<Option<i64>, Error> {
    form.optional(field)
        .map(|text| {
            chrono::NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%dT%H:%M")
                .map(|t| t.and_utc().timestamp())
                .map_err(|_| {
                    Error::invalid_request(format!(
                        "{what} must be a date and time such as 2026-12-31T10:00: correct it"
                    ))
                })
        })
        .transpose()
}

/// An API key's settings form: every checkbox as ticked, the lifetimes and expiry as given
/// (an empty expiry keeps the one it has), the allowed networks one a line.
pub(super) fn settings_change(form: &Form) -> Result<ApiKeySettingsChange, Error> {
    Ok(ApiKeySettingsChange {
        auto_trust: Some(ticked(form, "auto_trust")),
        allow_untrusted_endpoints: Some(ticked(form, "allow_untrusted_endpoints")),
        allow_unauthenticated_requests: Some(ticked(form, "allow_unauthenticated_requests")),
        access_token_ttl: number(form, "access_token_ttl", "the access token lifetime")?,
        refresh_token_ttl: number(form, "refresh_token_ttl", "the refresh token lifetime")?,
        expires_at: minute(form, "expires_at", "the expiry")?,
        allowed_sources: Some(lines(form, "allowed_sources")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_expiry_is_a_minute_in_utc() -> Result<(), Error> {
        let form = Form::parse(b"expires_at=2026-12-31T10%3A00&bad=tomorrow")?;
        assert_eq!(minute(&form, "expires_at", "x")?, Some(1_798_711_200));
        assert!(minute(&form, "bad", "the expiry").is_err());
        assert_eq!(minute(&form, "absent", "x")?, None);
        Ok(())
    }

    #[test]
    fn a_refusal_names_the_field_by_its_label_and_says_what_to_do() {
        assert_eq!(
            humane("access_token_ttl must be between 60 and 86400 seconds"),
            "the access token lifetime must be between 60 and 86400 seconds. Correct it and try again."
        );
        assert_eq!(
            humane("tick at least one grant type"),
            "tick at least one grant type."
        );
        assert_eq!(
            humane("passwords differ"),
            "passwords differ. Correct it and try again."
        );
    }
}
