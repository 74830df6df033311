//! The DynamoDB plumbing every storage area shares: one-key reads, batched reads, transactions
//! whose cancellation is read only from condition failures, and item encoding.

use std::collections::HashMap;

use aws_sdk_dynamodb::error::{DisplayErrorContext, SdkError};
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{
    AttributeValue, CancellationReason, KeysAndAttributes, Put, TransactWriteItem,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::Store;
use crate::error::Error;

pub(crate) type Item = HashMap<String, AttributeValue>;

/// The new item of a conditional `attribute_exists` update, or `None` when there was no item.
pub(super) fn updated_or_missing<T: serde::de::DeserializeOwned>(
    result: Result<
        aws_sdk_dynamodb::operation::update_item::UpdateItemOutput,
        SdkError<UpdateItemError, aws_sdk_dynamodb::config::http::HttpResponse>,
    >,
    operation: &str,
) -> Result<Option<T>, Error> {
    match result {
        Ok(output) => output
            .attributes
            .map(from_item)
            .transpose()?
            .ok_or_else(|| Error::internal(format!("{operation} returned nothing")))
            .map(Some),
        Err(SdkError::ServiceError(e))
            if matches!(e.err(), UpdateItemError::ConditionalCheckFailedException(_)) =>
        {
            Ok(None)
        }
        Err(other) => Err(db_error(operation, other)),
    }
}

/// What a conditional `UpdateItem` did: written, or refused by its condition, with the item as
/// it was when the update asked for `ALL_OLD` on failure (None: no such item, or not asked).
pub(super) enum Conditional<T> {
    Written,
    Refused(Option<T>),
}

/// Reads a conditional `UpdateItem`'s result as [`Conditional`]; any other failure is an error.
pub(super) fn conditional<T: DeserializeOwned>(
    result: Result<
        aws_sdk_dynamodb::operation::update_item::UpdateItemOutput,
        SdkError<UpdateItemError, aws_sdk_dynamodb::config::http::HttpResponse>,
    >,
    operation: &str,
) -> Result<Conditional<T>, Error> {
    match result {
        Ok(_) => Ok(Conditional::Written),
        Err(SdkError::ServiceError(e)) => match e.err() {
            UpdateItemError::ConditionalCheckFailedException(failed) => Ok(Conditional::Refused(
                failed.item().map(|i| from_item(i.clone())).transpose()?,
            )),
            _ => Err(db_error(operation, SdkError::ServiceError(e))),
        },
        Err(other) => Err(db_error(operation, other)),
    }
}

/// The first of the checks starting at `offset` that failed, as what it means.
pub(super) fn first_failed<T: Copy>(
    reasons: &[CancellationReason],
    offset: usize,
    meanings: &[T],
) -> Option<T> {
    meanings
        .iter()
        .enumerate()
        .find(|(i, _)| failed(reasons, offset + i))
        .map(|(_, m)| *m)
}

/// The item a cancelled transaction returned for one of its writes (ALL_OLD on failure).
pub(super) fn reason_item<T: DeserializeOwned>(
    reasons: &[CancellationReason],
    index: usize,
) -> Result<Option<T>, Error> {
    reasons
        .get(index)
        .and_then(|r| r.item())
        .map(|i| from_item(i.clone()))
        .transpose()
}

pub(super) fn failed(reasons: &[CancellationReason], index: usize) -> bool {
    reasons.get(index).and_then(|r| r.code()) == Some("ConditionalCheckFailed")
}

/// Whether one item of a cancelled transaction passed its condition: only an explicit `None`
/// says so (a missing or other reason is not a pass).
pub(super) fn passed(reasons: &[CancellationReason], index: usize) -> bool {
    reasons.get(index).and_then(|r| r.code()) == Some("None")
}

pub(super) fn describe(reasons: &[CancellationReason]) -> String {
    reasons
        .iter()
        .map(|r| r.code().unwrap_or("?"))
        .collect::<Vec<_>>()
        .join(",")
}

pub(super) fn take<T: DeserializeOwned>(
    found: &mut HashMap<String, Vec<Item>>,
    table: &str,
) -> Result<Option<T>, Error> {
    found
        .remove(table)
        .and_then(|mut items| items.pop())
        .map(from_item)
        .transpose()
}

pub(super) fn put<T: Serialize>(
    table: &str,
    value: &T,
) -> Result<aws_sdk_dynamodb::types::builders::PutBuilder, Error> {
    Ok(Put::builder()
        .table_name(table)
        .set_item(Some(to_item(value)?)))
}

pub(super) fn tx_put(
    builder: aws_sdk_dynamodb::types::builders::PutBuilder,
) -> Result<TransactWriteItem, Error> {
    Ok(TransactWriteItem::builder()
        .put(builder.build().map_err(build_error)?)
        .build())
}

pub(crate) fn to_item<T: Serialize>(value: &T) -> Result<Item, Error> {
    serde_dynamo::to_item(value).map_err(|e| Error::internal(format!("encode item: {e}")))
}

pub(crate) fn from_item<T: DeserializeOwned>(item: Item) -> Result<T, Error> {
    serde_dynamo::from_item(item).map_err(|e| Error::internal(format!("decode item: {e}")))
}

/// One string attribute of each item that has it (keys read back from an index).
pub(super) fn strings(items: &[Item], attribute: &str) -> Vec<String> {
    items
        .iter()
        .filter_map(|i| i.get(attribute).and_then(|v| v.as_s().ok()).cloned())
        .collect()
}

pub(super) fn s(value: &str) -> AttributeValue {
    AttributeValue::S(value.to_owned())
}

pub(super) fn n(value: i64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

pub(super) fn db_error<E, R>(operation: &str, error: SdkError<E, R>) -> Error
where
    E: std::error::Error + 'static,
    R: std::fmt::Debug,
{
    Error::internal(format!("{operation}: {}", DisplayErrorContext(&error)))
}

pub(super) fn build_error(error: aws_sdk_dynamodb::error::BuildError) -> Error {
    Error::internal(format!("request build: {error}"))
}

impl Store {
    pub(super) async fn get<T: DeserializeOwned>(
        &self,
        table: &str,
        key: &str,
        value: &str,
    ) -> Result<Option<T>, Error> {
        let output = self
            .client
            .get_item()
            .table_name(table)
            .key(key, s(value))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| db_error("GetItem", e))?;
        output.item.map(from_item).transpose()
    }

    /// Puts an item only if none has its key: `Ok(false)` when one has (nothing written).
    pub(super) async fn put_unique<T: Serialize>(
        &self,
        table: &str,
        value: &T,
        key: &str,
    ) -> Result<bool, Error> {
        let result = self
            .client
            .put_item()
            .table_name(table)
            .set_item(Some(to_item(value)?))
            .condition_expression(format!("attribute_not_exists({key})"))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(SdkError::ServiceError(e))
                if matches!(e.err(), PutItemError::ConditionalCheckFailedException(_)) =>
            {
                Ok(false)
            }
            Err(other) => Err(db_error("PutItem", other)),
        }
    }

    /// Puts an item whose key cannot be taken (a hash of a new secret, a new ULID).
    pub(super) async fn put_new<T: Serialize>(
        &self,
        table: &str,
        value: &T,
        key: &str,
    ) -> Result<(), Error> {
        if self.put_unique(table, value, key).await? {
            Ok(())
        } else {
            Err(Error::internal(format!("PutItem: the {key} is taken")))
        }
    }

    /// Two items, each by its one key in its own table, in one consistent BatchGetItem.
    pub(super) async fn get_two<A: DeserializeOwned, B: DeserializeOwned>(
        &self,
        a: (&String, &str, &str),
        b: (&String, &str, &str),
    ) -> Result<(Option<A>, Option<B>), Error> {
        let mut found = self.batch_get(&[a, b]).await?;
        Ok((take(&mut found, a.0)?, take(&mut found, b.0)?))
    }

    /// Consistent BatchGetItem of single keys; retries unprocessed keys a few times.
    pub(super) async fn batch_get(
        &self,
        keys: &[(&String, &str, &str)],
    ) -> Result<HashMap<String, Vec<Item>>, Error> {
        let mut by_table: HashMap<String, Vec<Item>> = HashMap::new();
        for (table, name, value) in keys {
            by_table
                .entry(table.to_string())
                .or_default()
                .push(HashMap::from([(name.to_string(), s(value))]));
        }
        let mut request: HashMap<String, KeysAndAttributes> = HashMap::new();
        for (table, table_keys) in by_table {
            let entry = KeysAndAttributes::builder()
                .set_keys(Some(table_keys))
                .consistent_read(true)
                .build()
                .map_err(build_error)?;
            request.insert(table, entry);
        }
        let mut found: HashMap<String, Vec<Item>> = HashMap::new();
        for _attempt in 0..4 {
            let output = self
                .client
                .batch_get_item()
                .set_request_items(Some(request))
                .send()
                .await
                .map_err(|e| db_error("BatchGetItem", e))?;
            for (table, items) in output.responses.unwrap_or_default() {
                found.entry(table).or_default().extend(items);
            }
            match output.unprocessed_keys {
                Some(rest) if !rest.is_empty() => request = rest,
                _ => return Ok(found),
            }
        }
        Err(Error::internal(
            "BatchGetItem left keys unprocessed after retries",
        ))
    }

    /// Runs a transaction. `Ok(None)`: committed. `Ok(Some(reasons))`: cancelled by a condition,
    /// nothing written, and every reason is either `None` (that item passed) or
    /// `ConditionalCheckFailed`. Any other reason (`TransactionConflict`, throttling, validation)
    /// says nothing about the conditions, so it is an internal error: never read a check as
    /// passed or failed from it.
    pub(super) async fn transact(
        &self,
        items: Vec<TransactWriteItem>,
    ) -> Result<Option<Vec<CancellationReason>>, Error> {
        match self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
        {
            Ok(_) => Ok(None),
            Err(SdkError::ServiceError(e)) => match e.err() {
                TransactWriteItemsError::TransactionCanceledException(cancelled) => {
                    let reasons = cancelled.cancellation_reasons().to_vec();
                    let decided_by_conditions = reasons
                        .iter()
                        .all(|r| matches!(r.code(), Some("None" | "ConditionalCheckFailed")))
                        && reasons
                            .iter()
                            .any(|r| r.code() == Some("ConditionalCheckFailed"));
                    if decided_by_conditions {
                        Ok(Some(reasons))
                    } else {
                        Err(Error::internal(format!(
                            "transaction cancelled: {}",
                            describe(&reasons)
                        )))
                    }
                }
                _ => Err(db_error("TransactWriteItems", SdkError::ServiceError(e))),
            },
            Err(other) => Err(db_error("TransactWriteItems", other)),
        }
    }

    pub(super) async fn set_disabled<T: serde::de::DeserializeOwned>(
        &self,
        table: &str,
        key: &str,
        value: &str,
        audit: &crate::model::AuditEvent,
    ) -> Result<Option<T>, Error> {
        let update = aws_sdk_dynamodb::types::Update::builder()
            .table_name(table)
            .key(key, s(value))
            .update_expression("SET disabled = :t")
            .condition_expression(format!("attribute_exists({key})"))
            .expression_attribute_values(":t", AttributeValue::Bool(true));
        self.update_audited(update, (table, key, value), audit)
            .await
    }

    /// One conditional update and the record of it in one transaction, then the item as it is
    /// now (a strongly consistent read: a transaction returns no values). `None`: the
    /// condition failed, nothing was written.
    pub(super) async fn update_audited<T: serde::de::DeserializeOwned>(
        &self,
        update: aws_sdk_dynamodb::types::builders::UpdateBuilder,
        (table, key, value): (&str, &str, &str),
        audit: &crate::model::AuditEvent,
    ) -> Result<Option<T>, Error> {
        let item = TransactWriteItem::builder()
            .update(update.build().map_err(build_error)?)
            .build();
        match self.transact_audited(vec![item], &[audit]).await? {
            Some(_) => Ok(None),
            None => self.get(table, key, value).await,
        }
    }

    /// Every item of an index (all pages) whose key `attribute` is `value`.
    pub(super) async fn query_index(
        &self,
        table: &str,
        index: &str,
        attribute: &str,
        value: &str,
    ) -> Result<Vec<Item>, Error> {
        self.client
            .query()
            .table_name(table)
            .index_name(index)
            .key_condition_expression("#k = :v")
            .expression_attribute_names("#k", attribute)
            .expression_attribute_values(":v", s(value))
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| db_error(&format!("Query {index}"), e))
    }

    pub(super) async fn delete(&self, table: &str, key: &str, value: &str) -> Result<(), Error> {
        self.client
            .delete_item()
            .table_name(table)
            .key(key, s(value))
            .send()
            .await
            .map_err(|e| db_error("DeleteItem", e))?;
        Ok(())
    }

    pub(super) async fn scan_all<T: serde::de::DeserializeOwned>(
        &self,
        table: &str,
    ) -> Result<Vec<T>, Error> {
        let items = self
            .client
            .scan()
            .table_name(table)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| db_error("Scan", e))?;
        items.into_iter().map(from_item).collect()
    }
}
