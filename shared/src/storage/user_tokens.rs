//! User tokens (Paragon login): what a login reads, the transaction that issues a user's first
//! pair, password-less sign-in identifiers, and the one read the authorizer makes.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem};

use crate::error::Error;
use crate::model::{
    ApiKey, AuditEvent, FamilyStatus, Guard, Holder, LoginIdKind, TokenFamily, TokenRecord, User,
    api_key_guard_id, user_guard_id,
};

use super::dynamo::{db_error, describe, first_failed, from_item, n, s, strings, take};
use super::{AttemptCounter, Inactive, Store};

/// What a login reads in its one batch: the API key, the device token presented (if any) and
/// the user named by username (if the credentials name one).
#[derive(Debug, Default)]
pub struct LoginRead {
    pub api_key: Option<ApiKey>,
    pub device_token: Option<TokenRecord>,
    pub user: Option<User>,
}

/// What the authorizer reads in its one batch.
#[derive(Debug, Default)]
pub struct AuthorizerRead {
    pub token: Option<TokenRecord>,
    pub family: Option<TokenFamily>,
    pub device_family: Option<TokenFamily>,
    pub guard: Option<Guard>,
    /// The guard of the token's user.
    pub user_guard: Option<Guard>,
    /// The API key sent in `X-Api-Key`, if one was.
    pub api_key: Option<ApiKey>,
}

/// The keys of the authorizer's read (each absent one is not asked for).
#[derive(Clone, Copy, Debug, Default)]
pub struct AuthorizerKeys<'a> {
    pub token_hash: Option<&'a str>,
    pub family_id: Option<&'a str>,
    pub device_family_id: Option<&'a str>,
    pub api_key_id: Option<&'a str>,
    pub username: Option<&'a str>,
    pub presented_api_key_hash: Option<&'a str>,
}

impl Store {
    /// One consistent BatchGetItem.
    pub async fn read_for_login(
        &self,
        api_key_hash: &str,
        device_token_hash: Option<&str>,
        username: Option<&str>,
    ) -> Result<LoginRead, Error> {
        let mut keys = vec![(&self.tables.api_keys, "key_hash", api_key_hash)];
        if let Some(hash) = device_token_hash {
            keys.push((&self.tables.tokens, "token_hash", hash));
        }
        if let Some(username) = username {
            keys.push((&self.tables.users, "username", username));
        }
        let mut found = self.batch_get(&keys).await?;
        Ok(LoginRead {
            api_key: take(&mut found, &self.tables.api_keys)?,
            device_token: take(&mut found, &self.tables.tokens)?,
            user: take(&mut found, &self.tables.users)?,
        })
    }

    /// The usernames holding a password-less identifier (one Query of its index; more than one
    /// means the identifier is ambiguous and names nobody).
    pub async fn users_by_login_id(
        &self,
        kind: LoginIdKind,
        lookup_key: &str,
    ) -> Result<Vec<String>, Error> {
        let items = self
            .query_index(
                &self.tables.users,
                kind.index(),
                kind.attribute(),
                lookup_key,
            )
            .await?;
        Ok(strings(&items, "username"))
    }

    /// Sets (`Some`) or removes (`None`) a user's identifiers, with the change's record, in
    /// one transaction; then reads the user back. 404 for an unknown user.
    pub async fn set_login_ids(
        &self,
        username: &str,
        changes: &[(LoginIdKind, Option<String>)],
        now: i64,
        audit: &AuditEvent,
    ) -> Result<User, Error> {
        let mut set = vec!["updated_at = :now".to_owned()];
        let mut remove = Vec::new();
        let mut request = aws_sdk_dynamodb::types::Update::builder()
            .table_name(&self.tables.users)
            .key("username", s(username))
            .condition_expression("attribute_exists(username)")
            .expression_attribute_values(":now", n(now));
        for (i, (kind, value)) in changes.iter().enumerate() {
            match value {
                Some(value) => {
                    set.push(format!("{} = :v{i}", kind.attribute()));
                    request = request.expression_attribute_values(format!(":v{i}"), s(value));
                }
                None => remove.push(kind.attribute()),
            }
        }
        let mut expression = format!("SET {}", set.join(", "));
        if !remove.is_empty() {
            expression.push_str(&format!(" REMOVE {}", remove.join(", ")));
        }
        let update = request
            .update_expression(expression)
            .build()
            .map_err(super::dynamo::build_error)?;
        let items = vec![TransactWriteItem::builder().update(update).build()];
        let missing = || Error::NotFound(format!("no user named {username}"));
        if self.transact_audited(items, &[audit]).await?.is_some() {
            return Err(missing());
        }
        self.get_user(username).await?.ok_or_else(missing)
    }

