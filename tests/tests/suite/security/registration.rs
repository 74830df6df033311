//! Who may register a device id, and what a registration can change: a registration under
//! another API key, or over a pending or approved one, replaces nothing and attaches no key until
//! an administrator approves it; device ids and OAuth client ids never take each other's place;
//! a registration whose code the TTL deleted can still be denied.

use super::{ed25519_key, keyed_register_body, sign};
use aws_sdk_dynamodb::types::AttributeValue;
use devicegate::http;
use devicegate::model::{ApiKeySettings, CodeStatus, DeviceStatus};
use devicegate_tests::*;

/// A registration of `client_id` proposing the Ed25519 key of `seed`, which must be refused
/// with `refusal` (status, error) and change nothing stored.
async fn refused_keyed_registration(
    env: &TestEnv,
    client_id: &str,
    api_key: &str,
    seed: u8,
    refusal: (u16, &str),
) -> Reply {
    let before = env.snapshot().await;
    let (_, public) = ed25519_key(seed);
    let body = keyed_register_body(client_id, api_key, &public);
    let reply = env.register(&body, None).await;
    assert_eq!((reply.status, reply.error()), refusal, "{}", reply.json);
    assert_eq!(env.snapshot().await, before, "nothing changed");
    reply
}

/// An administrator approves the device; its waiting `code` then redeems, unsigned.
async fn approve_and_redeem(
    env: &TestEnv,
    admin: &str,
    client_id: &str,
    api_key: &str,
    code: &str,
) {
    env.device_action(admin, client_id, "approve").await;
    let tokens = env.poll_due(client_id, api_key, code).await;
    assert_eq!(tokens.status, 200, "{}", tokens.json);
}

#[tokio::test]
async fn a_registration_under_another_api_key_is_refused_and_changes_nothing() {
    let env = TestEnv::new().await;
    let owner_key = env.api_key(ApiKeySettings::default()).await;
    let attacker_key = env.auto_trust_key().await;
    let admin = env.admin_key().await;

    // The real printer registers and waits for approval.
    let code = env
        .register_code(&register_body("printer-1", &owner_key))
        .await;

    // Someone holding another API key (auto-trusted, even) registers the same client_id.
    let refusal = (401, "invalid_client");
    refused_keyed_registration(&env, "printer-1", &attacker_key, 9, refusal).await;

    // The administrator approves the real printer's registration, and it gets its token.
    approve_and_redeem(&env, &admin, "printer-1", &owner_key, &code).await;

    // And once approved, it still cannot be taken over through another key.
    let again = env
        .register(&register_body("printer-1", &attacker_key), None)
        .await;
    assert_eq!(again.status, 401);
    let device = env.device("printer-1").await.unwrap();
    assert_eq!(device.status, DeviceStatus::Approved);
    assert!(device.key.is_none());
}

#[tokio::test]
async fn a_pending_registration_is_never_replaced() {
    let (env, api_key, admin) = TestEnv::with_keys().await;
    let code = env
        .register_code(&register_body("printer-2", &api_key))
        .await;

    // A second registration (same key: keys ship inside apps) while the first waits.
    let refusal = (400, "invalid_request");
    let second = refused_keyed_registration(&env, "printer-2", &api_key, 3, refusal).await;
    let description = second.json["error_description"].as_str().unwrap();
    assert!(description.contains("already waiting"), "{}", second.json);

    // The administrator's approval still applies to the first code, which redeems unsigned.
    approve_and_redeem(&env, &admin, "printer-2", &api_key, &code).await;
}

