//! Storage for the OAuth side: clients, users, user codes, the verification page's sessions and
//! rate-limit counters, and the reads introspection and revocation need.

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, ReturnValue, ReturnValuesOnConditionCheckFailure,
    TransactWriteItem, Update,
};

use super::{
    Store, build_error, db_error, failed, n, passed, put, reason_item, s, take, to_item, tx_put,
    updated_or_missing,
};
use crate::error::Error;
use crate::model::{
    ApiKey, CodeStatus, Device, DeviceCode, GrantType, Holder, Lifetimes, OAuthClient, Scope,
    Session, TokenFamily, TokenRecord, User, UserCodeRecord,
};

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

/// Who presents a device code at the token endpoint.
#[derive(Clone, Copy, Debug)]
pub enum PollPresenter<'a> {
    Device {
        client_id: &'a str,
        api_key_hash: &'a str,
        signed: bool,
    },
    OAuthClient(ClientProof<'a>),
}

#[derive(Debug)]
pub enum StartOutcome {
    Started,
    /// The client did not authenticate or may not ask this; the client as it was, if it exists.
    ClientRefused(Option<Box<OAuthClient>>),
    /// The user code is live for another request (rare: 1 in 2.5e10 per live code); draw again.
    UserCodeTaken,
}

/// The records a token's standing depends on (absent ones are `None`).
#[derive(Debug, Default)]
pub struct Standing {
    pub family: Option<TokenFamily>,
    pub client: Option<OAuthClient>,
    pub user: Option<User>,
    pub device: Option<Device>,
    pub api_key: Option<ApiKey>,
}

/// A fixed-window counter of failed attempts: its key (kind, subject, window start), its limit,
/// and when its window ends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttemptCounter {
    pub key: String,
    pub max: i64,
    pub window_end: i64,
}

/// A user's decision on the verification page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PageDecision {
    Approve,
    Deny,
}

impl Store {
    // ----- condition checks -----

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

    // ----- clients -----

