//! Issuance: the one place tokens are minted, for every grant (device code and Paragon
//! redemption, authorization code, refresh, Paragon user login). A grant decides *whether* to
//! issue and stores what this returns in its own transaction; what a token is (its secret, its
//! record, its lifetime, its family) is decided here, and an OpenID Connect layer adds the ID
//! token to what a grant hands out without the grant knowing.

use crate::error::Error;
use crate::model::*;
use crate::secrets::{self, SecretKind, TokenLocator};

/// A new token family for a first issuance (a redemption or a sign-in): every refresh of its
/// tokens stays in it, and revoking it ends them all.
fn new_family(owner: TokenOwner<'_>, lifetimes: Lifetimes, now: i64) -> TokenFamily {
    TokenFamily {
        family_id: ulid::Ulid::new().to_string(),
        client_id: owner.client_id.to_owned(),
        owner: owner.owner.holder(owner.client_id).owner_key(),
        status: FamilyStatus::Active,
        created_at: now,
        ttl: now + lifetimes.refresh_token_ttl,
    }
}

/// A first issuance: a new family and its first pair.
pub(crate) fn first_pair(
    owner: TokenOwner<'_>,
    lifetimes: Lifetimes,
    now: i64,
) -> Result<(TokenFamily, IssuedPair), Error> {
    let family = new_family(owner, lifetimes, now);
    let pair = IssuedPair::new(&family.family_id, owner, lifetimes, now)?;
    Ok((family, pair))
}

/// Whom new tokens belong to: copied from the device code or the refresh token they replace.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TokenOwner<'a> {
    pub(crate) client_id: &'a str,
    pub(crate) owner: &'a Owner,
    pub(crate) scope: Option<&'a str>,
    /// When the person the tokens speak for signed in, if one did and it is known.
    pub(crate) auth_time: Option<i64>,
}

/// A fresh access and refresh token, as records to store and as values to hand out.
pub(crate) struct IssuedPair {
    pub(crate) access: TokenRecord,
    pub(crate) refresh: TokenRecord,
    pub(crate) token_set: TokenSet,
}

impl IssuedPair {
    pub(crate) fn new(
        family_id: &str,
        owner: TokenOwner<'_>,
        lifetimes: Lifetimes,
        now: i64,
    ) -> Result<IssuedPair, Error> {
        let access = match owner.owner {
            // A user's access token names where its standing is kept, for the authorizer.
            Owner::User {
                username,
                api_key_id,
                device,
                ..
            } => secrets::issue_located(&TokenLocator {
                family_id: family_id.to_owned(),
                device_family_id: device.as_ref().map(|d| d.family_id.clone()),
                api_key_id: api_key_id.clone(),
                username: username.clone(),
            })?,
            _ => secrets::issue(SecretKind::AccessToken)?,
        };
        let refresh = secrets::issue(SecretKind::RefreshToken)?;
        // No user token outlives the API key it was issued under.
        let lifetimes = match owner.owner {
            Owner::User {
                api_key_expires_at: Some(at),
                ..
            } => Lifetimes {
                access_token_ttl: lifetimes.access_token_ttl.min(at - now).max(0),
                refresh_token_ttl: lifetimes.refresh_token_ttl.min(at - now).max(0),
            },
            _ => lifetimes,
        };
        let record = |kind: TokenKind, hash: &str, ttl: i64| TokenRecord {
            token_hash: hash.to_owned(),
            kind,
            family_id: family_id.to_owned(),
            client_id: owner.client_id.to_owned(),
            owner: owner.owner.clone(),
            scope: owner.scope.map(str::to_owned),
            issued_at: now,
            expires_at: now + ttl,
            lifetimes,
            rotated_at: None,
            rotated_by: None,
            auth_time: owner.auth_time,
            ttl: now + ttl,
        };
        Ok(IssuedPair {
            access: record(TokenKind::Access, access.hash(), lifetimes.access_token_ttl),
            refresh: record(
                TokenKind::Refresh,
                refresh.hash(),
                lifetimes.refresh_token_ttl,
            ),
            token_set: TokenSet {
                access_token: access.into_value(),
                refresh_token: refresh.into_value(),
                expires_in: lifetimes.access_token_ttl,
                scope: owner.scope.map(str::to_owned),
                id_token: None,
                authentication: authentication(owner),
            },
        })
    }
}

/// The person an OAuth client's tokens speak for, for the OpenID Connect layer. A device's or
/// a Paragon user token's holder is not an OpenID Connect relying party.
fn authentication(owner: TokenOwner<'_>) -> Option<Authentication> {
    match owner.owner {
        Owner::Client {
            username: Some(username),
        } => Some(Authentication {
            username: username.clone(),
            client_id: owner.client_id.to_owned(),
            auth_time: owner.auth_time,
            nonce: None,
        }),
        _ => None,
    }
}
