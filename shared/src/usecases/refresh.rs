//! The refresh grant (RFC 6749 §6): rotation on every use, reuse of a rotated-out token revokes
//! its family, and every new pair is minted here.

use crate::error::Error;
use crate::model::*;
use crate::secrets::{hash_secret, hashes_match};
use crate::storage::*;
use crate::usecases::SignedRequest;
use crate::usecases::client_auth::{ClientCredentials, authenticate};
use crate::usecases::issuance::{IssuedPair, TokenOwner};

#[derive(Clone, Debug)]
pub struct RefreshGrant {
    pub client_id: String,
    pub api_key: String,
    pub refresh_token: String,
}

/// Exchanges a refresh token for a new pair. Two round trips: one read (token and device), one
/// transaction. Presenting a token that was already exchanged revokes its whole family.
pub async fn refresh_as_device(
    store: &Store,
    grant: &RefreshGrant,
    signed: Option<SignedRequest<'_>>,
    origin: &Origin,
    now: i64,
) -> Result<TokenSet, Error> {
    let token_hash = hash_secret(&grant.refresh_token);
    let api_key_hash = hash_secret(&grant.api_key);
    let (token, device, api_key) = store
        .get_token_device_and_api_key(&token_hash, &grant.client_id, &api_key_hash)
        .await?;
    let api_key = api_key.filter(|k| hashes_match(&k.key_hash, &api_key_hash));
    if let Some(key) = &api_key {
        key.settings.check_source(&origin.source_ip)?;
    }
    let token = token
        .filter(|t| {
            t.kind == TokenKind::Refresh
                && t.client_id == grant.client_id
                && matches!(t.owner, Owner::Device { .. })
        })
        .ok_or_else(|| Error::InvalidGrant("unknown refresh token".into()))?;
    if !token
        .owner
        .api_key_hash()
        .is_some_and(|h| hashes_match(h, &api_key_hash))
    {
        return Err(Error::InvalidClient(
            "the API key does not match the one this token was issued under".into(),
        ));
    }
    let device = device.ok_or_else(|| Error::InvalidGrant("unknown device".into()))?;
    // The device and the key were read with the token: judged here, not re-checked in the write.
    if device.status != DeviceStatus::Approved {
        return Err(Inactive::Device.refusal());
    }
    if !api_key.as_ref().is_some_and(|k| k.is_usable(now)) {
        return Err(Inactive::ApiKey.refusal());
    }
    const JUDGED: &[Inactive] = &[Inactive::Device, Inactive::ApiKey];
    if let Some(key) = &device.key {
        let signed = signed.ok_or_else(|| {
            Error::InvalidClient(
                "this device registered a public key: sign the request with HCP-Request-Signature"
                    .into(),
            )
        })?;
        signed.verify_with(key, now)?;
        let replay_key = signed.replay_key();
        return rotate(store, &token, None, Some(&replay_key), JUDGED, origin, now).await;
    }
    rotate(store, &token, None, None, JUDGED, origin, now).await
}

/// The refresh grant (RFC 6749 §6) for an OAuth client: two round trips (token and client read
/// together, then the rotation). `scope`, when sent, may only narrow the token's.
pub async fn refresh_as_client(
    store: &Store,
    client: &ClientCredentials,
    refresh_token: &str,
    scope: Option<&Scope>,
    origin: &Origin,
    now: i64,
) -> Result<TokenSet, Error> {
    let (token, found) = store
        .get_token_and_client(&hash_secret(refresh_token), &client.client_id)
        .await?;
    let authenticated = authenticate(found, client, now)?;
    if !authenticated.allows(GrantType::RefreshToken) {
        return Err(Error::UnauthorizedClient(
            "this client may not use the refresh_token grant".into(),
        ));
    }
    let token = token
        .filter(|t| {
            t.kind == TokenKind::Refresh
                && t.client_id == client.client_id
                && matches!(t.owner, Owner::Client { .. })
        })
        .ok_or_else(|| Error::InvalidGrant("unknown refresh token".into()))?;
    let narrowed = match scope {
        None => None,
        Some(asked) => {
            let granted = Scope::parse(token.scope.as_deref().unwrap_or(""))?;
            if !asked.is_subset_of(&granted) {
                return Err(Error::InvalidScope(
                    "a refresh may only narrow the scope that was granted".into(),
                ));
            }
            asked.to_wire()
        }
    };
    // The client authenticated against the record read with the token.
    let judged = &[Inactive::Client];
    rotate(
        store,
        &token,
        narrowed.as_deref(),
        None,
        judged,
        origin,
        now,
    )
    .await
}

