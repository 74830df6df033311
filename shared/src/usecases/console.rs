//! Admin console sessions: begun by signing in with an admin key, kept on the server so that
//! signing out ends the session itself (not only the browser's cookie), and good only while
//! the admin key is enabled and for [`CONSOLE_TTL`].

use crate::error::Error;
use crate::model::{AdminKey, ConsoleSession};
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

/// A console session just begun: the cookie value for the browser, and the admin key.
#[derive(Debug)]
pub struct ConsoleSignIn {
    pub cookie_value: String,
    pub admin_key: AdminKey,
}

/// Signs in with an admin key (two round trips: the key, then the session written).
pub async fn sign_in(
    store: &Store,
    presented: Option<&str>,
    now: i64,
) -> Result<ConsoleSignIn, Error> {
    let admin_key = admin::authenticate(store, presented).await?;
    let cookie = secrets::issue(SecretKind::Session)?;
    let session = ConsoleSession {
        session_hash: session_key(cookie.value()),
        admin_key_hash: admin_key.key_hash.clone(),
        created_at: now,
        expires_at: now + CONSOLE_TTL,
        ttl: now + CONSOLE_TTL,
    };
    store.put_console_session(&session).await?;
    Ok(ConsoleSignIn {
        cookie_value: cookie.into_value(),
        admin_key,
    })
}

/// The admin key behind a console cookie, while its session is live and the key enabled (two
/// reads: the session, then its key).
pub async fn signed_in(
    store: &Store,
    cookie_value: &str,
    now: i64,
) -> Result<Option<AdminKey>, Error> {
    let Some(session) = store
        .get_live_console_session(&session_key(cookie_value), now)
        .await?
    else {
        return Ok(None);
    };
    match admin::authenticate_hash(store, &session.admin_key_hash).await {
        Ok(key) => Ok(Some(key)),
        Err(Error::Unauthorized) => Ok(None),
        Err(other) => Err(other),
    }
}

/// Ends the session behind a console cookie.
pub async fn sign_out(store: &Store, cookie_value: &str) -> Result<(), Error> {
    store.delete_session(&session_key(cookie_value)).await
}
