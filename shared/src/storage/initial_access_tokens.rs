//! Initial access tokens for RFC 7591 registration (stored by hash).

use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem, Update};

use crate::error::Error;
use crate::model::InitialAccessToken;

use super::Store;
use super::dynamo::{build_error, n, put, s, tx_put};

impl Store {
    /// A new token and the record of it, in one transaction.
    pub async fn put_initial_access_token(
        &self,
        token: &InitialAccessToken,
        audit: &crate::model::AuditEvent,
    ) -> Result<(), Error> {
        let token_put = put(&self.tables.initial_access_tokens, token)?
            .condition_expression("attribute_not_exists(token_hash)");
        match self
            .transact_audited(vec![tx_put(token_put)?], &[audit])
            .await?
        {
            None => Ok(()),
            Some(_) => Err(Error::internal("PutItem: the token_hash is taken")),
        }
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
        audit: &crate::model::AuditEvent,
    ) -> Result<InitialAccessToken, Error> {
        self.disable_by_id(&self.tables.initial_access_tokens, "token_hash", id, audit)
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
}
