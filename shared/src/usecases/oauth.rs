//! The OAuth 2.0 flows for administrator-made clients: device authorization (RFC 8628 §3.1),
//! the device-code and refresh grants at the token endpoint, revocation (RFC 7009) and
//! introspection (RFC 7662). Client authentication follows RFC 6749 §2.3: a confidential client
//! proves its secret (`client_secret_basic` or `client_secret_post`), a public one sends only its
//! `client_id` (`none`).

use crate::config::Settings;
use crate::error::Error;
use crate::model::{
    CodeStatus, DeviceCode, DeviceStatus, FamilyStatus, GrantType, Holder, OAuthClient,
    OAuthClientType, Owner, Scope, TokenKind, TokenRecord, TokenSet, UserCodeRecord,
};
use crate::secrets::{self, SecretKind, hash_secret, hashes_match};
use crate::storage::{ClientProof, PollPresenter, PollWrite, StartOutcome, Store};
use crate::usecases::token::{TooFastPolls, rotate, settle, unknown_code};
use crate::usercode::UserCode;

/// What a client presented to authenticate, as the dialect read it.
#[derive(Clone, Debug)]
pub struct ClientCredentials {
    pub client_id: String,
    /// `None`: the client claims to be public (method `none`).
    pub secret: Option<String>,
}

impl ClientCredentials {
    fn secret_hash(&self) -> Option<String> {
        self.secret.as_deref().map(hash_secret)
    }
}

/// Authenticates a client the caller has read: unknown, disabled, or wrong secret is
/// `invalid_client` (401), with one message for all so that probing learns nothing.
pub fn authenticate(
    client: Option<OAuthClient>,
    credentials: &ClientCredentials,
) -> Result<OAuthClient, Error> {
    let refused = || Error::InvalidClient("client authentication failed".into());
    let client = client.ok_or_else(refused)?;
    if client.disabled {
        return Err(refused());
    }
    match (&client.secret_hash, credentials.secret_hash()) {
        (Some(stored), Some(presented)) if hashes_match(stored, &presented) => Ok(client),
        (None, None) if client.client_type == OAuthClientType::Public => Ok(client),
        _ => Err(refused()),
    }
}

/// Says why a write guarded by a [`ClientProof`] was refused, from the client as it was.
fn explain_refusal(
    client: Option<OAuthClient>,
    credentials: &ClientCredentials,
    grant: GrantType,
    scope: Option<&Scope>,
) -> Error {
    let client = match authenticate(client, credentials) {
        Ok(client) => client,
        Err(e) => return e,
    };
    if !client.allows(grant) {
        return Error::UnauthorizedClient(format!(
            "this client may not use the {} grant",
            grant.as_str()
        ));
    }
    if let Some(scope) = scope
        && !scope.is_subset_of(&client.scopes)
    {
        return Error::InvalidScope(
            "the requested scope is not within the client's registered scope".into(),
        );
    }
    // Everything checks out now: the client changed between the write and this read.
    Error::InvalidClient("the client changed during the request; retry".into())
}

fn proof<'a>(
    credentials: &'a ClientCredentials,
    secret_hash: &'a Option<String>,
    grant: GrantType,
    scope: Option<&'a Scope>,
) -> ClientProof<'a> {
    ClientProof {
        client_id: &credentials.client_id,
        secret_hash: secret_hash.as_deref(),
        grant,
        scope,
    }
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
    let proof = proof(&request.client, &secret_hash, GrantType::DeviceCode, scope);
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
            key: None,
            // Lifetimes are the client's; they are read when the user approves.
            lifetimes: crate::model::Lifetimes::default(),
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
            .start_device_authorization(&proof, &code, &record, now)
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
                ));
            }
            StartOutcome::UserCodeTaken => continue,
        }
    }
    Err(Error::internal(
        "no free user code after several attempts; the code space is crowded",
    ))
}

