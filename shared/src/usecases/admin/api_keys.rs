//! API keys: what Paragon devices and logins present, and the policies they carry.

use crate::error::Error;
use crate::model::{ApiKey, ApiKeySettings, AuditEvent, AuditType, Origin};
use crate::secrets::{self, SecretKind};
use crate::storage::Store;

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
    origin: &Origin,
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
    let audit = AuditEvent::success(AuditType::ApiKeyCreated, origin, &key.id);
    store.put_api_key(&key, &audit).await?;
    Ok(CreatedApiKey {
        key,
        value: secret.into_value(),
    })
}

/// Every API key, disabled ones included.
pub async fn list_api_keys(store: &Store) -> Result<Vec<ApiKey>, Error> {
    store.list_api_keys().await
}

/// Disables an API key: registrations, tokens and logins under it stop at once (they read the
/// key), and its guard is revoked so that the authorizer refuses its user tokens too.
pub async fn disable_api_key(store: &Store, id: &str, origin: &Origin) -> Result<ApiKey, Error> {
    let audit = AuditEvent::success(AuditType::ApiKeyDisabled, origin, id);
    let key = store.disable_api_key(id, &audit).await?;
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
    origin: &Origin,
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
    let audit = AuditEvent::success(AuditType::ApiKeyChanged, origin, &key.id);
    store
        .set_api_key_settings(&key.key_hash, &settings, &audit)
        .await
}
