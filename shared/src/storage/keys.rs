//! API keys, admin keys and initial access tokens (stored by hash).

use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem, Update};

use crate::error::Error;
use crate::model::{AdminKey, ApiKey, InitialAccessToken};

use super::Store;
use super::dynamo::{build_error, n, s, strings};

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

    pub async fn put_initial_access_token(&self, token: &InitialAccessToken) -> Result<(), Error> {
        self.put_new(&self.tables.initial_access_tokens, token, "token_hash")
            .await
    }

    /// Every initial access token, expired ones included until TTL removes them.
    pub async fn list_initial_access_tokens(&self) -> Result<Vec<InitialAccessToken>, Error> {
        let mut tokens: Vec<InitialAccessToken> =
            self.scan_all(&self.tables.initial_access_tokens).await?;
        tokens.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(tokens)
    }

    pub async fn disable_initial_access_token(
        &self,
        id: &str,
    ) -> Result<InitialAccessToken, Error> {
        self.disable_by_id(&self.tables.initial_access_tokens, "token_hash", id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("no initial access token with id {id}")))
    }

    /// One registration taken from an initial access token, inside the registration's
    /// transaction: only while it is enabled, unexpired and has uses left.
    pub(super) fn initial_access_token_use(
        &self,
        token_hash: &str,
        now: i64,
    ) -> Result<TransactWriteItem, Error> {
        let update = Update::builder()
            .table_name(&self.tables.initial_access_tokens)
            .key("token_hash", s(token_hash))
            .update_expression("ADD uses :one")
            .condition_expression(
                "disabled = :f AND expires_at > :now \
                 AND (attribute_not_exists(max_uses) OR uses < max_uses)",
            )
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":f", AttributeValue::Bool(false))
            .expression_attribute_values(":now", n(now))
            .build()
            .map_err(build_error)?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// Disables an item found through its table's `by_id` index: two round trips (the index,
    /// then the conditional write). `None` when no item has the id.
    async fn disable_by_id<T: serde::de::DeserializeOwned>(
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
