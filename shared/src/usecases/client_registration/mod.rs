//! Dynamic client registration (RFC 7591), its management protocol (RFC 7592), and the Huawei
//! and AWS registration calls: one set of rules for every dialect. Registration is open to
//! anyone, so everything a client asserts is validated and capped, registrations are counted per
//! source address in the same transaction that writes the client, and self-registered clients
//! carry a secret expiry and an idle expiry (TTL).

use crate::config::{RegistrationPolicy, Settings};
use crate::error::Error;
use crate::model::*;
use crate::secrets::{self, SecretKind, hash_secret, hashes_match};
use crate::storage::{RegistrationWrite, Store, WindowCounter};
use crate::usecases::sign_in::{Limit, source_subject};

mod initial_access;
mod metadata;
#[cfg(test)]
mod tests;

pub use initial_access::{
    MAX_INITIAL_ACCESS_TOKEN_TTL, NewInitialAccessToken, issue_initial_access_token,
};
pub use metadata::{ClientMetadata, MAX_REDIRECT_URIS, MetadataRequest};

/// What a dialect assumes when a client leaves a field out, and what it accepts.
#[derive(Clone, Debug)]
pub struct Defaults {
    pub grant_types: &'static [GrantType],
    pub response_types: &'static [&'static str],
    pub auth_method: TokenEndpointAuthMethod,
    pub auth_methods: &'static [TokenEndpointAuthMethod],
}

/// A client just registered (or changed), with the secrets shown this once.
pub struct Registered {
    pub client: OAuthClient,
    pub client_secret: Option<String>,
    /// RFC 7592's registration access token (`rfc7591` clients only).
    pub registration_access_token: Option<String>,
}

impl std::fmt::Debug for Registered {
    /// Never the secrets.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registered")
            .field("client_id", &self.client.client_id)
            .finish_non_exhaustive()
    }
}

/// How long a new self-registered client lives before its first use: an unused registration
/// should not hold storage for the whole idle time.
pub const UNUSED_CLIENT_TTL: i64 = 24 * 3600;

/// Registers a client: one round trip (the source's registration counter, the client and,
/// where the policy asks for one, a use of the initial access token are written in one
/// transaction; nothing is written when any of them refuses).
pub async fn register(
    store: &Store,
    settings: &Settings,
    origin: ClientOrigin,
    metadata: ClientMetadata,
    initial_access_token: Option<&str>,
    from: &Origin,
    now: i64,
) -> Result<Registered, Error> {
    let token_hash = match settings.registration.policy {
        RegistrationPolicy::Open => None,
        RegistrationPolicy::Disabled => {
            return Err(Error::Forbidden(
                "client registration is disabled on this server; ask an administrator".into(),
            ));
        }
        RegistrationPolicy::InitialAccessToken => {
            Some(hash_secret(initial_access_token.ok_or_else(|| {
                Error::InvalidToken(
                    "registration here needs an initial access token from an administrator \
                     (Authorization: Bearer)"
                        .into(),
                )
            })?))
        }
    };
    check_scope_offered(&metadata, settings)?;
    let client_id = format!(
        "{}{}",
        OAuthClient::SELF_REGISTERED_PREFIX,
        ulid::Ulid::new().to_string().to_lowercase()
    );
    let (client, client_secret, registration_access_token) =
        build(client_id, origin, metadata, settings, now)?;
    let limit = Limit {
        max_failures: settings.registration.per_source_per_minute,
        window: 60,
    };
    let window_start = now - now.rem_euclid(limit.window);
    let counter = WindowCounter {
        key: format!(
            "register-source#{}#{window_start}",
            source_subject(&from.source_ip)
        ),
        max: limit.max_failures,
        window_end: window_start + limit.window,
    };
    match store
        .put_registered_client(
            &client,
            &counter,
            token_hash.as_deref(),
            &AuditEvent::success(AuditType::ClientRegistered, from, &client.client_id).because(
                &format!(
                    "self-registered ({}){}",
                    origin.as_str(),
                    if token_hash.is_some() {
                        " with an initial access token"
                    } else {
                        ""
                    }
                ),
            ),
        )
        .await?
    {
        RegistrationWrite::Saved => {}
        RegistrationWrite::OverLimit => {
            let source = source_subject(&from.source_ip);
            let tripped = AuditEvent::failure(
                AuditType::LimitTripped,
                from,
                &source,
                &format!(
                    "register-source: {} registrations a minute from this address; refused until \
                     the minute ends",
                    counter.max
                ),
            );
            store.record_window_trip(&counter, &tripped).await?;
            return Err(Error::TooManyAttempts(counter.window_end - now));
        }
        RegistrationWrite::TokenRefused => {
            return Err(Error::InvalidToken(
                "the initial access token is unknown, disabled, expired or used up".into(),
            ));
        }
    }
    tracing::info!(client_id = %client.client_id, origin = client.origin.as_str(), "client registered");
    Ok(Registered {
        client,
        client_secret,
        registration_access_token,
    })
}

/// A self-registered client may ask only for scope the deployment offers to strangers.
fn check_scope_offered(metadata: &ClientMetadata, settings: &Settings) -> Result<(), Error> {
    if metadata
        .scope
        .is_subset_of(&settings.registration.allowed_scopes)
    {
        return Ok(());
    }
    Err(Error::InvalidClientMetadata(format!(
        "self-registered clients may ask only for: {}",
        settings
            .registration
            .allowed_scopes
            .to_wire()
            .unwrap_or_else(|| "no scope".into())
    )))
}

