//! OpenID Connect on top of the grants (fosite's `handler/openid`): whatever grant issued a
//! token set, when `openid` was granted and a person approved it, this adds the ID token
//! (OIDC Core §3.1.3.3, §12.2 for refresh) and answers UserInfo (§5.3). No grant knows
//! about OpenID Connect; this knows nothing of how a grant decided.

use crate::config::Settings;
use crate::error::Error;
use crate::model::{Authentication, Owner, TokenSet, User};
use crate::oidc::SigningAlg;
use crate::oidc::id_token::{IdTokenClaims, at_hash};
use crate::storage::Store;
use crate::usecases::token_status;

/// The algorithm of every ID token: RS256, which every relying party must accept (OIDC Core
/// §15.1). EdDSA keys are published for resource servers that prefer them.
pub const ID_TOKEN_ALG: SigningAlg = SigningAlg::RS256;

/// The claims a person's record gives, by the scopes granted (OIDC Core §5.4).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct PersonClaims {
    pub sub: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preferred_username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_verified: Option<bool>,
}

/// Whether a granted scope (space-separated, as stored) includes `token`.
pub fn granted(scope: Option<&str>, token: &str) -> bool {
    scope.is_some_and(|s| s.split(' ').any(|t| t == token))
}

/// Adds an ID token to `tokens` when `openid` was granted to a client a person approved for,
/// and the deployment has signing keys. One read of the user (two for a user created before
/// OpenID Connect, on their first ID token).
pub async fn add_id_token(
    store: &Store,
    settings: &Settings,
    issuer: &str,
    tokens: &mut TokenSet,
    now: i64,
) -> Result<(), Error> {
    let (Some(keys), Some(authentication)) = (&settings.oidc.keys, &tokens.authentication) else {
        return Ok(());
    };
    if !granted(tokens.scope.as_deref(), "openid") {
        return Ok(());
    }
    let Authentication {
        username,
        client_id,
        auth_time,
        nonce,
    } = authentication;
    let person = person_claims(store, username, tokens.scope.as_deref()).await?;
    let claims = IdTokenClaims {
        iss: issuer.to_owned(),
        sub: person.sub,
        aud: client_id.clone(),
        exp: now + settings.oidc.id_token_ttl,
        iat: now,
        auth_time: *auth_time,
        nonce: nonce.clone(),
        at_hash: Some(at_hash(&tokens.access_token, ID_TOKEN_ALG)),
        azp: None,
        sid: None,
        name: person.name,
        preferred_username: person.preferred_username,
        email: person.email,
        email_verified: person.email_verified,
    };
    let signed = claims
        .sign(keys, ID_TOKEN_ALG)
        .map_err(|e| Error::internal(format!("signing an ID token: {e}")))?;
    tokens.id_token = Some(signed);
    Ok(())
}

/// A person's claims for the scopes granted: `sub` always, `profile` gives `name` and
/// `preferred_username`, `email` gives `email` and `email_verified`. A user gone since the
/// grant was judged is refused.
pub async fn person_claims(
    store: &Store,
    username: &str,
    scope: Option<&str>,
) -> Result<PersonClaims, Error> {
    let user = store
        .get_user(username)
        .await?
        .ok_or_else(|| Error::InvalidGrant("the person these tokens speak for is gone".into()))?;
    let (user, sub) = subject(store, user).await?;
    let profile = granted(scope, "profile");
    let email = granted(scope, "email") && user.email.is_some();
    Ok(PersonClaims {
        sub,
        name: profile.then(|| user.display_name.clone()).flatten(),
        preferred_username: profile.then(|| user.username.clone()),
        email: email.then(|| user.email.clone()).flatten(),
        email_verified: email.then_some(user.email_verified),
    })
}

/// The user's subject, given one now if they were created before OpenID Connect.
async fn subject(store: &Store, user: User) -> Result<(User, String), Error> {
    if let Some(sub) = user.subject.clone() {
        return Ok((user, sub));
    }
    let candidate = ulid::Ulid::new().to_string();
    let user = store
        .ensure_subject(&user.username, &candidate)
        .await?
        .ok_or_else(|| Error::InvalidGrant("the person these tokens speak for is gone".into()))?;
    let sub = user
        .subject
        .clone()
        .ok_or_else(|| Error::internal("a user's subject was not written"))?;
    Ok((user, sub))
}

/// UserInfo (OIDC Core §5.3): the claims of the person an access token speaks for, by the
/// scopes it carries. The token must be live, its holder in good standing, and `openid`
/// granted; a token no person approved (a device's, a client's own) has no UserInfo.
pub async fn userinfo(store: &Store, access_token: &str, now: i64) -> Result<PersonClaims, Error> {
    let record = token_status::live_access_token(store, access_token, now)
        .await?
        .ok_or_else(|| Error::InvalidToken("the access token is not active".into()))?;
    let username = match &record.owner {
        Owner::Client {
            username: Some(username),
        } if granted(record.scope.as_deref(), "openid") => username.clone(),
        _ => {
            return Err(Error::InsufficientScope(
                "UserInfo needs an access token a person granted openid to".into(),
            ));
        }
    };
    person_claims(store, &username, record.scope.as_deref()).await
}
