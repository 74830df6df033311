//! Initial access tokens (RFC 7591 §3): what registration needs under
//! `RegistrationPolicy=initial-access-token`.

use crate::error::Error;
use crate::model::{AuditEvent, AuditType, InitialAccessToken, Origin};
use crate::storage::Store;
pub use crate::usecases::client_registration::NewInitialAccessToken;

/// Issues a token; its value is returned this once (the rules are the registration use case's,
/// [`crate::usecases::client_registration`], which spends the token).
pub async fn issue_initial_access_token(
    store: &Store,
    new: NewInitialAccessToken,
    now: i64,
    origin: &Origin,
) -> Result<(InitialAccessToken, String), Error> {
    crate::usecases::client_registration::issue_initial_access_token(store, new, now, origin).await
}

/// Every token, never its value.
pub async fn list_initial_access_tokens(store: &Store) -> Result<Vec<InitialAccessToken>, Error> {
    store.list_initial_access_tokens().await
}

pub async fn disable_initial_access_token(
    store: &Store,
    id: &str,
    origin: &Origin,
) -> Result<InitialAccessToken, Error> {
    let audit = AuditEvent::success(AuditType::InitialAccessTokenDisabled, origin, id);
    store.disable_initial_access_token(id, &audit).await
}
