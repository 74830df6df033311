//! Admin keys (stored by hash).

use crate::error::Error;
use crate::model::AdminKey;

use super::Store;

impl Store {
    pub async fn get_admin_key(&self, key_hash: &str) -> Result<Option<AdminKey>, Error> {
        self.get(&self.tables.admin_keys, "key_hash", key_hash)
            .await
    }

    pub async fn put_admin_key(&self, key: &AdminKey) -> Result<(), Error> {
        self.put_new(&self.tables.admin_keys, key, "key_hash").await
    }
}
