//! API keys (stored by hash, found by id through the `by_id` index).

use crate::error::Error;
use crate::model::ApiKey;

use super::Store;
use super::dynamo::{s, strings};

impl Store {
    pub async fn get_api_key(&self, key_hash: &str) -> Result<Option<ApiKey>, Error> {
        self.get(&self.tables.api_keys, "key_hash", key_hash).await
    }

    pub async fn put_api_key(&self, key: &ApiKey) -> Result<(), Error> {
        self.put_new(&self.tables.api_keys, key, "key_hash").await
    }

    /// Every API key (an administrator's listing; the table is small).
    pub async fn list_api_keys(&self) -> Result<Vec<ApiKey>, Error> {
        let mut keys: Vec<ApiKey> = self.scan_all(&self.tables.api_keys).await?;
        keys.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(keys)
    }

    /// Disables an API key by id (two round trips: the id index, then the conditional write).
    pub async fn disable_api_key(&self, id: &str) -> Result<ApiKey, Error> {
        self.disable_by_id(&self.tables.api_keys, "key_hash", id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("no API key with id {id}")))
    }

    /// An API key by its id (the `by_id` index, then a consistent read).
    pub async fn get_api_key_by_id(&self, id: &str) -> Result<Option<ApiKey>, Error> {
        let found = self
            .query_index(&self.tables.api_keys, "by_id", "id", id)
            .await?;
        match strings(&found, "key_hash").first() {
            Some(hash) => self.get_api_key(hash).await,
            None => Ok(None),
        }
    }

    /// Replaces an API key's settings (the key must exist).
    pub async fn set_api_key_settings(
        &self,
        key_hash: &str,
        settings: &crate::model::ApiKeySettings,
    ) -> Result<ApiKey, Error> {
        let value = serde_dynamo::to_attribute_value(settings)
            .map_err(|e| Error::internal(format!("encode settings: {e}")))?;
        let result = self
            .client
            .update_item()
            .table_name(&self.tables.api_keys)
            .key("key_hash", s(key_hash))
            .update_expression("SET settings = :s")
            .condition_expression("attribute_exists(key_hash)")
            .expression_attribute_values(":s", value)
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllNew)
            .send()
            .await;
        super::dynamo::updated_or_missing(result, "UpdateItem api key settings")?
            .ok_or_else(|| Error::NotFound("no such API key".into()))
    }

    /// Disables an item found through its table's `by_id` index: two round trips (the index,
    /// then the conditional write). `None` when no item has the id.
    pub(super) async fn disable_by_id<T: serde::de::DeserializeOwned>(
        &self,
        table: &str,
        key: &str,
        id: &str,
    ) -> Result<Option<T>, Error> {
        let found = self.query_index(table, "by_id", "id", id).await?;
        let Some(value) = strings(&found, key).into_iter().next() else {
            return Ok(None);
        };
        self.set_disabled(table, key, &value).await
    }
}