/// A self-registered client as stored, with its new secrets.
fn build(
    client_id: String,
    origin: ClientOrigin,
    metadata: ClientMetadata,
    settings: &Settings,
    now: i64,
) -> Result<(OAuthClient, Option<String>, Option<String>), Error> {
    let secret = match metadata.auth_method {
        TokenEndpointAuthMethod::None => None,
        _ => Some(secrets::issue(SecretKind::ClientSecret)?),
    };
    let access_token = match origin {
        ClientOrigin::Rfc7591 => Some(secrets::issue(SecretKind::RegistrationAccessToken)?),
        _ => None,
    };
    // The AWS and Huawei clients call themselves public although they are given a secret.
    let client_type = match (origin, &secret) {
        (ClientOrigin::Rfc7591, Some(_)) => OAuthClientType::Confidential,
        _ => OAuthClientType::Public,
    };
    let client = OAuthClient {
        scopes: metadata.scope,
        redirect_uris: metadata
            .redirect_uris
            .iter()
            .map(|u| u.as_str().to_owned())
            .collect(),
        origin,
        secret_expires_at: secret
            .as_ref()
            .map(|_| now + settings.registration.secret_ttl),
        registration: Some(Registration {
            token_endpoint_auth_method: Some(metadata.auth_method),
            response_types: metadata.response_types,
            access_token_hash: access_token.as_ref().map(|t| t.hash().to_owned()),
        }),
        expires_at: Some(now + settings.registration.idle_ttl.min(UNUSED_CLIENT_TTL)),
        ..OAuthClient::new(
            client_id,
            metadata.client_name,
            client_type,
            secret.as_ref().map(|s| s.hash().to_owned()),
            metadata.grant_types,
            now,
        )
    };
    Ok((
        client,
        secret.map(|s| s.into_value()),
        access_token.map(|t| t.into_value()),
    ))
}

/// The client a registration access token manages (RFC 7592 §2): one read. A missing, wrong or
/// unknown token, and a deleted client, are all the same 401.
pub async fn read(
    store: &Store,
    client_id: &str,
    access_token: Option<&str>,
    now: i64,
) -> Result<OAuthClient, Error> {
    let refused = || Error::InvalidToken("the registration access token is not valid".into());
    let presented = access_token.ok_or_else(refused)?;
    let client = store
        .get_client(client_id)
        .await?
        .filter(|c| !c.disabled && c.expires_at.is_none_or(|at| at > now))
        .ok_or_else(refused)?;
    let stored = client
        .registration
        .as_ref()
        .and_then(|r| r.access_token_hash.as_deref())
        .ok_or_else(refused)?;
    if !hashes_match(stored, &hash_secret(presented)) {
        return Err(refused());
    }
    Ok(client)
}

/// Replaces a client's metadata (RFC 7592 §2.2), issues a new secret when it has one (the old
/// one is stored only as a hash and cannot be shown again) and a new registration access token.
/// `current` is what [`read`] gave for the request's registration access token, so the update is
/// one more round trip (two in all). What a person may already be looking at cannot change under them: the
/// name stays, the scope may only narrow, and a client that authenticates with a secret cannot
/// drop it (its refresh tokens were issued to a secret holder).
pub async fn update(
    store: &Store,
    settings: &Settings,
    current: OAuthClient,
    metadata: ClientMetadata,
    origin: &Origin,
    now: i64,
) -> Result<Registered, Error> {
    if metadata.client_name != current.client_name {
        return Err(Error::InvalidClientMetadata(
            "client_name cannot change; register a new client instead".into(),
        ));
    }
    if !metadata.scope.is_subset_of(&current.scopes) {
        return Err(Error::InvalidClientMetadata(
            "scope may only narrow; register a new client for more".into(),
        ));
    }
    let had_secret = current.secret_hash.is_some();
    if had_secret != (metadata.auth_method != TokenEndpointAuthMethod::None) {
        return Err(Error::InvalidClientMetadata(
            "token_endpoint_auth_method cannot switch between a secret and none".into(),
        ));
    }
    let old_token_hash = current
        .registration
        .as_ref()
        .and_then(|r| r.access_token_hash.clone())
        .unwrap_or_default();
    let (mut client, client_secret, registration_access_token) =
        build(current.client_id, current.origin, metadata, settings, now)?;
    client.created_at = current.created_at;
    client.last_used_at = current.last_used_at;
    client.expires_at = current.expires_at;
    let audit = AuditEvent::success(
        AuditType::ClientUpdated,
        &origin.by(Actor::client(&client.client_id)),
        &client.client_id,
    )
    .because(&format!(
        "metadata replaced by its registration access token (RFC 7592); {} issued",
        if had_secret {
            "a new client secret and registration access token"
        } else {
            "a new registration access token"
        }
    ));
    store
        .replace_registered_client(&client, &old_token_hash, &audit)
        .await?;
    Ok(Registered {
        client,
        client_secret,
        registration_access_token,
    })
}

/// Deletes a client (RFC 7592 §2.3): it is disabled at once and its token families revoked.
pub async fn delete(
    store: &Store,
    client_id: &str,
    access_token: Option<&str>,
    origin: &Origin,
    now: i64,
) -> Result<(), Error> {
    let client = read(store, client_id, access_token, now).await?;
    let audit = AuditEvent::success(
        AuditType::ClientDeleted,
        &origin.by(Actor::client(&client.client_id)),
        &client.client_id,
    )
    .because("deleted by its registration access token (RFC 7592)");
    store.retire_client(&client.client_id, now, &audit).await?;
    tracing::info!(client_id = %client.client_id, "client deleted through RFC 7592");
    Ok(())
}
