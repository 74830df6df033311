//! The verification page's rules (RFC 8628 §3.3, §5.1): a signed-in user enters a user code,
//! sees which client asks for what, and approves or denies. Wrong codes count against the user
//! and the source address.

use crate::config::Settings;
use crate::error::Error;
use crate::model::*;
use crate::storage::*;
use crate::usecases::sign_in::{
    CODE_LIMIT_PER_SOURCE, CODE_LIMIT_PER_USER, counter, source_subject, take_attempt,
};
use crate::usercode::UserCode;

/// A pending request, as the page shows it before the user decides.
#[derive(Debug)]
pub struct PendingRequest {
    pub user_code: UserCode,
    pub code_hash: String,
    pub client: OAuthClient,
    /// What the approval grants: the scope asked for, or the client's whole scope.
    pub scope: Scope,
}

/// Finds the pending request behind a typed user code. A wrong or malformed code counts against
/// the user and the source address. Three round trips: counters, user code, code and client.
pub async fn find_request(
    store: &Store,
    settings: &Settings,
    session: &Session,
    typed: &str,
    source: &str,
    now: i64,
) -> Result<PendingRequest, Error> {
    let source = source_subject(source);
    let counters = [
        counter("code-user", &session.username, CODE_LIMIT_PER_USER, now),
        counter("code-source", &source, CODE_LIMIT_PER_SOURCE, now),
    ];
    take_attempt(store, &counters, now).await?;
    let wrong = || Error::InvalidGrant("that code is not valid; check it and try again".into());
    let found = match UserCode::parse(typed) {
        Ok(code) => {
            let record = store
                .get_user_code(&code.hmac(settings.server_secret()?))
                .await?
                .filter(|r| r.expires_at > now);
            record.map(|r| (code, r))
        }
        Err(_) => None,
    };
    let Some((user_code, record)) = found else {
        tracing::info!(%source, username = %session.username, "wrong user code on the verification page");
        return Err(wrong());
    };
    store.return_attempts(&counters).await?;
    let (code, client) = store
        .get_code_and_client(&record.device_code_hash, &record.client_id)
        .await?;
    let (Some(code), Some(client)) = (code, client) else {
        return Err(wrong());
    };
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
    })
}

/// Records the signed-in user's explicit decision on a request found by [`find_request`].
pub async fn decide(
    store: &Store,
    session: &Session,
    request: &PendingRequest,
    decision: PageDecision,
    now: i64,
) -> Result<(), Error> {
    let scope = request.scope.to_wire();
    let decided = store
        .decide_on_page(
            &request.code_hash,
            &session.username,
            decision,
            (scope.as_deref(), request.client.lifetimes()),
            now,
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
