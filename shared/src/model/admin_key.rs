//! An administrator's key.

use serde::{Deserialize, Serialize};

/// An administrator's key (table `AdminKeysTable`, key `key_hash`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AdminKey {
    pub key_hash: String,
    pub id: String,
    pub name: String,
    pub disabled: bool,
    pub created_at: i64,
}