    /// Issues a user's first pair in one transaction: the family and both tokens are written
    /// only while the user is enabled, the API key usable and the device (if any) approved with
    /// its token family active; the attempts the login took are given back. `Ok(Some(which))`:
    /// that holder check failed and nothing was written.
    pub async fn issue_user_tokens(
        &self,
        family: &TokenFamily,
        tokens: [&TokenRecord; 2],
        holder: Holder<'_>,
        attempts: &[AttemptCounter],
        now: i64,
        audit: &crate::model::AuditEvent,
    ) -> Result<Option<Inactive>, Error> {
        let (mut items, inactive) = self.first_issue(holder, &[], family, tokens, now)?;
        items.extend(self.return_attempt_items(attempts, now)?);
        let Some(reasons) = self.transact_audited(items, &[audit]).await? else {
            return Ok(None);
        };
        match first_failed(&reasons, 0, &inactive) {
            Some(which) => Ok(Some(which)),
            None => Err(Error::internal(format!(
                "user token issue cancelled: {}",
                describe(&reasons)
            ))),
        }
    }

    /// A device's token family still active, inside a transaction (a user token's device).
    /// Records an API key's standing for the authorizer ([`Guard`]): `revoked` when the
    /// key is disabled (it is never enabled again), otherwise its current expiry, keeping a
    /// revoked guard revoked. Idempotent.
    pub async fn record_api_key_guard(
        &self,
        api_key_id: &str,
        revoked: bool,
        expires_at: Option<i64>,
    ) -> Result<(), Error> {
        let status = if revoked {
            ":revoked"
        } else {
            "if_not_exists(#s, :active)"
        };
        let mut request = self
            .client
            .update_item()
            .table_name(&self.tables.families)
            .key("family_id", s(&api_key_guard_id(api_key_id)))
            .expression_attribute_names("#s", "status");
        request = if revoked {
            request.expression_attribute_values(":revoked", s(FamilyStatus::Revoked.as_str()))
        } else {
            request.expression_attribute_values(":active", s(FamilyStatus::Active.as_str()))
        };
        let expression = match expires_at {
            Some(at) => {
                request = request.expression_attribute_values(":exp", n(at));
                format!("SET #s = {status}, expires_at = :exp")
            }
            None => format!("SET #s = {status} REMOVE expires_at"),
        };
        request
            .update_expression(expression)
            .send()
            .await
            .map_err(|e| db_error("UpdateItem api key guard", e))?;
        Ok(())
    }

    /// Records that a user is disabled, for the authorizer ([`user_guard_id`]). Idempotent: a
    /// user is never enabled again.
    pub async fn record_user_guard(&self, username: &str) -> Result<(), Error> {
        self.client
            .update_item()
            .table_name(&self.tables.families)
            .key("family_id", s(&user_guard_id(username)))
            .update_expression("SET #s = :revoked")
            .expression_attribute_names("#s", "status")
            .expression_attribute_values(":revoked", s(FamilyStatus::Revoked.as_str()))
            .send()
            .await
            .map_err(|e| db_error("UpdateItem user guard", e))?;
        Ok(())
    }

    /// The authorizer's one round trip: a consistent BatchGetItem of the token, its family, its
    /// device's family, its API key's and its user's guards and the API key presented,
    /// whichever are asked for.
    pub async fn read_for_authorizer(
        &self,
        keys: AuthorizerKeys<'_>,
    ) -> Result<AuthorizerRead, Error> {
        let guard_id = keys.api_key_id.map(api_key_guard_id);
        let user_guard = keys.username.map(user_guard_id);
        let mut wanted = Vec::new();
        if let Some(hash) = keys.token_hash {
            wanted.push((&self.tables.tokens, "token_hash", hash));
        }
        let families = [
            keys.family_id,
            keys.device_family_id,
            guard_id.as_deref(),
            user_guard.as_deref(),
        ];
        for id in families.into_iter().flatten() {
            wanted.push((&self.tables.families, "family_id", id));
        }
        if let Some(hash) = keys.presented_api_key_hash {
            wanted.push((&self.tables.api_keys, "key_hash", hash));
        }
        if wanted.is_empty() {
            return Ok(AuthorizerRead::default());
        }
        let mut found = self.batch_get(&wanted).await?;
        let mut families: HashMap<String, _> = found
            .remove(&self.tables.families)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|item| match item.get("family_id") {
                Some(AttributeValue::S(id)) => Some((id.clone(), item)),
                _ => None,
            })
            .collect();
        let mut family = |id: Option<&str>| id.and_then(|id| families.remove(id));
        Ok(AuthorizerRead {
            token: take(&mut found, &self.tables.tokens)?,
            family: family(keys.family_id).map(from_item).transpose()?,
            device_family: family(keys.device_family_id).map(from_item).transpose()?,
            guard: family(guard_id.as_deref()).map(from_item).transpose()?,
            user_guard: family(user_guard.as_deref()).map(from_item).transpose()?,
            api_key: take(&mut found, &self.tables.api_keys)?,
        })
    }
}
