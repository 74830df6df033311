//! Users on trusted devices (Paragon's two-token model): a user signs in with a device token
//! and an API key and gets a user token; the user token is refreshed with `client_id=api`;
//! the authorizer judges user tokens (and the API key policies) for the API behind
//! devicegate. The API key policies are applied here and nowhere else:
//!
//! | policy | effect |
//! |---|---|
//! | `allow_untrusted_endpoints` | login without a device token |
//! | `allow_unauthenticated_requests` | password-less login (from a trusted device); protected routes without a user token |
//! | `allowed_sources` | register, token and login only from these networks |

use crate::config::ServerSecret;
use crate::error::Error;
use crate::model::*;
use crate::password;
use crate::secrets::{TokenLocator, hash_secret, hashes_match};
use crate::storage::*;
use crate::usecases::refresh::{IssuedPair, TokenOwner, rotate};
use crate::usecases::sign_in::{Limit, counter, source_subject, take_attempt};

/// Who the person says they are.
#[derive(Clone, PartialEq, Eq)]
pub enum Credentials {
    /// Always allowed (subject to the device-token rule).
    Password {
        username: String,
        password: String,
    },
    /// Password-less: only with an API key that allows unauthenticated requests, from a
    /// trusted device.
    Username(String),
    LoginId(LoginId),
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credentials::Password { username, .. } => write!(f, "Password({username}, ..)"),
            Credentials::Username(username) => write!(f, "Username({username})"),
            Credentials::LoginId(id) => write!(f, "{id:?}"),
        }
    }
}

/// A login request, whatever its encoding.
#[derive(Debug)]
pub struct LoginRequest {
    /// `X-Api-Key`.
    pub api_key: String,
    /// `Authorization: Bearer <device token>`, when sent.
    pub device_token: Option<String>,
    pub credentials: Credentials,
    pub source: String,
}

/// Failed logins per identifier and source address: 10 in 15 minutes.
pub const LOGIN_LIMIT_PER_USER_AND_SOURCE: Limit = Limit {
    max_failures: 10,
    window: 900,
};

/// Failed logins per source address: 30 in 15 minutes.
pub const LOGIN_LIMIT_PER_SOURCE: Limit = Limit {
    max_failures: 30,
    window: 900,
};

fn wrong_credentials() -> Error {
    Error::InvalidGrant("wrong credentials".into())
}

fn untrusted_device() -> Error {
    Error::InvalidToken("the device token is not a valid token of a trusted device".into())
}

