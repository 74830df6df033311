//! The token endpoint's grants: device code (RFC 8628 §3.4-3.5) and refresh token with rotation
//! and reuse detection.

use crate::error::Error;
use crate::keys::DevicePublicKey;
use crate::model::{
    CodeStatus, DeviceCode, FamilyStatus, Holder, Lifetimes, Owner, StoredKey, TokenFamily,
    TokenKind, TokenRecord, TokenSet,
};
use crate::secrets::{self, SecretKind, hash_secret, hashes_match};
use crate::storage::{Inactive, PollPresenter, PollWrite, RedeemOutcome, RotateOutcome, Store};
use crate::usecases::SignedRequest;

/// How a dialect wants a too-early poll answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TooFastPolls {
    /// RFC 8628: `slow_down`, and the interval grows by 5 s for good.
    SlowDown,
    /// Dispatcher Paragon clients know only `authorization_pending` and give up on anything
    /// else, so a too-early poll is answered `authorization_pending` and nothing is written.
    AnswerPending,
}

#[derive(Clone, Debug)]
pub struct DeviceCodeGrant {
    pub client_id: String,
    pub api_key: String,
    pub device_code: String,
}

#[derive(Clone, Debug)]
pub struct RefreshGrant {
    pub client_id: String,
    pub api_key: String,
    pub refresh_token: String,
}

/// Polls a device code. A pending, unsigned poll is one round trip (a conditional write that
/// records the poll); a signed poll reads the code first so that a bad signature changes nothing.
pub async fn poll_device_code(
    store: &Store,
    grant: &DeviceCodeGrant,
    signed: Option<SignedRequest<'_>>,
    too_fast: TooFastPolls,
    now: i64,
) -> Result<TokenSet, Error> {
    let code_hash = hash_secret(&grant.device_code);
    let api_key_hash = hash_secret(&grant.api_key);

    let code = match signed {
        None => match store
            .record_pending_poll(&code_hash, presenter(grant, &api_key_hash, false), now)
            .await?
        {
            PollWrite::Recorded => return Err(Error::AuthorizationPending),
            PollWrite::Refused(None) | PollWrite::ClientRefused(_) => return Err(unknown_code()),
            PollWrite::Refused(Some(code)) => *code,
        },
        Some(signed) => {
            let code = store
                .get_device_code(&code_hash)
                .await?
                .ok_or_else(unknown_code)?;
            check_presenter(&code, grant, &api_key_hash)?;
            if let Some(key) = &code.key {
                verify_signature(key, signed, now)?;
            }
            if code.status == CodeStatus::Pending
                && !code.is_expired(now)
                && code.next_poll_at <= now
            {
                match store
                    .record_pending_poll(&code_hash, presenter(grant, &api_key_hash, true), now)
                    .await?
                {
                    PollWrite::Recorded => return Err(Error::AuthorizationPending),
                    PollWrite::Refused(None) | PollWrite::ClientRefused(_) => {
                        return Err(unknown_code());
                    }
                    PollWrite::Refused(Some(changed)) => *changed,
                }
            } else {
                code
            }
        }
    };

    // The conditional write was refused, or the code is not pending: say why, in RFC order.
    check_presenter(&code, grant, &api_key_hash)?;
    if code.key.is_some() && signed.is_none() {
        return Err(Error::InvalidClient(
            "this device registered a public key: sign the request with HCP-Request-Signature"
                .into(),
        ));
    }
    let replay_key = signed
        .filter(|_| code.key.is_some())
        .map(|s| s.replay_key());
    settle(store, &code, too_fast, replay_key.as_deref(), now).await
}