#[tokio::test]
async fn re_registering_an_approved_device_waits_for_an_administrator_and_attaches_no_key() {
    let env = TestEnv::new().await;
    // Auto-trust: a first registration is approved at once, but a re-registration is not.
    let api_key = env.auto_trust_key().await;
    let admin = env.admin_key().await;
    let first = env.register_code(&register_body("kiosk-1", &api_key)).await;
    let tokens = env.poll("kiosk-1", &api_key, &first).await;
    assert_eq!(tokens.status, 200, "{}", tokens.json);
    let refresh = tokens.str("refresh_token");

    // Someone with the same API key re-registers kiosk-1 unsigned, proposing their own key.
    let (attacker, attacker_public) = ed25519_key(66);
    let rereg = env
        .register(
            &keyed_register_body("kiosk-1", &api_key, &attacker_public),
            None,
        )
        .await;
    assert_eq!(rereg.status, 200, "{}", rereg.json);
    let attacker_code = rereg.str("device_code");

    // The device is still approved, holds no key, and the real kiosk refreshes unsigned.
    let device = env.device("kiosk-1").await.unwrap();
    assert_eq!(device.status, DeviceStatus::Approved);
    assert!(device.key.is_none(), "no key attached without a decision");
    let rotated = env.refresh("kiosk-1", &api_key, &refresh).await;
    assert_eq!(rotated.status, 200, "{}", rotated.json);

    // The attacker's code waits for an administrator, signed or not.
    env.force_poll_due(&attacker_code).await;
    let body = poll_body("kiosk-1", &api_key, &attacker_code);
    let poll = env.token(&body, Some(&sign(&attacker, &body))).await;
    assert_eq!(poll.error(), "authorization_pending", "{}", poll.json);

    // The administrator sees the pending re-registration with its API key and key fingerprint.
    let pending = env
        .admin("GET", "/admin/devices?status=pending", Some(&admin), None)
        .await;
    let listed = &pending.json["devices"][0];
    assert_eq!(listed["client_id"], "kiosk-1", "{}", pending.json);
    assert_eq!(listed["status"], "approved");
    assert_eq!(listed["api_key_name"], "test");
    assert!(listed["api_key_id"].is_string());
    let fingerprint = listed["pending_registration"]["key_fingerprint"]
        .as_str()
        .unwrap();
    assert!(fingerprint.starts_with("SHA256:"), "{fingerprint}");
    assert_eq!(listed["pending_registration"]["key_type"], "ed25519");

    // Denying it leaves the real device approved and refreshing.
    let denied = env.device_action(&admin, "kiosk-1", "deny").await;
    assert_eq!(denied.status, 200, "{}", denied.json);
    assert_eq!(denied.json["status"], "approved");
    env.force_poll_due(&attacker_code).await;
    let poll = env.token(&body, Some(&sign(&attacker, &body))).await;
    assert_eq!(poll.error(), "access_denied");
    let again = env
        .refresh("kiosk-1", &api_key, &rotated.str("refresh_token"))
        .await;
    assert_eq!(again.status, 200, "{}", again.json);
}

#[tokio::test]
async fn an_approved_re_registration_attaches_its_key() {
    let (env, api_key, admin) = TestEnv::with_keys().await;
    let first = env.register_code(&register_body("desk-1", &api_key)).await;
    env.device_action(&admin, "desk-1", "approve").await;
    let (key, public) = ed25519_key(5);
    let second = env
        .register_code(&keyed_register_body("desk-1", &api_key, &public))
        .await;
    assert_ne!(first, second);
    let approved = env.device_action(&admin, "desk-1", "approve").await;
    assert_eq!(approved.status, 200, "{}", approved.json);
    assert_eq!(approved.json["key_type"], "ed25519");
    assert!(
        approved.json["key_fingerprint"]
            .as_str()
            .unwrap()
            .starts_with("SHA256:")
    );
    assert_eq!(
        env.device_code(&first).await.unwrap().status,
        CodeStatus::Approved,
        "the first code keeps its approval"
    );
    env.force_poll_due(&second).await;
    let body = poll_body("desk-1", &api_key, &second);
    let unsigned = env.token(&body, None).await;
    assert_eq!(unsigned.status, 401, "the new key must sign");
    let signed = env.token(&body, Some(&sign(&key, &body))).await;
    assert_eq!(signed.status, 200, "{}", signed.json);
}

#[tokio::test]
async fn a_device_cannot_register_under_an_oauth_clients_id() {
    let f = devicegate_tests::oauth::fixture().await;
    let api_key = f.env.api_key(ApiKeySettings::default()).await;
    let before = f.env.snapshot().await;
    let taken = f
        .env
        .register(&register_body(&f.cli_id, &api_key), None)
        .await;
    assert_eq!(
        (taken.status, taken.error()),
        (400, "invalid_request"),
        "{}",
        taken.json
    );
    assert_eq!(f.env.snapshot().await, before, "nothing stored");
}

