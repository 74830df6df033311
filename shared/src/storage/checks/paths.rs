//! Conditions name attributes by text; the models name them by field. A condition on a path the
//! model never writes is silently true (`attribute_not_exists`) or false, which is how an API
//! key's expiry once went unchecked. These tests serialise each model as it is stored and check
//! that every path a condition reads is there.

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
        family_id: None,
        redeemed_by: None,
        started_from: None,
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
        email_verified: false,
        subject: Some("01J0000000000000000000000".into()),
        federation: None,
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
    let guard = Guard {
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
        auth_time: None,
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
        via: None,
        provider_id: None,
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