/// Polls a device code (RFC 8628 §3.4-3.5). Pending: one round trip, authenticating the client
/// in the same transaction. Approved: one more, the redemption.
pub async fn poll_device_code(
    store: &Store,
    client: &ClientCredentials,
    device_code: &str,
    too_fast: TooFastPolls,
    now: i64,
) -> Result<TokenSet, Error> {
    let secret_hash = client.secret_hash();
    let proof = proof(client, &secret_hash, GrantType::DeviceCode, None);
    let code = match store
        .record_pending_poll(
            &hash_secret(device_code),
            PollPresenter::OAuthClient(proof),
            now,
        )
        .await?
    {
        PollWrite::Recorded => return Err(Error::AuthorizationPending),
        PollWrite::ClientRefused(found) => {
            return Err(explain_refusal(
                found.map(|c| *c),
                client,
                GrantType::DeviceCode,
                None,
            ));
        }
        PollWrite::Refused(None) => return Err(unknown_code()),
        PollWrite::Refused(Some(code)) => *code,
    };
    if code.client_id != client.client_id || !matches!(code.owner, Owner::Client { .. }) {
        return Err(Error::InvalidGrant(
            "the device code was issued to another client".into(),
        ));
    }
    settle(store, &code, too_fast, None, now).await
}

/// The refresh grant (RFC 6749 §6) for an OAuth client: two round trips (token and client read
/// together, then the rotation). `scope`, when sent, may only narrow the token's.
pub async fn refresh(
    store: &Store,
    client: &ClientCredentials,
    refresh_token: &str,
    scope: Option<&Scope>,
    now: i64,
) -> Result<TokenSet, Error> {
    let (token, found) = store
        .get_token_and_client(&hash_secret(refresh_token), &client.client_id)
        .await?;
    let authenticated = authenticate(found, client)?;
    if !authenticated.allows(GrantType::RefreshToken) {
        return Err(Error::UnauthorizedClient(
            "this client may not use the refresh_token grant".into(),
        ));
    }
    let token = token
        .filter(|t| {
            t.kind == TokenKind::Refresh
                && t.client_id == client.client_id
                && matches!(t.owner, Owner::Client { .. })
        })
        .ok_or_else(|| Error::InvalidGrant("unknown refresh token".into()))?;
    let narrowed = match scope {
        None => None,
        Some(asked) => {
            let granted = Scope::parse(token.scope.as_deref().unwrap_or(""))?;
            if !asked.is_subset_of(&granted) {
                return Err(Error::InvalidScope(
                    "a refresh may only narrow the scope that was granted".into(),
                ));
            }
            asked.to_wire()
        }
    };
    rotate(store, &token, narrowed.as_deref(), None, now).await
}

/// Revokes a token (RFC 7009 §2.1): the whole family it belongs to, since an access token
/// outliving its refresh token would defeat the point. Unknown tokens and tokens of other
/// clients are answered the same way (200, nothing changes), so the endpoint is no oracle.
pub async fn revoke(
    store: &Store,
    client: &ClientCredentials,
    token: &str,
    now: i64,
) -> Result<(), Error> {
    let (record, found) = store
        .get_token_and_client(&hash_secret(token), &client.client_id)
        .await?;
    authenticate(found, client)?;
    if let Some(record) = record.filter(|r| r.client_id == client.client_id) {
        store.revoke_family(&record.family_id, now).await?;
        tracing::info!(client_id = %record.client_id, family_id = %record.family_id, "token family revoked by its client");
    }
    Ok(())
}

/// What introspection tells a resource server (RFC 7662 §2.2).
#[derive(Debug, PartialEq, Eq)]
pub enum Introspection {
    Inactive,
    Active(Box<ActiveToken>),
}

#[derive(Debug, PartialEq, Eq)]
pub struct ActiveToken {
    pub scope: Option<String>,
    pub client_id: String,
    pub username: Option<String>,
    pub token_type: &'static str,
    pub exp: i64,
    pub iat: i64,
}

/// What kind of token the caller says it sends (RFC 7009 §2.1, RFC 7662 §2.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenTypeHint {
    AccessToken,
    RefreshToken,
}

