//! API keys and admin keys (stored by hash).

use crate::error::Error;
use crate::model::{AdminKey, ApiKey};

use super::Store;
use super::dynamo::{db_error, s};

impl Store {
    pub async fn get_api_key(&self, key_hash: &str) -> Result<Option<ApiKey>, Error> {
        self.get(&self.tables.api_keys, "key_hash", key_hash).await
    }

    pub async fn get_admin_key(&self, key_hash: &str) -> Result<Option<AdminKey>, Error> {
        self.get(&self.tables.admin_keys, "key_hash", key_hash)
            .await
    }

    pub async fn put_api_key(&self, key: &ApiKey) -> Result<(), Error> {
        self.put_new(&self.tables.api_keys, key, "key_hash").await
    }

    pub async fn put_admin_key(&self, key: &AdminKey) -> Result<(), Error> {
        self.put_new(&self.tables.admin_keys, key, "key_hash").await
    }

    /// Every API key (an administrator's listing; the table is small).
    pub async fn list_api_keys(&self) -> Result<Vec<ApiKey>, Error> {
        let mut keys: Vec<ApiKey> = self.scan_all(&self.tables.api_keys).await?;
        keys.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(keys)
    }

    /// Disables an API key by id (two round trips: the id index, then the conditional write).
    pub async fn disable_api_key(&self, id: &str) -> Result<ApiKey, Error> {
        let found = self
            .client
            .query()
            .table_name(&self.tables.api_keys)
            .index_name("by_id")
            .key_condition_expression("id = :id")
            .expression_attribute_values(":id", s(id))
            .send()
            .await
            .map_err(|e| db_error("Query api key by id", e))?;
        let Some(key_hash) = found
            .items()
            .first()
            .and_then(|i| i.get("key_hash"))
            .and_then(|v| v.as_s().ok())
        else {
            return Err(Error::NotFound(format!("no API key with id {id}")));
        };
        self.set_disabled(&self.tables.api_keys, "key_hash", key_hash)
            .await?
            .ok_or_else(|| Error::NotFound(format!("no API key with id {id}")))
    }
}
