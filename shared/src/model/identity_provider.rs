//! Upstream identity providers (OpenID Connect) that people may sign in with on the pages, the
//! link of an upstream account to a devicegate user, and a sign-in on its way to a provider.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// The scopes asked of a provider unless told otherwise.
pub const DEFAULT_SCOPES: [&str; 3] = ["openid", "email", "profile"];
/// The claim a username is taken from unless told otherwise (`email` when it is absent).
pub const DEFAULT_USERNAME_CLAIM: &str = "preferred_username";

/// An upstream OpenID Provider (table `IdentityProvidersTable`, key `id` = `idp_<ULID>`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityProvider {
    pub id: String,
    /// Shown on the sign-in button.
    pub name: String,
    /// Its issuer: discovery is `<issuer>/.well-known/openid-configuration`, and every ID
    /// token's `iss` must be exactly this.
    pub issuer: String,
    pub client_id: String,
    /// The client secret, sealed under a key derived from the server secret
    /// ([`crate::federation::sealing`]); never answered, never logged.
    pub client_secret_sealed: String,
    pub scopes: Vec<String>,
    pub username_claim: String,
    /// When not empty, only people whose verified email is in one of these domains.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_email_domains: Vec<String>,
    /// Claims the ID token must carry with these values (a list claim must contain it).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub required_claims: BTreeMap<String, String>,
    /// When not empty, this is an admin provider: a person whose ID token also carries these
    /// claims may sign in to the admin console with it.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub admin_claims: BTreeMap<String, String>,
    /// Whether the first sign-in of an unknown person creates their user.
    pub jit: bool,
    pub enabled: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

impl IdentityProvider {
    pub const ID_PREFIX: &'static str = "idp_";

    /// Whether people may sign in to the admin console with it.
    pub fn signs_in_admins(&self) -> bool {
        self.enabled && !self.admin_claims.is_empty()
    }

    /// Whether `id` could name a provider (bounded before it reaches the store).
    pub fn is_id(id: &str) -> bool {
        id.len() == Self::ID_PREFIX.len() + 26
            && id.starts_with(Self::ID_PREFIX)
            && id[Self::ID_PREFIX.len()..]
                .chars()
                .all(|c| c.is_ascii_alphanumeric())
    }
}

/// Which upstream account a user is (on the user record, and as [`FederationLink`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FederatedIdentity {
    pub provider_id: String,
    pub issuer: String,
    pub subject: String,
}

/// The item that finds a user by (issuer, `sub`) in one read (table `IdentityProvidersTable`,
/// key `id` = [`FederationLink::key`]). Never by email or username: those can change hands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FederationLink {
    pub id: String,
    pub username: String,
    pub provider_id: String,
    pub issuer: String,
    pub subject: String,
    pub created_at: i64,
}

impl FederationLink {
    /// `link#` and the SHA-256 of issuer and subject (the issuer length-prefixed, so no two
    /// pairs share a key): bounded whatever their lengths.
    pub fn key(issuer: &str, subject: &str) -> String {
        let joined = format!("{}:{issuer}{subject}", issuer.len());
        format!("link#{}", crate::secrets::hash_secret(&joined))
    }
}

/// A sign-in sent to a provider and not yet back (table `SessionsTable`, key
/// `federation#<hash of state>`, TTL): used once, by the browser that started it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingFederation {
    pub session_hash: String,
    /// The hash of the random cookie the starting browser was given.
    pub browser_hash: String,
    pub provider_id: String,
    pub nonce: String,
    pub pkce_verifier: String,
    /// Where the person goes back to: a path on devicegate's pages.
    pub return_to: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub ttl: i64,
}

impl PendingFederation {
    pub fn key(state: &str) -> String {
        format!("federation#{}", crate::secrets::hash_secret(state))
    }
}

/// A provider's settings as an administrator gives them, validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProviderSettings {
    pub name: String,
    pub issuer: String,
    pub client_id: String,
    pub scopes: Vec<String>,
    pub username_claim: String,
    pub allowed_email_domains: Vec<String>,
    pub required_claims: BTreeMap<String, String>,
    pub jit: bool,
    pub enabled: bool,
}

/// Checks a provider's name: shown on a button, so 1..=64 visible characters.
pub fn provider_name(text: &str) -> Result<String, Error> {
    let text = text.trim();
    if text.is_empty() || text.chars().count() > 64 || text.chars().any(char::is_control) {
        return Err(Error::invalid_request(
            "name must be 1 to 64 characters without control characters",
        ));
    }
    Ok(text.to_owned())
}

/// Checks an issuer: an `https://` URL (or `http://` on loopback, for local runs and tests),
/// without query or fragment; a trailing `/` is dropped, as in discovery.
pub fn provider_issuer(text: &str) -> Result<String, Error> {
    let refused = || {
        Error::invalid_request(
            "issuer must be the provider's https:// issuer URL (http:// only on 127.0.0.1 or \
             localhost), without query or fragment",
        )
    };
    if text.len() > 512 {
        return Err(refused());
    }
    let url = url::Url::parse(text).map_err(|_| refused())?;
    let loopback = matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
    let scheme_ok = url.scheme() == "https" || (url.scheme() == "http" && loopback);
    if !scheme_ok || url.query().is_some() || url.fragment().is_some() || !url.username().is_empty()
    {
        return Err(refused());
    }
    Ok(text.trim_end_matches('/').to_owned())
}