    /// Writes a new client; 409 when its id is taken, by a client or by a device (the two share
    /// no ids, so that nothing done to a device can touch a client's tokens, or the reverse).
    pub async fn put_client(&self, client: &OAuthClient) -> Result<(), Error> {
        let items = vec![
            tx_put(
                put(&self.tables.clients, client)?
                    .condition_expression("attribute_not_exists(client_id)"),
            )?,
            self.absent_check(&self.tables.devices, "client_id", &client.client_id)?,
        ];
        match self.transact(items).await? {
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

    pub async fn disable_client(&self, client_id: &str) -> Result<OAuthClient, Error> {
        self.set_disabled(&self.tables.clients, "client_id", client_id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("no client with id {client_id}")))
    }

    // ----- users -----

    /// Creates a user; 409 when the username is taken.
    pub async fn put_user(&self, user: &User) -> Result<(), Error> {
        let result = self
            .client
            .put_item()
            .table_name(&self.tables.users)
            .set_item(Some(to_item(user)?))
            .condition_expression("attribute_not_exists(username)")
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(e))
                if matches!(e.err(), PutItemError::ConditionalCheckFailedException(_)) =>
            {
                Err(Error::Conflict(format!(
                    "a user named {} already exists",
                    user.username
                )))
            }
            Err(other) => Err(db_error("PutItem user", other)),
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

    pub async fn disable_user(&self, username: &str) -> Result<User, Error> {
        self.set_disabled(&self.tables.users, "username", username)
            .await?
            .ok_or_else(|| Error::NotFound(format!("no user named {username}")))
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
            .update_expression("SET password_hash = :h, updated_at = :now")
            .condition_expression("attribute_exists(username)")
            .expression_attribute_values(":h", s(password_hash))
            .expression_attribute_values(":now", n(now))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        updated_or_missing(result, "UpdateItem user password")?
            .ok_or_else(|| Error::NotFound(format!("no user named {username}")))
    }

    // ----- device authorization -----

    /// Starts a device authorization in one round trip: the client authenticates and is checked
    /// for the grant and scope, the device code is written, and the user code is claimed unless
    /// a live code holds it (an expired one is taken over).
    pub async fn start_device_authorization(
        &self,
        proof: &ClientProof<'_>,
        code: &DeviceCode,
        user_code: &UserCodeRecord,
        now: i64,
    ) -> Result<StartOutcome, Error> {
        let items = vec![
            self.client_proof_check(proof)?,
            tx_put(
                put(&self.tables.device_codes, code)?
                    .condition_expression("attribute_not_exists(code_hash)"),
            )?,
            tx_put(
                put(&self.tables.user_codes, user_code)?
                    .condition_expression("attribute_not_exists(code_hmac) OR expires_at <= :now")
                    .expression_attribute_values(":now", n(now)),
            )?,
        ];
        let Some(reasons) = self.transact(items).await? else {
            return Ok(StartOutcome::Started);
        };
        if !passed(&reasons, 0) {
            let client = reason_item(&reasons, 0)?;
            return Ok(StartOutcome::ClientRefused(client.map(Box::new)));
        }
        if failed(&reasons, 2) {
            return Ok(StartOutcome::UserCodeTaken);
        }
        Err(Error::internal("device code collided with an existing one"))
    }

    pub async fn get_user_code(&self, code_hmac: &str) -> Result<Option<UserCodeRecord>, Error> {
        self.get(&self.tables.user_codes, "code_hmac", code_hmac)
            .await
    }

    /// A device code and the client it was issued to, in one round trip (the page shows both).
    pub async fn get_code_and_client(
        &self,
        code_hash: &str,
        client_id: &str,
    ) -> Result<(Option<DeviceCode>, Option<OAuthClient>), Error> {
        let mut found = self
            .batch_get(&[
                (&self.tables.device_codes, "code_hash", code_hash),
                (&self.tables.clients, "client_id", client_id),
            ])
            .await?;
        let code = take(&mut found, &self.tables.device_codes)?;
        let client = take(&mut found, &self.tables.clients)?;
        Ok((code, client))
    }

    /// A signed-in user's decision on a pending OAuth device code, in one transaction that also
    /// checks the user is still enabled. `Ok(false)`: the code is no longer pending (decided,
    /// expired) or the user was disabled; nothing changed.
    /// On approval the code also takes the scope the user saw and the client's token lifetimes.
    pub async fn decide_on_page(
        &self,
        code_hash: &str,
        username: &str,
        decision: PageDecision,
        granted: (Option<&str>, Lifetimes),
        now: i64,
    ) -> Result<bool, Error> {
        let (scope, lifetimes) = granted;
        let decided = match decision {
            PageDecision::Approve => CodeStatus::Approved,
            PageDecision::Deny => CodeStatus::Denied,
        };
        let update = Update::builder()
            .table_name(&self.tables.device_codes)
            .key("code_hash", s(code_hash))
            .update_expression(match scope {
                Some(_) => "SET #s = :decided, username = :u, lifetimes = :lt, #sc = :sc",
                None => "SET #s = :decided, username = :u, lifetimes = :lt",
            })
            .condition_expression(
                "#s = :pending AND expires_at > :now AND attribute_not_exists(api_key_hash)",
            )
            .expression_attribute_names("#s", "status")
            .expression_attribute_values(":decided", s(decided.as_str()))
            .expression_attribute_values(":pending", s(CodeStatus::Pending.as_str()))
            .expression_attribute_values(":u", s(username))
            .expression_attribute_values(":now", n(now))
            .expression_attribute_values(
                ":lt",
                serde_dynamo::to_attribute_value(lifetimes)
                    .map_err(|e| Error::internal(format!("encode lifetimes: {e}")))?,
            );
        let update = match scope {
            Some(scope) => update
                .expression_attribute_names("#sc", "scope")
                .expression_attribute_values(":sc", s(scope)),
            None => update,
        }
        .build()
        .map_err(build_error)?;
        let items = vec![
            TransactWriteItem::builder().update(update).build(),
            self.user_enabled_check(username)?,
        ];
        Ok(self.transact(items).await?.is_none())
    }

    // ----- sessions -----

    /// A session that exists and has not expired (TTL deletion is late, so expiry is checked).
    pub async fn get_live_session(
        &self,
        session_hash: &str,
        now: i64,
    ) -> Result<Option<Session>, Error> {
        let session: Option<Session> = self
            .get(&self.tables.sessions, "session_hash", session_hash)
            .await?;
        Ok(session.filter(|s| s.expires_at > now))
    }

    /// Ends every session of a user (after a password reset, or when the user is disabled):
    /// one query on the index `by_username`, then one delete per session.
    pub async fn end_sessions_of(&self, username: &str) -> Result<usize, Error> {
        let items = self
            .client
            .query()
            .table_name(&self.tables.sessions)
            .index_name("by_username")
            .key_condition_expression("username = :u")
            .expression_attribute_values(":u", s(username))
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| db_error("Query sessions by username", e))?;
        let hashes: Vec<String> = items
            .iter()
            .filter_map(|i| i.get("session_hash").and_then(|v| v.as_s().ok()).cloned())
            .collect();
        for hash in &hashes {
            self.delete_session(hash).await?;
        }
        Ok(hashes.len())
    }

    pub async fn delete_session(&self, session_hash: &str) -> Result<(), Error> {
        self.client
            .delete_item()
            .table_name(&self.tables.sessions)
            .key("session_hash", s(session_hash))
            .send()
            .await
            .map_err(|e| db_error("DeleteItem session", e))?;
        Ok(())
    }

    // ----- rate limits -----

