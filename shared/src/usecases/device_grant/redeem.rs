//! Settling a poll whose pending write was refused (RFC 8628 §3.5 order) and the one redemption
//! of an approved code.

use super::{Presented, TooFastPolls};
use crate::error::Error;
use crate::model::*;
use crate::storage::*;
use crate::usecases::client_auth::{authenticate, explain_refusal};
use crate::usecases::issuance::{self, TokenOwner};

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
        tracing::info!(client_id = %code.client_id, "a signed redemption was replayed; refused");
        return Err(Error::InvalidGrant(
            "the device code has already been used".into(),
        ));
    }
    if code.status == CodeStatus::Redeemed {
        // A second redemption: refuse it and revoke what the first one issued (RFC 6749 §4.1.2).
        if let Some(family_id) = &code.family_id {
            store
                .revoke_family_audited(family_id, now, &code_reused(code, &presented, family_id))
                .await?;
            tracing::info!(client_id = %code.client_id, "device code presented again after redemption; its tokens are revoked");
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

pub(super) async fn redeem(
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
    let audit = AuditEvent::success(
        AuditType::DeviceCodeRedeemed,
        &presented.origin.by(holder.actor()),
        holder.subject(),
    );
    let (family, issued) = issuance::first_pair(
        TokenOwner {
            client_id: &code.client_id,
            owner: &code.owner,
            scope: code.scope.as_deref(),
            auth_time: None,
        },
        code.lifetimes,
        now,
    )?;
    match store
        .redeem(
            code,
            JUDGED,
            &family,
            NewPair {
                tokens: [&issued.access, &issued.refresh],
                replay_key,
                audit: &audit,
            },
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
                store
                    .revoke_family_audited(
                        family_id,
                        now,
                        &code_reused(code, &presented, family_id),
                    )
                    .await?;
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

/// The record of a redeemed code presented again, which revokes what its redemption issued.
fn code_reused(code: &DeviceCode, presented: &Presented<'_>, family_id: &str) -> AuditEvent {
    let holder = code.holder();
    AuditEvent::failure(
        AuditType::TokenReuseDetected,
        &presented.origin.by(holder.actor()),
        holder.subject(),
        &format!("device code presented again after redemption; token family {family_id} revoked"),
    )
}

/// What a redemption says when something its code depends on is no longer usable.
pub(super) fn redemption_refused(which: Inactive) -> Error {
    match which {
        Inactive::Device => Error::AccessDenied("the device is no longer approved".into()),
        other => other.refusal(),
    }
}

pub(crate) fn unknown_code() -> Error {
    Error::InvalidGrant("unknown device code".into())
}