/// Signs a user in and issues a user token. Round trips: the attempt taken (one transaction),
/// the API key, device token and user read together (one batch), an index query for a card id,
/// short id or email, and the issue (one transaction, which also gives the attempt back).
pub async fn login(
    store: &Store,
    secret: &ServerSecret,
    request: LoginRequest,
    now: i64,
) -> Result<TokenSet, Error> {
    let source = source_subject(&request.source);
    let subject = match &request.credentials {
        Credentials::Password { username, .. } | Credentials::Username(username) => {
            format!("user#{username}")
        }
        Credentials::LoginId(id) => format!("{}#{}", id.kind().field(), id.lookup_key(secret)),
    };
    let attempts = [
        counter(
            "login-user-source",
            &format!("{subject}#{source}"),
            LOGIN_LIMIT_PER_USER_AND_SOURCE,
            now,
        ),
        counter("login-source", &source, LOGIN_LIMIT_PER_SOURCE, now),
    ];
    take_attempt(store, &attempts, now).await?;

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

    let api_key = read
        .api_key
        .filter(|k| hashes_match(&k.key_hash, &api_key_hash) && k.is_usable(now))
        .ok_or_else(|| Error::InvalidClient("unknown, disabled or expired API key".into()))?;
    api_key.settings.check_source(&request.source)?;

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
    let family = TokenFamily {
        family_id: ulid::Ulid::new().to_string(),
        client_id: USER_TOKEN_CLIENT_ID.to_owned(),
        owner: owner.holder(USER_TOKEN_CLIENT_ID).owner_key(),
        status: FamilyStatus::Active,
        created_at: now,
        ttl: now + api_key.settings.lifetimes().refresh_token_ttl,
    };
    let issued = IssuedPair::new(
        &family.family_id,
        TokenOwner {
            client_id: USER_TOKEN_CLIENT_ID,
            owner: &owner,
            scope: None,
        },
        api_key.settings.lifetimes(),
        now,
    )?;
    match store
        .issue_user_tokens(
            &family,
            [&issued.access, &issued.refresh],
            owner.holder(USER_TOKEN_CLIENT_ID),
            &attempts,
            now,
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
fn holds_login_id(user: &User, kind: LoginIdKind, key: &str) -> bool {
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
fn trusted_device(
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

/// Refreshes a user token (`client_id=api`, `client_secret=<API key>`): rotation and reuse
/// detection exactly as for device tokens. Two round trips: the token and API key read
/// together, then the rotation (which re-checks the user and device; the key is judged from
/// the read, and the authorizer refuses its tokens by the key's guard once it is disabled).
pub async fn refresh_as_user(
    store: &Store,
    api_key: &str,
    refresh_token: &str,
    source: &str,
    now: i64,
) -> Result<TokenSet, Error> {
    let api_key_hash = hash_secret(api_key);
    let (token, key): (Option<TokenRecord>, Option<ApiKey>) = store
        .get_token_and_api_key(&hash_secret(refresh_token), &api_key_hash)
        .await?;
    let key = key
        .filter(|k| hashes_match(&k.key_hash, &api_key_hash) && k.is_usable(now))
        .ok_or_else(|| Error::InvalidClient("unknown, disabled or expired API key".into()))?;
    key.settings.check_source(source)?;
    let token = token
        .filter(|t| t.kind == TokenKind::Refresh && matches!(t.owner, Owner::User { .. }))
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
    // The key was read with the token and judged usable above.
    rotate(store, &token, None, None, &[Inactive::ApiKey], now).await
}

/// What the authorizer tells API Gateway.
#[derive(Debug, PartialEq, Eq)]
pub enum Authorization {
    /// A valid user token.
    User {
        username: String,
        device_client_id: Option<String>,
        api_key_id: String,
    },
    /// No valid user token, but the API key presented allows unauthenticated requests.
    Unauthenticated {
        api_key_id: String,
    },
    Denied,
}

/// What API Gateway hands the authorizer.
#[derive(Debug, Default)]
pub struct AuthorizerInput<'a> {
    /// The `Authorization` header, as sent.
    pub authorization: Option<&'a str>,
    /// `X-Api-Key`, as sent.
    pub api_key: Option<&'a str>,
    pub source: &'a str,
}

/// Judges a request to a protected route in one DynamoDB round trip (a BatchGetItem): a user
/// token is good while it is an unexpired access token of a user, its family and its device's
/// family are active (revoking the device, disabling the user or reusing a refresh token
/// revokes them) and its API key has not been disabled or expired since. Without one, an API key
/// that allows unauthenticated requests (from an allowed source) lets the request through.
pub async fn authorize(
    store: &Store,
    input: AuthorizerInput<'_>,
    now: i64,
) -> Result<Authorization, Error> {
    let bearer = input
        .authorization
        .and_then(|h| {
            h.strip_prefix("Bearer ")
                .or_else(|| h.strip_prefix("bearer "))
        })
        .map(str::trim);
    let locator = bearer.and_then(TokenLocator::parse);
    let token_hash = locator.as_ref().and(bearer).map(hash_secret);
    let api_key_hash = input
        .api_key
        .filter(|k| !k.is_empty() && k.len() <= 512)
        .map(hash_secret);
    let read = store
        .read_for_authorizer(AuthorizerKeys {
            token_hash: token_hash.as_deref(),
            family_id: locator.as_ref().map(|l| l.family_id.as_str()),
            device_family_id: locator.as_ref().and_then(|l| l.device_family_id.as_deref()),
            api_key_id: locator.as_ref().map(|l| l.api_key_id.as_str()),
            presented_api_key_hash: api_key_hash.as_deref(),
        })
        .await?;
    if let (Some(locator), Some(hash), Some(token)) = (&locator, &token_hash, &read.token)
        && let Some(user) = user_token_stands(locator, hash, token, &read, now)
    {
        return Ok(user);
    }
    if let (Some(hash), Some(key)) = (&api_key_hash, &read.api_key)
        && hashes_match(&key.key_hash, hash)
        && key.is_usable(now)
        && key.settings.allow_unauthenticated_requests
        && key.settings.allows_source(input.source)
    {
        return Ok(Authorization::Unauthenticated {
            api_key_id: key.id.clone(),
        });
    }
    Ok(Authorization::Denied)
}

fn user_token_stands(
    locator: &TokenLocator,
    hash: &str,
    token: &TokenRecord,
    read: &AuthorizerRead,
    now: i64,
) -> Option<Authorization> {
    let Owner::User {
        username,
        api_key_id,
        device,
        ..
    } = &token.owner
    else {
        return None;
    };
    let active = |f: &Option<TokenFamily>, id: &str| {
        f.as_ref()
            .is_some_and(|f| f.family_id == id && f.status == FamilyStatus::Active)
    };
    let stands = hashes_match(&token.token_hash, hash)
        && token.kind == TokenKind::Access
        && token.expires_at > now
        && token.family_id == locator.family_id
        && *api_key_id == locator.api_key_id
        && device.as_ref().map(|d| &d.family_id) == locator.device_family_id.as_ref()
        && active(&read.family, &token.family_id)
        && device
            .as_ref()
            .is_none_or(|d| active(&read.device_family, &d.family_id))
        && read.guard.as_ref().is_none_or(|g| g.stands(now));
    stands.then(|| Authorization::User {
        username: username.clone(),
        device_client_id: device.as_ref().map(|d| d.client_id.clone()),
        api_key_id: api_key_id.clone(),
    })
}
