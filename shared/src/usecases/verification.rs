//! The verification page's rules (RFC 8628 §3.3, §5.1): a signed-in user enters a user code,
//! sees which client asks for what, and approves or denies. Wrong codes count against the user
//! and the source address.

use crate::config::Settings;
use crate::error::Error;
use crate::model::*;
use crate::secrets::hashes_match;
use crate::storage::*;
use crate::usecases::sign_in::{code_counters, source_subject, take_attempt};
use crate::usercode::{UserCode, keyed_hash};

/// A pending request, as the page shows it before the user decides.
#[derive(Debug)]
pub struct PendingRequest {
    pub user_code: UserCode,
    pub code_hash: String,
    pub client: OAuthClient,
    /// What the approval grants: the scope asked for, or the client's whole scope.
    pub scope: Scope,
    /// When the device asked, and until when the code is good.
    pub created_at: i64,
    pub expires_at: i64,
    /// Where the device asked from, when the code kept it.
    pub started_from: Option<StartedFrom>,
}

/// Finds the pending request behind a typed user code. A wrong or malformed code counts against
/// the user and the source address, and leaves a `user_code.rejected` record (never the code):
/// the counters bound how many a user or an address can leave. Three round trips: counters,
/// user code, code and client (a wrong code: counters, user code, record).
pub async fn find_request(
    store: &Store,
    settings: &Settings,
    session: &Session,
    typed: &str,
    origin: &Origin,
    now: i64,
) -> Result<PendingRequest, Error> {
    let source = source_subject(&origin.source_ip);
    let counters = code_counters(&session.username, &source);
    let origin = origin.by(Actor::user(&session.username));
    take_attempt(store, &counters, &origin, now).await?;
    let wrong = || Error::InvalidGrant("that code is not valid; check it and try again".into());
    let found = match UserCode::parse(typed) {
        Ok(code) => {
            let record = store
                .get_user_code(&code.hmac(settings.server_secret()?))
                .await?
                .filter(|r| r.expires_at > now);
            record
                .map(|r| (code, r))
                .ok_or("no live request has this user code")
        }
        Err(_) => Err("not a user code"),
    };
    let (user_code, record) = match found {
        Ok(found) => found,
        Err(why) => {
            tracing::info!(%source, username = %session.username, "wrong user code on the verification page");
            let rejected =
                AuditEvent::failure(AuditType::UserCodeRejected, &origin, &session.username, why);
            store.record(&[rejected]).await?;
            return Err(wrong());
        }
    };
    store.return_attempts(&counters, now).await?;
    let (code, client) = store
        .get_code_and_client(&record.device_code_hash, &record.client_id)
        .await?;
    let (Some(code), Some(client)) = (code, client) else {
        return Err(wrong());
    };
    pending(code, client, user_code, now)
}

/// What the confirm form carries back: the request's code hash, the scope the page showed and
/// the client, with an HMAC under the server secret that binds them to this session. Only this
/// session, having found the code (and paid an attempt for it), can present it, so the decision
/// need not look the code up again nor take another attempt from the counters (8 write units
/// saved on every decision).
pub fn confirmation(
    settings: &Settings,
    session: &Session,
    request: &PendingRequest,
) -> Result<String, Error> {
    let scope = request.scope.to_wire().unwrap_or_default();
    let (code_hash, client_id) = (&request.code_hash, &request.client.client_id);
    let mac = confirmation_mac(settings, session, [code_hash, &scope, client_id])?;
    Ok(format!(
        "{mac}.{code_hash}.{}.{client_id}",
        hex::encode(&scope)
    ))
}

/// The HMAC of a confirmation: the session, then the code hash, the scope shown and the client.
fn confirmation_mac(
    settings: &Settings,
    session: &Session,
    shown: [&str; 3],
) -> Result<String, Error> {
    let [code_hash, scope, client_id] = shown;
    let bound = [session.session_hash.as_str(), code_hash, scope, client_id].join("\0");
    Ok(keyed_hash(
        settings.server_secret()?,
        "page-confirmation",
        bound.as_bytes(),
    ))
}

