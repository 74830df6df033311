//! Admin keys (stored by hash).

use crate::error::Error;
use crate::model::AdminKey;

use super::Store;

impl Store {
    pub async fn get_admin_key(&self, key_hash: &str) -> Result<Option<AdminKey>, Error> {
        self.get(&self.tables.admin_keys, "key_hash", key_hash)
            .await
    }

    /// Stores a new admin key with the record of its creation.
    pub async fn put_admin_key(
        &self,
        key: &AdminKey,
        audit: &crate::model::AuditEvent,
    ) -> Result<(), Error> {
        let key_put = super::dynamo::put(&self.tables.admin_keys, key)?
            .condition_expression("attribute_not_exists(key_hash)");
        match self
            .transact_audited(vec![super::dynamo::tx_put(key_put)?], &[audit])
            .await?
        {
            None => Ok(()),
            Some(_) => Err(Error::internal("PutItem: the admin key hash is taken")),
        }
    }
}