    /// Takes one attempt from each fixed-window counter, atomically and before the attempt is
    /// judged, so that concurrent attempts cannot all slip under a limit: each count goes up by
    /// one only while it is below its limit, all in one transaction. `Ok(Some(i))`: counter `i`
    /// was full and nothing changed. A counter's TTL is the end of its window.
    pub async fn take_attempts(&self, counters: &[AttemptCounter]) -> Result<Option<usize>, Error> {
        let mut items = Vec::with_capacity(counters.len());
        for counter in counters {
            let update = Update::builder()
                .table_name(&self.tables.rate_limits)
                .key("counter_key", s(&counter.key))
                .update_expression("ADD #c :one SET #t = if_not_exists(#t, :end)")
                .condition_expression("attribute_not_exists(#c) OR #c < :max")
                .expression_attribute_names("#c", "count")
                .expression_attribute_names("#t", "ttl")
                .expression_attribute_values(":one", n(1))
                .expression_attribute_values(":end", n(counter.window_end))
                .expression_attribute_values(":max", n(counter.max))
                .build()
                .map_err(build_error)?;
            items.push(TransactWriteItem::builder().update(update).build());
        }
        Ok(self.transact(items).await?.map(|reasons| {
            (0..counters.len())
                .find(|i| failed(&reasons, *i))
                .unwrap_or(0)
        }))
    }

    /// Gives attempts back once they succeeded (only failures count), in one transaction.
    pub async fn return_attempts(&self, counters: &[AttemptCounter]) -> Result<(), Error> {
        let items = self.return_attempt_items(counters)?;
        match self.transact(items).await? {
            None => Ok(()),
            Some(reasons) => Err(Error::internal(format!(
                "returning attempts cancelled: {}",
                super::describe(&reasons)
            ))),
        }
    }

    fn return_attempt_items(
        &self,
        counters: &[AttemptCounter],
    ) -> Result<Vec<TransactWriteItem>, Error> {
        counters
            .iter()
            .map(|counter| {
                // No condition: should TTL have removed the counter already, the item this
                // makes belongs to a window that is over and expires at once.
                let update = Update::builder()
                    .table_name(&self.tables.rate_limits)
                    .key("counter_key", s(&counter.key))
                    .update_expression("ADD #c :minus SET #t = if_not_exists(#t, :end)")
                    .expression_attribute_names("#c", "count")
                    .expression_attribute_names("#t", "ttl")
                    .expression_attribute_values(":minus", n(-1))
                    .expression_attribute_values(":end", n(counter.window_end))
                    .build()
                    .map_err(build_error)?;
                Ok(TransactWriteItem::builder().update(update).build())
            })
            .collect()
    }

    /// Starts a session and gives back the sign-in's attempts, in one transaction.
    pub async fn start_session(
        &self,
        session: &Session,
        attempts: &[AttemptCounter],
    ) -> Result<(), Error> {
        let mut items = vec![tx_put(
            put(&self.tables.sessions, session)?
                .condition_expression("attribute_not_exists(session_hash)"),
        )?];
        items.extend(self.return_attempt_items(attempts)?);
        match self.transact(items).await? {
            None => Ok(()),
            Some(reasons) => Err(Error::internal(format!(
                "session write cancelled: {}",
                super::describe(&reasons)
            ))),
        }
    }

    // ----- tokens, for refresh, introspection and revocation -----

    /// A token and an OAuth client in one round trip (an OAuth refresh needs both).
    pub async fn get_token_and_client(
        &self,
        token_hash: &str,
        client_id: &str,
    ) -> Result<(Option<TokenRecord>, Option<OAuthClient>), Error> {
        let mut found = self
            .batch_get(&[
                (&self.tables.tokens, "token_hash", token_hash),
                (&self.tables.clients, "client_id", client_id),
            ])
            .await?;
        let token = take(&mut found, &self.tables.tokens)?;
        let client = take(&mut found, &self.tables.clients)?;
        Ok((token, client))
    }

    /// What a token's standing depends on, in one round trip (introspection): its family and
    /// its holder's records.
    pub async fn get_standing(
        &self,
        family_id: &str,
        holder: Holder<'_>,
    ) -> Result<Standing, Error> {
        let mut keys = vec![(&self.tables.families, "family_id", family_id)];
        match holder {
            Holder::OAuthClient {
                client_id,
                username,
            } => {
                keys.push((&self.tables.clients, "client_id", client_id));
                if let Some(username) = username {
                    keys.push((&self.tables.users, "username", username));
                }
            }
            Holder::Device {
                client_id,
                api_key_hash,
            } => {
                keys.push((&self.tables.devices, "client_id", client_id));
                keys.push((&self.tables.api_keys, "key_hash", api_key_hash));
            }
        }
        let mut found = self.batch_get(&keys).await?;
        Ok(Standing {
            family: take(&mut found, &self.tables.families)?,
            client: take(&mut found, &self.tables.clients)?,
            user: take(&mut found, &self.tables.users)?,
            device: take(&mut found, &self.tables.devices)?,
            api_key: take(&mut found, &self.tables.api_keys)?,
        })
    }
}
