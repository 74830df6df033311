//! What a provider's settings ask of a verified ID token's claims: the required claims, the
//! email domains, and the username a new user gets.

use serde_json::{Map, Value};

use crate::error::Error;
use crate::model::{IdentityProvider, Username};

/// What a user record takes from the claims.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Person {
    pub username: String,
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub email_verified: bool,
}

fn text<'a>(claims: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    claims
        .get(name)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

/// A verified email: `email` with `email_verified` true (a bool, or the string "true" some
/// providers send).
fn verified_email(claims: &Map<String, Value>) -> Option<&str> {
    let verified = match claims.get("email_verified") {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s == "true",
        _ => false,
    };
    text(claims, "email").filter(|_| verified)
}

fn refused(provider: &IdentityProvider, why: String) -> Error {
    Error::AccessDenied(format!(
        "your {} account may not sign in here: {why}",
        provider.name
    ))
}

/// Whether every claim of `wanted` holds: a string claim equal to the value, or a list
/// holding it; gives the first that does not.
fn lacking<'a>(
    wanted: &'a std::collections::BTreeMap<String, String>,
    claims: &Map<String, Value>,
) -> Option<(&'a String, &'a String)> {
    wanted.iter().find(|(name, value)| {
        let holds = match claims.get(*name) {
            Some(Value::String(s)) => s == *value,
            Some(Value::Array(items)) => items.iter().any(|v| v.as_str() == Some(value.as_str())),
            Some(Value::Bool(b)) => b.to_string() == **value,
            Some(Value::Number(n)) => n.to_string() == **value,
            _ => false,
        };
        !holds
    })
}

/// Checks `required_claims` and `allowed_email_domains` (a verified email in one of them).
pub fn admit(provider: &IdentityProvider, claims: &Map<String, Value>) -> Result<(), Error> {
    if let Some((name, wanted)) = lacking(&provider.required_claims, claims) {
        return Err(refused(provider, format!("it lacks {name} = {wanted}")));
    }
    if !provider.allowed_email_domains.is_empty() {
        let domain = verified_email(claims)
            .and_then(|e| e.rsplit_once('@'))
            .map(|(_, d)| d.to_ascii_lowercase());
        let allowed = domain
            .as_ref()
            .is_some_and(|d| provider.allowed_email_domains.iter().any(|a| a == d));
        if !allowed {
            return Err(refused(
                provider,
                "its verified email is not in a domain allowed here".into(),
            ));
        }
    }
    Ok(())
}

/// Checks, on top of [`admit`], that the provider signs in administrators and that the claims
/// carry its `admin_claims`.
pub fn admit_admin(provider: &IdentityProvider, claims: &Map<String, Value>) -> Result<(), Error> {
    admit(provider, claims)?;
    if provider.admin_claims.is_empty() {
        return Err(refused(
            provider,
            "it does not sign in administrators".into(),
        ));
    }
    match lacking(&provider.admin_claims, claims) {
        Some((name, wanted)) => Err(Error::AccessDenied(format!(
            "your {} account may not administer devicegate: it lacks {name} = {wanted}",
            provider.name
        ))),
        None => Ok(()),
    }
}

/// The person the claims describe; the username from `username_claim`, else `email`.
pub fn person(provider: &IdentityProvider, claims: &Map<String, Value>) -> Result<Person, Error> {
    let raw = text(claims, &provider.username_claim)
        .or_else(|| text(claims, "email"))
        .ok_or_else(|| {
            refused(
                provider,
                format!("it carries neither {} nor email", provider.username_claim),
            )
        })?;
    let username = Username::parse(raw).map_err(|_| {
        refused(
            provider,
            "its name is not a devicegate username (1 to 64 letters, digits, '.', '_', '@', '-')"
                .into(),
        )
    })?;
    let email = text(claims, "email")
        .filter(|e| e.len() <= 254)
        .map(str::to_owned);
    Ok(Person {
        username: username.as_str().to_owned(),
        display_name: text(claims, "name")
            .map(|n| n.chars().take(256).collect::<String>())
            .filter(|n| !n.chars().any(char::is_control)),
        email_verified: email.is_some() && verified_email(claims).is_some(),
        email,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::collections::BTreeMap;

    fn provider() -> IdentityProvider {
        IdentityProvider {
            id: "idp_01JB0000000000000000000000".into(),
            name: "Corp".into(),
            issuer: "https://login.example.com".into(),
            client_id: "dg".into(),
            client_secret_sealed: "v1.x".into(),
            scopes: vec!["openid".into()],
            username_claim: "preferred_username".into(),
            allowed_email_domains: vec![],
            required_claims: BTreeMap::new(),
            admin_claims: BTreeMap::new(),
            jit: true,
            enabled: true,
            created_at: 0,
            updated_at: 0,
        }
    }

    fn claims(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn required_claims_match_a_value_or_a_list_member() {
        let mut p = provider();
        p.required_claims.insert("groups".into(), "fleet".into());
        assert!(admit(&p, &claims(json!({"groups": ["a", "fleet"]}))).is_ok());
        assert!(admit(&p, &claims(json!({"groups": "fleet"}))).is_ok());
        assert!(admit(&p, &claims(json!({"groups": ["fleetx"]}))).is_err());
        assert!(admit(&p, &claims(json!({}))).is_err());
    }

    #[test]
    fn email_domains_need_a_verified_email() {
        let mut p = provider();
        p.allowed_email_domains = vec!["example.com".into()];
        let ok = json!({"email": "ada@Example.com", "email_verified": true});
        assert!(admit(&p, &claims(ok)).is_ok());
        let unverified = json!({"email": "ada@example.com", "email_verified": false});
        assert!(admit(&p, &claims(unverified)).is_err());
        let other = json!({"email": "eve@evil.example", "email_verified": true});
        assert!(admit(&p, &claims(other)).is_err());
        let tricky = json!({"email": "eve@example.com@evil.example", "email_verified": true});
        assert!(admit(&p, &claims(tricky)).is_err());
    }

    #[test]
    fn the_username_comes_from_the_claim_then_email() -> Result<(), Error> {
        let p = provider();
        let both = json!({"preferred_username": "ada", "email": "a@x.io", "email_verified": true});
        let person = person(&p, &claims(both))?;
        assert_eq!(person.username, "ada");
        assert!(person.email_verified);
        let email_only = json!({"email": "bob@x.io"});
        let bob = super::person(&p, &claims(email_only))?;
        assert_eq!(
            (bob.username.as_str(), bob.email_verified),
            ("bob@x.io", false)
        );
        assert!(super::person(&p, &claims(json!({"preferred_username": "a b"}))).is_err());
        assert!(super::person(&p, &claims(json!({"sub": "x"}))).is_err());
        Ok(())
    }
}
