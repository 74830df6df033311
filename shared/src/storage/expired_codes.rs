//! Device codes past their expiry, for `devicegate serve`, which has no TTL: deployed, DynamoDB
//! TTL deletes them and the table's stream hands each deletion to the `expiry` function.

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::delete_item::DeleteItemError;

use super::Store;
use super::dynamo::{db_error, from_item, n, s};
use crate::error::Error;
use crate::model::DeviceCode;

impl Store {
    /// Every device code whose expiry has passed: a filtered Scan (locally the table holds only
    /// codes in flight, so it reads little).
    pub async fn expired_device_codes(&self, now: i64) -> Result<Vec<DeviceCode>, Error> {
        let items = self
            .client
            .scan()
            .table_name(&self.tables.device_codes)
            .filter_expression("expires_at <= :now")
            .expression_attribute_values(":now", n(now))
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| db_error("Scan expired device codes", e))?;
        items.into_iter().map(from_item).collect()
    }

    /// Deletes a device code as TTL would: only once its `ttl` has passed. A code already gone
    /// (or, impossibly, given a later TTL) is left as it is.
    pub async fn delete_expired_device_code(&self, code_hash: &str, now: i64) -> Result<(), Error> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.tables.device_codes)
            .key("code_hash", s(code_hash))
            .condition_expression("#ttl <= :now")
            .expression_attribute_names("#ttl", "ttl")
            .expression_attribute_values(":now", n(now))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(e))
                if matches!(e.err(), DeleteItemError::ConditionalCheckFailedException(_)) =>
            {
                Ok(())
            }
            Err(other) => Err(db_error("DeleteItem device code", other)),
        }
    }
}
