//! The token endpoint of every dialect: which grant, presented by whom, decides which rules
//! apply. A dialect's codec parses into a [`TokenRequest`]; the rules of each grant live in
//! [`crate::usecases::device_grant`] and [`crate::usecases::refresh`].

use crate::error::Error;
use crate::model::{Origin, Scope, TokenSet};
use crate::storage::Store;
use crate::usecases::SignedRequest;
use crate::usecases::authorization_code::{self, CodeGrant};
use crate::usecases::client_auth::ClientCredentials;
use crate::usecases::device_grant::{self, DeviceCodeGrant, TooFastPolls};
use crate::usecases::refresh::{self, RefreshGrant};
use crate::usecases::user_tokens;

/// Who presents a grant.
#[derive(Debug)]
pub enum Caller<'r> {
    /// A Paragon device, under the API key it registered with; signed when it holds a key.
    Device {
        client_id: String,
        api_key: String,
        signed: Option<SignedRequest<'r>>,
    },
    /// An OAuth client (RFC 6749 §2.3: a secret, or none for a public client).
    Client(ClientCredentials),
    /// Paragon's `client_id=api`: a user token's holder, with the API key it was issued under.
    User { api_key: String },
}

/// What is presented.
#[derive(Debug)]
pub enum Grant {
    /// RFC 8628 §3.4.
    DeviceCode(String),
    /// RFC 6749 §6; `scope` may only narrow what was granted.
    Refresh {
        refresh_token: String,
        scope: Option<Scope>,
    },
    /// RFC 6749 §4.1.3 with RFC 7636's `code_verifier`.
    AuthorizationCode(CodeGrant),
}

/// A token request, whatever its dialect.
#[derive(Debug)]
pub struct TokenRequest<'r> {
    pub caller: Caller<'r>,
    pub grant: Grant,
}

/// Exchanges a grant for tokens. `too_fast` is the dialect's answer to a too-early poll.
pub async fn exchange(
    store: &Store,
    request: TokenRequest<'_>,
    too_fast: TooFastPolls,
    origin: &Origin,
    now: i64,
) -> Result<TokenSet, Error> {
    match (request.caller, request.grant) {
        (
            Caller::Device {
                client_id,
                api_key,
                signed,
            },
            Grant::DeviceCode(device_code),
        ) => {
            let grant = DeviceCodeGrant {
                client_id,
                api_key,
                device_code,
            };
            device_grant::poll_as_device(store, &grant, signed, too_fast, origin, now).await
        }
        (
            Caller::Device {
                client_id,
                api_key,
                signed,
            },
            Grant::Refresh {
                refresh_token,
                scope,
            },
        ) => {
            if scope.is_some() {
                return Err(Error::invalid_request(
                    "a device's refresh keeps the scope it was granted",
                ));
            }
            let grant = RefreshGrant {
                client_id,
                api_key,
                refresh_token,
            };
            refresh::refresh_as_device(store, &grant, signed, origin, now).await
        }
        (Caller::User { api_key }, Grant::Refresh { refresh_token, .. }) => {
            user_tokens::refresh_as_user(store, &api_key, &refresh_token, origin, now).await
        }
        (Caller::User { .. }, Grant::DeviceCode(_) | Grant::AuthorizationCode(_)) => {
            Err(Error::UnauthorizedClient(
                "client_id api holds user tokens: it may only refresh them".into(),
            ))
        }
        (Caller::Client(client), Grant::AuthorizationCode(grant)) => {
            authorization_code::redeem(store, &client, &grant, origin, now).await
        }
        (Caller::Device { .. }, Grant::AuthorizationCode(_)) => Err(Error::UnsupportedGrantType(
            "devices use the device_code grant".into(),
        )),
        (Caller::Client(client), Grant::DeviceCode(device_code)) => {
            device_grant::poll_as_client(store, &client, &device_code, too_fast, origin, now).await
        }
        (
            Caller::Client(client),
            Grant::Refresh {
                refresh_token,
                scope,
            },
        ) => {
            refresh::refresh_as_client(store, &client, &refresh_token, scope.as_ref(), origin, now)
                .await
        }
    }
}
