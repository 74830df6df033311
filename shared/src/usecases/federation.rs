//! Signing in on the pages with an upstream identity provider (docs/federation.md): the
//! start sends the browser to the provider with PKCE, `state` and `nonce` kept on the server
//! and bound to a cookie of that browser; the callback takes them once, verifies the ID token,
//! admits the person by the provider's settings, finds or creates their user by (issuer, `sub`)
//! and starts a page session, as a password sign-in does. A failed callback keeps the attempt
//! it took, as a wrong password does.

use crate::config::Settings;
use crate::error::Error;
use crate::federation::relying_party::{self, Redemption};
use crate::federation::{claims, sealing};
use crate::model::*;
use crate::secrets::hash_secret;
use crate::storage::{FirstSignIn, Store};
use crate::usecases::console::{self, ConsoleSignIn};
use crate::usecases::sign_in::{self, SignedIn};

/// How long a person has at the provider before the sign-in must start again.
pub const PENDING_TTL: i64 = 600;
/// Where providers send people back to (the redirect URI registered at each provider).
pub const CALLBACK_PATH: &str = "/signin/callback";
/// Where a provider's sign-in button points: `/signin/{id}?return_to=...`.
pub const START_PATH: &str = "/signin/{id}";

/// The `return_to` of a sign-in to the admin console (only through a provider with
/// `admin_claims`); every other `return_to` is a page session's.
pub const CONSOLE_RETURN: &str = "/admin/console";

/// The redirect URI to register at every provider.
pub fn callback_url(issuer: &str) -> String {
    format!("{issuer}{CALLBACK_PATH}")
}

/// The button's link for `provider`, coming back to `return_to`.
pub fn start_link(provider_id: &str, return_to: &str) -> String {
    let encoded =
        percent_encoding::utf8_percent_encode(return_to, percent_encoding::NON_ALPHANUMERIC);
    format!("/signin/{provider_id}?return_to={encoded}")
}

/// A button on a sign-in page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProviderButton {
    pub name: String,
    pub href: String,
}

/// The enabled providers' buttons, each coming back to `return_to` (one Scan); for the
/// console, only the providers that sign in administrators.
pub async fn buttons(store: &Store, return_to: &str) -> Result<Vec<ProviderButton>, Error> {
    let console = return_to == CONSOLE_RETURN;
    Ok(store
        .list_identity_providers()
        .await?
        .into_iter()
        .filter(|p| p.enabled && (!console || p.signs_in_admins()))
        .map(|p| ProviderButton {
            href: start_link(&p.id, return_to),
            name: p.name,
        })
        .collect())
}

async fn enabled_provider(store: &Store, id: &str) -> Result<IdentityProvider, Error> {
    store
        .get_identity_provider(id)
        .await?
        .filter(|p| p.enabled)
        .ok_or_else(|| {
            Error::NotFound("no such identity provider is enabled here; go back and sign in".into())
        })
}

/// A sign-in sent on its way: where the browser goes, and the cookie value that binds the
/// callback to it.
pub struct Started {
    pub location: String,
    pub browser_cookie: String,
}

/// Starts a sign-in with `provider_id`; `return_to` is a path on this site, already checked.
pub async fn start(
    store: &Store,
    issuer: &str,
    provider_id: &str,
    return_to: &str,
    now: i64,
) -> Result<Started, Error> {
    let provider = enabled_provider(store, provider_id).await?;
    if return_to == CONSOLE_RETURN && !provider.signs_in_admins() {
        return Err(Error::AccessDenied(format!(
            "{} does not sign in administrators here; sign in to the console with an admin key",
            provider.name
        )));
    }
    let metadata = relying_party::metadata(&provider.issuer, now, false).await?;
    let request = relying_party::authorization(&metadata, &provider, &callback_url(issuer))?;
    // 256 random bits; the pages layer is not imported here (it imports this module).
    let browser_cookie = {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(crate::secrets::random_bytes::<32>()?)
    };
    store
        .put_pending_federation(&PendingFederation {
            session_hash: PendingFederation::key(&request.state),
            browser_hash: hash_secret(&browser_cookie),
            provider_id: provider.id,
            nonce: request.nonce,
            pkce_verifier: request.pkce_verifier,
            return_to: return_to.to_owned(),
            created_at: now,
            expires_at: now + PENDING_TTL,
            ttl: now + PENDING_TTL,
        })
        .await?;
    Ok(Started {
        location: request.url,
        browser_cookie,
    })
}

/// What the provider's redirect brought back.
pub struct Callback<'a> {
    pub state: Option<&'a str>,
    pub code: Option<&'a str>,
    /// The provider's `error` (RFC 6749 §4.1.2.1), when it did not sign the person in.
    pub error: Option<&'a str>,
    pub browser_cookie: Option<&'a str>,
    /// Where the browser came from, for the guessing limit and the audit trail.
    pub origin: &'a Origin,
}

/// A finished sign-in: a page session and where the person was going, or a console session.
pub enum FederatedSignIn {
    Page {
        signed_in: SignedIn,
        return_to: String,
    },
    Console(ConsoleSignIn),
}

fn start_again(why: &str) -> Error {
    Error::AccessDenied(format!("{why}; go back and sign in again"))
}

