//! VMware mobile registration: templates, and the registration an approval writes (the code
//! and its activation together) and its one-time activation (the client created with it).

use aws_sdk_dynamodb::types::{TransactWriteItem, Update};

use crate::error::Error;
use crate::model::vmware::{Activation, RegistrationTemplate};
use crate::model::{AuthorizationCode, OAuthClient};

use super::Store;
use super::dynamo::{build_error, describe, failed, n, put, tx_put};

impl Store {
    /// A new template and the record of it, in one transaction; 409 when the id is taken.
    pub async fn put_template(
        &self,
        template: &RegistrationTemplate,
        audit: &crate::model::AuditEvent,
    ) -> Result<(), Error> {
        let template_put = put(&self.tables.templates, template)?
            .condition_expression("attribute_not_exists(template_id)");
        match self
            .transact_audited(vec![tx_put(template_put)?], &[audit])
            .await?
        {
            None => Ok(()),
            Some(_) => Err(Error::Conflict(format!(
                "a template {} already exists",
                template.template_id
            ))),
        }
    }

    pub async fn get_template(&self, id: &str) -> Result<Option<RegistrationTemplate>, Error> {
        self.get(&self.tables.templates, "template_id", id).await
    }

    pub async fn list_templates(&self) -> Result<Vec<RegistrationTemplate>, Error> {
        let mut all: Vec<RegistrationTemplate> = self.scan_all(&self.tables.templates).await?;
        all.sort_by(|a, b| a.template_id.cmp(&b.template_id));
        Ok(all)
    }

    pub async fn disable_template(
        &self,
        id: &str,
        audit: &crate::model::AuditEvent,
    ) -> Result<RegistrationTemplate, Error> {
        self.set_disabled(&self.tables.templates, "template_id", id, audit)
            .await?
            .ok_or_else(|| Error::NotFound(format!("no template {id}")))
    }

    /// An approved mobile registration: its authorization code, its activation and its audit
    /// record, written together (one transaction).
    pub async fn put_mobile_registration(
        &self,
        code: &AuthorizationCode,
        activation: &Activation,
        audit: &crate::model::AuditEvent,
    ) -> Result<(), Error> {
        let items = vec![
            tx_put(
                put(&self.tables.authorization_codes, code)?
                    .condition_expression("attribute_not_exists(code_hash)"),
            )?,
            tx_put(
                put(&self.tables.authorization_codes, activation)?
                    .condition_expression("attribute_not_exists(code_hash)"),
            )?,
        ];
        match self.transact_audited(items, &[audit]).await? {
            None => Ok(()),
            Some(reasons) => Err(Error::internal(format!(
                "mobile registration cancelled: {}",
                describe(&reasons)
            ))),
        }
    }

    pub async fn get_activation(&self, key: &str) -> Result<Option<Activation>, Error> {
        self.get(&self.tables.authorization_codes, "code_hash", key)
            .await
    }

    /// Activates once: the activation is marked used (only while unused and unexpired) and the
    /// instance's client is created (only if no client or device has its id), together.
    /// `Ok(false)`: already used or expired, nothing written.
    pub async fn activate(
        &self,
        activation: &Activation,
        client: &OAuthClient,
        now: i64,
        audit: &crate::model::AuditEvent,
    ) -> Result<bool, Error> {
        let mark = Update::builder()
            .table_name(&self.tables.authorization_codes)
            .key("code_hash", super::dynamo::s(&activation.code_hash))
            .update_expression("SET activated_at = :now")
            .condition_expression(
                "attribute_exists(code_hash) AND attribute_not_exists(activated_at) \
                 AND expires_at > :now",
            )
            .expression_attribute_values(":now", n(now))
            .build()
            .map_err(build_error)?;
        let items = vec![
            TransactWriteItem::builder().update(mark).build(),
            tx_put(
                put(&self.tables.clients, client)?
                    .condition_expression("attribute_not_exists(client_id)"),
            )?,
            self.absent_check(&self.tables.devices, "client_id", &client.client_id)?,
        ];
        match self.transact_audited(items, &[audit]).await? {
            None => Ok(true),
            Some(reasons) if failed(&reasons, 0) => Ok(false),
            Some(reasons) => Err(Error::internal(format!(
                "activation cancelled: {}",
                describe(&reasons)
            ))),
        }
    }
}
