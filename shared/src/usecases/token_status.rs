//! What a token is worth now: introspection (RFC 7662) and revocation (RFC 7009).

use crate::error::Error;
use crate::model::*;
use crate::secrets::hash_secret;
use crate::storage::*;
use crate::usecases::client_auth::{ClientCredentials, authenticate};

/// What kind of token the caller says it sends (RFC 7009 §2.1, RFC 7662 §2.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenTypeHint {
    AccessToken,
    RefreshToken,
}

/// Revokes a token (RFC 7009 §2.1): the whole family it belongs to, since an access token
/// outliving its refresh token would defeat the point. Unknown tokens and tokens of other
/// clients are answered the same way (200, nothing changes), so the endpoint is no oracle.
pub async fn revoke(
    store: &Store,
    client: &ClientCredentials,
    token: &str,
    origin: &Origin,
    now: i64,
) -> Result<(), Error> {
    let (record, found) = store
        .get_token_and_client(&hash_secret(token), &client.client_id)
        .await?;
    authenticate(found, client, now)?;
    if let Some(record) = record
        .filter(|r| r.client_id == client.client_id && matches!(r.owner, Owner::Client { .. }))
    {
        let holder = record.holder();
        let audit = AuditEvent::success(
            AuditType::TokenRevoked,
            &origin.by(holder.actor()),
            holder.subject(),
        )
        .because(&format!(
            "revoked by its client (RFC 7009): token family {}",
            record.family_id
        ));
        store
            .revoke_family_audited(&record.family_id, now, &audit)
            .await?;
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
    let caller_client = authenticate(found, caller, now)?;
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

/// A bearer access token as a resource endpoint of ours (UserInfo) takes it: unexpired, its
/// family live and its holder in good standing, or `None`. Two round trips.
pub async fn live_access_token(
    store: &Store,
    token: &str,
    now: i64,
) -> Result<Option<TokenRecord>, Error> {
    let Some(record) = store
        .get_token(&hash_secret(token))
        .await?
        .filter(|r| r.kind == TokenKind::Access && r.expires_at > now && r.rotated_at.is_none())
    else {
        return Ok(None);
    };
    Ok(holder_in_good_standing(store, &record, now)
        .await?
        .then_some(record))
}

async fn holder_in_good_standing(
    store: &Store,
    record: &TokenRecord,
    now: i64,
) -> Result<bool, Error> {
    let holder = record.holder();
    let standing = store.get_standing(Some(&record.family_id), holder).await?;
    let family_ok = standing
        .family
        .as_ref()
        .is_some_and(|f| f.status == FamilyStatus::Active);
    Ok(family_ok && lapse(&standing, holder, now).is_none())
}
