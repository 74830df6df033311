//! OAuth clients.

use aws_sdk_dynamodb::types::AttributeValue;

use crate::error::Error;
use crate::model::{AuditEvent, OAuthClient};

use super::dynamo::{describe, failed, put, s, tx_put};
use super::{Store, WindowCounter};

/// How writing a self-registered client went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegistrationWrite {
    Saved,
    /// The source's registration counter was full; nothing was written.
    OverLimit,
    /// The initial access token is unknown, disabled, expired or used up.
    TokenRefused,
}

impl Store {
    /// Writes a new client; 409 when its id is taken, by a client or by a device (the two share
    /// no ids, so that nothing done to a device can touch a client's tokens, or the reverse).
    pub async fn put_client(&self, client: &OAuthClient, audit: &AuditEvent) -> Result<(), Error> {
        let items = vec![
            tx_put(
                put(&self.tables.clients, client)?
                    .condition_expression("attribute_not_exists(client_id)"),
            )?,
            self.absent_check(&self.tables.devices, "client_id", &client.client_id)?,
        ];
        match self.transact_audited(items, &[audit]).await? {
            None => Ok(()),
            Some(_) => Err(Error::Conflict(format!(
                "the id {} is taken by another client or a device",
                client.client_id
            ))),
        }
    }

    pub async fn get_client(&self, client_id: &str) -> Result<Option<OAuthClient>, Error> {
        self.get(&self.tables.clients, "client_id", client_id).await
    }

    pub async fn list_clients(&self) -> Result<Vec<OAuthClient>, Error> {
        let mut clients: Vec<OAuthClient> = self.scan_all(&self.tables.clients).await?;
        clients.sort_by(|a, b| a.client_id.cmp(&b.client_id));
        Ok(clients)
    }

    pub async fn disable_client(
        &self,
        client_id: &str,
        audit: &AuditEvent,
    ) -> Result<OAuthClient, Error> {
        self.set_disabled(&self.tables.clients, "client_id", client_id, audit)
            .await?
            .ok_or_else(|| Error::NotFound(format!("no client with id {client_id}")))
    }

    /// Writes a self-registered client, counts the registration against its source and, when
    /// one is presented (by its hash), takes a use from an initial access token, in one
    /// transaction: all or nothing.
    pub async fn put_registered_client(
        &self,
        client: &OAuthClient,
        counter: &WindowCounter,
        initial_access_token: Option<&str>,
        audit: &AuditEvent,
    ) -> Result<RegistrationWrite, Error> {
        let mut items = vec![
            self.take_window_item(counter)?,
            tx_put(
                put(&self.tables.clients, client)?
                    .condition_expression("attribute_not_exists(client_id)"),
            )?,
            self.absent_check(&self.tables.devices, "client_id", &client.client_id)?,
        ];
        if let Some(hash) = initial_access_token {
            items.push(self.initial_access_token_use(hash, client.created_at)?);
        }
        match self.transact_audited(items, &[audit]).await? {
            None => Ok(RegistrationWrite::Saved),
            Some(reasons) if failed(&reasons, 0) => Ok(RegistrationWrite::OverLimit),
            Some(reasons) if failed(&reasons, 3) => Ok(RegistrationWrite::TokenRefused),
            Some(reasons) => Err(Error::internal(format!(
                "a new client id collided: {}",
                describe(&reasons)
            ))),
        }
    }

    /// Replaces a self-registered client's metadata, only while it is enabled and still managed
    /// by the same registration access token (a concurrent delete wins), with its audit record.
    pub async fn replace_registered_client(
        &self,
        client: &OAuthClient,
        access_token_hash: &str,
        audit: &AuditEvent,
    ) -> Result<(), Error> {
        let replace = tx_put(
            put(&self.tables.clients, client)?
                .condition_expression("disabled = :f AND #r.#h = :h")
                .expression_attribute_names("#r", "registration")
                .expression_attribute_names("#h", "access_token_hash")
                .expression_attribute_values(":f", AttributeValue::Bool(false))
                .expression_attribute_values(":h", s(access_token_hash)),
        )?;
        match self.transact_audited(vec![replace], &[audit]).await? {
            None => Ok(()),
            Some(reasons) if failed(&reasons, 0) => Err(Error::InvalidToken(
                "the registration access token is not valid".into(),
            )),
            Some(reasons) => Err(Error::internal(format!(
                "replacing a client cancelled: {}",
                describe(&reasons)
            ))),
        }
    }

    pub async fn delete_client(&self, client_id: &str) -> Result<(), Error> {
        self.delete(&self.tables.clients, "client_id", client_id)
            .await
    }

    /// Retires a client: disabled first, so that from then on nothing it holds works even if a
    /// later step fails, then every token family revoked. Idempotent (a retry finishes it).
    /// `audit` records the retirement with the first step.
    pub async fn retire_client(
        &self,
        client_id: &str,
        now: i64,
        audit: &AuditEvent,
    ) -> Result<OAuthClient, Error> {
        let client = self.disable_client(client_id, audit).await?;
        self.revoke_families_of(&crate::model::client_owner_key(client_id), now)
            .await?;
        Ok(client)
    }
}
