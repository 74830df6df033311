//! Administration: admin keys, device decisions, API keys, OAuth clients, users.

use crate::error::Error;
use crate::model::{
    AdminKey, ApiKey, ApiKeySettings, Device, DeviceStatus, GrantType, OAuthClient,
    OAuthClientType, RedirectUri, Scope, User, Username, bounded_text,
};
use crate::password;
use crate::secrets::{self, SecretKind, hash_secret, hashes_match};
use crate::storage::{Decision, Store};

/// Checks an `Authorization: Bearer <admin key>` value. One round trip.
pub async fn authenticate(store: &Store, bearer: Option<&str>) -> Result<AdminKey, Error> {
    let presented = bearer.ok_or(Error::Unauthorized)?;
    let hash = hash_secret(presented);
    store
        .get_admin_key(&hash)
        .await?
        .filter(|k| !k.disabled && hashes_match(&k.key_hash, &hash))
        .ok_or(Error::Unauthorized)
}

/// Checks an admin key already known by its hash (a console session): one round trip.
pub async fn authenticate_hash(store: &Store, key_hash: &str) -> Result<AdminKey, Error> {
    store
        .get_admin_key(key_hash)
        .await?
        .filter(|k| !k.disabled && hashes_match(&k.key_hash, key_hash))
        .ok_or(Error::Unauthorized)
}

/// Makes an admin key; the value is returned this once and stored only as a hash.
pub async fn create_admin_key(store: &Store, name: &str, now: i64) -> Result<String, Error> {
    let secret = secrets::issue(SecretKind::AdminKey)?;
    let key = AdminKey {
        key_hash: secret.hash().to_owned(),
        id: ulid::Ulid::new().to_string(),
        name: name.to_owned(),
        disabled: false,
        created_at: now,
    };
    store.put_admin_key(&key).await?;
    Ok(secret.into_value())
}

/// A new API key and its one-time value.
#[derive(Debug)]
pub struct CreatedApiKey {
    pub key: ApiKey,
    pub value: String,
}

pub async fn create_api_key(
    store: &Store,
    name: &str,
    settings: ApiKeySettings,
    now: i64,
) -> Result<CreatedApiKey, Error> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 128 {
        return Err(Error::invalid_request("name must be 1 to 128 characters"));
    }
    settings.validate(now)?;
    let secret = secrets::issue(SecretKind::ApiKey)?;
    let key = ApiKey {
        key_hash: secret.hash().to_owned(),
        id: ulid::Ulid::new().to_string(),
        name: name.to_owned(),
        settings,
        disabled: false,
        created_at: now,
    };
    store.put_api_key(&key).await?;
    Ok(CreatedApiKey {
        key,
        value: secret.into_value(),
    })
}

/// Devices by status; `pending` lists every device with a registration waiting for a decision,
/// including re-registrations of approved devices.
pub async fn list_devices(store: &Store, status: DeviceStatus) -> Result<Vec<Device>, Error> {
    match status {
        DeviceStatus::Pending => store.list_waiting_devices().await,
        other => store.list_devices(other).await,
    }
}

/// What an administrator can do to a device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeviceAction {
    Approve,
    Deny,
    Revoke,
}

impl DeviceAction {
    pub fn parse(text: &str) -> Option<DeviceAction> {
        match text {
            "approve" => Some(DeviceAction::Approve),
            "deny" => Some(DeviceAction::Deny),
            "revoke" => Some(DeviceAction::Revoke),
            _ => None,
        }
    }
}

