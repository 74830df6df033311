//! Paragon devices: registration, an administrator's decisions, revocation, listings.

use aws_sdk_dynamodb::types::{TransactWriteItem, Update};

use crate::error::Error;
use crate::model::{ApiKey, AuditEvent, CodeStatus, Device, DeviceCode, DeviceStatus};

use super::Store;
use super::dynamo::{build_error, failed, from_item, n, put, s, tx_put};

/// An administrator's decision on a pending registration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Approve,
    Deny,
}

impl Store {
    pub async fn get_device(&self, client_id: &str) -> Result<Option<Device>, Error> {
        self.get(&self.tables.devices, "client_id", client_id).await
    }

    /// An API key and a device in one round trip (registration needs both).
    pub async fn get_api_key_and_device(
        &self,
        key_hash: &str,
        client_id: &str,
    ) -> Result<(Option<ApiKey>, Option<Device>), Error> {
        self.get_two(
            (&self.tables.api_keys, "key_hash", key_hash),
            (&self.tables.devices, "client_id", client_id),
        )
        .await
    }

    /// Writes a device and its new device code together. The device write is conditional on the
    /// version that was read (or on the device not existing), so two registrations racing for one
    /// `client_id` cannot both win. The audit record rides in the same transaction.
    pub async fn save_registration(
        &self,
        device: &Device,
        read_version: Option<i64>,
        code: &DeviceCode,
        audit: &AuditEvent,
    ) -> Result<(), Error> {
        let device_put = match read_version {
            None => put(&self.tables.devices, device)?
                .condition_expression("attribute_not_exists(client_id)"),
            Some(v) => put(&self.tables.devices, device)?
                .condition_expression("version = :v")
                .expression_attribute_values(":v", n(v)),
        };
        let code_put = put(&self.tables.device_codes, code)?
            .condition_expression("attribute_not_exists(code_hash)");
        let items = vec![
            tx_put(device_put)?,
            tx_put(code_put)?,
            self.absent_check(&self.tables.clients, "client_id", &device.client_id)?,
        ];
        match self.transact_audited(items, &[audit]).await? {
            None => Ok(()),
            Some(reasons) if failed(&reasons, 2) => Err(Error::invalid_request(
                "this client_id belongs to an OAuth client; choose another",
            )),
            Some(_) => Err(Error::invalid_request(
                "another registration for this client_id happened at the same time; retry",
            )),
        }
    }

    /// Devices with one status, oldest update first (index `by_status`, every page).
    pub async fn list_devices(&self, status: DeviceStatus) -> Result<Vec<Device>, Error> {
        self.query_devices("by_status", "status", status.as_str())
            .await
    }

    /// Devices with a registration waiting for a decision, whatever their status, oldest first
    /// (the sparse index `by_queue`).
    pub async fn list_waiting_devices(&self) -> Result<Vec<Device>, Error> {
        self.query_devices("by_queue", "queue", crate::model::PENDING_QUEUE)
            .await
    }

    pub(super) async fn query_devices(
        &self,
        index: &str,
        attribute: &str,
        value: &str,
    ) -> Result<Vec<Device>, Error> {
        self.query_index(&self.tables.devices, index, attribute, value)
            .await?
            .into_iter()
            .map(from_item)
            .collect()
    }

    /// Applies an administrator's decision to a device's pending registration: the device and
    /// the registration's code change together or not at all. Approval gives the device the
    /// standing, key, type and description the registration asked for; denial leaves an approved
    /// device approved (the registration, not the device, is refused).
    pub async fn decide(
        &self,
        device: &Device,
        decision: Decision,
        now: i64,
        audit: &AuditEvent,
    ) -> Result<Device, Error> {
        let mut updated = device.clone();
        let Some(pending) = updated.take_pending() else {
            return Err(Error::Conflict(
                "the device has no registration waiting for a decision".into(),
            ));
        };
        let code_status = match decision {
            Decision::Approve => {
                updated.status = DeviceStatus::Approved;
                updated.client_type = pending.client_type;
                updated.client_description = pending.client_description.clone();
                if pending.key.is_some() {
                    updated.key = pending.key.clone();
                }
                CodeStatus::Approved
            }
            Decision::Deny => {
                if updated.status != DeviceStatus::Approved {
                    updated.status = DeviceStatus::Denied;
                }
                CodeStatus::Denied
            }
        };
        updated.updated_at = now;
        updated.version = device.version + 1;
        let device_put = put(&self.tables.devices, &updated)?
            .condition_expression("version = :v")
            .expression_attribute_values(":v", n(device.version));
        // An approval must land before the code expires; a denial of an expired code is moot but
        // harmless, so it is not refused for that.
        let mut code_update = Update::builder()
            .table_name(&self.tables.device_codes)
            .key("code_hash", s(&pending.code_hash))
            .update_expression("SET #s = :decided")
            .condition_expression("#s = :pending")
            .expression_attribute_names("#s", "status")
            .expression_attribute_values(":pending", s(CodeStatus::Pending.as_str()))
            .expression_attribute_values(":decided", s(code_status.as_str()));
        if decision == Decision::Approve {
            code_update = code_update
                .condition_expression("#s = :pending AND expires_at > :now")
                .expression_attribute_values(":now", n(now));
        }
        let code_update = code_update.build().map_err(build_error)?;
        let mut items = vec![tx_put(device_put)?];
        // A denied registration whose code has expired (and may be gone: TTL deletes it) only
        // leaves the queue: writing to a deleted code would make a new, partial item.
        if decision == Decision::Approve || pending.expires_at > now {
            items.push(TransactWriteItem::builder().update(code_update).build());
        }
        match self.transact_audited(items, &[audit]).await? {
            None => Ok(updated),
            Some(reasons) if failed(&reasons, 0) => Err(Error::Conflict(
                "the device changed while deciding; read it again".into(),
            )),
            Some(_) => Err(Error::Conflict(
                "the pending registration has expired; the device must register again".into(),
            )),
        }
    }

    /// Marks a device revoked, then revokes every token family it holds. The token families are
    /// revoked after the device in separate writes, and a redemption that read the device
    /// approved may write a new family after them; the gap is closed because revocation is
    /// final and every use of a device's tokens reads the device again (introspection and
    /// refresh judge it, a login's transaction checks it), and a revocation that failed
    /// half-way is finished by revoking again.
    pub async fn revoke_device(
        &self,
        device: &Device,
        now: i64,
        audit: &AuditEvent,
    ) -> Result<Device, Error> {
        let mut updated = device.clone();
        updated.status = DeviceStatus::Revoked;
        updated.take_pending();
        updated.updated_at = now;
        updated.version = device.version + 1;
        let device_put = put(&self.tables.devices, &updated)?
            .condition_expression("version = :v")
            .expression_attribute_values(":v", n(device.version));
        if self
            .transact_audited(vec![tx_put(device_put)?], &[audit])
            .await?
            .is_some()
        {
            return Err(Error::Conflict(
                "the device changed while revoking; try again".into(),
            ));
        }
        self.revoke_families_of_device(&device.client_id, now)
            .await?;
        Ok(updated)
    }

    /// Revokes every token family of a device (idempotent).
    pub async fn revoke_families_of_device(&self, client_id: &str, now: i64) -> Result<(), Error> {
        self.revoke_families_of(&crate::model::device_owner_key(client_id), now)
            .await
    }
}
