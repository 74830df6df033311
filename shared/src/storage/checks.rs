//! Condition checks that ride inside other writes' transactions: a client authenticating, a
//! token's holder still in good standing, an id not taken. They cost no extra round trip.

use aws_sdk_dynamodb::types::builders::UpdateBuilder;
use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update,
};

use crate::error::Error;
use crate::model::{DeviceStatus, GrantType, Holder, OAuthClient, Scope};

use super::dynamo::{build_error, n, s};
use super::{Inactive, Store};

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
    /// Condition checks that a code's or token's holder is still in good standing, each with
    /// what its failure means.
    pub(super) fn holder_checks(
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
                let mut checks =
                    vec![(self.client_enabled_check(client_id, now)?, Inactive::Client)];
                if let Some(username) = username {
                    checks.push((self.user_enabled_check(username)?, Inactive::User));
                }
                checks
            }
            Holder::User {
                username,
                api_key_hash,
                device,
            } => {
                let mut checks = vec![
                    (self.user_enabled_check(username)?, Inactive::User),
                    (
                        self.api_key_usable_check(api_key_hash, now)?,
                        Inactive::ApiKey,
                    ),
                ];
                if let Some(device) = device {
                    checks.push((
                        self.device_active_check(&device.client_id)?,
                        Inactive::Device,
                    ));
                    checks.push((
                        self.family_active_check(&device.family_id)?,
                        Inactive::Device,
                    ));
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

    pub(super) fn device_active_check(&self, client_id: &str) -> Result<TransactWriteItem, Error> {
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

    pub(super) fn api_key_usable_check(
        &self,
        key_hash: &str,
        now: i64,
    ) -> Result<TransactWriteItem, Error> {
        let check = ConditionCheck::builder()
            .table_name(&self.tables.api_keys)
            .key("key_hash", s(key_hash))
            // The expiry is an API key setting: `ApiKey.settings.expires_at`.
            .condition_expression(
                "disabled = :f AND (attribute_not_exists(#st.#ex) OR #st.#ex > :now)",
            )
            .expression_attribute_names("#st", API_KEY_EXPIRES_AT.0)
            .expression_attribute_names("#ex", API_KEY_EXPIRES_AT.1)
            .expression_attribute_values(":f", AttributeValue::Bool(false))
            .expression_attribute_values(":now", n(now))
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
    fn client_use(
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

    /// That a token's client is still enabled and, if self-registered, not idle-expired; for a
    /// self-registered client the redemption or refresh also counts as a use.
    pub(super) fn client_enabled_check(
        &self,
        client_id: &str,
        now: i64,
    ) -> Result<TransactWriteItem, Error> {
        let condition = "disabled = :f AND (attribute_not_exists(expires_at) OR expires_at > :now)";
        if is_self_registered(client_id) {
            let enabled = vec![(":f".to_owned(), AttributeValue::Bool(false))];
            let update = self
                .client_use(client_id, condition, enabled, now)
                .build()
                .map_err(build_error)?;
            return Ok(TransactWriteItem::builder().update(update).build());
        }
        let check = ConditionCheck::builder()
            .table_name(&self.tables.clients)
            .key("client_id", s(client_id))
            .condition_expression(condition)
            .expression_attribute_values(":f", AttributeValue::Bool(false))
            .expression_attribute_values(":now", n(now))
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
}

/// Whether a holder check must still ride in the transaction: not when the request has just
/// read and judged that record (`judged`), except a self-registered client's, whose check also
/// records the use.
pub(super) fn still_checked(judged: &[Inactive], which: Inactive, client_id: &str) -> bool {
    !judged.contains(&which) || (which == Inactive::Client && is_self_registered(client_id))
}

/// Self-registered clients have ids the server chose with this prefix; an administrator's
/// client ids never have it.
fn is_self_registered(client_id: &str) -> bool {
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

/// Conditions name attributes by text; the models name them by field. A condition on a path the
/// model never writes is silently true (`attribute_not_exists`) or false, which is how an API
/// key's expiry once went unchecked. These tests serialise each model as it is stored and check
/// that every path a condition reads is there.
#[cfg(test)]
mod paths {
    use crate::model::*;
    use crate::storage::dynamo::to_item;
    use aws_sdk_dynamodb::types::AttributeValue;
    use std::collections::HashMap;

    fn has(item: &HashMap<String, AttributeValue>, path: &str) -> bool {
        let mut parts = path.split('.');
        let Some(first) = parts.next() else {
            return false;
        };
        let mut value = item.get(first);
        for part in parts {
            value = value.and_then(|v| v.as_m().ok()).and_then(|m| m.get(part));
        }
        value.is_some()
    }

    fn assert_paths<T: serde::Serialize>(value: &T, paths: &[&str]) {
        let item = to_item(value).unwrap_or_default();
        for path in paths {
            assert!(has(&item, path), "{path} is not in {item:?}");
        }
    }

    #[test]
    fn initial_access_token_conditions_read_stored_paths() {
        let token = InitialAccessToken {
            token_hash: "h".into(),
            id: "i".into(),
            name: "n".into(),
            max_uses: Some(1),
            uses: 0,
            expires_at: 1,
            disabled: false,
            created_at: 0,
            ttl: 1,
        };
        assert_paths(
            &token,
            &[
                "token_hash",
                "id",
                "disabled",
                "expires_at",
                "uses",
                "max_uses",
            ],
        );
    }

    #[test]
    fn api_key_conditions_read_stored_paths() {
        let key = ApiKey {
            key_hash: "h".into(),
            id: "i".into(),
            name: "n".into(),
            settings: ApiKeySettings {
                expires_at: Some(1),
                ..Default::default()
            },
            disabled: false,
            created_at: 0,
        };
        let expiry = format!(
            "{}.{}",
            super::API_KEY_EXPIRES_AT.0,
            super::API_KEY_EXPIRES_AT.1
        );
        assert_paths(&key, &["key_hash", "id", "disabled", &expiry]);
    }

    #[test]
    fn device_and_code_conditions_read_stored_paths() {
        let mut device = Device {
            client_id: "c".into(),
            client_type: ClientType::Printer,
            client_description: None,
            status: DeviceStatus::Pending,
            key: None,
            api_key_id: "k".into(),
            api_key_name: "n".into(),
            pending: None,
            queue: None,
            created_at: 0,
            updated_at: 0,
            version: 1,
        };
        device.queue_registration(PendingRegistration {
            code_hash: "h".into(),
            client_type: ClientType::Printer,
            client_description: None,
            key: None,
            created_at: 0,
            expires_at: 1,
        });
        assert_paths(
            &device,
            &["client_id", "status", "version", "queue", "updated_at"],
        );
        let code = DeviceCode {
            code_hash: "h".into(),
            client_id: "c".into(),
            owner: Owner::Device {
                api_key_id: "k".into(),
                api_key_hash: "kh".into(),
            },
            scope: None,
            user_code_hmac: Some("u".into()),
            status: CodeStatus::Pending,
            created_at: 0,
            expires_at: 1,
            interval: 5,
            next_poll_at: 0,
            last_poll_id: None,
            key: Some(StoredKey {
                key_type: KeyType::Ed25519,
                public_key: "k".into(),
            }),
            client_secret_hash: None,
            lifetimes: Lifetimes::default(),
            allowed_sources: Vec::new(),
            family_id: None,
            redeemed_by: None,
            ttl: 1,
        };
        assert_paths(
            &code,
            &[
                "code_hash",
                "status",
                "expires_at",
                "next_poll_at",
                "interval",
                "client_id",
                "owner.api_key_hash",
                "owner.kind",
                "key",
                "ttl",
            ],
        );
        let oauth_code = DeviceCode {
            owner: Owner::Client {
                username: Some("ada".into()),
            },
            client_secret_hash: Some("sh".into()),
            last_poll_id: Some("p".into()),
            ..code
        };
        assert_paths(
            &oauth_code,
            &[
                "owner.kind",
                "owner.username",
                "client_secret_hash",
                "last_poll_id",
            ],
        );
        let item = to_item(&oauth_code).unwrap_or_default();
        assert_eq!(
            item.get("owner")
                .and_then(|o| o.as_m().ok())
                .and_then(|m| m.get("kind"))
                .and_then(|k| k.as_s().ok())
                .map(String::as_str),
            Some(Owner::CLIENT_KIND)
        );
    }

    #[test]
    fn client_user_token_and_family_conditions_read_stored_paths() {
        let client = OAuthClient {
            scopes: Scope::parse("read").unwrap_or_default(),
            secret_expires_at: Some(1),
            expires_at: Some(1),
            registration: Some(Registration {
                access_token_hash: Some("h".into()),
                ..Registration::default()
            }),
            ..OAuthClient::new(
                "c",
                "n",
                OAuthClientType::Confidential,
                Some("s".into()),
                vec![GrantType::DeviceCode],
                0,
            )
        };
        assert_paths(
            &client,
            &[
                "client_id",
                "disabled",
                "grant_types",
                "secret_hash",
                "scopes",
                "secret_expires_at",
                "expires_at",
                "registration.access_token_hash",
            ],
        );
        let user = User {
            username: "u".into(),
            password_hash: "p".into(),
            display_name: None,
            email: None,
            disabled: false,
            created_at: 0,
            updated_at: 0,
            credentials_version: 0,
            card_id_hmac: Some("c".into()),
            short_id_hmac: Some("s".into()),
            email_key: Some("e".into()),
        };
        assert_paths(&user, &["username", "disabled", "credentials_version"]);
        // The password-less identifiers are the keys of the users table's indexes.
        for kind in [
            LoginIdKind::CardId,
            LoginIdKind::ShortId,
            LoginIdKind::Email,
        ] {
            assert_paths(&user, &[kind.attribute()]);
        }
        // The authorizer reads an API key's guard beside the families.
        let guard = ApiKeyGuard {
            family_id: api_key_guard_id("k"),
            status: FamilyStatus::Revoked,
            expires_at: Some(1),
        };
        assert_paths(&guard, &["family_id", "status", "expires_at"]);
        let family = TokenFamily {
            family_id: "f".into(),
            client_id: "c".into(),
            owner: "device#c".into(),
            status: FamilyStatus::Active,
            created_at: 0,
            ttl: 1,
        };
        assert_paths(&family, &["family_id", "status", "owner", "ttl"]);
        let token = TokenRecord {
            token_hash: "t".into(),
            kind: TokenKind::Refresh,
            family_id: "f".into(),
            client_id: "c".into(),
            owner: Owner::Client { username: None },
            scope: None,
            issued_at: 0,
            expires_at: 1,
            lifetimes: Lifetimes::default(),
            rotated_at: Some(1),
            rotated_by: None,
            ttl: 1,
        };
        assert_paths(&token, &["token_hash", "rotated_at"]);
        let session = Session {
            session_hash: "s".into(),
            username: "u".into(),
            credentials_version: 0,
            created_at: 0,
            expires_at: 1,
            ttl: 1,
        };
        assert_paths(&session, &["session_hash", "username"]);
        let record = UserCodeRecord {
            code_hmac: "h".into(),
            device_code_hash: "d".into(),
            client_id: "c".into(),
            expires_at: 1,
            ttl: 1,
        };
        assert_paths(&record, &["code_hmac", "expires_at"]);
    }
}
