//! DynamoDB storage. Every method is one round trip unless its doc says otherwise; every state
//! change that must happen once is a conditional write or a transaction, so a failure leaves
//! nothing half-written. Expiry is checked in the conditions too, because TTL deletion is late.

mod oauth;
pub mod schema;

pub use oauth::{AttemptCounter, ClientProof, PageDecision, PollPresenter, Standing, StartOutcome};

use std::collections::HashMap;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{DisplayErrorContext, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{
    AttributeValue, CancellationReason, ConditionCheck, KeysAndAttributes, Put, ReturnValue,
    ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::Error;
use crate::model::{
    AdminKey, ApiKey, CodeStatus, Device, DeviceCode, DeviceStatus, FamilyStatus, Holder,
    OAuthClient, TokenFamily, TokenRecord,
};

type Item = HashMap<String, AttributeValue>;

/// The physical table names, from the environment `template.yaml` sets on every function.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tables {
    pub devices: String,
    pub device_codes: String,
    pub tokens: String,
    pub families: String,
    pub api_keys: String,
    pub admin_keys: String,
    pub clients: String,
    pub users: String,
    pub user_codes: String,
    pub sessions: String,
    pub rate_limits: String,
}

impl Tables {
    /// (environment variable, default name for local runs) for each table, in field order.
    pub const ENV: [(&'static str, &'static str); 11] = [
        ("DEVICES_TABLE", "devicegate-devices"),
        ("DEVICE_CODES_TABLE", "devicegate-device-codes"),
        ("TOKENS_TABLE", "devicegate-tokens"),
        ("FAMILIES_TABLE", "devicegate-families"),
        ("API_KEYS_TABLE", "devicegate-api-keys"),
        ("ADMIN_KEYS_TABLE", "devicegate-admin-keys"),
        ("CLIENTS_TABLE", "devicegate-clients"),
        ("USERS_TABLE", "devicegate-users"),
        ("USER_CODES_TABLE", "devicegate-user-codes"),
        ("SESSIONS_TABLE", "devicegate-sessions"),
        ("RATE_LIMITS_TABLE", "devicegate-rate-limits"),
    ];

    pub fn from_env() -> Tables {
        Tables::from_lookup(|name| std::env::var(name).ok())
    }

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Tables {
        let [d, c, t, f, a, m, cl, u, uc, se, rl] =
            Tables::ENV.map(|(var, default)| lookup(var).unwrap_or_else(|| default.to_owned()));
        Tables {
            devices: d,
            device_codes: c,
            tokens: t,
            families: f,
            api_keys: a,
            admin_keys: m,
            clients: cl,
            users: u,
            user_codes: uc,
            sessions: se,
            rate_limits: rl,
        }
    }

    /// The physical name behind an environment variable of [`Tables::ENV`].
    pub fn by_env(&self, var: &str) -> Option<&str> {
        let names = [
            &self.devices,
            &self.device_codes,
            &self.tokens,
            &self.families,
            &self.api_keys,
            &self.admin_keys,
            &self.clients,
            &self.users,
            &self.user_codes,
            &self.sessions,
            &self.rate_limits,
        ];
        Tables::ENV
            .iter()
            .zip(names)
            .find(|((v, _), _)| *v == var)
            .map(|(_, n)| n.as_str())
    }
}

/// What happened to a pending poll's conditional write.
#[derive(Debug)]
pub enum PollWrite {
    /// The code is pending and the poll was recorded: answer `authorization_pending`.
    Recorded,
    /// A condition on the code failed; here is the item as it was (None: no such code).
    Refused(Option<Box<DeviceCode>>),
    /// The OAuth client did not authenticate, is disabled, or may not use the grant; here is the
    /// client as it was (None: no such client).
    ClientRefused(Option<Box<OAuthClient>>),
}

#[derive(Debug)]
pub enum RedeemOutcome {
    Redeemed,
    /// The code was no longer approved (another poll redeemed it, or it expired).
    CodeChanged(Option<Box<DeviceCode>>),
    Inactive(Inactive),
}

#[derive(Debug)]
pub enum RotateOutcome {
    Rotated,
    AlreadyRotated,
    FamilyRevoked,
    Inactive(Inactive),
}

/// What a redemption or refresh found no longer in good standing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Inactive {
    /// The Paragon device is no longer approved.
    Device,
    /// The API key is disabled or expired.
    ApiKey,
    /// The OAuth client is disabled.
    Client,
    /// The user who approved is disabled.
    User,
}

