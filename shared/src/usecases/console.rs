//! Admin console sessions: begun by signing in with an admin key, or through an identity
//! provider that signs in administrators (docs/federation.md); kept on the server so that
//! signing out ends the session itself (not only the browser's cookie), and good only while
//! the admin key (or the provider and its admin rule) is enabled and for [`CONSOLE_TTL`].

use crate::error::Error;
use crate::model::{ConsoleSession, FederatedAdmin, IdentityProvider};
use crate::secrets::{self, SecretKind, hash_secret};
use crate::storage::Store;
use crate::usecases::admin;

/// How long a console sign-in lasts.
pub const CONSOLE_TTL: i64 = 8 * 3600;

/// The storage key of the session behind a console cookie: apart from every page session's
/// (the bare hash), so that neither cookie can stand for the other.
fn session_key(cookie_value: &str) -> String {
    format!("console#{}", hash_secret(cookie_value))
}

/// Who is signed in to a console: the id the console's records name them by (an admin key's
/// id, or `{provider id}:{sub}` for one who came through a provider).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsoleAdmin {
    pub id: String,
}

/// A console session just begun: the cookie value for the browser, and who.
#[derive(Debug)]
pub struct ConsoleSignIn {
    pub cookie_value: String,
    pub admin: ConsoleAdmin,
}

fn federated_id(admin: &FederatedAdmin) -> String {
    format!("{}:{}", admin.provider_id, admin.subject)
}

async fn begin(
    store: &Store,
    admin_key_hash: String,
    federated: Option<FederatedAdmin>,
    now: i64,
) -> Result<String, Error> {
    let cookie = secrets::issue(SecretKind::Session)?;
    let session = ConsoleSession {
        session_hash: session_key(cookie.value()),
        admin_key_hash,
        federated,
        created_at: now,
        expires_at: now + CONSOLE_TTL,
        ttl: now + CONSOLE_TTL,
    };
    store.put_console_session(&session).await?;
    Ok(cookie.into_value())
}

/// Signs in with an admin key (two round trips: the key, then the session written).
pub async fn sign_in(
    store: &Store,
    presented: Option<&str>,
    now: i64,
) -> Result<ConsoleSignIn, Error> {
    let admin_key = admin::authenticate(store, presented).await?;
    let cookie_value = begin(store, admin_key.key_hash, None, now).await?;
    Ok(ConsoleSignIn {
        cookie_value,
        admin: ConsoleAdmin { id: admin_key.id },
    })
}

/// Signs in a person an admin provider has vouched for (its admin claims already checked by
/// the federation use case): one write.
pub async fn sign_in_federated(
    store: &Store,
    admin: FederatedAdmin,
    now: i64,
) -> Result<ConsoleSignIn, Error> {
    let id = federated_id(&admin);
    let cookie_value = begin(store, String::new(), Some(admin), now).await?;
    Ok(ConsoleSignIn {
        cookie_value,
        admin: ConsoleAdmin { id },
    })
}

/// Who is behind a console cookie, while its session is live and the admin key (or the
/// provider, still signing in administrators) is enabled: two reads, the session and then
/// its key or provider.
pub async fn signed_in(
    store: &Store,
    cookie_value: &str,
    now: i64,
) -> Result<Option<ConsoleAdmin>, Error> {
    let Some(session) = store
        .get_live_console_session(&session_key(cookie_value), now)
        .await?
    else {
        return Ok(None);
    };
    if let Some(federated) = &session.federated {
        let provider = store.get_identity_provider(&federated.provider_id).await?;
        let admits = provider.is_some_and(|p: IdentityProvider| p.enabled && p.signs_in_admins());
        return Ok(admits.then(|| ConsoleAdmin {
            id: federated_id(federated),
        }));
    }
    if session.admin_key_hash.is_empty() {
        return Ok(None);
    }
    match admin::authenticate_hash(store, &session.admin_key_hash).await {
        Ok(key) => Ok(Some(ConsoleAdmin { id: key.id })),
        Err(Error::Unauthorized) => Ok(None),
        Err(other) => Err(other),
    }
}

/// Ends the session behind a console cookie.
pub async fn sign_out(store: &Store, cookie_value: &str) -> Result<(), Error> {
    store.delete_session(&session_key(cookie_value)).await
}
