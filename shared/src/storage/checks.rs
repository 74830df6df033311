//! Condition checks that ride inside other writes' transactions: a client authenticating, a
//! token's holder still in good standing, an id not taken. They cost no extra round trip.

use aws_sdk_dynamodb::types::builders::UpdateBuilder;
use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update,
};

use crate::error::Error;
use crate::model::{GrantType, OAuthClient, Scope};

use super::Store;
use super::dynamo::{build_error, n, s};

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
    /// When the proof is presented: a self-registered client's secret expires.
    pub now: i64,
}

/// Where a stored API key keeps its expiry (`ApiKey.settings.expires_at`); the `paths` tests
/// hold it to the model.
pub(super) const API_KEY_EXPIRES_AT: (&str, &str) = ("settings", "expires_at");

impl Store {
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

    /// The client's authentication as a condition check (a pending poll: no write to the
    /// client, which thousands of devices may be polling at once).
    pub(super) fn client_proof_check(
        &self,
        proof: &ClientProof<'_>,
    ) -> Result<TransactWriteItem, Error> {
        let (condition, values) = proof_condition(proof);
        let mut check = ConditionCheck::builder()
            .table_name(&self.tables.clients)
            .key("client_id", s(proof.client_id))
            .condition_expression(condition)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        for (name, value) in values {
            check = check.expression_attribute_values(name, value);
        }
        let check = check.build().map_err(build_error)?;
        Ok(TransactWriteItem::builder().condition_check(check).build())
    }

    /// The client's authentication where a grant starts: for a self-registered client (told
    /// by its id) a write that records the use and moves its idle expiry on; for an
    /// administrator's client, which thousands of devices may share, only a check (a write to
    /// one hot item would make concurrent transactions conflict).
    pub(super) fn client_proof_at_start(
        &self,
        proof: &ClientProof<'_>,
    ) -> Result<TransactWriteItem, Error> {
        if !is_self_registered(proof.client_id) {
            return self.client_proof_check(proof);
        }
        let (condition, values) = proof_condition(proof);
        let update = self
            .client_use(proof.client_id, &condition, values, proof.now)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(build_error)?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// A write to a self-registered client, under `condition` (whose values are `values`), that
    /// records a use and moves its idle expiry on.
    pub(super) fn client_use(
        &self,
        client_id: &str,
        condition: &str,
        values: Vec<(String, AttributeValue)>,
        now: i64,
    ) -> UpdateBuilder {
        let mut update = Update::builder()
            .table_name(&self.tables.clients)
            .key("client_id", s(client_id))
            .condition_expression(condition)
            .update_expression("SET last_used_at = :now, expires_at = :idle")
            .expression_attribute_values(":now", n(now))
            .expression_attribute_values(":idle", n(now + self.client_idle_ttl));
        for (name, value) in values {
            update = update.expression_attribute_values(name, value);
        }
        update
    }
}

/// Self-registered clients have ids the server chose with this prefix; an administrator's
/// client ids never have it.
pub(super) fn is_self_registered(client_id: &str) -> bool {
    client_id.starts_with(OAuthClient::SELF_REGISTERED_PREFIX)
}

/// What a client's authentication asks of the stored client: enabled, allowed the grant, the
/// presented secret's hash (unexpired) or no secret at all, and every scope token asked for.
fn proof_condition(proof: &ClientProof<'_>) -> (String, Vec<(String, AttributeValue)>) {
    // A self-registered client left idle is expired before TTL deletes it.
    let mut condition = "disabled = :f AND contains(grant_types, :grant) \
                         AND (attribute_not_exists(expires_at) OR expires_at > :now)"
        .to_owned();
    let mut values = vec![
        (":f".to_owned(), AttributeValue::Bool(false)),
        (":grant".to_owned(), s(proof.grant.as_str())),
        (":now".to_owned(), n(proof.now)),
    ];
    match proof.secret_hash {
        Some(hash) => {
            condition.push_str(
                " AND secret_hash = :sh \
                 AND (attribute_not_exists(secret_expires_at) OR secret_expires_at > :now)",
            );
            values.push((":sh".to_owned(), s(hash)));
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
        values.push((format!(":sc{i}"), s(token)));
    }
    (condition, values)
}

/// That every attribute path a condition reads is one the models write.
#[cfg(test)]
mod paths;
