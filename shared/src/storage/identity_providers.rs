//! Upstream identity providers, the links from an upstream account to a user, and sign-ins on
//! their way to a provider. Providers (`idp_...`) and links (`link#...`) share
//! `IdentityProvidersTable`; pending sign-ins live in `SessionsTable` with a TTL.

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::delete_item::DeleteItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};

use crate::error::Error;
use crate::model::{AuditEvent, FederationLink, IdentityProvider, PendingFederation, User};

use super::Store;
use super::dynamo::{db_error, failed, from_item, n, put, s, to_item, tx_put};

/// What creating a user on a first federated sign-in came to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FirstSignIn {
    Created,
    /// A user has that username (a local one, or another upstream account's).
    UsernameTaken,
    /// The upstream account was linked meanwhile (a sign-in racing this one).
    AlreadyLinked,
}

impl Store {
    pub async fn put_identity_provider(
        &self,
        provider: &IdentityProvider,
        audit: &AuditEvent,
    ) -> Result<(), Error> {
        let item = put(&self.tables.identity_providers, provider)?
            .condition_expression("attribute_not_exists(id)");
        match self.transact_audited(vec![tx_put(item)?], &[audit]).await? {
            None => Ok(()),
            Some(_) => Err(Error::internal("PutItem: the provider id is taken")),
        }
    }

    /// Replaces a provider that exists; `false` when it does not (nothing written).
    pub async fn replace_identity_provider(
        &self,
        provider: &IdentityProvider,
        audit: &AuditEvent,
    ) -> Result<bool, Error> {
        let item = put(&self.tables.identity_providers, provider)?
            .condition_expression("attribute_exists(id)");
        Ok(self
            .transact_audited(vec![tx_put(item)?], &[audit])
            .await?
            .is_none())
    }

    /// A provider by id; an id that cannot be one is never looked up.
    pub async fn get_identity_provider(&self, id: &str) -> Result<Option<IdentityProvider>, Error> {
        if !IdentityProvider::is_id(id) {
            return Ok(None);
        }
        self.get(&self.tables.identity_providers, "id", id).await
    }

    /// Every provider (a Scan of the provider items only), by name.
    pub async fn list_identity_providers(&self) -> Result<Vec<IdentityProvider>, Error> {
        let items = self
            .client
            .scan()
            .table_name(&self.tables.identity_providers)
            .filter_expression("begins_with(id, :p)")
            .expression_attribute_values(":p", s(IdentityProvider::ID_PREFIX))
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| db_error("Scan identity providers", e))?;
        let mut providers = items
            .into_iter()
            .map(from_item)
            .collect::<Result<Vec<IdentityProvider>, _>>()?;
        providers.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
        Ok(providers)
    }

    /// Deletes a provider; `false` when there was none. Its links stay, unusable: a provider
    /// is looked up on every sign-in.
    pub async fn delete_identity_provider(
        &self,
        id: &str,
        audit: &AuditEvent,
    ) -> Result<bool, Error> {
        if !IdentityProvider::is_id(id) {
            return Ok(false);
        }
        let delete = aws_sdk_dynamodb::types::Delete::builder()
            .table_name(&self.tables.identity_providers)
            .key("id", s(id))
            .condition_expression("attribute_exists(id)")
            .build()
            .map_err(super::dynamo::build_error)?;
        let item = aws_sdk_dynamodb::types::TransactWriteItem::builder()
            .delete(delete)
            .build();
        Ok(self.transact_audited(vec![item], &[audit]).await?.is_none())
    }

    pub async fn get_federation_link(&self, key: &str) -> Result<Option<FederationLink>, Error> {
        self.get(&self.tables.identity_providers, "id", key).await
    }

    /// Creates a federated user and its link in one transaction: both, or neither.
    pub async fn create_federated_user(
        &self,
        user: &User,
        link: &FederationLink,
        audit: &AuditEvent,
    ) -> Result<FirstSignIn, Error> {
        let items = vec![
            tx_put(
                put(&self.tables.users, user)?
                    .condition_expression("attribute_not_exists(username)"),
            )?,
            tx_put(
                put(&self.tables.identity_providers, link)?
                    .condition_expression("attribute_not_exists(id)"),
            )?,
        ];
        Ok(match self.transact_audited(items, &[audit]).await? {
            None => FirstSignIn::Created,
            Some(reasons) if failed(&reasons, 1) => FirstSignIn::AlreadyLinked,
            Some(_) => FirstSignIn::UsernameTaken,
        })
    }

    /// Links an existing user (without a link yet) to an upstream account: the user's
    /// `federation` and the link item, in one transaction. `false`: the user is missing or
    /// already linked, or the upstream account is linked to someone. `audit` rides along.
    pub async fn link_user(
        &self,
        link: &FederationLink,
        user: &User,
        audit: &AuditEvent,
    ) -> Result<bool, Error> {
        let federation = user
            .federation
            .as_ref()
            .ok_or_else(|| Error::internal("linking a user without its federated identity"))?;
        let federation = to_item(federation)?;
        let update = aws_sdk_dynamodb::types::Update::builder()
            .table_name(&self.tables.users)
            .key("username", s(&user.username))
            .update_expression("SET federation = :f, updated_at = :now")
            .condition_expression("attribute_exists(username) AND attribute_not_exists(federation)")
            .expression_attribute_values(":f", AttributeValue::M(federation))
            .expression_attribute_values(":now", n(link.created_at))
            .build()
            .map_err(super::dynamo::build_error)?;
        let items = vec![
            aws_sdk_dynamodb::types::TransactWriteItem::builder()
                .update(update)
                .build(),
            tx_put(
                put(&self.tables.identity_providers, link)?
                    .condition_expression("attribute_not_exists(id)"),
            )?,
        ];
        Ok(self.transact_audited(items, &[audit]).await?.is_none())
    }

    pub async fn put_pending_federation(&self, pending: &PendingFederation) -> Result<(), Error> {
        self.put_new(&self.tables.sessions, pending, "session_hash")
            .await
    }

    /// Takes a pending sign-in once: deleted on condition that the same browser brings it
    /// back before it expires. `None`: unknown, used, expired, or another browser's.
    pub async fn take_pending_federation(
        &self,
        key: &str,
        browser_hash: &str,
        now: i64,
    ) -> Result<Option<PendingFederation>, Error> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.tables.sessions)
            .key("session_hash", s(key))
            .condition_expression("browser_hash = :b AND expires_at > :now")
            .expression_attribute_values(":b", s(browser_hash))
            .expression_attribute_values(":now", n(now))
            .return_values(ReturnValue::AllOld)
            .send()
            .await;
        match result {
            Ok(output) => output.attributes.map(from_item).transpose(),
            Err(SdkError::ServiceError(e))
                if matches!(e.err(), DeleteItemError::ConditionalCheckFailedException(_)) =>
            {
                Ok(None)
            }
            Err(other) => Err(db_error("DeleteItem pending federation", other)),
        }
    }
}
