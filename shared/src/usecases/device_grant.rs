//! The device authorization grant (RFC 8628) and Paragon's device codes: start, poll with the
//! dialect's policy for too-early polls, settle, and redeem exactly once.

use crate::config::Settings;
use crate::error::Error;
use crate::keys::DevicePublicKey;
use crate::model::*;
use crate::secrets::{self, SecretKind, hash_secret, hashes_match};
use crate::storage::*;
use crate::usecases::SignedRequest;
use crate::usecases::client_auth::{ClientCredentials, authenticate, explain_refusal, proof};
use crate::usecases::refresh::{IssuedPair, TokenOwner};
use crate::usecases::token_status::lapse;
use crate::usercode::UserCode;

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
pub struct DeviceAuthorizationRequest {
    pub client: ClientCredentials,
    /// Empty: the client's whole registered scope, fixed when the user approves.
    pub scope: Scope,
}

#[derive(Debug)]
pub struct DeviceAuthorization {
    pub device_code: String,
    pub user_code: UserCode,
    pub expires_in: i64,
    pub interval: i64,
}

/// How many fresh user codes to try when one is already live (each collision has odds of about
/// live codes / 2.56e10).
const USER_CODE_ATTEMPTS: usize = 3;

/// Starts an RFC 8628 device authorization: one round trip (a transaction that authenticates
/// the client, checks grant and scope, writes the device code and claims the user code).
pub async fn start_device_authorization(
    store: &Store,
    settings: &Settings,
    request: &DeviceAuthorizationRequest,
    now: i64,
) -> Result<DeviceAuthorization, Error> {
    let secret_hash = request.client.secret_hash();
    let scope = (!request.scope.is_empty()).then_some(&request.scope);
    let proof = proof(
        &request.client,
        &secret_hash,
        GrantType::DeviceCode,
        scope,
        now,
    );
    let expires_at = now + settings.device_code_ttl;
    for _ in 0..USER_CODE_ATTEMPTS {
        let device_code = secrets::issue(SecretKind::DeviceCode)?;
        let user_code = UserCode::generate()?;
        let code_hmac = user_code.hmac(settings.server_secret()?);
        let code = DeviceCode {
            code_hash: device_code.hash().to_owned(),
            client_id: request.client.client_id.clone(),
            owner: Owner::Client { username: None },
            scope: request.scope.to_wire(),
            user_code_hmac: Some(code_hmac.clone()),
            status: CodeStatus::Pending,
            created_at: now,
            expires_at,
            interval: settings.poll_interval,
            next_poll_at: now,
            last_poll_id: None,
            key: None,
            // The transaction below writes the code only if this is the client's secret.
            client_secret_hash: secret_hash.clone(),
            // Lifetimes are the client's; they are read when the user approves.
            lifetimes: crate::model::Lifetimes::default(),
            allowed_sources: Vec::new(),
            family_id: None,
            redeemed_by: None,
            ttl: expires_at,
        };
        let record = UserCodeRecord {
            code_hmac,
            device_code_hash: code.code_hash.clone(),
            client_id: code.client_id.clone(),
            expires_at,
            ttl: expires_at,
        };
        match store
            .start_device_authorization(&proof, &code, &record)
            .await?
        {
            StartOutcome::Started => {
                tracing::info!(client_id = %code.client_id, "device authorization started");
                return Ok(DeviceAuthorization {
                    device_code: device_code.into_value(),
                    user_code,
                    expires_in: settings.device_code_ttl,
                    interval: settings.poll_interval,
                });
            }
            StartOutcome::ClientRefused(client) => {
                return Err(explain_refusal(
                    client.map(|c| *c),
                    &request.client,
                    GrantType::DeviceCode,
                    scope,
                    now,
                ));
            }
            StartOutcome::UserCodeTaken => continue,
        }
    }
    Err(Error::internal(
        "no free user code after several attempts; the code space is crowded",
    ))
}

