//! Reading and writing the tables directly: users, devices and codes, raw item edits, and a
//! snapshot of every item.

use aws_sdk_dynamodb::types::AttributeValue;
use devicegate::Tables;
use devicegate::model::{AuditType, Device, DeviceCode, User};
use serde_json::Value;

use crate::{TestEnv, setup_record};

impl TestEnv {
    /// Writes an enabled user straight to the store with a ready password hash (hashing a
    /// password costs tens of milliseconds; some tests never sign in).
    pub async fn put_user(&self, username: &str, password_hash: &str, now: i64) {
        self.store()
            .put_user(
                &User {
                    username: username.to_owned(),
                    password_hash: password_hash.to_owned(),
                    display_name: None,
                    email: None,
                    email_verified: false,
                    // As a user written before OpenID Connect: given a subject at its first ID token.
                    subject: None,
                    federation: None,
                    disabled: false,
                    created_at: now,
                    updated_at: now,
                    credentials_version: 0,
                    card_id_hmac: None,
                    short_id_hmac: None,
                    email_key: None,
                },
                &setup_record(AuditType::UserCreated, username),
            )
            .await
            .unwrap();
    }

    pub async fn device(&self, client_id: &str) -> Option<Device> {
        self.store().get_device(client_id).await.unwrap()
    }

    /// The device code a user code stands for (both must exist).
    pub async fn device_code_by_user_code(&self, user_code: &str) -> DeviceCode {
        let code = devicegate::usercode::UserCode::parse(user_code).unwrap();
        let secret = self.deps.settings.server_secret().unwrap();
        let record = self
            .store()
            .get_user_code(&code.hmac(secret))
            .await
            .unwrap();
        let hash = record.unwrap().device_code_hash;
        self.store().get_device_code(&hash).await.unwrap().unwrap()
    }

    pub async fn device_code(&self, code: &str) -> Option<DeviceCode> {
        self.store()
            .get_device_code(&devicegate::secrets::hash_secret(code))
            .await
            .unwrap()
    }

    /// Makes a code's next poll due without sleeping through its interval.
    pub async fn force_poll_due(&self, code: &str) {
        let hash = devicegate::secrets::hash_secret(code);
        let table = &self.store().tables().device_codes;
        self.edit_item(
            table,
            ("code_hash", &hash),
            "SET next_poll_at = :v",
            number(0),
        )
        .await;
        self.calls.take();
    }

    /// Changes a stored item behind the service's back, as time or another writer would:
    /// `update` (`SET …` or `ADD …`) with `:v` bound to `value`, on the item whose string key
    /// `key.0` is `key.1`.
    pub async fn edit_item(
        &self,
        table: &str,
        key: (&str, &str),
        update: &str,
        value: AttributeValue,
    ) {
        self.store()
            .client()
            .update_item()
            .table_name(table)
            .key(key.0, AttributeValue::S(key.1.to_owned()))
            .update_expression(update)
            .expression_attribute_values(":v", value)
            .send()
            .await
            .unwrap();
    }

    /// Every item in every table: for checking that a refused request stored nothing.
    pub async fn snapshot(&self) -> Vec<String> {
        let t = self.store().tables();
        let mut all = Vec::new();
        for table in Tables::ENV.iter().filter_map(|(var, _)| t.by_env(var)) {
            let out = self
                .store()
                .client()
                .scan()
                .table_name(table)
                .send()
                .await
                .unwrap();
            for item in out.items() {
                let json: Value = serde_dynamo::from_item(item.clone()).unwrap();
                all.push(format!("{table}: {}", canonical(&json)));
            }
        }
        all.sort();
        self.calls.take();
        all
    }
}

/// A DynamoDB number.
pub fn number(n: i64) -> AttributeValue {
    AttributeValue::N(n.to_string())
}

/// JSON text with object keys sorted, whatever map type serde_json was built with.
fn canonical(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            let mut fields: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{k:?}:{}", canonical(v)))
                .collect();
            fields.sort();
            format!("{{{}}}", fields.join(","))
        }
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(canonical).collect::<Vec<_>>().join(",")
        ),
        other => other.to_string(),
    }
}