/// Introspects a token for an authenticated confidential client that an administrator allowed
/// to introspect (a resource server; RFC 7662 §4 leaves the choice of callers to the server). A
/// token is active only if it is unexpired, not rotated out, its family is not revoked, and
/// whoever it belongs to (device and API key, or client and user) is still in good standing.
/// Access tokens are answered for; a refresh token only to the client it was issued to, and
/// only when that client says it sends one (`token_type_hint=refresh_token`): a resource server
/// has no business with refresh tokens. Two round trips.
pub async fn introspect(
    store: &Store,
    caller: &ClientCredentials,
    token: &str,
    hint: Option<TokenTypeHint>,
    now: i64,
) -> Result<Introspection, Error> {
    let (record, found) = store
        .get_token_and_client(&hash_secret(token), &caller.client_id)
        .await?;
    let caller_client = authenticate(found, caller)?;
    if caller_client.client_type != OAuthClientType::Confidential || !caller_client.introspection {
        return Err(Error::InvalidClient(
            "this client may not introspect tokens; an administrator allows it for resource servers"
                .into(),
        ));
    }
    let visible = |r: &TokenRecord| match r.kind {
        TokenKind::Access => true,
        TokenKind::Refresh => {
            hint == Some(TokenTypeHint::RefreshToken) && r.client_id == caller_client.client_id
        }
    };
    let Some(record) =
        record.filter(|r| visible(r) && r.expires_at > now && r.rotated_at.is_none())
    else {
        return Ok(Introspection::Inactive);
    };
    if !holder_in_good_standing(store, &record, now).await? {
        return Ok(Introspection::Inactive);
    }
    Ok(Introspection::Active(Box::new(ActiveToken {
        scope: record.scope.clone(),
        client_id: record.client_id.clone(),
        username: record.owner.username().map(str::to_owned),
        token_type: match record.kind {
            TokenKind::Access => "Bearer",
            TokenKind::Refresh => "refresh_token",
        },
        exp: record.expires_at,
        iat: record.issued_at,
    })))
}

async fn holder_in_good_standing(
    store: &Store,
    record: &TokenRecord,
    now: i64,
) -> Result<bool, Error> {
    let standing = store
        .get_standing(&record.family_id, record.holder())
        .await?;
    let family_ok = standing
        .family
        .is_some_and(|f| f.status == FamilyStatus::Active);
    let holder_ok = match record.holder() {
        Holder::OAuthClient { username, .. } => {
            standing.client.is_some_and(|c| !c.disabled)
                && (username.is_none() || standing.user.is_some_and(|u| !u.disabled))
        }
        Holder::Device { .. } => {
            standing.api_key.is_some_and(|k| k.is_usable(now))
                && standing
                    .device
                    .is_some_and(|d| d.status == DeviceStatus::Approved)
        }
    };
    Ok(family_ok && holder_ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(kind: OAuthClientType, secret: Option<&str>) -> OAuthClient {
        OAuthClient {
            client_id: "c1".into(),
            client_name: "CLI".into(),
            client_type: kind,
            secret_hash: secret.map(hash_secret),
            grant_types: vec![GrantType::DeviceCode],
            scopes: Scope::default(),
            redirect_uris: vec![],
            access_token_ttl: None,
            refresh_token_ttl: None,
            self_registered: false,
            introspection: false,
            disabled: false,
            created_at: 0,
        }
    }

    fn creds(secret: Option<&str>) -> ClientCredentials {
        ClientCredentials {
            client_id: "c1".into(),
            secret: secret.map(str::to_owned),
        }
    }

    #[test]
    fn confidential_clients_need_their_secret() {
        let c = client(OAuthClientType::Confidential, Some("s3cret"));
        assert!(authenticate(Some(c.clone()), &creds(Some("s3cret"))).is_ok());
        assert!(authenticate(Some(c.clone()), &creds(Some("wrong"))).is_err());
        assert!(authenticate(Some(c), &creds(None)).is_err());
    }

    #[test]
    fn public_clients_send_no_secret_and_disabled_clients_fail() {
        let mut c = client(OAuthClientType::Public, None);
        assert!(authenticate(Some(c.clone()), &creds(None)).is_ok());
        assert!(authenticate(Some(c.clone()), &creds(Some("x"))).is_err());
        c.disabled = true;
        assert!(matches!(
            authenticate(Some(c), &creds(None)),
            Err(Error::InvalidClient(_))
        ));
        assert!(authenticate(None, &creds(None)).is_err());
    }

    #[test]
    fn refusals_name_the_right_error() -> Result<(), Error> {
        let c = client(OAuthClientType::Public, None);
        let e = explain_refusal(Some(c.clone()), &creds(None), GrantType::RefreshToken, None);
        assert!(matches!(e, Error::UnauthorizedClient(_)));
        let scope = Scope::parse("admin")?;
        let e = explain_refusal(Some(c), &creds(None), GrantType::DeviceCode, Some(&scope));
        assert!(matches!(e, Error::InvalidScope(_)));
        Ok(())
    }
}
