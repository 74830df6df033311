//! Tokens and their families: rotation with reuse detection, revocation, and what a token's
//! standing depends on.

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{TransactWriteItem, Update};

use crate::error::Error;
use crate::model::{
    ApiKey, AuditEvent, Device, FamilyStatus, Holder, OAuthClient, TokenFamily, TokenRecord,
};

use super::Store;
use super::dynamo::{
    build_error, db_error, describe, failed, first_failed, n, put, s, strings, take, tx_put,
};
use super::standing::{Inactive, still_checked};

/// What a redemption or a rotation writes beside its conditions: the new pair, the signed
/// request that made it (to tell its replay from a reuse), and the decision's audit record.
#[derive(Clone, Copy, Debug)]
pub struct NewPair<'a> {
    pub tokens: [&'a TokenRecord; 2],
    pub replay_key: Option<&'a str>,
    pub audit: &'a AuditEvent,
}

#[derive(Debug)]
pub enum RotateOutcome {
    Rotated,
    AlreadyRotated,
    FamilyRevoked,
    Inactive(Inactive),
}

impl Store {
    pub async fn get_family(&self, family_id: &str) -> Result<Option<TokenFamily>, Error> {
        self.get(&self.tables.families, "family_id", family_id)
            .await
    }

    /// Writes a new family (examples and tools; flows write families inside their transactions).
    pub async fn put_family(&self, family: &TokenFamily) -> Result<(), Error> {
        self.put_new(&self.tables.families, family, "family_id")
            .await
    }

    /// Writes a new token (examples and tools; flows write tokens inside their transactions).
    pub async fn put_token(&self, token: &TokenRecord) -> Result<(), Error> {
        self.put_new(&self.tables.tokens, token, "token_hash").await
    }

    pub async fn get_token(&self, token_hash: &str) -> Result<Option<TokenRecord>, Error> {
        self.get(&self.tables.tokens, "token_hash", token_hash)
            .await
    }

    /// A device's refresh: the token, the device and the API key presented, in one round trip.
    pub async fn get_token_device_and_api_key(
        &self,
        token_hash: &str,
        client_id: &str,
        api_key_hash: &str,
    ) -> Result<(Option<TokenRecord>, Option<Device>, Option<ApiKey>), Error> {
        let mut found = self
            .batch_get(&[
                (&self.tables.tokens, "token_hash", token_hash),
                (&self.tables.devices, "client_id", client_id),
                (&self.tables.api_keys, "key_hash", api_key_hash),
            ])
            .await?;
        Ok((
            take(&mut found, &self.tables.tokens)?,
            take(&mut found, &self.tables.devices)?,
            take(&mut found, &self.tables.api_keys)?,
        ))
    }

    /// A user token's refresh: the token and the API key presented, in one round trip.
    pub async fn get_token_and_api_key(
        &self,
        token_hash: &str,
        api_key_hash: &str,
    ) -> Result<(Option<TokenRecord>, Option<ApiKey>), Error> {
        self.get_two(
            (&self.tables.tokens, "token_hash", token_hash),
            (&self.tables.api_keys, "key_hash", api_key_hash),
        )
        .await
    }

    /// A token and an OAuth client in one round trip (an OAuth refresh needs both).
    pub async fn get_token_and_client(
        &self,
        token_hash: &str,
        client_id: &str,
    ) -> Result<(Option<TokenRecord>, Option<OAuthClient>), Error> {
        self.get_two(
            (&self.tables.tokens, "token_hash", token_hash),
            (&self.tables.clients, "client_id", client_id),
        )
        .await
    }

    /// Exchanges a refresh token exactly once: the old token is marked rotated, the family is
    /// checked active, the holder's records still in good standing, and the new pair is written.
    /// `judged`: holder records this request has just read and judged; they are not checked again
    /// as conditions (each condition costs two write units, a read a fraction of one), except a
    /// self-registered client's, whose check also records the use. A record changed between that
    /// read and this write is caught where the new tokens are used: introspection and refresh
    /// read the holder's records every time. The authorizer reads no user or device, only the
    /// families and the API key's guard: a user token's refresh may judge only its API key.
    pub async fn rotate(
        &self,
        old: &TokenRecord,
        pair: NewPair<'_>,
        family_ttl: i64,
        judged: &[Inactive],
        now: i64,
    ) -> Result<RotateOutcome, Error> {
        let mut mark_rotated = Update::builder()
            .table_name(&self.tables.tokens)
            .key("token_hash", s(&old.token_hash))
            .update_expression("SET rotated_at = :now")
            .condition_expression(
                "attribute_exists(token_hash) AND attribute_not_exists(rotated_at)",
            )
            .expression_attribute_values(":now", n(now));
        if let Some(by) = pair.replay_key {
            mark_rotated = mark_rotated
                .update_expression("SET rotated_at = :now, rotated_by = :by")
                .expression_attribute_values(":by", s(by));
        }
        let mark_rotated = mark_rotated.build().map_err(build_error)?;
        let family_active = Update::builder()
            .table_name(&self.tables.families)
            .key("family_id", s(&old.family_id))
            .update_expression("SET #t = :ttl")
            .condition_expression("#s = :active")
            .expression_attribute_names("#s", "status")
            .expression_attribute_names("#t", "ttl")
            .expression_attribute_values(":active", s(FamilyStatus::Active.as_str()))
            .expression_attribute_values(":ttl", n(family_ttl))
            .build()
            .map_err(build_error)?;
        let mut items = vec![
            TransactWriteItem::builder().update(mark_rotated).build(),
            TransactWriteItem::builder().update(family_active).build(),
        ];
        let (checks, inactive): (Vec<_>, Vec<_>) = self
            .holder_checks(old.holder(), now)?
            .into_iter()
            .filter(|(_, which)| still_checked(judged, *which, &old.client_id))
            .unzip();
        items.extend(checks);
        items.extend(self.new_tokens(pair.tokens)?);
        let Some(reasons) = self.transact_audited(items, &[pair.audit]).await? else {
            return Ok(RotateOutcome::Rotated);
        };
        let outcome = if failed(&reasons, 0) {
            RotateOutcome::AlreadyRotated
        } else if failed(&reasons, 1) {
            RotateOutcome::FamilyRevoked
        } else if let Some(which) = first_failed(&reasons, 2, &inactive) {
            RotateOutcome::Inactive(which)
        } else {
            return Err(Error::internal(format!(
                "rotate cancelled: {}",
                describe(&reasons)
            )));
        };
        Ok(outcome)
    }