/// Rotates a refresh token the caller has authenticated: reuse of a rotated-out token revokes
/// its family; otherwise a new pair (narrowed to `scope` when given) replaces it in one
/// transaction. `replay_key` identifies a signed request: replaying the exact request that
/// rotated the token is refused without revoking anything.
pub(crate) async fn rotate(
    store: &Store,
    token: &TokenRecord,
    scope: Option<&str>,
    replay_key: Option<&str>,
    judged: &[Inactive],
    origin: &Origin,
    now: i64,
) -> Result<TokenSet, Error> {
    if token.rotated_at.is_some()
        && replay_key.is_some()
        && token.rotated_by.as_deref() == replay_key
    {
        tracing::info!(client_id = %token.client_id, "a signed refresh was replayed; refused");
        return Err(Error::InvalidGrant(
            "the refresh token has already been used".into(),
        ));
    }
    if token.rotated_at.is_some() {
        store
            .revoke_family_audited(&token.family_id, now, &reused(token, origin))
            .await?;
        tracing::info!(client_id = %token.client_id, family_id = %token.family_id, "refresh token reused; family revoked");
        return Err(Error::InvalidGrant(
            "the refresh token has already been used".into(),
        ));
    }
    if token.expires_at <= now {
        return Err(Error::InvalidGrant("the refresh token has expired".into()));
    }
    let issued = IssuedPair::new(
        &token.family_id,
        TokenOwner {
            client_id: &token.client_id,
            owner: &token.owner,
            scope: scope.or(token.scope.as_deref()),
            auth_time: token.auth_time,
        },
        token.lifetimes,
        now,
    )?;
    let family_ttl = now + token.lifetimes.refresh_token_ttl;
    let holder = token.holder();
    let audit = AuditEvent::success(
        AuditType::TokenRefreshed,
        &origin.by(holder.actor()),
        holder.subject(),
    );
    match store
        .rotate(
            token,
            NewPair {
                tokens: [&issued.access, &issued.refresh],
                replay_key,
                audit: &audit,
            },
            family_ttl,
            judged,
            now,
        )
        .await?
    {
        RotateOutcome::Rotated => Ok(issued.token_set),
        RotateOutcome::AlreadyRotated => {
            // Lost a race: reuse, unless this very signed request (replayed or retried) won.
            if let Some(by) = replay_key {
                let current = store.get_token(&token.token_hash).await?;
                if current.and_then(|t| t.rotated_by).as_deref() == Some(by) {
                    return Err(Error::InvalidGrant(
                        "the refresh token has already been used".into(),
                    ));
                }
            }
            store
                .revoke_family_audited(&token.family_id, now, &reused(token, origin))
                .await?;
            Err(Error::InvalidGrant(
                "the refresh token has already been used".into(),
            ))
        }
        RotateOutcome::FamilyRevoked => Err(Error::InvalidGrant(
            "the refresh token has been revoked".into(),
        )),
        RotateOutcome::Inactive(which) => Err(which.refusal()),
    }
}

/// The record of a rotated-out refresh token presented again, which revokes its family.
fn reused(token: &TokenRecord, origin: &Origin) -> AuditEvent {
    let holder = token.holder();
    AuditEvent::failure(
        AuditType::TokenReuseDetected,
        &origin.by(holder.actor()),
        holder.subject(),
        &format!(
            "refresh token presented again after rotation; token family {} revoked",
            token.family_id
        ),
    )
}