/// Polls a device code. A pending, unsigned poll is one round trip (a conditional write that
/// records the poll); a signed poll reads the code first so that a bad signature changes nothing.
pub async fn poll_as_device(
    store: &Store,
    grant: &DeviceCodeGrant,
    signed: Option<SignedRequest<'_>>,
    too_fast: TooFastPolls,
    source: &str,
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
            PollWrite::Refused(None) => return Err(unknown_code()),
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
                    PollWrite::Refused(None) => return Err(unknown_code()),
                    PollWrite::Refused(Some(changed)) => *changed,
                }
            } else {
                code
            }
        }
    };

    // The conditional write was refused, or the code is not pending: say why, in RFC order.
    check_presenter(&code, grant, &api_key_hash)?;
    if !source_allowed(&code.allowed_sources, source) {
        return Err(Error::Forbidden(
            "this API key may not be used from this address".into(),
        ));
    }
    if code.key.is_some() && signed.is_none() {
        return Err(Error::InvalidClient(
            "this device registered a public key: sign the request with HCP-Request-Signature"
                .into(),
        ));
    }
    let replay_key = signed
        .filter(|_| code.key.is_some())
        .map(|s| s.replay_key());
    let presented = Presented {
        replay_key: replay_key.as_deref(),
        client: None,
    };
    settle(store, &code, too_fast, presented, now).await
}

/// Polls a device code (RFC 8628 §3.4-3.5). Pending: one round trip, a conditional write to
/// the code that authenticates the client against the secret the code was issued under.
/// Approved: two more, the holder read (the client authenticates as it is now) and the
/// redemption's transaction.
pub async fn poll_as_client(
    store: &Store,
    client: &ClientCredentials,
    device_code: &str,
    too_fast: TooFastPolls,
    now: i64,
) -> Result<TokenSet, Error> {
    let secret_hash = client.secret_hash();
    let presenter = PollPresenter::OAuthClient {
        client_id: &client.client_id,
        secret_hash: secret_hash.as_deref(),
    };
    let found = match store
        .record_pending_poll(&hash_secret(device_code), presenter, now)
        .await?
    {
        PollWrite::Recorded => return Err(Error::AuthorizationPending),
        PollWrite::Refused(found) => found,
    };
    let code = match found {
        Some(code) if issued_to(&code, client, secret_hash.as_deref()) => *code,
        found => {
            // Not this client's code, or not under this secret. Who is wrong, the client
            // first: one read, on this error path only.
            let stored = store.get_client(&client.client_id).await?;
            authenticate(stored, client, now)?;
            return Err(match found {
                None => unknown_code(),
                Some(code) if code.client_id == client.client_id => Error::InvalidGrant(
                    "the device code was issued under another client secret".into(),
                ),
                Some(_) => {
                    Error::InvalidGrant("the device code was issued to another client".into())
                }
            });
        }
    };
    // How the flow ended, and the revocation a redeemed code's second presentation sets off,
    // are for the client as it is now: not for a secret since rotated out or a client since
    // disabled (a captured poll holds the code and the secret together). One read, on these
    // rare answers only: a pending poll is answered from the code, and the redemption of an
    // approved one authenticates the client itself.
    if matches!(code.status, CodeStatus::Redeemed | CodeStatus::Denied) {
        authenticate(store.get_client(&client.client_id).await?, client, now)?;
    }
    let presented = Presented {
        replay_key: None,
        client: Some(client),
    };
    settle(store, &code, too_fast, presented, now).await
}

/// Whether a device code was issued to this OAuth client, under the secret it presents now.
fn issued_to(code: &DeviceCode, client: &ClientCredentials, secret_hash: Option<&str>) -> bool {
    code.client_id == client.client_id
        && matches!(code.owner, Owner::Client { .. })
        && match (code.client_secret_hash.as_deref(), secret_hash) {
            (Some(issued), Some(presented)) => hashes_match(issued, presented),
            (None, None) => true,
            _ => false,
        }
}

/// What came with a poll beyond the code: a signed request's replay key, or the OAuth client's
/// credentials, which the redemption authenticates against the client as it is then.
#[derive(Clone, Copy, Default)]
pub(crate) struct Presented<'a> {
    pub replay_key: Option<&'a str>,
    pub client: Option<&'a ClientCredentials>,
}