/// Answers a poll whose pending-poll write was refused, from the code as it was: in RFC 8628
/// order, a second redemption, expiry, denial, a too-early poll, or the one redemption.
/// `replay_key` identifies a signed request: replaying the exact request that redeemed the code
/// is refused without revoking anything (only the key holder can sign a new one).
pub(crate) async fn settle(
    store: &Store,
    code: &DeviceCode,
    too_fast: TooFastPolls,
    replay_key: Option<&str>,
    now: i64,
) -> Result<TokenSet, Error> {
    if code.status == CodeStatus::Redeemed
        && replay_key.is_some()
        && code.redeemed_by.as_deref() == replay_key
    {
        tracing::warn!(client_id = %code.client_id, "a signed redemption was replayed; refused");
        return Err(Error::InvalidGrant(
            "the device code has already been used".into(),
        ));
    }
    if code.status == CodeStatus::Redeemed {
        // A second redemption: refuse it and revoke what the first one issued (RFC 6749 §4.1.2).
        if let Some(family_id) = &code.family_id {
            store.revoke_family(family_id, now).await?;
            tracing::warn!(client_id = %code.client_id, "device code presented again after redemption; its tokens are revoked");
        }
        return Err(Error::InvalidGrant(
            "the device code has already been used".into(),
        ));
    }
    if code.is_expired(now) {
        return Err(Error::ExpiredToken);
    }
    match code.status {
        CodeStatus::Denied => Err(Error::AccessDenied(match code.holder() {
            Holder::Device { .. } => "the administrator denied this device".into(),
            Holder::OAuthClient { .. } => "the user denied this request".into(),
        })),
        CodeStatus::Pending => match too_fast {
            TooFastPolls::AnswerPending => Err(Error::AuthorizationPending),
            TooFastPolls::SlowDown => {
                store.slow_down(code, now).await?;
                Err(Error::SlowDown)
            }
        },
        CodeStatus::Approved => redeem(store, code, replay_key, now).await,
        CodeStatus::Redeemed => Err(Error::InvalidGrant(
            "the device code has already been used".into(),
        )),
    }
}

async fn redeem(
    store: &Store,
    code: &DeviceCode,
    replay_key: Option<&str>,
    now: i64,
) -> Result<TokenSet, Error> {
    let family = TokenFamily {
        family_id: ulid::Ulid::new().to_string(),
        client_id: code.client_id.clone(),
        owner: code.holder().owner_key(),
        status: FamilyStatus::Active,
        created_at: now,
        ttl: now + code.lifetimes.refresh_token_ttl,
    };
    let issued = IssuedPair::new(
        &family.family_id,
        TokenOwner {
            client_id: &code.client_id,
            owner: &code.owner,
            scope: code.scope.as_deref(),
        },
        code.lifetimes,
        now,
    )?;
    match store
        .redeem(
            code,
            &family,
            [&issued.access, &issued.refresh],
            replay_key,
            now,
        )
        .await?
    {
        RedeemOutcome::Redeemed => {
            tracing::info!(client_id = %code.client_id, family_id = %family.family_id, "device code redeemed");
            Ok(issued.token_set)
        }
        RedeemOutcome::CodeChanged(Some(current)) if current.status == CodeStatus::Redeemed => {
            // Lost a race with another poll: this is a second redemption.
            if let Some(family_id) = &current.family_id {
                store.revoke_family(family_id, now).await?;
            }
            Err(Error::InvalidGrant(
                "the device code has already been used".into(),
            ))
        }
        RedeemOutcome::CodeChanged(Some(current)) if current.is_expired(now) => {
            Err(Error::ExpiredToken)
        }
        RedeemOutcome::CodeChanged(_) => Err(Error::InvalidGrant(
            "the device code is no longer valid".into(),
        )),
        RedeemOutcome::Inactive(Inactive::Device) => Err(Error::AccessDenied(
            "the device is no longer approved".into(),
        )),
        RedeemOutcome::Inactive(which) => Err(inactive_error(which)),
    }
}

/// What a redemption or refresh says when something it depends on is no longer usable.
fn inactive_error(which: Inactive) -> Error {
    match which {
        Inactive::Device => Error::InvalidGrant("the device is no longer approved".into()),
        Inactive::ApiKey => Error::InvalidClient("the API key is disabled or expired".into()),
        Inactive::Client => Error::InvalidClient("the client is disabled".into()),
        Inactive::User => Error::InvalidGrant("the user who approved is disabled".into()),
    }
}

