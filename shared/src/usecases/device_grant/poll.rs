//! Polls: a Paragon device's (signed or not, under its API key) and an OAuth client's (RFC 8628
//! §3.4), each judged before anything is written.

use super::redeem::{settle, unknown_code};
use super::{DeviceCodeGrant, TooFastPolls};
use crate::error::Error;
use crate::model::*;
use crate::secrets::{hash_secret, hashes_match};
use crate::storage::*;
use crate::usecases::SignedRequest;
use crate::usecases::client_auth::{ClientCredentials, admit_api_key, authenticate};

/// Polls a device code. Every poll is a use of the API key, judged as the key is now (usable,
/// and from one of its networks) before anything is written: a pending, unsigned poll is two
/// round trips (the key read, then a conditional write that records the poll); a signed poll
/// reads the code with the key, so that a bad signature changes nothing.
pub async fn poll_as_device(
    store: &Store,
    grant: &DeviceCodeGrant,
    signed: Option<SignedRequest<'_>>,
    too_fast: TooFastPolls,
    origin: &Origin,
    now: i64,
) -> Result<TokenSet, Error> {
    let code_hash = hash_secret(&grant.device_code);
    let api_key_hash = hash_secret(&grant.api_key);

    let code = match signed {
        None => {
            admit_api_key(
                store.get_api_key(&api_key_hash).await?,
                &api_key_hash,
                &origin.source_ip,
                now,
            )?;
            match store
                .record_pending_poll(&code_hash, presenter(grant, &api_key_hash, false), now)
                .await?
            {
                PollWrite::Recorded => return Err(Error::AuthorizationPending),
                PollWrite::Refused(None) => return Err(unknown_code()),
                PollWrite::Refused(Some(code)) => *code,
            }
        }
        Some(signed) => {
            let (code, api_key) = store
                .get_device_code_and_api_key(&code_hash, &api_key_hash)
                .await?;
            admit_api_key(api_key, &api_key_hash, &origin.source_ip, now)?;
            let code = code.ok_or_else(unknown_code)?;
            check_presenter(&code, grant, &api_key_hash)?;
            if let Some(key) = &code.key {
                signed.verify_with(key, now)?;
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
        origin,
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
    origin: &Origin,
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
        origin,
    };
    settle(store, &code, too_fast, presented, now).await
}

/// Whether a device code was issued to this OAuth client, under the secret it presents now.
pub(super) fn issued_to(
    code: &DeviceCode,
    client: &ClientCredentials,
    secret_hash: Option<&str>,
) -> bool {
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
#[derive(Clone, Copy)]
pub(crate) struct Presented<'a> {
    pub replay_key: Option<&'a str>,
    pub client: Option<&'a ClientCredentials>,
    /// Where the poll came from, for the audit record of a redemption or a reuse.
    pub origin: &'a Origin,
}

pub(super) fn presenter<'a>(
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

/// The code must be presented by the client and under the API key it was issued to.
pub(super) fn check_presenter(
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