#[tokio::test]
async fn an_oauth_client_cannot_take_a_devices_id() {
    let f = devicegate_tests::oauth::fixture().await;
    let api_key = f.env.api_key(ApiKeySettings::default()).await;
    assert_eq!(
        f.env
            .register(&register_body("printer-9", &api_key), None)
            .await
            .status,
        200
    );
    let mut client = f.env.store().get_client(&f.cli_id).await.unwrap().unwrap();
    client.client_id = "printer-9".into();
    let refused = f
        .env
        .store()
        .put_client(
            &client,
            &devicegate_tests::setup_record(devicegate::model::AuditType::ClientRegistered, "test"),
        )
        .await;
    assert!(
        matches!(refused, Err(devicegate::Error::Conflict(_))),
        "{refused:?}"
    );
    assert!(
        f.env
            .store()
            .get_client("printer-9")
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn revoking_a_device_leaves_an_oauth_client_of_the_same_id_alone() {
    let f = devicegate_tests::oauth::fixture().await;
    let admin = f.env.admin_key().await;
    let started = f
        .env
        .oauth2(
            "/oauth2/device_authorization",
            &format!("client_id={}", f.cli_id),
            None,
        )
        .await;
    let device_code = started.str("device_code");
    assert!(f.env.approve_on_page(&device_code, "ada", None).await);
    let tokens = f
        .env
        .oauth2(
            "/oauth2/token",
            &format!(
                "grant_type=urn:ietf:params:oauth:grant-type:device_code&client_id={}&device_code={}",
                f.cli_id, device_code
            ),
            None,
        )
        .await;
    assert_eq!(tokens.status, 200, "{}", tokens.json);

    // A device item with the client's id, as the old registration allowed.
    let device = devicegate::model::Device {
        client_id: f.cli_id.clone(),
        client_type: devicegate::model::ClientType::Printer,
        client_description: None,
        status: DeviceStatus::Approved,
        key: None,
        api_key_id: "k".into(),
        api_key_name: "k".into(),
        pending: None,
        queue: None,
        created_at: 0,
        updated_at: 0,
        version: 1,
    };
    f.env
        .store()
        .client()
        .put_item()
        .table_name(&f.env.store().tables().devices)
        .set_item(Some(serde_dynamo::to_item(&device).unwrap()))
        .send()
        .await
        .unwrap();
    let revoked = f.env.device_action(&admin, &f.cli_id, "revoke").await;
    assert_eq!(revoked.status, 200, "{}", revoked.json);

    // The OAuth client's tokens were not the device's to revoke.
    let refreshed = f
        .env
        .oauth2(
            "/oauth2/token",
            &format!(
                "grant_type=refresh_token&client_id={}&refresh_token={}",
                f.cli_id,
                tokens.str("refresh_token")
            ),
            None,
        )
        .await;
    assert_eq!(refreshed.status, 200, "{}", refreshed.json);
}

#[tokio::test]
async fn a_registration_whose_code_ttl_deleted_can_still_be_denied() {
    let (env, api_key, admin) = TestEnv::with_keys().await;
    let code = env.register_code(&register_body("stale-1", &api_key)).await;
    // Time passes: the registration expires and TTL deletes its code.
    let store = env.store();
    let past = number(http::now() - 1);
    let pending_expiry = "SET pending.expires_at = :v";
    env.edit_item(
        &store.tables().devices,
        ("client_id", "stale-1"),
        pending_expiry,
        past,
    )
    .await;
    store
        .client()
        .delete_item()
        .table_name(&store.tables().device_codes)
        .key(
            "code_hash",
            AttributeValue::S(devicegate::secrets::hash_secret(&code)),
        )
        .send()
        .await
        .unwrap();
    let denied = env.device_action(&admin, "stale-1", "deny").await;
    assert_eq!(denied.status, 200, "{}", denied.json);
    let waiting = env
        .admin("GET", "/admin/devices?status=pending", Some(&admin), None)
        .await;
    assert_eq!(
        waiting.json["devices"],
        serde_json::json!([]),
        "the queue is clear"
    );
    assert!(
        env.device_code(&code).await.is_none(),
        "no partial code was made"
    );
}
