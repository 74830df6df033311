//! The redemption at the token endpoint (RFC 6749 §4.1.3): the code, its client, its redirect
//! URI and its verifier checked, then the first token pair issued, at most once per code.

use crate::error::Error;
use crate::model::*;
use crate::secrets::hash_secret;
use crate::storage::*;
use crate::usecases::client_auth::{ClientCredentials, authenticate};
use crate::usecases::issuance::{self, TokenOwner};

use super::pkce::check_verifier;

/// What a token request presents for this grant.
#[derive(Clone, Debug)]
pub struct CodeGrant {
    pub code: String,
    pub redirect_uri: Option<String>,
    pub code_verifier: Option<String>,
}

/// Redeems a code (RFC 6749 §4.1.3, RFC 7636 §4.6). Two round trips: the code and client read
/// together, then one transaction. A second use revokes what the first issued (§4.1.2).
pub async fn redeem(
    store: &Store,
    client: &ClientCredentials,
    grant: &CodeGrant,
    origin: &Origin,
    now: i64,
) -> Result<TokenSet, Error> {
    let (code, found) = store
        .get_authorization_code_and_client(&hash_secret(&grant.code), &client.client_id)
        .await?;
    let authenticated = authenticate(found, client, now)?;
    if !authenticated.allows(GrantType::AuthorizationCode) {
        return Err(Error::UnauthorizedClient(
            "this client may not use the authorization code grant".into(),
        ));
    }
    let invalid = |why: &str| Error::InvalidGrant(why.into());
    let code = code
        .filter(|c| c.client_id == authenticated.client_id)
        .ok_or_else(|| invalid("unknown authorization code"))?;
    // An app instance (VMware) is bound to the person who registered it: a code another person
    // approved for it at the authorization endpoint gets it nothing.
    if authenticated
        .instance
        .as_ref()
        .is_some_and(|i| i.username != code.username)
    {
        return Err(invalid("this app instance is registered to another user"));
    }
    let by_client = origin.by(Actor::client(&code.client_id));
    let reused = |family_id: &str| {
        AuditEvent::failure(
            AuditType::TokenReuseDetected,
            &by_client,
            &code.client_id,
            &format!("authorization code presented again; token family {family_id} revoked"),
        )
    };
    if let Some(family_id) = &code.family_id {
        store
            .revoke_family_audited(family_id, now, &reused(family_id))
            .await?;
        tracing::info!(client_id = %code.client_id, family_id, "authorization code used twice; its tokens revoked");
        return Err(invalid("the authorization code has already been used"));
    }
    if code.expires_at <= now {
        return Err(invalid("the authorization code has expired"));
    }
    if grant.redirect_uri.as_deref() != Some(code.redirect_uri.as_str()) {
        return Err(invalid(
            "redirect_uri must be the one the authorization request sent",
        ));
    }
    check_verifier(
        code.code_challenge.as_deref(),
        grant.code_verifier.as_deref(),
    )?;
    let owner = Owner::Client {
        username: Some(code.username.clone()),
    };
    let (family, issued) = issuance::first_pair(
        TokenOwner {
            client_id: &code.client_id,
            owner: &owner,
            scope: code.scope.as_deref(),
            auth_time: code.auth_time,
        },
        code.lifetimes,
        now,
    )?;
    let audit = AuditEvent::success(
        AuditType::AuthorizationCodeRedeemed,
        &by_client,
        &code.client_id,
    )
    .because(&format!("for {}", code.username));
    let pair = NewPair {
        tokens: [&issued.access, &issued.refresh],
        replay_key: None,
        audit: &audit,
    };
    match store
        .redeem_authorization_code(&code, &family, pair, now)
        .await?
    {
        CodeRedemption::Redeemed => {
            tracing::info!(client_id = %code.client_id, family_id = %family.family_id, "authorization code redeemed");
            let mut tokens = issued.token_set;
            if let Some(authentication) = &mut tokens.authentication {
                authentication.nonce = code.nonce.clone();
            }
            Ok(tokens)
        }
        CodeRedemption::AlreadyUsed(current) => {
            // Lost a race with another redemption: that one's tokens go too.
            if let Some(family_id) = current.and_then(|c| c.family_id) {
                store
                    .revoke_family_audited(&family_id, now, &reused(&family_id))
                    .await?;
            }
            Err(invalid("the authorization code has already been used"))
        }
        CodeRedemption::Inactive(which) => Err(which.refusal()),
    }
}
