//! Users who sign in on devicegate's pages.

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::types::ReturnValue;

use crate::error::Error;
use crate::model::{AuditEvent, User};

use super::Store;
use super::dynamo::{n, put, s, tx_put, updated_or_missing};

impl Store {
    /// Creates a user with the record of it; 409 when the username is taken.
    pub async fn put_user(&self, user: &User, audit: &AuditEvent) -> Result<(), Error> {
        let user_put =
            put(&self.tables.users, user)?.condition_expression("attribute_not_exists(username)");
        match self
            .transact_audited(vec![tx_put(user_put)?], &[audit])
            .await?
        {
            None => Ok(()),
            Some(_) => Err(Error::Conflict(format!(
                "a user named {} already exists",
                user.username
            ))),
        }
    }

    pub async fn get_user(&self, username: &str) -> Result<Option<User>, Error> {
        self.get(&self.tables.users, "username", username).await
    }

    pub async fn list_users(&self) -> Result<Vec<User>, Error> {
        let mut users: Vec<User> = self.scan_all(&self.tables.users).await?;
        users.sort_by(|a, b| a.username.cmp(&b.username));
        Ok(users)
    }

    /// Disables a user; their page sessions end with the credentials version it bumps.
    pub async fn disable_user(&self, username: &str, audit: &AuditEvent) -> Result<User, Error> {
        let update = aws_sdk_dynamodb::types::Update::builder()
            .table_name(&self.tables.users)
            .key("username", s(username))
            .update_expression("SET disabled = :t ADD credentials_version :one")
            .condition_expression("attribute_exists(username)")
            .expression_attribute_values(":t", AttributeValue::Bool(true))
            .expression_attribute_values(":one", n(1));
        self.update_audited(update, (&self.tables.users, "username", username), audit)
            .await?
            .ok_or_else(|| Error::NotFound(format!("no user named {username}")))
    }

    /// The user's OpenID Connect subject, giving `candidate` to a user who has none yet (one
    /// write; of two at once, the first wins and both read it). `None`: no such user.
    pub async fn ensure_subject(
        &self,
        username: &str,
        candidate: &str,
    ) -> Result<Option<User>, Error> {
        let result = self
            .client
            .update_item()
            .table_name(&self.tables.users)
            .key("username", s(username))
            .update_expression("SET subject = if_not_exists(subject, :s)")
            .condition_expression("attribute_exists(username)")
            .expression_attribute_values(":s", s(candidate))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        updated_or_missing(result, "UpdateItem user subject")
    }

    pub async fn set_password_hash(
        &self,
        username: &str,
        password_hash: &str,
        now: i64,
    ) -> Result<User, Error> {
        let result = self
            .client
            .update_item()
            .table_name(&self.tables.users)
            .key("username", s(username))
            .update_expression(
                "SET password_hash = :h, updated_at = :now ADD credentials_version :one",
            )
            .condition_expression("attribute_exists(username)")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":h", s(password_hash))
            .expression_attribute_values(":now", n(now))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        updated_or_missing(result, "UpdateItem user password")?
            .ok_or_else(|| Error::NotFound(format!("no user named {username}")))
    }
}
