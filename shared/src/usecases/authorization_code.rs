//! The authorization code grant (RFC 6749 §4.1) with PKCE (RFC 7636, S256 only) and the
//! authorization server issuer identifier (RFC 9207): which requests the authorization endpoint
//! answers with a page and which with a redirect, what a code is bound to, and its redemption
//! at every token endpoint.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use crate::error::Error;
use crate::model::*;
use crate::secrets::{self, SecretKind, hash_secret, hashes_match};
use crate::storage::*;
use crate::usecases::client_auth::{ClientCredentials, authenticate};
use crate::usecases::issuance::{self, TokenOwner};

/// How long a code may wait for its redemption.
pub const CODE_TTL: i64 = 60;

/// What the authorization endpoint was asked, as sent (query or re-posted form).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuthorizationRequest {
    pub response_type: Option<String>,
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    pub scope: Option<String>,
    pub state: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    /// OpenID Connect (Core §3.1.2.1): echoed in the ID token.
    pub nonce: Option<String>,
    /// `none`, `login`, `consent` (space-separated; `none` alone).
    pub prompt: Option<String>,
    /// Seconds: a sign-in older than this is asked again.
    pub max_age: Option<String>,
    /// The username to offer on the sign-in form.
    pub login_hint: Option<String>,
}

/// A request the endpoint may act on: the client, where to send the answer, what is asked.
#[derive(Clone, Debug)]
pub struct ValidRequest {
    pub client: OAuthClient,
    pub redirect_uri: String,
    pub scope: Scope,
    pub state: Option<String>,
    pub code_challenge: Option<String>,
    pub nonce: Option<String>,
    pub prompt: Prompt,
    /// A sign-in older than this many seconds is asked again (OIDC Core §3.1.2.1).
    pub max_age: Option<i64>,
}

/// What the request's `prompt` asks of the page (OIDC Core §3.1.2.1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Prompt {
    /// `none`: no page at all; what would need one is an error sent back.
    pub none: bool,
    /// `login`: sign in again even when signed in.
    pub login: bool,
}

impl Prompt {
    fn parse(value: Option<&str>) -> Result<Prompt, Error> {
        let mut prompt = Prompt::default();
        let Some(value) = value else {
            return Ok(prompt);
        };
        let values: Vec<&str> = value.split(' ').filter(|v| !v.is_empty()).collect();
        for v in &values {
            match *v {
                "none" => prompt.none = true,
                "login" => prompt.login = true,
                // Consent is asked on every request: nothing more to do.
                "consent" | "select_account" => {}
                _ => {
                    return Err(Error::invalid_request(
                        "prompt must be none, login, consent or select_account",
                    ));
                }
            }
        }
        if prompt.none && values.len() > 1 {
            return Err(Error::invalid_request(
                "prompt=none cannot be combined with another value",
            ));
        }
        Ok(prompt)
    }
}

/// `max_age` (OIDC Core §3.1.2.1): a number of seconds, at most a year.
fn parse_max_age(value: Option<&str>) -> Result<Option<i64>, Error> {
    match value {
        None => Ok(None),
        Some(v) => v
            .parse::<i64>()
            .ok()
            .filter(|n| (0..=365 * 24 * 3600).contains(n))
            .map(Some)
            .ok_or_else(|| Error::invalid_request("max_age must be a number of seconds")),
    }
}

/// Why a request is refused, and so how (RFC 6749 §4.1.2.1).
#[derive(Debug)]
pub enum Refusal {
    /// The client or redirect URI cannot be trusted: a page, never a redirect.
    Page(Error),
    /// Anything else: back to the client's redirect URI with `error` and `state`.
    Redirect {
        redirect_uri: String,
        state: Option<String>,
        error: Error,
    },
}

impl From<Error> for Refusal {
    fn from(error: Error) -> Refusal {
        Refusal::Page(error)
    }
}