/// Answers a poll whose pending-poll write was refused, from the code as it was: in RFC 8628
/// order, a second redemption, expiry, denial, a too-early poll, or the one redemption.
/// A signed request's replay key identifies it: replaying the exact request that redeemed the
/// code is refused without revoking anything (only the key holder can sign a new one).
pub(crate) async fn settle(
    store: &Store,
    code: &DeviceCode,
    too_fast: TooFastPolls,
    presented: Presented<'_>,
    now: i64,
) -> Result<TokenSet, Error> {
    let replay_key = presented.replay_key;
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
            Holder::OAuthClient { .. } | Holder::User { .. } => {
                "the user denied this request".into()
            }
        })),
        CodeStatus::Pending => match too_fast {
            TooFastPolls::AnswerPending => Err(Error::AuthorizationPending),
            TooFastPolls::SlowDown => {
                store.slow_down(code, now).await?;
                Err(Error::SlowDown)
            }
        },
        CodeStatus::Approved => redeem(store, code, presented, now).await,
        CodeStatus::Redeemed => Err(Error::InvalidGrant(
            "the device code has already been used".into(),
        )),
    }
}

async fn redeem(
    store: &Store,
    code: &DeviceCode,
    presented: Presented<'_>,
    now: i64,
) -> Result<TokenSet, Error> {
    let replay_key = presented.replay_key;
    // The holder's records are read and judged here rather than checked as conditions in the
    // transaction: one more round trip, once per flow, for a read that costs a fraction of a
    // write unit where each condition costs two. Whatever changes after this read is caught
    // where the tokens are used: every use reads the holder's standing again.
    let holder = code.holder();
    let standing = store.get_standing(None, holder).await?;
    if let Some(credentials) = presented.client {
        // The client as it is now: it must still authenticate and be allowed the grant.
        let client = authenticate(standing.client.clone(), credentials, now)?;
        if !client.allows(GrantType::DeviceCode) {
            return Err(explain_refusal(
                Some(client),
                credentials,
                GrantType::DeviceCode,
                None,
                now,
            ));
        }
    }
    if let Some(which) = lapse(&standing, holder, now) {
        return Err(redemption_refused(which));
    }
    const JUDGED: &[Inactive] = &[
        Inactive::Client,
        Inactive::User,
        Inactive::Device,
        Inactive::ApiKey,
    ];
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
            JUDGED,
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
            // Lost a race with another poll: a second redemption, unless it was this very
            // signed request (replayed, or retried by the device) that won.
            let same_request = replay_key.is_some() && current.redeemed_by.as_deref() == replay_key;
            if let (Some(family_id), false) = (&current.family_id, same_request) {
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
        RedeemOutcome::Inactive(which) => Err(redemption_refused(which)),
    }
}

/// What a redemption says when something its code depends on is no longer usable.
fn redemption_refused(which: Inactive) -> Error {
    match which {
        Inactive::Device => Error::AccessDenied("the device is no longer approved".into()),
        other => inactive_error(other),
    }
}

/// What a redemption or refresh says when something it depends on is no longer usable.
pub(crate) fn inactive_error(which: Inactive) -> Error {
    match which {
        Inactive::Device => Error::InvalidGrant("the device is no longer approved".into()),
        Inactive::ApiKey => Error::InvalidClient("the API key is disabled or expired".into()),
        Inactive::Client => Error::InvalidClient("the client is disabled".into()),
        Inactive::User => Error::InvalidGrant("the user who approved is disabled".into()),
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
pub(crate) fn verify_signature(
    key: &StoredKey,
    signed: SignedRequest<'_>,
    now: i64,
) -> Result<(), Error> {
    let key = DevicePublicKey::from_stored(key)
        .map_err(|e| Error::internal(format!("stored key no longer parses: {e}")))?;
    key.verify(signed.body, signed.signature)
        .map_err(|e| Error::InvalidClient(e.to_string()))?;
    signed.check_fresh(now)
}