/// An administrator's decision on a pending registration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Approve,
    Deny,
}

#[derive(Clone, Debug)]
pub struct Store {
    client: Client,
    tables: Tables,
}

impl Store {
    pub fn new(client: Client, tables: Tables) -> Store {
        Store { client, tables }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn tables(&self) -> &Tables {
        &self.tables
    }

    /// Opens the TLS connection to DynamoDB during init so the first request does not pay for
    /// it. A miss is harmless: the read is of a key that never exists.
    pub async fn warm_up(&self) {
        let result = self
            .client
            .get_item()
            .table_name(&self.tables.api_keys)
            .key("key_hash", s("warm-up"))
            .send()
            .await;
        if let Err(e) = result {
            tracing::warn!(error = %DisplayErrorContext(&e), "warm-up read failed");
        }
    }

    // ----- reads -----

    pub async fn get_api_key(&self, key_hash: &str) -> Result<Option<ApiKey>, Error> {
        self.get(&self.tables.api_keys, "key_hash", key_hash).await
    }

    pub async fn get_admin_key(&self, key_hash: &str) -> Result<Option<AdminKey>, Error> {
        self.get(&self.tables.admin_keys, "key_hash", key_hash)
            .await
    }

    pub async fn get_device(&self, client_id: &str) -> Result<Option<Device>, Error> {
        self.get(&self.tables.devices, "client_id", client_id).await
    }

    pub async fn get_device_code(&self, code_hash: &str) -> Result<Option<DeviceCode>, Error> {
        self.get(&self.tables.device_codes, "code_hash", code_hash)
            .await
    }

    pub async fn get_family(&self, family_id: &str) -> Result<Option<TokenFamily>, Error> {
        self.get(&self.tables.families, "family_id", family_id)
            .await
    }

    pub async fn get_token(&self, token_hash: &str) -> Result<Option<TokenRecord>, Error> {
        self.get(&self.tables.tokens, "token_hash", token_hash)
            .await
    }

    /// An API key and a device in one round trip (registration needs both).
    pub async fn get_api_key_and_device(
        &self,
        key_hash: &str,
        client_id: &str,
    ) -> Result<(Option<ApiKey>, Option<Device>), Error> {
        let mut found = self
            .batch_get(&[
                (&self.tables.api_keys, "key_hash", key_hash),
                (&self.tables.devices, "client_id", client_id),
            ])
            .await?;
        let device = take(&mut found, &self.tables.devices)?;
        let key = take(&mut found, &self.tables.api_keys)?;
        Ok((key, device))
    }

    /// A token and a device in one round trip (refresh needs both).
    pub async fn get_token_and_device(
        &self,
        token_hash: &str,
        client_id: &str,
    ) -> Result<(Option<TokenRecord>, Option<Device>), Error> {
        let mut found = self
            .batch_get(&[
                (&self.tables.tokens, "token_hash", token_hash),
                (&self.tables.devices, "client_id", client_id),
            ])
            .await?;
        let device = take(&mut found, &self.tables.devices)?;
        let token = take(&mut found, &self.tables.tokens)?;
        Ok((token, device))
    }

    // ----- registration -----

    /// Writes a device and its new device code together. The device write is conditional on the
    /// version that was read (or on the device not existing), so two registrations racing for one
    /// `client_id` cannot both win.
    pub async fn save_registration(
        &self,
        device: &Device,
        read_version: Option<i64>,
        code: &DeviceCode,
    ) -> Result<(), Error> {
        let device_put = match read_version {
            None => put(&self.tables.devices, device)?
                .condition_expression("attribute_not_exists(client_id)"),
            Some(v) => put(&self.tables.devices, device)?
                .condition_expression("version = :v")
                .expression_attribute_values(":v", n(v)),
        };
        let code_put = put(&self.tables.device_codes, code)?
            .condition_expression("attribute_not_exists(code_hash)");
        let items = vec![
            tx_put(device_put)?,
            tx_put(code_put)?,
            self.absent_check(&self.tables.clients, "client_id", &device.client_id)?,
        ];
        match self.transact(items).await? {
            None => Ok(()),
            Some(reasons) if failed(&reasons, 2) => Err(Error::invalid_request(
                "this client_id belongs to an OAuth client; choose another",
            )),
            Some(_) => Err(Error::invalid_request(
                "another registration for this client_id happened at the same time; retry",
            )),
        }
    }

    // ----- device-code polling -----

    /// Records a poll of a pending code in one round trip. It succeeds only when the code is
    /// pending, unexpired, polled no sooner than its interval, and presented by whom it was issued
    /// to: a Paragon device under its API key (and, unsigned, only for a code bound to no device
    /// key), or an OAuth client that authenticates in the same transaction. Otherwise it changes
    /// nothing and returns what it found, for the caller to say why.
    pub async fn record_pending_poll(
        &self,
        code_hash: &str,
        presenter: PollPresenter<'_>,
        now: i64,
    ) -> Result<PollWrite, Error> {
        let mut condition =
            "#s = :pending AND expires_at > :now AND next_poll_at <= :now AND client_id = :cid"
                .to_owned();
        let mut names = vec![("#s", "status"), ("#i", "interval")];
        let mut values = vec![
            (":pending", s(CodeStatus::Pending.as_str())),
            (":now", n(now)),
        ];
        match presenter {
            PollPresenter::Device {
                client_id,
                api_key_hash,
                signed,
            } => {
                condition.push_str(" AND api_key_hash = :akh");
                if !signed {
                    condition.push_str(" AND attribute_not_exists(#k)");
                    names.push(("#k", "key"));
                }
                values.push((":cid", s(client_id)));
                values.push((":akh", s(api_key_hash)));
            }
            PollPresenter::OAuthClient(proof) => {
                condition.push_str(" AND attribute_not_exists(api_key_hash)");
                values.push((":cid", s(proof.client_id)));
            }
        }
        const SET: &str = "SET next_poll_at = #i + :now";

        if let PollPresenter::OAuthClient(proof) = presenter {
            // The client authenticates in the same transaction: still one round trip.
            let mut update = Update::builder()
                .table_name(&self.tables.device_codes)
                .key("code_hash", s(code_hash))
                .update_expression(SET)
                .condition_expression(condition)
                .return_values_on_condition_check_failure(
                    ReturnValuesOnConditionCheckFailure::AllOld,
                );
            for (k, v) in names {
                update = update.expression_attribute_names(k, v);
            }
            for (k, v) in values {
                update = update.expression_attribute_values(k, v);
            }
            let items = vec![
                self.client_proof_check(&proof)?,
                TransactWriteItem::builder()
                    .update(update.build().map_err(build_error)?)
                    .build(),
            ];
            let Some(reasons) = self.transact(items).await? else {
                return Ok(PollWrite::Recorded);
            };
            // The client authenticated only if its check explicitly passed.
            if !passed(&reasons, 0) {
                let client = reason_item(&reasons, 0)?;
                return Ok(PollWrite::ClientRefused(client.map(Box::new)));
            }
            let old = reason_item(&reasons, 1)?;
            return Ok(PollWrite::Refused(old.map(Box::new)));
        }

        let mut update = self
            .client
            .update_item()
            .table_name(&self.tables.device_codes)
            .key("code_hash", s(code_hash))
            .update_expression(SET)
            .condition_expression(condition)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        for (k, v) in names {
            update = update.expression_attribute_names(k, v);
        }
        for (k, v) in values {
            update = update.expression_attribute_values(k, v);
        }
        match update.send().await {
            Ok(_) => Ok(PollWrite::Recorded),
            Err(SdkError::ServiceError(e)) => match e.err() {
                UpdateItemError::ConditionalCheckFailedException(failed) => {
                    let old = failed.item().map(|i| from_item(i.clone())).transpose()?;
                    Ok(PollWrite::Refused(old.map(Box::new)))
                }
                _ => Err(db_error(
                    "UpdateItem device code",
                    SdkError::ServiceError(e),
                )),
            },
            Err(other) => Err(db_error("UpdateItem device code", other)),
        }
    }

    /// A poll came too soon: the interval grows by 5 s and stays grown (RFC 8628 §3.5).
    pub async fn slow_down(&self, code: &DeviceCode, now: i64) -> Result<(), Error> {
        let grown = code.interval + 5;
        let result = self
            .client
            .update_item()
            .table_name(&self.tables.device_codes)
            .key("code_hash", s(&code.code_hash))
            .update_expression("SET #i = :grown, next_poll_at = :next")
            .condition_expression("#s = :pending AND #i = :old")
            .expression_attribute_names("#s", "status")
            .expression_attribute_names("#i", "interval")
            .expression_attribute_values(":pending", s(CodeStatus::Pending.as_str()))
            .expression_attribute_values(":old", n(code.interval))
            .expression_attribute_values(":grown", n(grown))
            .expression_attribute_values(":next", n(now + grown))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            // Another poll grew it first, or the code was decided meanwhile: either way the
            // answer `slow_down` stands and there is nothing more to write.
            Err(SdkError::ServiceError(e))
                if matches!(e.err(), UpdateItemError::ConditionalCheckFailedException(_)) =>
            {
                Ok(())
            }
            Err(other) => Err(db_error("UpdateItem slow_down", other)),
        }
    }

