//! The users who sign in on the pages and through Paragon login.

use crate::error::Error;
use crate::model::{
    AuditEvent, AuditType, LoginId, LoginIdKind, Origin, User, Username, bounded_text, email_key,
    user_owner_key,
};
use crate::password;
use crate::secrets::ServerSecret;
use crate::storage::Store;

/// What an administrator gives for a new user.
#[derive(Clone, Debug)]
pub struct NewUser {
    pub username: String,
    pub password: String,
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub email_verified: bool,
}

pub async fn create_user(
    store: &Store,
    new: NewUser,
    now: i64,
    origin: &Origin,
) -> Result<User, Error> {
    let username = Username::parse(&new.username)?;
    password::check_new(&new.password)?;
    let display_name = bounded_text("display_name", new.display_name.as_deref(), 256)?;
    let email = bounded_text("email", new.email.as_deref(), 254)?;
    if email.as_deref().is_some_and(|e| {
        let mut parts = e.split('@');
        !(parts.next().is_some_and(|l| !l.is_empty())
            && parts.next().is_some_and(|d| d.contains('.'))
            && parts.next().is_none())
    }) {
        return Err(Error::invalid_request(
            "email must look like name@example.com",
        ));
    }
    let user = User {
        username: username.as_str().to_owned(),
        password_hash: password::hash(&new.password)?,
        display_name,
        email_key: email.as_deref().map(email_key),
        email_verified: new.email_verified && email.is_some(),
        email,
        subject: Some(ulid::Ulid::new().to_string()),
        federation: None,
        disabled: false,
        created_at: now,
        updated_at: now,
        credentials_version: 0,
        card_id_hmac: None,
        short_id_hmac: None,
    };
    let audit = AuditEvent::success(AuditType::UserCreated, origin, &user.username);
    store.put_user(&user, &audit).await?;
    Ok(user)
}

/// One user.
pub async fn get_user(store: &Store, username: &str) -> Result<User, Error> {
    store
        .get_user(username)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no user named {username}")))
}

/// Every user, disabled ones included.
pub async fn list_users(store: &Store) -> Result<Vec<User>, Error> {
    store.list_users().await
}

/// Sets a new password and ends the user's page sessions (whoever knew the old password may
/// be signed in).
pub async fn reset_password(
    store: &Store,
    username: &str,
    new_password: &str,
    now: i64,
    origin: &Origin,
) -> Result<User, Error> {
    password::check_new(new_password)?;
    let hash = password::hash(new_password)?;
    let audit = AuditEvent::success(AuditType::UserPasswordReset, origin, username);
    let user = store
        .set_password_hash(username, &hash, now, &audit)
        .await?;
    store.end_sessions_of(username).await?;
    // A user token may have been had with the old password: it goes too.
    store
        .revoke_families_of(&user_owner_key(username), now)
        .await?;
    Ok(user)
}

/// Disables a user and ends their page sessions; tokens they approved stop working too (every
/// refresh and introspection checks the user), and their user tokens' families are revoked.
/// The authorizer reads no user record: it reads the user's guard, recorded first, which
/// refuses every user token of theirs even where the families' index (eventually consistent)
/// did not yet list one a login had just written.
pub async fn disable_user(
    store: &Store,
    username: &str,
    now: i64,
    origin: &Origin,
) -> Result<User, Error> {
    let audit = AuditEvent::success(AuditType::UserDisabled, origin, username);
    let user = store.disable_user(username, &audit).await?;
    store.record_user_guard(username).await?;
    store.end_sessions_of(username).await?;
    store
        .revoke_families_of(&user_owner_key(username), now)
        .await?;
    Ok(user)
}

/// Sets or clears a user's card id and short id (`None` leaves one as it is, `Some(None)`
/// clears it). Each is stored only as a keyed hash; one already held by another user is 409.
pub async fn set_login_ids(
    store: &Store,
    secret: &ServerSecret,
    username: &str,
    card_id: Option<Option<&str>>,
    short_id: Option<Option<&str>>,
    now: i64,
    origin: &Origin,
) -> Result<User, Error> {
    let mut changes = Vec::new();
    for (kind, change) in [
        (LoginIdKind::CardId, card_id),
        (LoginIdKind::ShortId, short_id),
    ] {
        match change {
            None => {}
            Some(None) => changes.push((kind, None)),
            Some(Some(text)) => {
                let key = LoginId::parse(kind, text)?.lookup_key(secret);
                let holders = store.users_by_login_id(kind, &key).await?;
                if holders.iter().any(|u| u != username) {
                    return Err(Error::Conflict(format!(
                        "another user already has this {}",
                        kind.field()
                    )));
                }
                changes.push((kind, Some(key)));
            }
        }
    }
    if changes.is_empty() {
        return Err(Error::invalid_request(
            "send card_id and/or short_id (a string to set, null to clear)",
        ));
    }
    // The kinds changed, never the ids: a card id signs its holder in without a password.
    let what: Vec<String> = changes
        .iter()
        .map(|(kind, value)| {
            let verb = if value.is_some() { "set" } else { "cleared" };
            format!("{} {verb}", kind.field())
        })
        .collect();
    let audit =
        AuditEvent::success(AuditType::UserChanged, origin, username).because(&what.join(", "));
    store.set_login_ids(username, &changes, now, &audit).await
}