/// Exchanges a refresh token for a new pair. Two round trips: one read (token and device), one
/// transaction. Presenting a token that was already exchanged revokes its whole family.
pub async fn refresh(
    store: &Store,
    grant: &RefreshGrant,
    signed: Option<SignedRequest<'_>>,
    now: i64,
) -> Result<TokenSet, Error> {
    let token_hash = hash_secret(&grant.refresh_token);
    let api_key_hash = hash_secret(&grant.api_key);
    let (token, device) = store
        .get_token_and_device(&token_hash, &grant.client_id)
        .await?;
    let token = token
        .filter(|t| t.kind == TokenKind::Refresh && t.client_id == grant.client_id)
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
    if let Some(key) = &device.key {
        let signed = signed.ok_or_else(|| {
            Error::InvalidClient(
                "this device registered a public key: sign the request with HCP-Request-Signature"
                    .into(),
            )
        })?;
        verify_signature(key, signed, now)?;
        return rotate(store, &token, None, Some(&signed.replay_key()), now).await;
    }
    rotate(store, &token, None, None, now).await
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
    now: i64,
) -> Result<TokenSet, Error> {
    if token.rotated_at.is_some()
        && replay_key.is_some()
        && token.rotated_by.as_deref() == replay_key
    {
        tracing::warn!(client_id = %token.client_id, "a signed refresh was replayed; refused");
        return Err(Error::InvalidGrant(
            "the refresh token has already been used".into(),
        ));
    }
    if token.rotated_at.is_some() {
        store.revoke_family(&token.family_id, now).await?;
        tracing::warn!(client_id = %token.client_id, family_id = %token.family_id, "refresh token reused; family revoked");
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
        },
        token.lifetimes,
        now,
    )?;
    let family_ttl = now + token.lifetimes.refresh_token_ttl;
    match store
        .rotate(
            token,
            [&issued.access, &issued.refresh],
            family_ttl,
            replay_key,
            now,
        )
        .await?
    {
        RotateOutcome::Rotated => Ok(issued.token_set),
        RotateOutcome::AlreadyRotated => {
            store.revoke_family(&token.family_id, now).await?;
            Err(Error::InvalidGrant(
                "the refresh token has already been used".into(),
            ))
        }
        RotateOutcome::FamilyRevoked => Err(Error::InvalidGrant(
            "the refresh token has been revoked".into(),
        )),
        RotateOutcome::Inactive(which) => Err(inactive_error(which)),
    }
}

/// Whom new tokens belong to: copied from the device code or the refresh token they replace.
#[derive(Clone, Copy, Debug)]
struct TokenOwner<'a> {
    client_id: &'a str,
    owner: &'a Owner,
    scope: Option<&'a str>,
}

/// A fresh access and refresh token, as records to store and as values to hand out.
struct IssuedPair {
    access: TokenRecord,
    refresh: TokenRecord,
    token_set: TokenSet,
}

impl IssuedPair {
    fn new(
        family_id: &str,
        owner: TokenOwner<'_>,
        lifetimes: Lifetimes,
        now: i64,
    ) -> Result<IssuedPair, Error> {
        let access = secrets::issue(SecretKind::AccessToken)?;
        let refresh = secrets::issue(SecretKind::RefreshToken)?;
        let record = |kind: TokenKind, hash: &str, ttl: i64| TokenRecord {
            token_hash: hash.to_owned(),
            kind,
            family_id: family_id.to_owned(),
            client_id: owner.client_id.to_owned(),
            owner: owner.owner.clone(),
            scope: owner.scope.map(str::to_owned),
            issued_at: now,
            expires_at: now + ttl,
            lifetimes,
            rotated_at: None,
            rotated_by: None,
            ttl: now + ttl,
        };
        Ok(IssuedPair {
            access: record(TokenKind::Access, access.hash(), lifetimes.access_token_ttl),
            refresh: record(
                TokenKind::Refresh,
                refresh.hash(),
                lifetimes.refresh_token_ttl,
            ),
            token_set: TokenSet {
                access_token: access.into_value(),
                refresh_token: refresh.into_value(),
                expires_in: lifetimes.access_token_ttl,
                scope: owner.scope.map(str::to_owned),
            },
        })
    }
}

fn presenter<'a>(
    grant: &'a DeviceCodeGrant,
    api_key_hash: &'a str,
    signed: bool,
) -> PollPresenter<'a> {
    PollPresenter::Device {
        client_id: &grant.client_id,
        api_key_hash,
        signed,
    }
}

pub(crate) fn unknown_code() -> Error {
    Error::InvalidGrant("unknown device code".into())
}

/// The code must be presented by the client and under the API key it was issued to.
fn check_presenter(
    code: &DeviceCode,
    grant: &DeviceCodeGrant,
    api_key_hash: &str,
) -> Result<(), Error> {
    if code.client_id != grant.client_id {
        return Err(Error::InvalidGrant(
            "the device code was issued to another client".into(),
        ));
    }
    if !code
        .owner
        .api_key_hash()
        .is_some_and(|h| hashes_match(h, api_key_hash))
    {
        return Err(Error::InvalidClient(
            "the API key does not match the one the device registered with".into(),
        ));
    }
    Ok(())
}

/// The signature must verify with the device's key, and a signed timestamp must be fresh.
fn verify_signature(key: &StoredKey, signed: SignedRequest<'_>, now: i64) -> Result<(), Error> {
    let key = DevicePublicKey::from_stored(key)
        .map_err(|e| Error::internal(format!("stored key no longer parses: {e}")))?;
    key.verify(signed.body, signed.signature)
        .map_err(|e| Error::InvalidClient(e.to_string()))?;
    signed.check_fresh(now)
}