/// Checks an authorization request: one read (the client).
pub async fn validate(
    store: &Store,
    request: &AuthorizationRequest,
    now: i64,
) -> Result<ValidRequest, Refusal> {
    let page = |why: &str| Refusal::Page(Error::invalid_request(why));
    let client_id = request
        .client_id
        .as_deref()
        .filter(|c| !c.is_empty() && c.len() <= 256)
        .ok_or_else(|| page("the request names no client (client_id)"))?;
    let client = store
        .get_client(client_id)
        .await?
        .filter(|c| c.is_active(now))
        .ok_or_else(|| Refusal::Page(Error::InvalidClient("unknown or disabled client".into())))?;
    let sent = request
        .redirect_uri
        .as_deref()
        .ok_or_else(|| page("the request has no redirect_uri"))?;
    if !redirect_uri_registered(&client.redirect_uris, sent) {
        return Err(Refusal::Page(Error::InvalidRedirectUri(
            "this redirect_uri is not registered for the client".into(),
        )));
    }
    // A self-registered client's redirect URI is whatever anyone registered: sending the
    // browser there before anyone signed in or chose would make this an open redirector
    // (RFC 9700 §4.11.2), so its refusals are a page.
    let self_registered = client.self_registered();
    let redirect = |error: Error| {
        if self_registered {
            return Refusal::Page(error);
        }
        Refusal::Redirect {
            redirect_uri: sent.to_owned(),
            state: request.state.clone(),
            error,
        }
    };
    if request.state.as_deref().is_some_and(|s| s.len() > 2048) {
        return Err(redirect(Error::invalid_request("state is too long")));
    }
    match request.response_type.as_deref() {
        Some("code") => {}
        _ => {
            return Err(redirect(Error::UnsupportedResponseType(
                "only response_type=code is supported".into(),
            )));
        }
    }
    if !client.grant_types.contains(&GrantType::AuthorizationCode) {
        return Err(redirect(Error::UnauthorizedClient(
            "this client may not use the authorization code grant".into(),
        )));
    }
    let scope = match request.scope.as_deref() {
        None | Some("") => client.scopes.clone(),
        Some(asked) => {
            let asked = Scope::parse(asked).map_err(&redirect)?;
            if !asked.is_subset_of(&client.scopes) {
                return Err(redirect(Error::InvalidScope(
                    "the client may not ask for this scope".into(),
                )));
            }
            asked
        }
    };
    let public = client.client_type == OAuthClientType::Public;
    let code_challenge = validate_pkce(request, public).map_err(&redirect)?;
    if request.nonce.as_deref().is_some_and(|n| n.len() > 512) {
        return Err(redirect(Error::invalid_request("nonce is too long")));
    }
    if request.login_hint.as_deref().is_some_and(|h| h.len() > 256) {
        return Err(redirect(Error::invalid_request("login_hint is too long")));
    }
    let prompt = Prompt::parse(request.prompt.as_deref()).map_err(&redirect)?;
    let max_age = parse_max_age(request.max_age.as_deref()).map_err(&redirect)?;
    Ok(ValidRequest {
        client,
        redirect_uri: sent.to_owned(),
        scope,
        state: request.state.clone(),
        code_challenge,
        nonce: request.nonce.clone(),
        prompt,
        max_age,
    })
}

/// The PKCE challenge of a request (RFC 7636 §4.3), `S256` only; `required` for public clients.
pub fn validate_pkce(
    request: &AuthorizationRequest,
    required: bool,
) -> Result<Option<String>, Error> {
    match (
        request.code_challenge.as_deref(),
        request.code_challenge_method.as_deref(),
    ) {
        (None, None) if required => Err(Error::invalid_request(
            "public clients must use PKCE: send code_challenge with code_challenge_method=S256",
        )),
        (None, None) => Ok(None),
        (Some(challenge), Some("S256")) if is_s256_challenge(challenge) => {
            Ok(Some(challenge.to_owned()))
        }
        (Some(_), Some("S256")) => Err(Error::invalid_request(
            "code_challenge must be BASE64URL(SHA-256(code_verifier)): 43 characters",
        )),
        (Some(_), Some("plain") | None) => Err(Error::invalid_request(
            "only code_challenge_method=S256 is supported",
        )),
        _ => Err(Error::invalid_request(
            "send code_challenge with code_challenge_method=S256",
        )),
    }
}

