//! The Lambda authorizer's judgement of a user token: one read of everything it depends on.

use crate::error::Error;
use crate::model::*;
use crate::secrets::{TokenLocator, hash_secret, hashes_match};
use crate::storage::*;

/// What the authorizer tells API Gateway.
#[derive(Debug, PartialEq, Eq)]
pub enum Authorization {
    /// A valid user token.
    User {
        username: String,
        device_client_id: Option<String>,
        api_key_id: String,
    },
    /// No valid user token, but the API key presented allows unauthenticated requests.
    Unauthenticated {
        api_key_id: String,
    },
    Denied,
}

/// What API Gateway hands the authorizer.
#[derive(Debug, Default)]
pub struct AuthorizerInput<'a> {
    /// The `Authorization` header, as sent.
    pub authorization: Option<&'a str>,
    /// `X-Api-Key`, as sent.
    pub api_key: Option<&'a str>,
    pub source: &'a str,
}

/// Judges a request to a protected route in one DynamoDB round trip (a BatchGetItem): a user
/// token is good while it is an unexpired access token of a user, its family and its device's
/// family are active (revoking the device, disabling the user or reusing a refresh token
/// revokes them), its API key has not been disabled or expired since, and its user has not been
/// disabled (the user's guard, which holds where the revocation of a family missed it). Without one, an API key
/// that allows unauthenticated requests (from an allowed source) lets the request through.
pub async fn authorize(
    store: &Store,
    input: AuthorizerInput<'_>,
    now: i64,
) -> Result<Authorization, Error> {
    let bearer = input
        .authorization
        .and_then(|h| {
            h.strip_prefix("Bearer ")
                .or_else(|| h.strip_prefix("bearer "))
        })
        .map(str::trim);
    let locator = bearer.and_then(TokenLocator::parse);
    let token_hash = locator.as_ref().and(bearer).map(hash_secret);
    let api_key_hash = input
        .api_key
        .filter(|k| !k.is_empty() && k.len() <= 512)
        .map(hash_secret);
    let read = store
        .read_for_authorizer(AuthorizerKeys {
            token_hash: token_hash.as_deref(),
            family_id: locator.as_ref().map(|l| l.family_id.as_str()),
            device_family_id: locator.as_ref().and_then(|l| l.device_family_id.as_deref()),
            api_key_id: locator.as_ref().map(|l| l.api_key_id.as_str()),
            username: locator.as_ref().map(|l| l.username.as_str()),
            presented_api_key_hash: api_key_hash.as_deref(),
        })
        .await?;
    if let (Some(locator), Some(hash), Some(token)) = (&locator, &token_hash, &read.token)
        && let Some(user) = user_token_stands(locator, hash, token, &read, now)
    {
        return Ok(user);
    }
    if let (Some(hash), Some(key)) = (&api_key_hash, &read.api_key)
        && hashes_match(&key.key_hash, hash)
        && key.is_usable(now)
        && key.settings.allow_unauthenticated_requests
        && key.settings.allows_source(input.source)
    {
        return Ok(Authorization::Unauthenticated {
            api_key_id: key.id.clone(),
        });
    }
    Ok(Authorization::Denied)
}

pub(super) fn user_token_stands(
    locator: &TokenLocator,
    hash: &str,
    token: &TokenRecord,
    read: &AuthorizerRead,
    now: i64,
) -> Option<Authorization> {
    let Owner::User {
        username,
        api_key_id,
        device,
        ..
    } = &token.owner
    else {
        return None;
    };
    let active = |f: &Option<TokenFamily>, id: &str| {
        f.as_ref()
            .is_some_and(|f| f.family_id == id && f.status == FamilyStatus::Active)
    };
    let stands = hashes_match(&token.token_hash, hash)
        && token.kind == TokenKind::Access
        && token.expires_at > now
        && token.family_id == locator.family_id
        && *api_key_id == locator.api_key_id
        && *username == locator.username
        && device.as_ref().map(|d| &d.family_id) == locator.device_family_id.as_ref()
        && active(&read.family, &token.family_id)
        && device
            .as_ref()
            .is_none_or(|d| active(&read.device_family, &d.family_id))
        && read.guard.as_ref().is_none_or(|g| g.stands(now))
        && read.user_guard.as_ref().is_none_or(|g| g.stands(now));
    stands.then(|| Authorization::User {
        username: username.clone(),
        device_client_id: device.as_ref().map(|d| d.client_id.clone()),
        api_key_id: api_key_id.clone(),
    })
}
