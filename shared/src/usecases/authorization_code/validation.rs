//! The authorization request's judgement: the client and redirect URI first (refused with a
//! page), then everything else (refused back at the redirect URI), into a [`ValidRequest`].

use crate::error::Error;
use crate::model::*;
use crate::storage::*;

use super::pkce::validate_pkce;
use super::redirect_uri::redirect_uri_registered;
use super::request::AuthorizationRequest;

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