/// Whether `sent` is one of the client's redirect URIs: the same string, except that for a
/// loopback IP redirect (`http://127.0.0.1`, `http://[::1]`, and `localhost`) any port is
/// accepted (RFC 8252 §7.3: native apps listen on an ephemeral port).
pub fn redirect_uri_registered(registered: &[String], sent: &str) -> bool {
    if registered.iter().any(|r| r == sent) {
        return true;
    }
    let Ok(sent_url) = url::Url::parse(sent) else {
        return false;
    };
    if sent_url.scheme() != "http" || !is_loopback(&sent_url) {
        return false;
    }
    registered.iter().any(|r| {
        url::Url::parse(r).is_ok_and(|mut r| {
            if r.scheme() != "http" || !is_loopback(&r) {
                return false;
            }
            let mut s = sent_url.clone();
            let ports_cleared = r.set_port(None).is_ok() && s.set_port(None).is_ok();
            ports_cleared && r == s
        })
    })
}

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d == "localhost",
        None => false,
    }
}

/// RFC 7636 §4.2: an S256 challenge is 32 bytes in unpadded base64url.
fn is_s256_challenge(challenge: &str) -> bool {
    challenge.len() == 43
        && URL_SAFE_NO_PAD
            .decode(challenge)
            .is_ok_and(|b| b.len() == 32)
}

