//! `POST /api/v1/login`: a person's credentials (a password, or a login id on a trusted device),
//! judged under the API key, and the user's first pair.

use super::{Credentials, LoginRequest, login_counters};
use crate::error::Error;
use crate::model::*;
use crate::password;

use crate::secrets::{ServerSecret, hash_secret, hashes_match};
use crate::storage::*;
use crate::usecases::client_auth::admit_api_key;
use crate::usecases::issuance::{self, TokenOwner};
use crate::usecases::sign_in::{source_subject, take_attempt};

pub(super) fn wrong_credentials() -> Error {
    Error::InvalidGrant("wrong credentials".into())
}

pub(super) fn untrusted_device() -> Error {
    Error::InvalidToken("the device token is not a valid token of a trusted device".into())
}

/// Signs a user in and issues a user token. Round trips: the attempt taken (one transaction),
/// the API key, device token and user read together (one batch), an index query for a card id,
/// short id or email, and the issue (one transaction, which also gives the attempt back).
pub async fn login(
    store: &Store,
    secret: &ServerSecret,
    request: LoginRequest,
    origin: &Origin,
    now: i64,
) -> Result<TokenSet, Error> {
    // The trail names who tried by username only: a card id or short id signs a person in
    // without a password, so it is never written down.
    let named = match &request.credentials {
        Credentials::Password { username, .. } | Credentials::Username(username) => {
            username.clone()
        }
        Credentials::LoginId(id) => format!("({})", id.kind().field()),
    };
    let outcome = judge_and_issue(store, secret, request, &named, origin, now).await;
    match &outcome {
        // A refusal leaves its record; a full counter (the limit already refused it without
        // judging) and a fault do not, so a flood of blocked attempts writes nothing.
        Err(e) if !matches!(e, Error::TooManyAttempts(_) | Error::Internal(_)) => {
            let refused =
                AuditEvent::failure(AuditType::LoginRefused, origin, &named, &e.description());
            store.record(&[refused]).await?;
        }
        _ => {}
    }
    outcome
}