    /// What every first issue of tokens writes after its own leading item (a code marked
    /// redeemed, attempts given back): the holder's standing checks first (the second value
    /// says which is which, for reading a cancellation), then the new family and both tokens,
    /// each put only if new.
    /// `judged`: holder records the request has just read and judged (see [`Store::rotate`]).
    pub(super) fn first_issue(
        &self,
        holder: Holder<'_>,
        judged: &[Inactive],
        family: &TokenFamily,
        tokens: [&TokenRecord; 2],
        now: i64,
    ) -> Result<(Vec<TransactWriteItem>, Vec<Inactive>), Error> {
        let (mut items, inactive): (Vec<_>, Vec<_>) = self
            .holder_checks(holder, now)?
            .into_iter()
            .filter(|(_, which)| still_checked(judged, *which, &family.client_id))
            .unzip();
        items.push(tx_put(
            put(&self.tables.families, family)?
                .condition_expression("attribute_not_exists(family_id)"),
        )?);
        items.extend(self.new_tokens(tokens)?);
        Ok((items, inactive))
    }

    /// A new access and refresh token, each put only if no token has its hash.
    pub(super) fn new_tokens(
        &self,
        tokens: [&TokenRecord; 2],
    ) -> Result<Vec<TransactWriteItem>, Error> {
        tokens
            .into_iter()
            .map(|token| {
                tx_put(
                    put(&self.tables.tokens, token)?
                        .condition_expression("attribute_not_exists(token_hash)"),
                )
            })
            .collect()
    }

    /// Revokes every token of a family (idempotent).
    pub async fn revoke_family(&self, family_id: &str, now: i64) -> Result<(), Error> {
        let result = self
            .client
            .update_item()
            .table_name(&self.tables.families)
            .key("family_id", s(family_id))
            .update_expression("SET #s = :revoked, revoked_at = :now")
            .condition_expression("attribute_exists(family_id)")
            .expression_attribute_names("#s", "status")
            .expression_attribute_values(":revoked", s(FamilyStatus::Revoked.as_str()))
            .expression_attribute_values(":now", n(now))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(e))
                if matches!(e.err(), UpdateItemError::ConditionalCheckFailedException(_)) =>
            {
                Ok(())
            }
            Err(other) => Err(db_error("UpdateItem family", other)),
        }
    }

    /// Revokes a family for a decision the trail records (a token presented again): the
    /// revocation and its record in one transaction. A family already gone (past its TTL)
    /// still leaves the record.
    pub async fn revoke_family_audited(
        &self,
        family_id: &str,
        now: i64,
        audit: &AuditEvent,
    ) -> Result<(), Error> {
        let revoke = Update::builder()
            .table_name(&self.tables.families)
            .key("family_id", s(family_id))
            .update_expression("SET #s = :revoked, revoked_at = :now")
            .condition_expression("attribute_exists(family_id)")
            .expression_attribute_names("#s", "status")
            .expression_attribute_values(":revoked", s(FamilyStatus::Revoked.as_str()))
            .expression_attribute_values(":now", n(now))
            .build()
            .map_err(build_error)?;
        let items = vec![TransactWriteItem::builder().update(revoke).build()];
        match self.transact_audited(items, &[audit]).await? {
            None => Ok(()),
            Some(_) => self.record(std::slice::from_ref(audit)).await,
        }
    }

    /// Revokes every token family of one owner (idempotent: a query, then one write per family).
    pub async fn revoke_families_of(&self, owner: &str, now: i64) -> Result<(), Error> {
        for family_id in self.family_ids_of(owner).await? {
            self.revoke_family(&family_id, now).await?;
        }
        Ok(())
    }

    /// The token families of one owner ([`crate::model::Holder::owner_key`]).
    pub async fn family_ids_of(&self, owner: &str) -> Result<Vec<String>, Error> {
        let items = self
            .query_index(&self.tables.families, "by_owner", "owner", owner)
            .await?;
        Ok(strings(&items, "family_id"))
    }
}
