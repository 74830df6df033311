//! Devices: listing by status, and an administrator's decision on a registration.

use crate::error::Error;
use crate::model::{AuditEvent, AuditType, Device, DeviceStatus, Origin};
use crate::storage::{Decision, Store};

/// Devices by status; `pending` lists every device with a registration waiting for a decision,
/// including re-registrations of approved devices.
pub async fn list_devices(store: &Store, status: DeviceStatus) -> Result<Vec<Device>, Error> {
    match status {
        DeviceStatus::Pending => store.list_waiting_devices().await,
        other => store.list_devices(other).await,
    }
}

/// A device flow waiting for a person to type its user code (RFC 8628), as the console lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WaitingDeviceFlow {
    pub client_id: String,
    /// The client's name, when the client is still there.
    pub client_name: Option<String>,
    pub scope: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
    /// Where the device authorization came from, and its country when a CDN said.
    pub started_from: Option<String>,
}

/// Device flows waiting for a person, newest first.
pub async fn list_waiting_device_flows(
    store: &Store,
    now: i64,
) -> Result<Vec<WaitingDeviceFlow>, Error> {
    let codes = store.list_waiting_device_codes(now).await?;
    let clients = if codes.is_empty() {
        Vec::new()
    } else {
        store.list_clients().await?
    };
    let mut waiting: Vec<WaitingDeviceFlow> = codes
        .into_iter()
        .map(|code| WaitingDeviceFlow {
            client_name: clients
                .iter()
                .find(|c| c.client_id == code.client_id)
                .map(|c| c.client_name.clone()),
            started_from: code.started_from.map(|from| match from.country {
                Some(cc) => format!("{} ({cc})", from.ip),
                None => from.ip,
            }),
            client_id: code.client_id,
            scope: code.scope,
            created_at: code.created_at,
            expires_at: code.expires_at,
        })
        .collect();
    waiting.sort_by_key(|w| std::cmp::Reverse(w.created_at));
    Ok(waiting)
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
    origin: &Origin,
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
            let kind = if decision == Decision::Approve {
                AuditType::DeviceApproved
            } else {
                AuditType::DeviceDenied
            };
            let audit = AuditEvent::success(kind, origin, client_id);
            store.decide(&device, decision, now, &audit).await?
        }
        // Revoking is idempotent: revoking a revoked device revokes its token families again,
        // which finishes a revocation that failed after the device was written.
        DeviceAction::Revoke if device.status == DeviceStatus::Revoked => {
            store
                .revoke_families_of_device(&device.client_id, now)
                .await?;
            device
        }
        DeviceAction::Revoke => {
            let audit = AuditEvent::success(AuditType::DeviceRevoked, origin, client_id);
            store.revoke_device(&device, now, &audit).await?
        }
    };
    tracing::info!(client_id, action = ?action, status = result.status.as_str(), "device updated by an administrator");
    Ok(result)
}