    /// Redeems an approved device code exactly once: the code flips approved -> redeemed, its
    /// holder is checked still in good standing, and the token family and both tokens are
    /// written, all in one transaction.
    pub async fn redeem(
        &self,
        code: &DeviceCode,
        family: &TokenFamily,
        tokens: [&TokenRecord; 2],
        replay_key: Option<&str>,
        now: i64,
    ) -> Result<RedeemOutcome, Error> {
        let mut code_update = Update::builder()
            .table_name(&self.tables.device_codes)
            .key("code_hash", s(&code.code_hash))
            .update_expression("SET #s = :redeemed, family_id = :fid")
            .condition_expression("#s = :approved AND expires_at > :now")
            .expression_attribute_names("#s", "status")
            .expression_attribute_values(":redeemed", s(CodeStatus::Redeemed.as_str()))
            .expression_attribute_values(":approved", s(CodeStatus::Approved.as_str()))
            .expression_attribute_values(":fid", s(&family.family_id))
            .expression_attribute_values(":now", n(now))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        if let Some(by) = replay_key {
            code_update = code_update
                .update_expression("SET #s = :redeemed, family_id = :fid, redeemed_by = :by")
                .expression_attribute_values(":by", s(by));
        }
        let code_update = code_update.build().map_err(build_error)?;
        let mut items = vec![TransactWriteItem::builder().update(code_update).build()];
        let (checks, inactive): (Vec<_>, Vec<_>) =
            self.holder_checks(code.holder(), now)?.into_iter().unzip();
        items.extend(checks);
        items.push(tx_put(
            put(&self.tables.families, family)?
                .condition_expression("attribute_not_exists(family_id)"),
        )?);
        for token in tokens {
            items.push(tx_put(
                put(&self.tables.tokens, token)?
                    .condition_expression("attribute_not_exists(token_hash)"),
            )?);
        }
        let Some(reasons) = self.transact(items).await? else {
            return Ok(RedeemOutcome::Redeemed);
        };
        if failed(&reasons, 0) {
            let old = reason_item(&reasons, 0)?;
            return Ok(RedeemOutcome::CodeChanged(old.map(Box::new)));
        }
        if let Some(which) = first_failed(&reasons, 1, &inactive) {
            return Ok(RedeemOutcome::Inactive(which));
        }
        Err(Error::internal(format!(
            "redeem cancelled: {}",
            describe(&reasons)
        )))
    }

