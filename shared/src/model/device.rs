//! A registered device (Paragon trusted-device API): its identifier, type, key, standing and
//! the registration that waits for an administrator.

use serde::{Deserialize, Serialize};

use crate::error::Error;

wire_enum!(
    /// What kind of device registers (Paragon `client_type`).
    ClientType {
        Printer = "printer",
        ChromeExtension = "chrome_extension",
        DesktopClient = "desktop_client",
        MobileDevice = "mobile_device",
        Server = "server",
    }
);

wire_enum!(
    /// How a device's public key is encoded (Paragon `key_type`).
    KeyType { Rsa = "rsa", X509 = "x509", Ed25519 = "ed25519" }
);

wire_enum!(
    /// A device's standing with the administrator.
    DeviceStatus { Pending = "pending", Approved = "approved", Denied = "denied", Revoked = "revoked" }
);

/// A device identifier: 1..=256 printable ASCII characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientId(String);

impl ClientId {
    pub const MAX_LEN: usize = 256;

    pub fn parse(value: &str) -> Result<Self, Error> {
        if value.is_empty() || value.len() > Self::MAX_LEN {
            return Err(Error::invalid_request(
                "client_id must be 1 to 256 characters",
            ));
        }
        if !value.bytes().all(|b| (0x20..=0x7e).contains(&b)) {
            return Err(Error::invalid_request("client_id must be printable ASCII"));
        }
        Ok(ClientId(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A device's public key as it was registered: its type and the base64 of its DER.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredKey {
    pub key_type: KeyType,
    pub public_key: String,
}

/// A registered device (table `DevicesTable`, key `client_id`).
///
/// `status` is the device's standing; a registration waiting for an administrator is kept apart
/// in `pending`, so that a re-registration of an approved device neither knocks it back nor
/// changes its key, type or description until an administrator approves it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Device {
    pub client_id: String,
    pub client_type: ClientType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_description: Option<String>,
    pub status: DeviceStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<StoredKey>,
    /// The API key the device registered under; it may never register under another.
    pub api_key_id: String,
    /// That key's name, for administrators telling registrations apart.
    #[serde(default)]
    pub api_key_name: String,
    /// The registration an administrator's decision applies to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending: Option<PendingRegistration>,
    /// [`PENDING_QUEUE`] while `pending` is set, absent otherwise: the sparse index `by_queue`
    /// lists exactly the devices waiting for a decision, whatever their status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    /// Optimistic-concurrency counter: every write is conditional on the version it read.
    pub version: i64,
}

/// The value of [`Device::queue`] while a registration waits for a decision.
pub const PENDING_QUEUE: &str = "pending";

impl Device {
    /// The registration waiting for a decision, if it has not expired.
    pub fn live_pending(&self, now: i64) -> Option<&PendingRegistration> {
        self.pending.as_ref().filter(|p| p.expires_at > now)
    }

    /// Puts a registration in the queue for an administrator.
    pub fn queue_registration(&mut self, pending: PendingRegistration) {
        self.queue = Some(PENDING_QUEUE.to_owned());
        self.pending = Some(pending);
    }

    /// Takes the registration out of the queue.
    pub fn take_pending(&mut self) -> Option<PendingRegistration> {
        self.queue = None;
        self.pending.take()
    }
}

/// What a registration asks for until an administrator decides: the device code it issued (by
/// hash) and what the device said about itself.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PendingRegistration {
    pub code_hash: String,
    pub client_type: ClientType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_description: Option<String>,
    /// The key the registration proposes; attached to the device only on approval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<StoredKey>,
    pub created_at: i64,
    pub expires_at: i64,
}
