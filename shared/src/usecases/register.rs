//! Device registration with administrator approval, and signed re-registration.

use crate::config::Settings;
use crate::error::Error;
use crate::keys::DevicePublicKey;
use crate::model::{
    ApiKey, ClientId, ClientType, CodeStatus, Device, DeviceCode, DeviceStatus, StoredKey,
};
use crate::secrets::{self, SecretKind, hash_secret, hashes_match};
use crate::storage::Store;
use crate::usecases::SignedRequest;

/// A registration, already validated (see the dialect's parser).
#[derive(Clone, Debug)]
pub struct RegisterRequest {
    pub client_id: ClientId,
    pub api_key: String,
    pub client_type: ClientType,
    pub client_description: Option<String>,
    pub state: Option<String>,
    /// The key as sent; it has been parsed once already, so it is known to be usable.
    pub key: Option<StoredKey>,
}

#[derive(Debug)]
pub struct Registration {
    pub device_code: String,
    pub expires_in: i64,
    pub interval: i64,
    pub state: Option<String>,
    /// Whether the code was approved at once (auto-trust or a valid signature).
    pub approved: bool,
}

/// Registers a device. Two round trips: one read (API key and device together), one transaction.
pub async fn register(
    store: &Store,
    settings: &Settings,
    request: RegisterRequest,
    signed: Option<SignedRequest<'_>>,
    now: i64,
) -> Result<Registration, Error> {
    let api_key_hash = hash_secret(&request.api_key);
    let (api_key, existing) = store
        .get_api_key_and_device(&api_key_hash, request.client_id.as_str())
        .await?;
    let api_key = api_key
        .filter(|k| hashes_match(&k.key_hash, &api_key_hash) && k.is_usable(now))
        .ok_or_else(|| Error::InvalidClient("unknown, disabled or expired API key".into()))?;

    let (device_status, code_status, key) = match (signed, &existing) {
        (Some(signed), _) => {
            let key = verify_reregistration(existing.as_ref(), &request, signed)?;
            (DeviceStatus::Approved, CodeStatus::Approved, Some(key))
        }
        (None, Some(device)) if device.key.is_some() => {
            return Err(Error::InvalidClient(
                "this device registered a public key: re-register with HCP-Request-Signature"
                    .into(),
            ));
        }
        (None, Some(device)) if device.status == DeviceStatus::Revoked => {
            return Err(Error::InvalidClient("this device has been revoked".into()));
        }
        (None, _) if api_key.settings.auto_trust => (
            DeviceStatus::Approved,
            CodeStatus::Approved,
            request.key.clone(),
        ),
        (None, _) => (
            DeviceStatus::Pending,
            CodeStatus::Pending,
            request.key.clone(),
        ),
    };

    let code = secrets::issue(SecretKind::DeviceCode)?;
    let device = Device {
        client_id: request.client_id.as_str().to_owned(),
        client_type: request.client_type,
        client_description: request.client_description.clone(),
        status: device_status,
        key: key.clone(),
        api_key_id: api_key.id.clone(),
        pending_code: (code_status == CodeStatus::Pending).then(|| code.hash().to_owned()),
        created_at: existing.as_ref().map_or(now, |d| d.created_at),
        updated_at: now,
        version: existing.as_ref().map_or(1, |d| d.version + 1),
    };
    let device_code = new_device_code(
        code.hash(),
        &device.client_id,
        &api_key,
        code_status,
        key,
        settings,
        now,
    );
    store
        .save_registration(&device, existing.as_ref().map(|d| d.version), &device_code)
        .await?;
    tracing::info!(
        client_id = %device.client_id,
        status = device_status.as_str(),
        signed = signed.is_some(),
        "device registered"
    );
    Ok(Registration {
        device_code: code.into_value(),
        expires_in: settings.approval_window,
        interval: settings.poll_interval,
        state: request.state,
        approved: code_status == CodeStatus::Approved,
    })
}

/// A new device code for `client_id`, issued under `api_key`, open for the approval window.
pub(crate) fn new_device_code(
    code_hash: &str,
    client_id: &str,
    api_key: &ApiKey,
    status: CodeStatus,
    key: Option<StoredKey>,
    settings: &Settings,
    now: i64,
) -> DeviceCode {
    let expires_at = now + settings.approval_window;
    DeviceCode {
        code_hash: code_hash.to_owned(),
        client_id: client_id.to_owned(),
        api_key_id: Some(api_key.id.clone()),
        api_key_hash: Some(api_key.key_hash.clone()),
        scope: None,
        user_code_hmac: None,
        username: None,
        status,
        created_at: now,
        expires_at,
        interval: settings.poll_interval,
        next_poll_at: now,
        key,
        lifetimes: api_key.settings.lifetimes(),
        family_id: None,
        ttl: expires_at,
    }
}

/// A signed request re-registers a known, approved device that holds a key: the signature over
/// the raw body must verify with the stored key. Anything else is refused and nothing changes.
fn verify_reregistration(
    existing: Option<&Device>,
    request: &RegisterRequest,
    signed: SignedRequest<'_>,
) -> Result<StoredKey, Error> {
    let device =
        existing.ok_or_else(|| Error::InvalidClient("unknown device: register it first".into()))?;
    if device.status != DeviceStatus::Approved {
        return Err(Error::InvalidClient(format!(
            "only an approved device can re-register; this one is {}",
            device.status.as_str()
        )));
    }
    let stored = device
        .key
        .clone()
        .ok_or_else(|| Error::InvalidClient("this device registered no public key".into()))?;
    if request.key.as_ref().is_some_and(|k| k != &stored) {
        return Err(Error::invalid_request(
            "public_key differs from the registered key; key rotation needs a new registration",
        ));
    }
    let key = DevicePublicKey::from_stored(&stored)
        .map_err(|e| Error::internal(format!("stored key no longer parses: {e}")))?;
    key.verify(signed.body, signed.signature)
        .map_err(|e| Error::InvalidClient(e.to_string()))?;
    Ok(stored)
}
