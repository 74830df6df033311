//! The device authorization grant (RFC 8628) and Paragon's device codes: start, poll with the
//! dialect's policy for too-early polls, settle, and redeem exactly once.
//!
//! [`start`] issues a code, [`poll`] answers the device or client that polls it, [`redeem`]
//! settles a refused poll and redeems an approved code exactly once.

mod poll;
mod redeem;
mod start;

use crate::model::*;
use crate::usecases::client_auth::ClientCredentials;
use crate::usercode::UserCode;

pub(crate) use poll::Presented;
pub use poll::{poll_as_client, poll_as_device};
pub use start::start_device_authorization;

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
