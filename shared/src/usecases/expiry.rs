//! A device code that expired before it was used leaves a record in the audit trail: a Paragon
//! registration nobody decided on (`device.expired`), or an RFC 8628 device code nobody entered
//! or redeemed (`device_code.expired`). Both ways a code's expiry is noticed call this one rule:
//! deployed, DynamoDB TTL deletes the code and the table's stream hands the deleted item to the
//! `expiry` function ([`crate::api::expiry`]); locally, `devicegate serve` sweeps its table.
//!
//! The record's time is the code's expiry, not when it was noticed (TTL deletes within about
//! 48 hours), and its id is derived from the code, so a retry or a second path writing the
//! same expiry finds the first record and writes nothing.

use sha2::{Digest as _, Sha256};

use crate::error::Error;
use crate::model::{AuditEvent, AuditType, CodeStatus, DeviceCode, Origin, Outcome, Owner};
use crate::storage::{Recorded, Store};

/// What [`record_expired`] did with one code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expiry {
    /// Its record is written now.
    Recorded,
    /// Its record was written before (a retry, or the other path).
    AlreadyRecorded,
    /// No record is due: the code was denied or redeemed, or has not expired yet.
    NotDue,
}

/// The record of `code`'s expiry, if one is due at `now`: the code expired while pending, or
/// approved but never redeemed. A denied or redeemed code was decided and recorded then. The
/// actor is always `system`; `origin` gives the request id and dialect.
pub fn expiry_event(code: &DeviceCode, origin: &Origin, now: i64) -> Option<AuditEvent> {
    if !code.is_expired(now) {
        return None;
    }
    let kind = match code.owner {
        Owner::Device { .. } => AuditType::DeviceExpired,
        Owner::Client { .. } => AuditType::DeviceCodeExpired,
        // No device code is a user's: user tokens are issued at login, without one.
        Owner::User { .. } => return None,
    };
    let at = rfc3339(code.expires_at);
    let reason = match (code.status, code.owner.username()) {
        (CodeStatus::Pending, _) => format!("expired at {at} without a decision"),
        (CodeStatus::Approved, Some(user)) => {
            format!("expired at {at} approved by {user} but never redeemed")
        }
        (CodeStatus::Approved, None) => format!("expired at {at} approved but never redeemed"),
        (CodeStatus::Denied | CodeStatus::Redeemed, _) => return None,
    };
    let origin = origin.by(crate::model::Actor::system());
    Some(
        AuditEvent::with_id(
            expiry_id(code),
            kind,
            &origin,
            &code.client_id,
            Outcome::Failure,
        )
        .because(&reason),
    )
}

/// Records `code`'s expiry once, however often it is called (one `PutItem`: 3 write units the
/// first time, 1 for each repeat that finds it there).
pub async fn record_expired(
    store: &Store,
    code: &DeviceCode,
    origin: &Origin,
    now: i64,
) -> Result<Expiry, Error> {
    let Some(event) = expiry_event(code, origin, now) else {
        return Ok(Expiry::NotDue);
    };
    Ok(match store.record_once(&event).await? {
        Recorded::Written => Expiry::Recorded,
        Recorded::AlreadyThere => Expiry::AlreadyRecorded,
    })
}

/// The record's ULID: the expiry in milliseconds, and 80 bits of a hash of the code's hash
/// (unique per code as the hash is; no secret, since the stored hash is one already).
pub fn expiry_id(code: &DeviceCode) -> ulid::Ulid {
    const MAX_ULID_MS: i64 = (1 << 48) - 1;
    let ms = code.expires_at.saturating_mul(1000).clamp(0, MAX_ULID_MS);
    let digest = Sha256::digest(format!("device code expired:{}", code.code_hash).as_bytes());
    let mut random = [0u8; 16];
    random[6..].copy_from_slice(&digest[..10]);
    ulid::Ulid::from_parts(u64::try_from(ms).unwrap_or(0), u128::from_be_bytes(random))
}

/// RFC 3339 (UTC, seconds) of an epoch time, or the number itself when out of range.
fn rfc3339(epoch: i64) -> String {
    chrono::DateTime::from_timestamp(epoch, 0)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_else(|| epoch.to_string())
}

#[cfg(test)]
mod tests;
