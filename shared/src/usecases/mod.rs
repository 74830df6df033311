//! The rules of every flow, independent of any dialect, one module per capability (not per
//! dialect or caller): [`client_auth`], [`device_trust`] (Paragon registration and signatures),
//! [`device_grant`] (start, poll, settle, redeem), [`refresh`], [`token_status`] (introspection,
//! revocation), [`sign_in`], [`verification`] (the user-code page), [`user_tokens`] (Paragon
//! login, user-token refresh, the authorizer's judgement), [`grants`] (the token
//! endpoint: which grant, by whom), [`issuance`] (minting every grant's tokens), [`expiry`] (the audit record of a device code that
//! expired unused), [`admin`], [`console`] (admin console sessions). A dialect parses into these requests and renders
//! their results; nothing about a flow's rules lives anywhere else.

pub mod admin;
pub mod authorization_code;
pub mod client_auth;
pub mod client_registration;
pub mod console;
pub mod device_grant;
pub mod device_trust;
pub mod expiry;
pub mod federation;
pub mod grants;
pub mod issuance;
pub mod openid;
pub mod refresh;
pub mod sign_in;
pub mod token_status;
pub mod user_tokens;
pub mod verification;
pub mod vmware;

use crate::error::Error;
use crate::model::StoredKey;
use crate::signatures::DevicePublicKey;

/// A request's `HCP-Request-Signature` and the exact bytes it signs.
#[derive(Clone, Copy, Debug)]
pub struct SignedRequest<'a> {
    pub signature: &'a str,
    pub body: &'a [u8],
    /// The `timestamp` field of the signed body (epoch seconds), when the device sends one: it
    /// is covered by the signature, so a captured request cannot be replayed once it is stale.
    pub timestamp: Option<i64>,
}

impl SignedRequest<'_> {
    /// How far a signed timestamp may be from the server's clock, either way.
    pub const MAX_SKEW: i64 = 300;

    /// Refuses a signed timestamp that is stale or from the future.
    pub fn check_fresh(&self, now: i64) -> Result<(), Error> {
        match self.timestamp {
            // abs_diff: no timestamp a device sends can overflow the comparison.
            Some(at) if at.abs_diff(now) > Self::MAX_SKEW.unsigned_abs() => {
                Err(Error::invalid_request(format!(
                    "the signed timestamp is more than {} seconds from the server's time",
                    Self::MAX_SKEW
                )))
            }
            _ => Ok(()),
        }
    }

    /// The signature must verify with the device's key, and a signed timestamp must be fresh.
    pub(crate) fn verify_with(&self, key: &StoredKey, now: i64) -> Result<(), Error> {
        let key = DevicePublicKey::from_stored(key)
            .map_err(|e| Error::internal(format!("stored key no longer parses: {e}")))?;
        key.verify(self.body, self.signature)
            .map_err(|e| Error::InvalidClient(e.to_string()))?;
        self.check_fresh(now)
    }

    /// Identifies this exact request, so that a replay of it can be told from a new request.
    pub fn replay_key(&self) -> String {
        use sha2::{Digest as _, Sha256};
        crate::secrets::to_hex(&Sha256::digest(self.body))
    }
}

#[cfg(test)]
mod tests {
    use super::SignedRequest;

    fn at(timestamp: i64) -> SignedRequest<'static> {
        SignedRequest {
            signature: "",
            body: b"",
            timestamp: Some(timestamp),
        }
    }

    /// Found by reading the fuzz target's inputs: `(at - now)` overflowed on `i64::MIN`.
    #[test]
    fn any_signed_timestamp_is_judged_without_overflow() {
        let now = 1_795_348_800;
        for stale in [i64::MIN, i64::MAX, -1, 0, now - 301, now + 301] {
            assert!(at(stale).check_fresh(now).is_err(), "{stale}");
        }
        for fresh in [now, now - 300, now + 300] {
            assert!(at(fresh).check_fresh(now).is_ok(), "{fresh}");
        }
    }
}