/// RFC 7636 §4.1: 43 to 128 unreserved characters.
fn is_verifier(verifier: &str) -> bool {
    (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// Whether a request may be put before this signed-in person at all. An app instance (VMware)
/// is bound to the person who registered it, and its name is only what its app chose to call
/// itself: no one else is asked to consent to it, nor can approve it.
pub fn check_offered_to(request: &ValidRequest, username: &str) -> Result<(), Error> {
    match &request.client.instance {
        Some(instance) if instance.username != username => Err(Error::Forbidden(
            "this app is registered to another person".into(),
        )),
        _ => Ok(()),
    }
}

/// Issues a code for a request the signed-in user approved: one write. Returns the code.
pub async fn approve(
    store: &Store,
    request: &ValidRequest,
    username: &str,
    auth_time: i64,
    now: i64,
) -> Result<String, Error> {
    check_offered_to(request, username)?;
    let secret = secrets::issue(SecretKind::AuthorizationCode)?;
    let code = AuthorizationCode {
        code_hash: secret.hash().to_owned(),
        client_id: request.client.client_id.clone(),
        redirect_uri: request.redirect_uri.clone(),
        username: username.to_owned(),
        scope: request.scope.to_wire(),
        code_challenge: request.code_challenge.clone(),
        nonce: request.nonce.clone(),
        auth_time: Some(auth_time),
        lifetimes: request.client.lifetimes(),
        issued_at: now,
        expires_at: now + CODE_TTL,
        family_id: None,
        ttl: now + CODE_TTL,
    };
    store.put_authorization_code(&code).await?;
    tracing::info!(client_id = %code.client_id, username, "authorization code issued");
    Ok(secret.into_value())
}

/// What a token request presents for this grant.
#[derive(Clone, Debug)]
pub struct CodeGrant {
    pub code: String,
    pub redirect_uri: Option<String>,
    pub code_verifier: Option<String>,
}

/// Redeems a code (RFC 6749 §4.1.3, RFC 7636 §4.6). Two round trips: the code and client read
/// together, then one transaction. A second use revokes what the first issued (§4.1.2).
pub async fn redeem(
    store: &Store,
    client: &ClientCredentials,
    grant: &CodeGrant,
    now: i64,
) -> Result<TokenSet, Error> {
    let (code, found) = store
        .get_authorization_code_and_client(&hash_secret(&grant.code), &client.client_id)
        .await?;
    let authenticated = authenticate(found, client, now)?;
    if !authenticated.allows(GrantType::AuthorizationCode) {
        return Err(Error::UnauthorizedClient(
            "this client may not use the authorization code grant".into(),
        ));
    }
    let invalid = |why: &str| Error::InvalidGrant(why.into());
    let code = code
        .filter(|c| c.client_id == authenticated.client_id)
        .ok_or_else(|| invalid("unknown authorization code"))?;
    // An app instance (VMware) is bound to the person who registered it: a code another person
    // approved for it at the authorization endpoint gets it nothing.
    if authenticated
        .instance
        .as_ref()
        .is_some_and(|i| i.username != code.username)
    {
        return Err(invalid("this app instance is registered to another user"));
    }
    if let Some(family_id) = &code.family_id {
        store.revoke_family(family_id, now).await?;
        tracing::info!(client_id = %code.client_id, family_id, "authorization code used twice; its tokens revoked");
        return Err(invalid("the authorization code has already been used"));
    }
    if code.expires_at <= now {
        return Err(invalid("the authorization code has expired"));
    }
    if grant.redirect_uri.as_deref() != Some(code.redirect_uri.as_str()) {
        return Err(invalid(
            "redirect_uri must be the one the authorization request sent",
        ));
    }
    match (&code.code_challenge, grant.code_verifier.as_deref()) {
        (Some(challenge), Some(verifier)) if is_verifier(verifier) => {
            let computed = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
            if !hashes_match(&computed, challenge) {
                return Err(invalid(
                    "the code_verifier does not match the code_challenge",
                ));
            }
        }
        (Some(_), _) => {
            return Err(invalid(
                "this code needs its code_verifier (43 to 128 characters)",
            ));
        }
        (None, Some(_)) => {
            return Err(invalid("the authorization request sent no code_challenge"));
        }
        (None, None) => {}
    }
    let owner = Owner::Client {
        username: Some(code.username.clone()),
    };
    let (family, issued) = issuance::first_pair(
        TokenOwner {
            client_id: &code.client_id,
            owner: &owner,
            scope: code.scope.as_deref(),
            auth_time: code.auth_time,
        },
        code.lifetimes,
        now,
    )?;
    match store
        .redeem_authorization_code(&code, &family, [&issued.access, &issued.refresh], now)
        .await?
    {
        CodeRedemption::Redeemed => {
            tracing::info!(client_id = %code.client_id, family_id = %family.family_id, "authorization code redeemed");
            let mut tokens = issued.token_set;
            if let Some(authentication) = &mut tokens.authentication {
                authentication.nonce = code.nonce.clone();
            }
            Ok(tokens)
        }
        CodeRedemption::AlreadyUsed(current) => {
            // Lost a race with another redemption: that one's tokens go too.
            if let Some(family_id) = current.and_then(|c| c.family_id) {
                store.revoke_family(&family_id, now).await?;
            }
            Err(invalid("the authorization code has already been used"))
        }
        CodeRedemption::Inactive(which) => Err(which.refusal()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_redirects_match_on_any_port_and_nothing_else_does() {
        let registered = vec![
            "http://127.0.0.1/oauth/callback".to_owned(),
            "https://app.example/cb".to_owned(),
            "com.example.app:/cb".to_owned(),
        ];
        for yes in [
            "http://127.0.0.1:51234/oauth/callback",
            "http://127.0.0.1/oauth/callback",
            "https://app.example/cb",
            "com.example.app:/cb",
        ] {
            assert!(redirect_uri_registered(&registered, yes), "{yes}");
        }
        for no in [
            "http://127.0.0.1:51234/oauth/callback2",
            "http://127.0.0.1:5/oauth/callback?x=1",
            "https://app.example:444/cb",
            "https://app.example/cb/",
            "http://localhost:5/oauth/callback",
            "com.example.app:/cb2",
            "not a uri",
        ] {
            assert!(!redirect_uri_registered(&registered, no), "{no}");
        }
    }

    #[test]
    fn pkce_shapes() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        // RFC 7636 Appendix B.
        assert_eq!(challenge, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
        assert!(is_s256_challenge(&challenge));
        assert!(!is_s256_challenge(verifier.get(..42).unwrap_or_default()));
        assert!(is_verifier(verifier));
        assert!(!is_verifier("short"));
        assert!(!is_verifier(&"a".repeat(129)));
        assert!(!is_verifier(&format!("{}+", &verifier[..43])));
    }
}