/// Checks a client id or secret: 1..=512 printable ASCII characters.
pub fn provider_credential(field: &str, text: &str) -> Result<String, Error> {
    if text.is_empty() || text.len() > 512 || !text.chars().all(|c| c.is_ascii_graphic()) {
        return Err(Error::invalid_request(format!(
            "{field} must be 1 to 512 printable ASCII characters"
        )));
    }
    Ok(text.to_owned())
}

/// Checks the scopes: OAuth scope tokens, `openid` among them.
pub fn provider_scopes(scopes: &[String]) -> Result<Vec<String>, Error> {
    let token_ok = |t: &String| {
        !t.is_empty()
            && t.len() <= 128
            && t.chars()
                .all(|c| c.is_ascii_graphic() && c != '"' && c != '\\')
    };
    if scopes.len() > 20 || !scopes.iter().all(token_ok) {
        return Err(Error::invalid_request(
            "scopes must be at most 20 OAuth scope tokens",
        ));
    }
    if !scopes.iter().any(|s| s == "openid") {
        return Err(Error::invalid_request("scopes must include openid"));
    }
    Ok(scopes.to_vec())
}

/// Checks a claim name (the username claim, a required claim's).
pub fn claim_name(field: &str, text: &str) -> Result<String, Error> {
    if text.is_empty() || text.len() > 64 || !text.chars().all(|c| c.is_ascii_graphic()) {
        return Err(Error::invalid_request(format!(
            "{field} must be a claim name of 1 to 64 printable ASCII characters"
        )));
    }
    Ok(text.to_owned())
}

/// Checks email domains: lower-cased DNS names.
pub fn email_domains(domains: &[String]) -> Result<Vec<String>, Error> {
    let ok = |d: &str| {
        !d.is_empty()
            && d.len() <= 253
            && d.contains('.')
            && d.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
    };
    if domains.len() > 50 {
        return Err(Error::invalid_request(
            "allowed_email_domains holds at most 50 domains",
        ));
    }
    domains
        .iter()
        .map(|d| {
            let d = d.trim().to_ascii_lowercase();
            if ok(&d) {
                Ok(d)
            } else {
                Err(Error::invalid_request(format!(
                    "allowed_email_domains: {:?} is not a domain name",
                    d.chars().take(64).collect::<String>()
                )))
            }
        })
        .collect()
}

/// Checks required claims: at most 10, each a claim name and a value of at most 256 bytes.
pub fn required_claims(
    claims: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, Error> {
    claim_values("required_claims", claims)
}

/// Claims an ID token must carry with these values (`setting` names the field in errors).
pub fn claim_values(
    setting: &str,
    claims: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, Error> {
    if claims.len() > 10 {
        return Err(Error::invalid_request(format!(
            "{setting} holds at most 10 claims"
        )));
    }
    claims
        .iter()
        .map(|(name, value)| {
            let name = claim_name(setting, name)?;
            if value.is_empty() || value.len() > 256 {
                return Err(Error::invalid_request(format!(
                    "{setting}: each value is 1 to 256 bytes"
                )));
            }
            Ok((name, value.clone()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_issuer_is_https_or_loopback_http() {
        assert_eq!(
            provider_issuer("https://login.example.com/realms/x/").ok(),
            Some("https://login.example.com/realms/x".to_owned())
        );
        assert!(provider_issuer("http://127.0.0.1:8080").is_ok());
        for bad in [
            "http://login.example.com",
            "https://login.example.com/?a=1",
            "https://login.example.com/#f",
            "https://user@login.example.com",
            "login.example.com",
            "ftp://login.example.com",
        ] {
            assert!(provider_issuer(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn scopes_need_openid_and_domains_are_names() {
        assert!(provider_scopes(&["email".to_owned()]).is_err());
        assert!(provider_scopes(&["openid".to_owned(), "a\"b".to_owned()]).is_err());
        assert_eq!(
            email_domains(&[" Example.COM ".to_owned()]).ok(),
            Some(vec!["example.com".to_owned()])
        );
        assert!(email_domains(&["exa mple.com".to_owned()]).is_err());
        assert!(email_domains(&["localhost".to_owned()]).is_err());
    }

    #[test]
    fn ids_are_bounded_and_link_keys_are_hashes() {
        assert!(IdentityProvider::is_id("idp_01JB0000000000000000000000"));
        assert!(!IdentityProvider::is_id("idp_01JB00000000000000000000000"));
        assert!(!IdentityProvider::is_id("link#abc"));
        let key = FederationLink::key("https://a", &"x".repeat(5000));
        assert_eq!(key.len(), "link#".len() + 64);
        assert_ne!(
            FederationLink::key("https://a", "b\nc"),
            FederationLink::key("https://a\nb", "c")
        );
    }
}