    // ----- refresh -----

    /// Exchanges a refresh token exactly once: the old token is marked rotated, the family is
    /// checked active, the device and API key still usable, and the new pair is written.
    pub async fn rotate(
        &self,
        old: &TokenRecord,
        tokens: [&TokenRecord; 2],
        family_ttl: i64,
        replay_key: Option<&str>,
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
        if let Some(by) = replay_key {
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
        let (checks, inactive): (Vec<_>, Vec<_>) =
            self.holder_checks(old.holder(), now)?.into_iter().unzip();
        items.extend(checks);
        for token in tokens {
            items.push(tx_put(
                put(&self.tables.tokens, token)?
                    .condition_expression("attribute_not_exists(token_hash)"),
            )?);
        }
        let Some(reasons) = self.transact(items).await? else {
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

    // ----- administration -----

    /// Devices with one status, oldest update first (index `by_status`, every page).
    pub async fn list_devices(&self, status: DeviceStatus) -> Result<Vec<Device>, Error> {
        self.query_devices("by_status", "#s", "status", status.as_str())
            .await
    }

    /// Devices with a registration waiting for a decision, whatever their status, oldest first
    /// (the sparse index `by_queue`).
    pub async fn list_waiting_devices(&self) -> Result<Vec<Device>, Error> {
        self.query_devices("by_queue", "#q", "queue", crate::model::PENDING_QUEUE)
            .await
    }

    async fn query_devices(
        &self,
        index: &str,
        placeholder: &str,
        attribute: &str,
        value: &str,
    ) -> Result<Vec<Device>, Error> {
        let pages = self
            .client
            .query()
            .table_name(&self.tables.devices)
            .index_name(index)
            .key_condition_expression(format!("{placeholder} = :v"))
            .expression_attribute_names(placeholder, attribute)
            .expression_attribute_values(":v", s(value))
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| db_error("Query devices", e))?;
        pages.into_iter().map(from_item).collect()
    }

    /// Applies an administrator's decision to a device's pending registration: the device and
    /// the registration's code change together or not at all. Approval gives the device the
    /// standing, key, type and description the registration asked for; denial leaves an approved
    /// device approved (the registration, not the device, is refused).
    pub async fn decide(
        &self,
        device: &Device,
        decision: Decision,
        now: i64,
    ) -> Result<Device, Error> {
        let mut updated = device.clone();
        let Some(pending) = updated.take_pending() else {
            return Err(Error::Conflict(
                "the device has no registration waiting for a decision".into(),
            ));
        };
        let code_status = match decision {
            Decision::Approve => {
                updated.status = DeviceStatus::Approved;
                updated.client_type = pending.client_type;
                updated.client_description = pending.client_description.clone();
                if pending.key.is_some() {
                    updated.key = pending.key.clone();
                }
                CodeStatus::Approved
            }
            Decision::Deny => {
                if updated.status != DeviceStatus::Approved {
                    updated.status = DeviceStatus::Denied;
                }
                CodeStatus::Denied
            }
        };
        updated.updated_at = now;
        updated.version = device.version + 1;
        let device_put = put(&self.tables.devices, &updated)?
            .condition_expression("version = :v")
            .expression_attribute_values(":v", n(device.version));
        // An approval must land before the code expires; a denial of an expired code is moot but
        // harmless, so it is not refused for that.
        let mut code_update = Update::builder()
            .table_name(&self.tables.device_codes)
            .key("code_hash", s(&pending.code_hash))
            .update_expression("SET #s = :decided")
            .condition_expression("#s = :pending")
            .expression_attribute_names("#s", "status")
            .expression_attribute_values(":pending", s(CodeStatus::Pending.as_str()))
            .expression_attribute_values(":decided", s(code_status.as_str()));
        if decision == Decision::Approve {
            code_update = code_update
                .condition_expression("#s = :pending AND expires_at > :now")
                .expression_attribute_values(":now", n(now));
        }
        let code_update = code_update.build().map_err(build_error)?;
        let items = vec![
            tx_put(device_put)?,
            TransactWriteItem::builder().update(code_update).build(),
        ];
        match self.transact(items).await? {
            None => Ok(updated),
            Some(reasons) if failed(&reasons, 0) => Err(Error::Conflict(
                "the device changed while deciding; read it again".into(),
            )),
            Some(_) => Err(Error::Conflict(
                "the pending registration has expired; the device must register again".into(),
            )),
        }
    }

    /// Marks a device revoked, then revokes every token family it holds. The token families are
    /// revoked after the device in separate writes; the gap is closed because every redemption and
    /// refresh also checks, in its transaction, that the device is approved.
    pub async fn revoke_device(&self, device: &Device, now: i64) -> Result<Device, Error> {
        let mut updated = device.clone();
        updated.status = DeviceStatus::Revoked;
        updated.take_pending();
        updated.updated_at = now;
        updated.version = device.version + 1;
        let device_put = put(&self.tables.devices, &updated)?
            .condition_expression("version = :v")
            .expression_attribute_values(":v", n(device.version));
        if self.transact(vec![tx_put(device_put)?]).await?.is_some() {
            return Err(Error::Conflict(
                "the device changed while revoking; try again".into(),
            ));
        }
        let owner = crate::model::device_owner_key(&device.client_id);
        for family_id in self.family_ids_of(&owner).await? {
            self.revoke_family(&family_id, now).await?;
        }
        Ok(updated)
    }

    /// The token families of one owner ([`crate::model::Holder::owner_key`]).
    pub async fn family_ids_of(&self, owner: &str) -> Result<Vec<String>, Error> {
        let items = self
            .client
            .query()
            .table_name(&self.tables.families)
            .index_name("by_owner")
            .key_condition_expression("#o = :o")
            .expression_attribute_names("#o", "owner")
            .expression_attribute_values(":o", s(owner))
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| db_error("Query families by client", e))?;
        Ok(items
            .into_iter()
            .filter_map(|i| i.get("family_id").and_then(|v| v.as_s().ok()).cloned())
            .collect())
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

    // ----- helpers -----

    async fn set_disabled<T: serde::de::DeserializeOwned>(
        &self,
        table: &str,
        key: &str,
        value: &str,
    ) -> Result<Option<T>, Error> {
        let result = self
            .client
            .update_item()
            .table_name(table)
            .key(key, s(value))
            .update_expression("SET disabled = :t")
            .condition_expression(format!("attribute_exists({key})"))
            .expression_attribute_values(":t", AttributeValue::Bool(true))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        updated_or_missing(result, "UpdateItem disable")
    }

    async fn scan_all<T: serde::de::DeserializeOwned>(&self, table: &str) -> Result<Vec<T>, Error> {
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

    /// Condition checks that a code's or token's holder is still in good standing, each with
    /// what its failure means.
    fn holder_checks(
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

    fn device_active_check(&self, client_id: &str) -> Result<TransactWriteItem, Error> {
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

    fn api_key_usable_check(&self, key_hash: &str, now: i64) -> Result<TransactWriteItem, Error> {
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

    async fn get<T: DeserializeOwned>(
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

    async fn put_new<T: Serialize>(&self, table: &str, value: &T, key: &str) -> Result<(), Error> {
        self.client
            .put_item()
            .table_name(table)
            .set_item(Some(to_item(value)?))
            .condition_expression(format!("attribute_not_exists({key})"))
            .send()
            .await
            .map_err(|e| db_error("PutItem", e))?;
        Ok(())
    }

    /// Consistent BatchGetItem of single keys; retries unprocessed keys a few times.
    async fn batch_get(
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
    async fn transact(
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
}

/// The new item of a conditional `attribute_exists` update, or `None` when there was no item.
fn updated_or_missing<T: serde::de::DeserializeOwned>(
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

/// The first of the checks starting at `offset` that failed, as what it means.
fn first_failed<T: Copy>(
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
fn reason_item<T: DeserializeOwned>(
    reasons: &[CancellationReason],
    index: usize,
) -> Result<Option<T>, Error> {
    reasons
        .get(index)
        .and_then(|r| r.item())
        .map(|i| from_item(i.clone()))
        .transpose()
}

fn failed(reasons: &[CancellationReason], index: usize) -> bool {
    reasons.get(index).and_then(|r| r.code()) == Some("ConditionalCheckFailed")
}

/// Whether one item of a cancelled transaction passed its condition: only an explicit `None`
/// says so (a missing or other reason is not a pass).
fn passed(reasons: &[CancellationReason], index: usize) -> bool {
    reasons.get(index).and_then(|r| r.code()) == Some("None")
}

fn describe(reasons: &[CancellationReason]) -> String {
    reasons
        .iter()
        .map(|r| r.code().unwrap_or("?"))
        .collect::<Vec<_>>()
        .join(",")
}

fn take<T: DeserializeOwned>(
    found: &mut HashMap<String, Vec<Item>>,
    table: &str,
) -> Result<Option<T>, Error> {
    found
        .remove(table)
        .and_then(|mut items| items.pop())
        .map(from_item)
        .transpose()
}

fn put<T: Serialize>(
    table: &str,
    value: &T,
) -> Result<aws_sdk_dynamodb::types::builders::PutBuilder, Error> {
    Ok(Put::builder()
        .table_name(table)
        .set_item(Some(to_item(value)?)))
}

fn tx_put(
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

fn s(value: &str) -> AttributeValue {
    AttributeValue::S(value.to_owned())
}

fn n(value: i64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

fn db_error<E, R>(operation: &str, error: SdkError<E, R>) -> Error
where
    E: std::error::Error + 'static,
    R: std::fmt::Debug,
{
    Error::internal(format!("{operation}: {}", DisplayErrorContext(&error)))
}

fn build_error(error: aws_sdk_dynamodb::error::BuildError) -> Error {
    Error::internal(format!("request build: {error}"))
}