/// A decision's request, found through the confirm form's confirmation.
#[derive(Debug)]
pub enum Confirmed {
    /// As the page showed it: decide on it.
    AsShown(PendingRequest),
    /// What it grants is no longer what the page showed (a request that asked for no scope
    /// grants the client's, which an administrator changed meanwhile): show it again.
    Changed(PendingRequest),
}

/// The request a confirm form refers to, checked as [`find_request`] checks what it finds, but
/// without counting an attempt. `Ok(None)`: not a confirmation this session was given, or not for
/// the code `typed`; the caller then finds the typed code the counted way.
pub async fn confirmed_request(
    store: &Store,
    settings: &Settings,
    session: &Session,
    confirmation: &str,
    typed: &str,
    now: i64,
) -> Result<Option<Confirmed>, Error> {
    let mut parts = confirmation.splitn(4, '.');
    let (Some(mac), Some(code_hash), Some(scope_hex), Some(client_id)) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Ok(None);
    };
    let Some(scope_shown) = hex::decode(scope_hex)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
    else {
        return Ok(None);
    };
    let expected = confirmation_mac(settings, session, [code_hash, &scope_shown, client_id])?;
    let Ok(user_code) = UserCode::parse(typed) else {
        return Ok(None);
    };
    if !hashes_match(&expected, mac) {
        return Ok(None);
    }
    let (code, client) = store.get_code_and_client(code_hash, client_id).await?;
    let (Some(code), Some(client)) = (code, client) else {
        return Ok(None);
    };
    let typed_hmac = user_code.hmac(settings.server_secret()?);
    if !code
        .user_code_hmac
        .as_deref()
        .is_some_and(|h| hashes_match(h, &typed_hmac))
    {
        return Ok(None);
    }
    let request = pending(code, client, user_code, now)?;
    Ok(Some(
        if request.scope.to_wire().unwrap_or_default() == scope_shown {
            Confirmed::AsShown(request)
        } else {
            Confirmed::Changed(request)
        },
    ))
}

/// A found code and its client as the page shows them, or why they cannot be decided on.
fn pending(
    code: DeviceCode,
    client: OAuthClient,
    user_code: UserCode,
    now: i64,
) -> Result<PendingRequest, Error> {
    if code.is_expired(now) {
        return Err(Error::ExpiredToken);
    }
    if code.status != CodeStatus::Pending {
        return Err(Error::Conflict("this code has already been used".into()));
    }
    if !client.is_active(now) {
        return Err(Error::AccessDenied("this client has been disabled".into()));
    }
    let scope = match code.scope.as_deref() {
        Some(asked) => Scope::parse(asked)?,
        None => client.scopes.clone(),
    };
    Ok(PendingRequest {
        user_code,
        code_hash: code.code_hash,
        client,
        scope,
        created_at: code.created_at,
        expires_at: code.expires_at,
        started_from: code.started_from,
    })
}

/// Records the signed-in user's explicit decision on a request found by [`find_request`].
pub async fn decide(
    store: &Store,
    session: &Session,
    request: &PendingRequest,
    decision: PageDecision,
    origin: &Origin,
    now: i64,
) -> Result<(), Error> {
    let scope = request.scope.to_wire();
    let by_user = origin.by(Actor::user(&session.username));
    let client_id = &request.client.client_id;
    let audit = match decision {
        PageDecision::Approve => {
            AuditEvent::success(AuditType::DeviceCodeApproved, &by_user, client_id)
        }
        PageDecision::Deny => AuditEvent::failure(
            AuditType::DeviceCodeDenied,
            &by_user,
            client_id,
            "denied by the user on the verification page",
        ),
    };
    let decided = store
        .decide_on_page(
            &request.code_hash,
            &session.username,
            decision,
            (scope.as_deref(), request.client.lifetimes()),
            now,
            &audit,
        )
        .await?;
    if !decided {
        return Err(Error::Conflict(
            "this code has expired or was already decided".into(),
        ));
    }
    tracing::info!(
        client_id = %request.client.client_id,
        username = %session.username,
        decision = ?decision,
        "device authorization decided"
    );
    Ok(())
}
