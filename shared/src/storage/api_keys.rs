//! API keys (stored by hash, found by id through the `by_id` index).

use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem, Update};

use crate::error::Error;
use crate::model::{ApiKey, AuditEvent};

use super::Store;
use super::dynamo::{build_error, put, s, strings, tx_put};

impl Store {
    pub async fn get_api_key(&self, key_hash: &str) -> Result<Option<ApiKey>, Error> {
        self.get(&self.tables.api_keys, "key_hash", key_hash).await
    }

    /// Stores a new API key with the record of its creation.
    pub async fn put_api_key(&self, key: &ApiKey, audit: &AuditEvent) -> Result<(), Error> {
        let key_put =
            put(&self.tables.api_keys, key)?.condition_expression("attribute_not_exists(key_hash)");
        match self
            .transact_audited(vec![tx_put(key_put)?], &[audit])
            .await?
        {
            None => Ok(()),
            Some(_) => Err(Error::internal("PutItem: the key_hash is taken")),
        }
    }

    /// Every API key (an administrator's listing; the table is small).
    pub async fn list_api_keys(&self) -> Result<Vec<ApiKey>, Error> {
        let mut keys: Vec<ApiKey> = self.scan_all(&self.tables.api_keys).await?;
        keys.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(keys)
    }

    /// Disables an API key by id with the record of it (three round trips: the id index, the
    /// key, then the conditional write and the record in one transaction).
    pub async fn disable_api_key(&self, id: &str, audit: &AuditEvent) -> Result<ApiKey, Error> {
        let mut key = self
            .get_api_key_by_id(id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("no API key with id {id}")))?;
        let update = Update::builder()
            .table_name(&self.tables.api_keys)
            .key("key_hash", s(&key.key_hash))
            .update_expression("SET disabled = :t")
            .condition_expression("attribute_exists(key_hash)")
            .expression_attribute_values(":t", AttributeValue::Bool(true))
            .build()
            .map_err(build_error)?;
        let items = vec![TransactWriteItem::builder().update(update).build()];
        match self.transact_audited(items, &[audit]).await? {
            None => {
                key.disabled = true;
                Ok(key)
            }
            Some(_) => Err(Error::NotFound(format!("no API key with id {id}"))),
        }
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
        audit: &AuditEvent,
    ) -> Result<Option<T>, Error> {
        let found = self.query_index(table, "by_id", "id", id).await?;
        let Some(value) = strings(&found, key).into_iter().next() else {
            return Ok(None);
        };
        self.set_disabled(table, key, &value, audit).await
    }
}
