//! Device trust: a Paragon device registers under an API key and waits for an administrator,
//! or proves possession of its registered key (`HCP-Request-Signature`) and is trusted at once.

use crate::config::Settings;
use crate::error::Error;
use crate::model::*;
use crate::secrets::{self, SecretKind, hash_secret};
use crate::signatures::DevicePublicKey;
use crate::storage::*;
use crate::usecases::SignedRequest;
use crate::usecases::client_auth::admit_api_key;

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
///
/// A `client_id` belongs to the API key it first registered under. A new device is approved at
/// once under an `auto_trust` key, and otherwise waits for an administrator. An existing device
/// re-registers with a valid signature (approved at once), or else waits for an administrator
/// whatever its key's settings: until then its standing, key, type and description are
/// unchanged, and a registration already waiting is never replaced.
pub async fn register(
    store: &Store,
    settings: &Settings,
    request: RegisterRequest,
    signed: Option<SignedRequest<'_>>,
    origin: &Origin,
    now: i64,
) -> Result<Registration, Error> {
    let source = origin.source_ip.as_str();
    let api_key_hash = hash_secret(&request.api_key);
    let (api_key, existing) = store
        .get_api_key_and_device(&api_key_hash, request.client_id.as_str())
        .await?;
    let api_key = admit_api_key(api_key, &api_key_hash, source, now)?;
    if request.client_id.as_str() == USER_TOKEN_CLIENT_ID {
        return Err(Error::invalid_request(format!(
            "client_id {USER_TOKEN_CLIENT_ID} is reserved for user tokens"
        )));
    }
    if let Some(device) = &existing {
        check_may_reregister(device, &api_key, signed.is_some(), now)?;
    }

    let code = secrets::issue(SecretKind::DeviceCode)?;
    let approved_at_once = match (signed, &existing) {
        (Some(signed), _) => {
            verify_reregistration(existing.as_ref(), &request, signed)?;
            signed.check_fresh(now)?;
            true
        }
        (None, None) => api_key.settings.auto_trust,
        (None, Some(_)) => false,
    };
    let (code_status, code_key) = if approved_at_once {
        let key = match &existing {
            Some(device) => device.key.clone(),
            None => request.key.clone(),
        };
        (CodeStatus::Approved, key)
    } else {
        (CodeStatus::Pending, request.key.clone())
    };
    let pending = (!approved_at_once).then(|| PendingRegistration {
        code_hash: code.hash().to_owned(),
        client_type: request.client_type,
        client_description: request.client_description.clone(),
        key: request.key.clone(),
        created_at: now,
        expires_at: now + settings.approval_window,
    });
    let device = match existing.clone() {
        Some(mut device) => {
            if let Some(pending) = pending {
                device.queue_registration(pending);
            }
            device.updated_at = now;
            device.version += 1;
            device
        }
        None => {
            let mut device = Device {
                client_id: request.client_id.as_str().to_owned(),
                client_type: request.client_type,
                client_description: request.client_description.clone(),
                status: if approved_at_once {
                    DeviceStatus::Approved
                } else {
                    DeviceStatus::Pending
                },
                key: if approved_at_once {
                    request.key.clone()
                } else {
                    None
                },
                api_key_id: api_key.id.clone(),
                api_key_name: api_key.name.clone(),
                pending: None,
                queue: None,
                created_at: now,
                updated_at: now,
                version: 1,
            };
            if let Some(pending) = pending {
                device.queue_registration(pending);
            }
            device
        }
    };
    let device_code = new_device_code(
        code.hash(),
        &device.client_id,
        &api_key,
        code_status,
        code_key,
        settings,
        now,
    );
    let kind = if signed.is_some() && existing.is_some() {
        AuditType::DeviceReregistered
    } else {
        AuditType::DeviceRegistered
    };
    let mut audit = AuditEvent::success(
        kind,
        &origin.by(Actor::device(&device.client_id)),
        &device.client_id,
    );
    if approved_at_once {
        audit = audit.because(if signed.is_some() {
            "trusted at once: signed with the registered key"
        } else {
            "trusted at once: the API key auto-trusts"
        });
    }
    store
        .save_registration(
            &device,
            existing.as_ref().map(|d| d.version),
            &device_code,
            &audit,
        )
        .await?;
    tracing::info!(
        client_id = %device.client_id,
        status = device.status.as_str(),
        waiting = device.pending.is_some(),
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

/// Whether an existing device may register again, and how: only under its own API key, never
/// once revoked, signed once it holds a key, and not while a registration waits for a decision.
fn check_may_reregister(
    device: &Device,
    api_key: &ApiKey,
    signed: bool,
    now: i64,
) -> Result<(), Error> {
    if device.api_key_id != api_key.id {
        return Err(Error::InvalidClient(
            "this client_id is registered under another API key".into(),
        ));
    }
    if device.status == DeviceStatus::Revoked {
        return Err(Error::InvalidClient("this device has been revoked".into()));
    }
    if signed {
        return Ok(());
    }
    if device.key.is_some() {
        return Err(Error::InvalidClient(
            "this device registered a public key: re-register with HCP-Request-Signature".into(),
        ));
    }
    if device.live_pending(now).is_some() {
        return Err(Error::invalid_request(
            "a registration for this client_id is already waiting for an administrator's \
             decision; poll with its device code, or ask an administrator to deny it",
        ));
    }
    Ok(())
}

/// A new device code for `client_id`, issued under `api_key`, open for the approval window.
pub fn new_device_code(
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
        owner: Owner::Device {
            api_key_id: api_key.id.clone(),
            api_key_hash: api_key.key_hash.clone(),
        },
        scope: None,
        user_code_hmac: None,
        status,
        created_at: now,
        expires_at,
        interval: settings.poll_interval,
        next_poll_at: now,
        last_poll_id: None,
        key,
        client_secret_hash: None,
        lifetimes: api_key.settings.lifetimes(),
        family_id: None,
        redeemed_by: None,
        started_from: None,
        ttl: expires_at,
    }
}

/// A signed request re-registers a known, approved device that holds a key: the signature over
/// the raw body must verify with the stored key. Anything else is refused and nothing changes.
fn verify_reregistration(
    existing: Option<&Device>,
    request: &RegisterRequest,
    signed: SignedRequest<'_>,
) -> Result<(), Error> {
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
        .map_err(|e| Error::InvalidClient(e.to_string()))
}
