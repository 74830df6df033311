//! Upstream identity providers, administered (docs/federation.md): what the admin API,
//! console and CLI call. A provider's issuer is discovered before it is saved, so a typo is
//! refused at once rather than at someone's first sign-in; its client secret is sealed and
//! never given back.

use std::collections::BTreeMap;

use crate::error::Error;
use crate::federation::{relying_party, sealing};
use crate::model::identity_provider::{self as idp, DEFAULT_SCOPES, DEFAULT_USERNAME_CLAIM};
use crate::model::{
    AuditEvent, AuditType, FederatedIdentity, FederationLink, IdentityProvider, Origin, Username,
};
use crate::secrets::ServerSecret;
use crate::storage::Store;

/// A provider's settings; left out, each takes its default.
#[derive(Clone, Debug, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewIdentityProvider {
    pub name: String,
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    pub scopes: Option<Vec<String>>,
    pub username_claim: Option<String>,
    pub allowed_email_domains: Option<Vec<String>>,
    pub required_claims: Option<BTreeMap<String, String>>,
    pub admin_claims: Option<BTreeMap<String, String>>,
    pub jit: Option<bool>,
    pub enabled: Option<bool>,
}

/// Changes to a provider: only what is given changes.
#[derive(Clone, Debug, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IdentityProviderChanges {
    pub name: Option<String>,
    pub issuer: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub scopes: Option<Vec<String>>,
    pub username_claim: Option<String>,
    pub allowed_email_domains: Option<Vec<String>>,
    pub required_claims: Option<BTreeMap<String, String>>,
    pub admin_claims: Option<BTreeMap<String, String>>,
    pub jit: Option<bool>,
    pub enabled: Option<bool>,
}

/// The issuer must answer discovery with itself as `issuer` (the crate checks that).
async fn discovered(issuer: &str, now: i64) -> Result<(), Error> {
    relying_party::metadata(issuer, now, true)
        .await
        .map(|_| ())
        .map_err(|_| {
            Error::invalid_request(format!(
                "issuer: {issuer}/.well-known/openid-configuration could not be read, or names \
                 another issuer"
            ))
        })
}

pub async fn create_identity_provider(
    store: &Store,
    secret: &ServerSecret,
    new: NewIdentityProvider,
    now: i64,
    origin: &Origin,
) -> Result<IdentityProvider, Error> {
    let id = format!("{}{}", IdentityProvider::ID_PREFIX, ulid::Ulid::new());
    let client_secret = idp::provider_credential("client_secret", &new.client_secret)?;
    let default_scopes: Vec<String> = DEFAULT_SCOPES.iter().map(|s| (*s).to_owned()).collect();
    let provider = IdentityProvider {
        name: idp::provider_name(&new.name)?,
        issuer: idp::provider_issuer(&new.issuer)?,
        client_id: idp::provider_credential("client_id", &new.client_id)?,
        client_secret_sealed: sealing::seal(secret, &id, &client_secret)?,
        scopes: idp::provider_scopes(new.scopes.as_deref().unwrap_or(&default_scopes))?,
        username_claim: idp::claim_name(
            "username_claim",
            new.username_claim
                .as_deref()
                .unwrap_or(DEFAULT_USERNAME_CLAIM),
        )?,
        allowed_email_domains: idp::email_domains(
            new.allowed_email_domains.as_deref().unwrap_or(&[]),
        )?,
        required_claims: idp::required_claims(&new.required_claims.unwrap_or_default())?,
        admin_claims: idp::claim_values("admin_claims", &new.admin_claims.unwrap_or_default())?,
        jit: new.jit.unwrap_or(true),
        enabled: new.enabled.unwrap_or(true),
        created_at: now,
        updated_at: now,
        id,
    };
    discovered(&provider.issuer, now).await?;
    let audit = AuditEvent::success(AuditType::IdentityProviderCreated, origin, &provider.id)
        .because(&format!("{} ({})", provider.name, provider.issuer));
    store.put_identity_provider(&provider, &audit).await?;
    Ok(provider)
}

pub async fn list_identity_providers(store: &Store) -> Result<Vec<IdentityProvider>, Error> {
    store.list_identity_providers().await
}

pub async fn get_identity_provider(store: &Store, id: &str) -> Result<IdentityProvider, Error> {
    store
        .get_identity_provider(id)
        .await?
        .ok_or_else(|| Error::NotFound("no such identity provider".into()))
}

