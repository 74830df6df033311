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
