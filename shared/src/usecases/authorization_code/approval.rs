//! The approval: a code issued for a request the signed-in person agreed to, bound to them,
//! the client, the redirect URI and the PKCE challenge.

use crate::error::Error;
use crate::model::*;
use crate::secrets::{self, SecretKind};
use crate::storage::*;

use super::validation::ValidRequest;

/// How long a code may wait for its redemption.
pub const CODE_TTL: i64 = 60;

/// Whether a request may be put before this signed-in person at all. An app instance (VMware)
/// is bound to the person who registered it, and its name is only what its app chose to call
/// itself: no one else is asked to consent to it, nor can approve it.
pub fn check_offered_to(request: &ValidRequest, username: &str) -> Result<(), Error> {
    match &request.client.instance {
        Some(instance) if instance.username != username => Err(Error::Forbidden(
            "this app is registered to another person".into(),
        )),
        _ => Ok(()),
    }
}

/// Issues a code for a request the signed-in user approved: one write. Returns the code.
pub async fn approve(
    store: &Store,
    request: &ValidRequest,
    username: &str,
    auth_time: i64,
    now: i64,
) -> Result<String, Error> {
    check_offered_to(request, username)?;
    let secret = secrets::issue(SecretKind::AuthorizationCode)?;
    let code = AuthorizationCode {
        code_hash: secret.hash().to_owned(),
        client_id: request.client.client_id.clone(),
        redirect_uri: request.redirect_uri.clone(),
        username: username.to_owned(),
        scope: request.scope.to_wire(),
        code_challenge: request.code_challenge.clone(),
        nonce: request.nonce.clone(),
        auth_time: Some(auth_time),
        lifetimes: request.client.lifetimes(),
        issued_at: now,
        expires_at: now + CODE_TTL,
        family_id: None,
        ttl: now + CODE_TTL,
    };
    store.put_authorization_code(&code).await?;
    tracing::info!(client_id = %code.client_id, username, "authorization code issued");
    Ok(secret.into_value())
}