/// Applies `changes`. Disabling stops the provider's sign-ins at once (every start and
/// callback reads it); a new client secret is sealed like the first.
pub async fn update_identity_provider(
    store: &Store,
    secret: &ServerSecret,
    id: &str,
    changes: IdentityProviderChanges,
    now: i64,
    origin: &Origin,
) -> Result<IdentityProvider, Error> {
    let mut provider = get_identity_provider(store, id).await?;
    if let Some(name) = changes.name {
        provider.name = idp::provider_name(&name)?;
    }
    let new_issuer = match changes.issuer {
        Some(issuer) => Some(idp::provider_issuer(&issuer)?),
        None => None,
    };
    if let Some(client_id) = changes.client_id {
        provider.client_id = idp::provider_credential("client_id", &client_id)?;
    }
    if let Some(client_secret) = changes.client_secret {
        let client_secret = idp::provider_credential("client_secret", &client_secret)?;
        provider.client_secret_sealed = sealing::seal(secret, &provider.id, &client_secret)?;
    }
    if let Some(scopes) = changes.scopes {
        provider.scopes = idp::provider_scopes(&scopes)?;
    }
    if let Some(claim) = changes.username_claim {
        provider.username_claim = idp::claim_name("username_claim", &claim)?;
    }
    if let Some(domains) = changes.allowed_email_domains {
        provider.allowed_email_domains = idp::email_domains(&domains)?;
    }
    if let Some(claims) = changes.required_claims {
        provider.required_claims = idp::required_claims(&claims)?;
    }
    if let Some(claims) = changes.admin_claims {
        provider.admin_claims = idp::claim_values("admin_claims", &claims)?;
    }
    if let Some(jit) = changes.jit {
        provider.jit = jit;
    }
    if let Some(enabled) = changes.enabled {
        provider.enabled = enabled;
    }
    if let Some(issuer) = new_issuer.filter(|i| *i != provider.issuer) {
        discovered(&issuer, now).await?;
        provider.issuer = issuer;
    }
    provider.updated_at = now;
    let audit = AuditEvent::success(AuditType::IdentityProviderChanged, origin, &provider.id)
        .because(if provider.enabled {
            "changed; enabled"
        } else {
            "changed; disabled: its sign-ins stop"
        });
    if !store.replace_identity_provider(&provider, &audit).await? {
        return Err(Error::NotFound("no such identity provider".into()));
    }
    Ok(provider)
}

pub async fn delete_identity_provider(
    store: &Store,
    id: &str,
    origin: &Origin,
) -> Result<(), Error> {
    let audit = AuditEvent::success(AuditType::IdentityProviderDeleted, origin, id);
    if store.delete_identity_provider(id, &audit).await? {
        Ok(())
    } else {
        Err(Error::NotFound("no such identity provider".into()))
    }
}

/// Links a local user to an upstream account (its `sub` at `provider_id`), so that signing
/// in there is signing in as them. Refused when either side is already linked.
pub async fn link_user(
    store: &Store,
    username: &str,
    provider_id: &str,
    subject: &str,
    now: i64,
    origin: &Origin,
) -> Result<(), Error> {
    let username = Username::parse(username)?;
    if subject.is_empty() || subject.len() > 255 {
        return Err(Error::invalid_request(
            "subject is the upstream sub, 1 to 255 bytes",
        ));
    }
    let provider = get_identity_provider(store, provider_id).await?;
    let mut user = store
        .get_user(username.as_str())
        .await?
        .ok_or_else(|| Error::NotFound(format!("no user named {}", username.as_str())))?;
    user.federation = Some(FederatedIdentity {
        provider_id: provider.id.clone(),
        issuer: provider.issuer.clone(),
        subject: subject.to_owned(),
    });
    let link = FederationLink {
        id: FederationLink::key(&provider.issuer, subject),
        username: user.username.clone(),
        provider_id: provider.id,
        issuer: provider.issuer,
        subject: subject.to_owned(),
        created_at: now,
    };
    let audit =
        AuditEvent::success(AuditType::UserChanged, origin, &user.username).because(&format!(
            "linked to the account {subject} at the identity provider {}",
            link.provider_id
        ));
    if store.link_user(&link, &user, &audit).await? {
        Ok(())
    } else {
        Err(Error::Conflict(
            "the user is already linked, or that upstream account is linked to someone".into(),
        ))
    }
}