/// Approves or denies a device's pending registration, or revokes the device and its tokens.
pub async fn act_on_device(
    store: &Store,
    client_id: &str,
    action: DeviceAction,
    now: i64,
) -> Result<Device, Error> {
    let device = store
        .get_device(client_id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no device with client_id {client_id}")))?;
    let result = match action {
        DeviceAction::Approve | DeviceAction::Deny => {
            if device.pending.is_none() {
                return Err(Error::Conflict(format!(
                    "the device is {} and has no registration waiting for a decision",
                    device.status.as_str()
                )));
            }
            let decision = if action == DeviceAction::Approve {
                Decision::Approve
            } else {
                Decision::Deny
            };
            store.decide(&device, decision, now).await?
        }
        // Revoking is idempotent: revoking a revoked device revokes its token families again,
        // which finishes a revocation that failed after the device was written.
        DeviceAction::Revoke if device.status == DeviceStatus::Revoked => {
            store
                .revoke_families_of_device(&device.client_id, now)
                .await?;
            device
        }
        DeviceAction::Revoke => store.revoke_device(&device, now).await?,
    };
    tracing::info!(client_id, action = ?action, status = result.status.as_str(), "device updated by an administrator");
    Ok(result)
}

/// What an administrator asks for when making an OAuth client.
#[derive(Clone, Debug)]
pub struct NewClient {
    pub client_name: String,
    pub client_type: OAuthClientType,
    pub grant_types: Vec<GrantType>,
    pub scopes: Scope,
    pub redirect_uris: Vec<String>,
    pub access_token_ttl: Option<i64>,
    pub refresh_token_ttl: Option<i64>,
    /// May introspect tokens (a resource server); confidential clients only.
    pub introspection: bool,
}

impl NewClient {
    /// A client allowed these grants and nothing more: no scope, no redirect URI, the default
    /// token lifetimes, no introspection. Set the rest with struct update syntax.
    pub fn new(
        client_name: impl Into<String>,
        client_type: OAuthClientType,
        grant_types: Vec<GrantType>,
    ) -> NewClient {
        NewClient {
            client_name: client_name.into(),
            client_type,
            grant_types,
            scopes: Scope::default(),
            redirect_uris: Vec::new(),
            access_token_ttl: None,
            refresh_token_ttl: None,
            introspection: false,
        }
    }
}

/// A new client and, for a confidential one, its secret (shown this once).
#[derive(Debug)]
pub struct CreatedClient {
    pub client: OAuthClient,
    pub secret: Option<String>,
}

pub async fn create_client(
    store: &Store,
    new: NewClient,
    now: i64,
) -> Result<CreatedClient, Error> {
    let name = new.client_name.trim();
    if name.is_empty() {
        return Err(Error::invalid_request("client_name must not be empty"));
    }
    let name = bounded_text("client_name", Some(name), OAuthClient::MAX_NAME)?.unwrap_or_default();
    if new.grant_types.is_empty() {
        return Err(Error::invalid_request(format!(
            "grant_types must name at least one of: {}",
            GrantType::expected()
        )));
    }
    if new.redirect_uris.len() > 16 {
        return Err(Error::invalid_request("at most 16 redirect_uris"));
    }
    for uri in &new.redirect_uris {
        RedirectUri::parse(uri).map_err(|e| Error::invalid_request(e.description()))?;
    }
    let secret = match new.client_type {
        OAuthClientType::Confidential => Some(secrets::issue(SecretKind::ClientSecret)?),
        OAuthClientType::Public => None,
    };
    let mut grant_types = new.grant_types;
    grant_types.dedup();
    let client = OAuthClient {
        scopes: new.scopes,
        redirect_uris: new.redirect_uris,
        access_token_ttl: new.access_token_ttl,
        refresh_token_ttl: new.refresh_token_ttl,
        introspection: new.introspection,
        ..OAuthClient::new(
            ulid::Ulid::new().to_string().to_lowercase(),
            name,
            new.client_type,
            secret.as_ref().map(|s| s.hash().to_owned()),
            grant_types,
            now,
        )
    };
    if client.introspection && client.client_type != OAuthClientType::Confidential {
        return Err(Error::invalid_request(
            "introspection is for confidential clients (resource servers)",
        ));
    }
    client.validate_lifetimes()?;
    store.put_client(&client).await?;
    Ok(CreatedClient {
        client,
        secret: secret.map(|s| s.into_value()),
    })
}

/// Deletes a self-registered client: its token families are revoked, then the client is
/// removed. An administrator's own clients are disabled instead, so that their history stays.
pub async fn delete_client(store: &Store, client_id: &str, now: i64) -> Result<OAuthClient, Error> {
    let client = store
        .get_client(client_id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no client with id {client_id}")))?;
    if !client.self_registered() {
        return Err(Error::Conflict(
            "only self-registered clients are deleted; disable this one".into(),
        ));
    }
    let client = store.retire_client(client_id, now).await?;
    store.delete_client(client_id).await?;
    tracing::info!(
        client_id,
        "self-registered client deleted by an administrator"
    );
    Ok(client)
}

/// Disables an API key: registrations, tokens and logins under it stop at once (they read the
/// key), and its guard is revoked so that the authorizer refuses its user tokens too.
pub async fn disable_api_key(store: &Store, id: &str) -> Result<ApiKey, Error> {
    let key = store.disable_api_key(id).await?;
    store
        .record_api_key_guard(&key.id, true, key.settings.expires_at)
        .await?;
    Ok(key)
}

/// An administrator's change to an API key's settings: each `Some` replaces the setting.
#[derive(Clone, Debug, Default)]
pub struct ApiKeySettingsChange {
    pub auto_trust: Option<bool>,
    pub allow_untrusted_endpoints: Option<bool>,
    pub allow_unauthenticated_requests: Option<bool>,
    pub access_token_ttl: Option<i64>,
    pub refresh_token_ttl: Option<i64>,
    pub expires_at: Option<i64>,
    pub allowed_sources: Option<Vec<String>>,
}

/// Changes an API key's settings (validated as a whole); a new expiry reaches the authorizer
/// through the key's guard.
pub async fn change_api_key_settings(
    store: &Store,
    id: &str,
    change: ApiKeySettingsChange,
    now: i64,
) -> Result<ApiKey, Error> {
    let key = store
        .get_api_key_by_id(id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no API key with id {id}")))?;
    let current = key.settings.clone();
    let settings = ApiKeySettings {
        auto_trust: change.auto_trust.unwrap_or(current.auto_trust),
        allow_untrusted_endpoints: change
            .allow_untrusted_endpoints
            .unwrap_or(current.allow_untrusted_endpoints),
        allow_unauthenticated_requests: change
            .allow_unauthenticated_requests
            .unwrap_or(current.allow_unauthenticated_requests),
        access_token_ttl: change.access_token_ttl.or(current.access_token_ttl),
        refresh_token_ttl: change.refresh_token_ttl.or(current.refresh_token_ttl),
        expires_at: change.expires_at.or(current.expires_at),
        allowed_sources: change.allowed_sources.unwrap_or(current.allowed_sources),
    };
    settings.validate(now)?;
    // The guard first, and every time: should either write fail, the authorizer already holds
    // the new expiry (failing closed), and sending the same change again repairs the other.
    // Recording it never re-enables a disabled key's guard.
    store
        .record_api_key_guard(&key.id, key.disabled, settings.expires_at)
        .await?;
    store.set_api_key_settings(&key.key_hash, &settings).await
}

/// What an administrator gives for a new user.
#[derive(Clone, Debug)]
pub struct NewUser {
    pub username: String,
    pub password: String,
    pub display_name: Option<String>,
    pub email: Option<String>,
}

pub async fn create_user(store: &Store, new: NewUser, now: i64) -> Result<User, Error> {
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
        email_key: email.as_deref().map(crate::model::email_key),
        email,
        disabled: false,
        created_at: now,
        updated_at: now,
        credentials_version: 0,
        card_id_hmac: None,
        short_id_hmac: None,
    };
    store.put_user(&user).await?;
    Ok(user)
}

/// Sets a new password and ends the user's page sessions (whoever knew the old password may
/// be signed in).
pub async fn reset_password(
    store: &Store,
    username: &str,
    new_password: &str,
    now: i64,
) -> Result<User, Error> {
    password::check_new(new_password)?;
    let hash = password::hash(new_password)?;
    let user = store.set_password_hash(username, &hash, now).await?;
    store.end_sessions_of(username).await?;
    // A user token may have been had with the old password: it goes too.
    store
        .revoke_families_of(&crate::model::user_owner_key(username), now)
        .await?;
    Ok(user)
}

/// Disables a user and ends their page sessions; tokens they approved stop working too (every
/// refresh and introspection checks the user), and their user tokens' families are revoked so
/// that the authorizer, which reads no user record, refuses them.
pub async fn disable_user(store: &Store, username: &str, now: i64) -> Result<User, Error> {
    let user = store.disable_user(username).await?;
    store.end_sessions_of(username).await?;
    store
        .revoke_families_of(&crate::model::user_owner_key(username), now)
        .await?;
    Ok(user)
}

/// Sets or clears a user's card id and short id (`None` leaves one as it is, `Some(None)`
/// clears it). Each is stored only as a keyed hash; one already held by another user is 409.
pub async fn set_login_ids(
    store: &Store,
    secret: &crate::config::ServerSecret,
    username: &str,
    card_id: Option<Option<&str>>,
    short_id: Option<Option<&str>>,
    now: i64,
) -> Result<User, Error> {
    use crate::model::{LoginId, LoginIdKind};
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
    store.set_login_ids(username, &changes, now).await
}
