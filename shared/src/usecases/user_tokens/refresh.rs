//! Refreshing a user token (`client_id=api`, the API key as the secret).

use crate::error::Error;
use crate::model::*;
use crate::secrets::{hash_secret, hashes_match};
use crate::storage::*;
use crate::usecases::client_auth::admit_api_key;
use crate::usecases::refresh::rotate;

/// Refreshes a user token (`client_id=api`, `client_secret=<API key>`): rotation and reuse
/// detection exactly as for device tokens. Two round trips: the token and API key read
/// together, then the rotation (which re-checks the user and device; the key is judged from
/// the read, and the authorizer refuses its tokens by the key's guard once it is disabled).
pub async fn refresh_as_user(
    store: &Store,
    api_key: &str,
    refresh_token: &str,
    origin: &Origin,
    now: i64,
) -> Result<TokenSet, Error> {
    let api_key_hash = hash_secret(api_key);
    let (token, key): (Option<TokenRecord>, Option<ApiKey>) = store
        .get_token_and_api_key(&hash_secret(refresh_token), &api_key_hash)
        .await?;
    admit_api_key(key, &api_key_hash, &origin.source_ip, now)?;
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
    rotate(store, &token, None, None, &[Inactive::ApiKey], origin, now).await
}
