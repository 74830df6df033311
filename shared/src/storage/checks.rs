//! Condition checks that ride inside other writes' transactions: a client authenticating, a
//! token's holder still in good standing, an id not taken. They cost no extra round trip.

use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, ReturnValuesOnConditionCheckFailure, TransactWriteItem,
};

use crate::error::Error;
use crate::model::{DeviceStatus, GrantType, Holder, Scope};

use super::dynamo::{build_error, n, s};
use super::{Inactive, Store};

/// What an OAuth client presents to authenticate (RFC 6749 §2.3), and what it asks to do.
/// Checked by DynamoDB inside the write it guards, so authentication costs no extra round trip.
/// The comparison is of SHA-256 hashes of a 256-bit secret: learning where two hashes differ
/// tells nothing about the secret.
#[derive(Clone, Copy, Debug)]
pub struct ClientProof<'a> {
    pub client_id: &'a str,
    /// SHA-256 of the presented secret; `None` for a public client (method `none`).
    pub secret_hash: Option<&'a str>,
    pub grant: GrantType,
    /// Scope asked for, which must be within the client's.
    pub scope: Option<&'a Scope>,
}

impl Store {
    /// Condition checks that a code's or token's holder is still in good standing, each with
    /// what its failure means.
    pub(super) fn holder_checks(
        &self,
        holder: Holder<'_>,
        now: i64,
    ) -> Result<Vec<(TransactWriteItem, Inactive)>, Error> {
        Ok(match holder {
            Holder::Device {
                client_id,
                api_key_hash,
            } => vec![
                (self.device_active_check(client_id)?, Inactive::Device),
                (
                    self.api_key_usable_check(api_key_hash, now)?,
                    Inactive::ApiKey,
                ),
            ],
            Holder::OAuthClient {
                client_id,
                username,
            } => {
                let mut checks = vec![(self.client_enabled_check(client_id)?, Inactive::Client)];
                if let Some(username) = username {
                    checks.push((self.user_enabled_check(username)?, Inactive::User));
                }
                checks
            }
        })
    }

    /// A condition that no item with this key exists (devices and OAuth clients share no ids).
    pub(super) fn absent_check(
        &self,
        table: &str,
        key: &str,
        value: &str,
    ) -> Result<TransactWriteItem, Error> {
        let check = ConditionCheck::builder()
            .table_name(table)
            .key(key, s(value))
            .condition_expression(format!("attribute_not_exists({key})"))
            .build()
            .map_err(build_error)?;
        Ok(TransactWriteItem::builder().condition_check(check).build())
    }

    pub(super) fn device_active_check(&self, client_id: &str) -> Result<TransactWriteItem, Error> {
        let check = ConditionCheck::builder()
            .table_name(&self.tables.devices)
            .key("client_id", s(client_id))
            .condition_expression("#s = :approved")
            .expression_attribute_names("#s", "status")
            .expression_attribute_values(":approved", s(DeviceStatus::Approved.as_str()))
            .build()
            .map_err(build_error)?;
        Ok(TransactWriteItem::builder().condition_check(check).build())
    }

    pub(super) fn api_key_usable_check(
        &self,
        key_hash: &str,
        now: i64,
    ) -> Result<TransactWriteItem, Error> {
        let check = ConditionCheck::builder()
            .table_name(&self.tables.api_keys)
            .key("key_hash", s(key_hash))
            // The expiry is an API key setting: `ApiKey.settings.expires_at`.
            .condition_expression(
                "disabled = :f AND (attribute_not_exists(#st.#ex) OR #st.#ex > :now)",
            )
            .expression_attribute_names("#st", "settings")
            .expression_attribute_names("#ex", "expires_at")
            .expression_attribute_values(":f", AttributeValue::Bool(false))
            .expression_attribute_values(":now", n(now))
            .build()
            .map_err(build_error)?;
        Ok(TransactWriteItem::builder().condition_check(check).build())
    }

    pub(super) fn client_proof_check(
        &self,
        proof: &ClientProof<'_>,
    ) -> Result<TransactWriteItem, Error> {
        let mut condition = "disabled = :f AND contains(grant_types, :grant)".to_owned();
        let mut check = ConditionCheck::builder()
            .table_name(&self.tables.clients)
            .key("client_id", s(proof.client_id))
            .expression_attribute_values(":f", AttributeValue::Bool(false))
            .expression_attribute_values(":grant", s(proof.grant.as_str()))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        match proof.secret_hash {
            Some(hash) => {
                condition.push_str(" AND secret_hash = :sh");
                check = check.expression_attribute_values(":sh", s(hash));
            }
            None => condition.push_str(" AND attribute_not_exists(secret_hash)"),
        }
        for (i, token) in proof
            .scope
            .map(Scope::tokens)
            .unwrap_or(&[])
            .iter()
            .enumerate()
        {
            condition.push_str(&format!(" AND contains(scopes, :sc{i})"));
            check = check.expression_attribute_values(format!(":sc{i}"), s(token));
        }
        let check = check
            .condition_expression(condition)
            .build()
            .map_err(build_error)?;
        Ok(TransactWriteItem::builder().condition_check(check).build())
    }

    pub(super) fn client_enabled_check(&self, client_id: &str) -> Result<TransactWriteItem, Error> {
        let check = ConditionCheck::builder()
            .table_name(&self.tables.clients)
            .key("client_id", s(client_id))
            .condition_expression("disabled = :f")
            .expression_attribute_values(":f", AttributeValue::Bool(false))
            .build()
            .map_err(build_error)?;
        Ok(TransactWriteItem::builder().condition_check(check).build())
    }

    pub(super) fn user_enabled_check(&self, username: &str) -> Result<TransactWriteItem, Error> {
        let check = ConditionCheck::builder()
            .table_name(&self.tables.users)
            .key("username", s(username))
            .condition_expression("disabled = :f")
            .expression_attribute_values(":f", AttributeValue::Bool(false))
            .build()
            .map_err(build_error)?;
        Ok(TransactWriteItem::builder().condition_check(check).build())
    }
}