/// Finishes a sign-in at the callback.
pub async fn finish(
    store: &Store,
    settings: &Settings,
    issuer: &str,
    callback: Callback<'_>,
    now: i64,
) -> Result<FederatedSignIn, Error> {
    let source = sign_in::source_subject(&callback.origin.source_ip);
    let counters = [sign_in::sign_in_source_counter(&source)];
    sign_in::take_attempt(store, &counters, callback.origin, now).await?;
    let (Some(state), Some(browser)) = (callback.state, callback.browser_cookie) else {
        return Err(start_again(
            "this sign-in was not started in this browser, or took too long",
        ));
    };
    if state.len() > 512 {
        return Err(start_again("this sign-in link is not one of ours"));
    }
    let pending = store
        .take_pending_federation(&PendingFederation::key(state), &hash_secret(browser), now)
        .await?
        .ok_or_else(|| {
            start_again("this sign-in was already used, took too long, or began in another browser")
        })?;
    let provider = enabled_provider(store, &pending.provider_id).await?;
    if let Some(error) = callback.error {
        let code: String = error
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
            .take(64)
            .collect();
        return Err(Error::AccessDenied(format!(
            "{} did not sign you in ({code})",
            provider.name
        )));
    }
    let code = callback
        .code
        .filter(|c| !c.is_empty() && c.len() <= 2048)
        .ok_or_else(|| start_again("the identity provider sent no authorization code"))?;
    let secret = sealing::open(
        settings.server_secret()?,
        &provider.id,
        &provider.client_secret_sealed,
    )?;
    let verified = relying_party::redeem(
        &provider,
        &secret,
        Redemption {
            code,
            nonce: &pending.nonce,
            pkce_verifier: &pending.pkce_verifier,
            redirect_uri: &callback_url(issuer),
        },
        now,
    )
    .await?;
    if pending.return_to == CONSOLE_RETURN {
        // An administrator: no devicegate user is found or made, the provider vouches.
        claims::admit_admin(&provider, &verified.claims)?;
        let name = claims::person(&provider, &verified.claims)?.username;
        let admin = FederatedAdmin {
            provider_id: provider.id.clone(),
            subject: verified.subject,
            name,
        };
        // The attempt taken stays taken: an administrator's sign-ins are few.
        let signed_in = console::sign_in_federated(store, admin, now).await?;
        tracing::info!(provider = %provider.id, admin = %signed_in.admin.id, "signed in to the admin console");
        return Ok(FederatedSignIn::Console(signed_in));
    }
    claims::admit(&provider, &verified.claims)?;
    let user = account(store, &provider, &verified, callback.origin, now).await?;
    if user.disabled {
        return Err(Error::AccessDenied("this account is disabled".into()));
    }
    let signed_in = sign_in::start_session(
        store,
        user,
        Some(&provider),
        &counters,
        callback.origin,
        now,
    )
    .await?;
    tracing::info!(provider = %provider.id, "federated sign-in");
    Ok(FederatedSignIn::Page {
        signed_in,
        return_to: pending.return_to,
    })
}

/// The user an upstream account is: by its link, else a new one (when the provider creates
/// users). Never by username or email alone: a local user of the same name is refused.
async fn account(
    store: &Store,
    provider: &IdentityProvider,
    verified: &relying_party::Verified,
    origin: &Origin,
    now: i64,
) -> Result<User, Error> {
    let key = FederationLink::key(&provider.issuer, &verified.subject);
    if let Some(user) = linked_user(store, &key).await? {
        return Ok(user);
    }
    if !provider.jit {
        return Err(Error::AccessDenied(format!(
            "no account here is linked to your {} account; ask an administrator",
            provider.name
        )));
    }
    let person = claims::person(provider, &verified.claims)?;
    let identity = FederatedIdentity {
        provider_id: provider.id.clone(),
        issuer: provider.issuer.clone(),
        subject: verified.subject.clone(),
    };
    let user = User {
        username: person.username.clone(),
        password_hash: String::new(),
        display_name: person.display_name,
        // Indexed for the password-less email login only when the provider vouches for it.
        email_key: person
            .email
            .as_deref()
            .filter(|_| person.email_verified)
            .map(email_key),
        email_verified: person.email_verified,
        email: person.email,
        subject: Some(ulid::Ulid::new().to_string()),
        federation: Some(identity),
        disabled: false,
        created_at: now,
        updated_at: now,
        credentials_version: 0,
        card_id_hmac: None,
        short_id_hmac: None,
    };
    let link = FederationLink {
        id: key.clone(),
        username: user.username.clone(),
        provider_id: provider.id.clone(),
        issuer: provider.issuer.clone(),
        subject: verified.subject.clone(),
        created_at: now,
    };
    let audit = AuditEvent::success(
        AuditType::UserCreated,
        &origin.by(Actor::user(&user.username)),
        &user.username,
    )
    .because(&format!(
        "created on a first sign-in through the identity provider {}",
        provider.id
    ));
    match store.create_federated_user(&user, &link, &audit).await? {
        FirstSignIn::Created => {
            tracing::info!(provider = %provider.id, "user created on a first federated sign-in");
            Ok(user)
        }
        FirstSignIn::AlreadyLinked => linked_user(store, &key)
            .await?
            .ok_or_else(|| Error::internal("a federation link to a missing user")),
        FirstSignIn::UsernameTaken => Err(Error::AccessDenied(format!(
            "an account named {} already exists here and is not linked to your {} account; \
             an administrator can link them",
            person.username, provider.name
        ))),
    }
}

async fn linked_user(store: &Store, key: &str) -> Result<Option<User>, Error> {
    let Some(link) = store.get_federation_link(key).await? else {
        return Ok(None);
    };
    let user = store.get_user(&link.username).await?;
    // The user must still be the one linked (not deleted and recreated under the name).
    Ok(user.filter(|u| {
        u.federation
            .as_ref()
            .is_some_and(|f| f.issuer == link.issuer && f.subject == link.subject)
    }))
}