async fn judge_and_issue(
    store: &Store,
    secret: &ServerSecret,
    request: LoginRequest,
    shown: &str,
    origin: &Origin,
    now: i64,
) -> Result<TokenSet, Error> {
    let source = source_subject(&request.source);
    let subject = match &request.credentials {
        Credentials::Password { username, .. } | Credentials::Username(username) => {
            format!("user#{username}")
        }
        Credentials::LoginId(id) => format!("{}#{}", id.kind().field(), id.lookup_key(secret)),
    };
    let attempts = login_counters(&subject, shown, &source);
    take_attempt(store, &attempts, origin, now).await?;

    let api_key_hash = hash_secret(&request.api_key);
    let device_token_hash = request.device_token.as_deref().map(hash_secret);
    let named = match &request.credentials {
        Credentials::Password { username, .. } | Credentials::Username(username) => {
            Username::parse(username)
                .ok()
                .map(|u| u.as_str().to_owned())
        }
        Credentials::LoginId(_) => None,
    };
    let read = store
        .read_for_login(
            &api_key_hash,
            device_token_hash.as_deref(),
            named.as_deref(),
        )
        .await?;

    let api_key = admit_api_key(read.api_key, &api_key_hash, &request.source, now)?;

    let device = match (device_token_hash, read.device_token) {
        (None, _) if api_key.settings.allow_untrusted_endpoints => None,
        (None, _) => {
            return Err(Error::InvalidToken(
                "this API key accepts sign-ins only from trusted devices: send the device token \
                 as Authorization: Bearer"
                    .into(),
            ));
        }
        (Some(hash), token) => Some(trusted_device(token, &hash, &api_key_hash, now)?),
    };

    let user = match request.credentials {
        Credentials::Password { password, .. } => {
            let matches = password::verify(
                &password,
                read.user.as_ref().map(|u| u.password_hash.as_str()),
            );
            let user = read
                .user
                .filter(|_| matches)
                .ok_or_else(wrong_credentials)?;
            if user.disabled {
                return Err(Error::AccessDenied("this user is disabled".into()));
            }
            user
        }
        passwordless => {
            if !api_key.settings.allow_unauthenticated_requests || device.is_none() {
                return Err(Error::Forbidden(
                    "password-less sign-in needs an API key that allows unauthenticated \
                     requests and the token of a trusted device"
                        .into(),
                ));
            }
            let user = match passwordless {
                Credentials::LoginId(id) => {
                    let key = id.lookup_key(secret);
                    let holders = store.users_by_login_id(id.kind(), &key).await?;
                    let user = match holders.as_slice() {
                        [one] => store.get_user(one).await?,
                        _ => None,
                    };
                    // The index may lag a change: the user's own record must still hold it.
                    user.filter(|u| holds_login_id(u, id.kind(), &key))
                }
                _ => read.user,
            };
            let user = user.ok_or_else(wrong_credentials)?;
            if user.disabled {
                return Err(Error::AccessDenied("this user is disabled".into()));
            }
            user
        }
    };

    let owner = Owner::User {
        username: user.username.clone(),
        api_key_id: api_key.id.clone(),
        api_key_hash: api_key.key_hash.clone(),
        api_key_expires_at: api_key.settings.expires_at,
        device,
    };
    let (family, issued) = issuance::first_pair(
        TokenOwner {
            client_id: USER_TOKEN_CLIENT_ID,
            owner: &owner,
            scope: None,
            auth_time: Some(now),
        },
        api_key.settings.lifetimes(),
        now,
    )?;
    let audit = AuditEvent::success(
        AuditType::LoginSucceeded,
        &origin.by(Actor::user(&user.username)),
        &user.username,
    )
    .because(&match &owner {
        Owner::User {
            device: Some(device),
            ..
        } => format!(
            "under API key {} on the trusted device {}",
            api_key.id, device.client_id
        ),
        _ => format!("under API key {}, on no trusted device", api_key.id),
    });
    match store
        .issue_user_tokens(
            &family,
            [&issued.access, &issued.refresh],
            owner.holder(USER_TOKEN_CLIENT_ID),
            &attempts,
            now,
            &audit,
        )
        .await?
    {
        None => {
            tracing::info!(username = %user.username, api_key_id = %api_key.id, family_id = %family.family_id, "user signed in");
            Ok(issued.token_set)
        }
        Some(Inactive::User) => Err(Error::AccessDenied("this user is disabled".into())),
        Some(Inactive::ApiKey) => Err(Error::InvalidClient(
            "unknown, disabled or expired API key".into(),
        )),
        Some(Inactive::Device | Inactive::Client) => Err(untrusted_device()),
    }
}

/// Whether the user's record (read consistently) holds this identifier's lookup key.
pub(super) fn holds_login_id(user: &User, kind: LoginIdKind, key: &str) -> bool {
    let held = match kind {
        LoginIdKind::CardId => user.card_id_hmac.as_deref(),
        LoginIdKind::ShortId => user.short_id_hmac.as_deref(),
        LoginIdKind::Email => user.email_key.as_deref(),
    };
    held.is_some_and(|h| hashes_match(h, key))
}

/// The device a device token stands for: an unexpired access token of a Paragon device issued
/// under this same API key. Whether the device is still approved and its family active is
/// checked inside the issuing transaction.
pub(super) fn trusted_device(
    token: Option<TokenRecord>,
    presented_hash: &str,
    api_key_hash: &str,
    now: i64,
) -> Result<DeviceBinding, Error> {
    let token = token
        .filter(|t| hashes_match(&t.token_hash, presented_hash))
        .filter(|t| t.kind == TokenKind::Access && t.expires_at > now)
        .ok_or_else(untrusted_device)?;
    match &token.owner {
        Owner::Device {
            api_key_hash: key, ..
        } if hashes_match(key, api_key_hash) => Ok(DeviceBinding {
            client_id: token.client_id.clone(),
            family_id: token.family_id.clone(),
        }),
        _ => Err(untrusted_device()),
    }
}
