//! Regression tests for the holes a security review found (issue 8). Each test failed before its
//! fix; each asserts what an attacker could do and now cannot, and that nothing was changed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use aws_sdk_dynamodb::types::AttributeValue;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use devicegate::http;
use devicegate::model::{ApiKeySettings, CodeStatus, DeviceStatus};
use devicegate_tests::*;
use ed25519_dalek::Signer as _;

/// An Ed25519 key a device (or an attacker) holds, with its raw public key in base64.
fn ed25519_key(seed: u8) -> (ed25519_dalek::SigningKey, String) {
    let key = ed25519_dalek::SigningKey::from_bytes(&[seed; 32]);
    let public = B64.encode(key.verifying_key().to_bytes());
    (key, public)
}

fn sign(key: &ed25519_dalek::SigningKey, body: &str) -> String {
    B64.encode(key.sign(body.as_bytes()).to_bytes())
}

/// A printer's registration body proposing an Ed25519 public key.
fn keyed_register_body(client_id: &str, api_key: &str, public: &str) -> String {
    let body = register_body(client_id, api_key);
    format!("{body}&key_type=ed25519&public_key={}", enc(public))
}

// ----- 1. registration takeover -----

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

// ----- 2. API key expiry -----

/// Moves an API key's expiry into the past, as time would.
async fn expire_api_key(env: &TestEnv, api_key: &str) {
    let hash = devicegate::secrets::hash_secret(api_key);
    let past = number(http::now() - 1);
    let table = &env.store().tables().api_keys;
    env.edit_item(
        table,
        ("key_hash", &hash),
        "SET settings.expires_at = :v",
        past,
    )
    .await;
}

#[tokio::test]
async fn an_expired_api_key_stops_registration_redemption_refresh_and_introspection() {
    let env = TestEnv::new().await;
    let api_key = env
        .api_key(ApiKeySettings {
            expires_at: Some(http::now() + 3600),
            ..Default::default()
        })
        .await;
    let admin = env.admin_key().await;
    let redeemed = env.register_code(&register_body("exp-1", &api_key)).await;
    env.device_action(&admin, "exp-1", "approve").await;
    let tokens = env.poll_due("exp-1", &api_key, &redeemed).await;
    assert_eq!(tokens.status, 200);
    let waiting = env.register_code(&register_body("exp-2", &api_key)).await;
    env.device_action(&admin, "exp-2", "approve").await;

    expire_api_key(&env, &api_key).await;
    let before = env.snapshot().await;

    let register = env.register(&register_body("exp-3", &api_key), None).await;
    assert_eq!((register.status, register.error()), (401, "invalid_client"));
    env.force_poll_due(&waiting).await;
    let before = {
        let mut b = before;
        b.retain(|i| !i.contains("device-codes:"));
        b
    };
    let redeem = env.poll("exp-2", &api_key, &waiting).await;
    assert_eq!((redeem.status, redeem.error()), (401, "invalid_client"));
    let refresh = env
        .refresh("exp-1", &api_key, &tokens.str("refresh_token"))
        .await;
    assert_eq!((refresh.status, refresh.error()), (401, "invalid_client"));
    let mut after = env.snapshot().await;
    after.retain(|i| !i.contains("device-codes:"));
    assert_eq!(after, before, "no token was issued or rotated");
    assert_eq!(
        env.device_code(&waiting).await.unwrap().status,
        CodeStatus::Approved,
        "the approved code was not spent"
    );

    let introspected = env.introspect(&tokens.str("access_token")).await;
    assert_eq!(introspected.json["active"], false, "{}", introspected.json);
}

// ----- 3. failure limits under concurrency -----

/// Sends `n` copies of a request at once and counts the statuses.
async fn statuses_of<F, Fut>(n: usize, send: F) -> std::collections::BTreeMap<u16, usize>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = u16> + Send + 'static,
{
    let tasks: Vec<_> = (0..n).map(|_| tokio::spawn(send())).collect();
    let mut counts = std::collections::BTreeMap::new();
    for task in tasks {
        *counts.entry(task.await.unwrap()).or_insert(0) += 1;
    }
    counts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_wrong_codes_cannot_exceed_the_limit() {
    let f = devicegate_tests::oauth::fixture().await;
    let base = server::serve(f.env.deps.clone()).await;
    let person = std::sync::Arc::new(devicegate_tests::oauth::Person::new(&base));
    assert_eq!(person.sign_in("correct horse battery").await.0, 200);
    let (_, page) = person.get("/device").await;
    let csrf = devicegate_tests::oauth::csrf_of(&page);

    let counts = statuses_of(60, || {
        let person = person.clone();
        let csrf = csrf.clone();
        async move {
            person
                .post(&[
                    ("action", "find"),
                    ("csrf", &csrf),
                    ("user_code", "BBBB-BBBB"),
                ])
                .await
                .0
        }
    })
    .await;
    // 10 wrong codes a day per user: at most 10 were looked up, every other attempt waited.
    assert_eq!(counts.get(&400), Some(&10), "{counts:?}");
    assert_eq!(counts.get(&429), Some(&50), "{counts:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_failed_sign_ins_cannot_exceed_the_limit_nor_lock_the_user_out() {
    let f = devicegate_tests::oauth::fixture().await;
    let base = server::serve(f.env.deps.clone()).await;
    let counts = statuses_of(40, || {
        let base = base.clone();
        async move {
            devicegate_tests::oauth::Person::new(&base)
                .sign_in("wrong password")
                .await
                .0
        }
    })
    .await;
    // 10 failed sign-ins per user and address in 15 minutes: the rest were refused unchecked.
    assert_eq!(counts.get(&401), Some(&10), "{counts:?}");
    assert_eq!(counts.get(&429), Some(&30), "{counts:?}");
    let locked = devicegate_tests::oauth::Person::new(&base)
        .sign_in("correct horse battery")
        .await;
    assert_eq!(
        locked.0, 429,
        "even the right password waits, from this address"
    );

    // The guesser's address is limited, not the user: ada signs in from elsewhere.
    let elsewhere = devicegate::usecases::sign_in::sign_in(
        f.env.store(),
        "ada",
        "correct horse battery",
        "198.51.100.7",
        http::now(),
    )
    .await;
    assert!(elsewhere.is_ok(), "{:?}", elsewhere.err());
}

// ----- 4. device and OAuth client ids -----

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
    let refused = f.env.store().put_client(&client).await;
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

// ----- 5. client authentication inside transactions -----

#[tokio::test]
async fn a_client_check_that_did_not_pass_is_never_taken_for_authentication() {
    let f = devicegate_tests::oauth::fixture().await;
    let env = &f.env;
    let grants = vec![devicegate::model::GrantType::DeviceCode];
    let (id, secret) = env
        .confidential_client("Confidential CLI", grants, false)
        .await;
    let device_code = env
        .oauth2("/oauth2/device_authorization", "", Some((&id, &secret)))
        .await
        .str("device_code");
    assert!(env.approve_on_page(&device_code, "ada", None).await);
    let poll = format!(
        "grant_type=urn:ietf:params:oauth:grant-type:device_code&device_code={device_code}"
    );
    let before = env.snapshot().await;

    // A wrong secret never reaches a transaction: the poll's write to the code is refused
    // (the code is approved, and not issued under that secret) and the client is read to say so.
    env.calls.take();
    let forged = env
        .oauth2("/oauth2/token", &poll, Some((&id, "dgs_wrong")))
        .await;
    assert_eq!((forged.status, forged.error()), (401, "invalid_client"));
    assert_eq!(env.calls.take(), ["UpdateItem", "GetItem"]);
    assert_eq!(
        env.snapshot().await,
        before,
        "nothing issued, the code unspent"
    );

    // The redemption reads the client as it is now and authenticates it before any write;
    // nothing is inferred from a cancelled transaction. Disabled: refused after that read.
    let clients = env.store().tables().clients.clone();
    let set_disabled = |on: bool| {
        let clients = clients.clone();
        let id = id.clone();
        async move {
            env.edit_item(
                &clients,
                ("client_id", &id),
                "SET disabled = :v",
                aws_sdk_dynamodb::types::AttributeValue::Bool(on),
            )
            .await
        }
    };
    set_disabled(true).await;
    let disabled = env.snapshot().await;
    env.calls.take();
    let refused = env
        .oauth2("/oauth2/token", &poll, Some((&id, &secret)))
        .await;
    assert_eq!((refused.status, refused.error()), (401, "invalid_client"));
    assert_eq!(env.calls.take(), ["UpdateItem", "BatchGetItem"]);
    assert_eq!(
        env.snapshot().await,
        disabled,
        "nothing issued, the code unspent"
    );
    set_disabled(false).await;

    let real = env
        .oauth2("/oauth2/token", &poll, Some((&id, &secret)))
        .await;
    assert_eq!(real.status, 200, "{}", real.json);
}

// ----- 6. timestamps -----

#[tokio::test]
async fn absurd_timestamps_are_refused_and_no_listing_can_panic() {
    let env = TestEnv::new().await;
    let admin = env.admin_key().await;
    for expires_at in [
        serde_json::json!(999_999_999_999i64),
        serde_json::json!(i64::MAX),
        serde_json::json!("10000-01-01T00:00:00Z"),
    ] {
        let refused = env
            .admin_post(
                &admin,
                "/admin/api-keys",
                Some(serde_json::json!({"name": "far", "expires_at": expires_at})),
            )
            .await;
        assert_eq!(
            (refused.status, refused.error()),
            (400, "invalid_request"),
            "{expires_at}"
        );
    }
    // Items written before the bound existed, or by hand, still list.
    let mut key = devicegate::usecases::admin::create_api_key(
        env.store(),
        "old",
        ApiKeySettings::default(),
        http::now(),
    )
    .await
    .unwrap()
    .key;
    key.key_hash = "0".repeat(64);
    key.id = "far-future".into();
    key.settings.expires_at = Some(999_999_999_999);
    key.created_at = i64::MAX;
    env.store().put_api_key(&key).await.unwrap();
    let listed = env
        .admin("GET", "/admin/api-keys", Some(&admin), None)
        .await;
    assert_eq!(listed.status, 200, "{}", listed.json);
}

// ----- 7. introspection -----

/// Runs the device flow for a client (approved by ada through storage) and returns its tokens.
async fn device_flow_tokens(env: &TestEnv, client: (&str, Option<&str>)) -> Reply {
    let (id, secret) = client;
    let basic = secret.map(|s| (id, s));
    let body = if basic.is_some() {
        String::new()
    } else {
        format!("client_id={id}")
    };
    let device_code = env
        .oauth2("/oauth2/device_authorization", &body, basic)
        .await
        .str("device_code");
    assert!(env.approve_on_page(&device_code, "ada", None).await);
    let poll = format!(
        "grant_type=urn:ietf:params:oauth:grant-type:device_code&device_code={device_code}{}",
        if basic.is_some() {
            String::new()
        } else {
            format!("&client_id={id}")
        }
    );
    let tokens = env.oauth2("/oauth2/token", &poll, basic).await;
    assert_eq!(tokens.status, 200, "{}", tokens.json);
    tokens
}

/// An introspection request by `client` (id, secret), with a token type hint if any.
async fn introspect_as(
    env: &TestEnv,
    client: (&str, &str),
    token: &str,
    hint: Option<&str>,
) -> Reply {
    let mut body = format!("token={}", enc(token));
    if let Some(hint) = hint {
        body.push_str(&format!("&token_type_hint={hint}"));
    }
    env.oauth2("/oauth2/introspect", &body, Some(client)).await
}

#[tokio::test]
async fn introspection_needs_permission_and_refresh_tokens_stay_with_their_client() {
    use devicegate::model::GrantType;
    let f = devicegate_tests::oauth::fixture().await;
    let env = &f.env;
    let tokens = device_flow_tokens(env, (&f.cli_id, None)).await;
    let (access, refresh) = (tokens.str("access_token"), tokens.str("refresh_token"));

    // A confidential client is not a resource server by being confidential.
    let (nosy, nosy_secret) = env
        .confidential_client("confidential", vec![GrantType::RefreshToken], false)
        .await;
    let refused = introspect_as(env, (&nosy, &nosy_secret), &access, None).await;
    assert_eq!(
        (refused.status, refused.error()),
        (401, "invalid_client"),
        "{}",
        refused.json
    );

    // The resource server sees access tokens, never another client's refresh token.
    let server = (f.server_id.as_str(), f.server_secret.as_str());
    let seen = introspect_as(env, server, &access, None).await;
    assert_eq!(seen.json["active"], true, "{}", seen.json);
    for hint in [None, Some("refresh_token"), Some("access_token")] {
        let hidden = introspect_as(env, server, &refresh, hint).await;
        assert_eq!(
            hidden.json,
            serde_json::json!({"active": false}),
            "{hint:?}"
        );
    }

    // A client may look at its own refresh token, when it says that is what it sends.
    let (own, own_secret) = env
        .confidential_client(
            "confidential",
            vec![GrantType::DeviceCode, GrantType::RefreshToken],
            true,
        )
        .await;
    let own_tokens = device_flow_tokens(env, (&own, Some(&own_secret))).await;
    let own_refresh = own_tokens.str("refresh_token");
    let own_client = (own.as_str(), own_secret.as_str());
    let mine = introspect_as(env, own_client, &own_refresh, Some("refresh_token")).await;
    assert_eq!(mine.json["active"], true, "{}", mine.json);
    assert_eq!(mine.json["token_type"], "refresh_token");
    let unhinted = introspect_as(env, own_client, &own_refresh, None).await;
    assert_eq!(unhinted.json["active"], false);
}

// ----- 8. replayed signed requests -----

/// A device registered with the Ed25519 key of `seed`, approved, its code due for a poll:
/// (device key, API key, the poll's body).
async fn approved_keyed_device(
    env: &TestEnv,
    id: &str,
    seed: u8,
) -> (ed25519_dalek::SigningKey, String, String) {
    let api_key = env.api_key(ApiKeySettings::default()).await;
    let admin = env.admin_key().await;
    let (key, public) = ed25519_key(seed);
    let code = env
        .register_code(&keyed_register_body(id, &api_key, &public))
        .await;
    env.device_action(&admin, id, "approve").await;
    env.force_poll_due(&code).await;
    let poll = poll_body(id, &api_key, &code);
    (key, api_key, poll)
}

/// A keyed device, approved, with its first tokens: (device key, API key, refresh token).
async fn keyed_device(env: &TestEnv, id: &str) -> (ed25519_dalek::SigningKey, String, Reply) {
    let (key, api_key, poll) = approved_keyed_device(env, id, 21).await;
    let tokens = env.token(&poll, Some(&sign(&key, &poll))).await;
    assert_eq!(tokens.status, 200, "{}", tokens.json);
    (key, api_key, tokens)
}

async fn family_status(env: &TestEnv, id: &str) -> Vec<devicegate::model::FamilyStatus> {
    let mut out = Vec::new();
    for family in env
        .store()
        .family_ids_of(&format!("device#{id}"))
        .await
        .unwrap()
    {
        out.push(
            env.store()
                .get_family(&family)
                .await
                .unwrap()
                .unwrap()
                .status,
        );
    }
    out
}

#[tokio::test]
async fn a_stale_signed_timestamp_is_refused_and_changes_nothing() {
    let env = TestEnv::new().await;
    let (key, api_key, tokens) = keyed_device(&env, "ts-1").await;
    let before = env.snapshot().await;
    let stale = format!(
        "{}&timestamp={}",
        refresh_body("ts-1", &api_key, &tokens.str("refresh_token")),
        http::now() - 3600
    );
    let refused = env.token(&stale, Some(&sign(&key, &stale))).await;
    assert_eq!(
        (refused.status, refused.error()),
        (400, "invalid_request"),
        "{}",
        refused.json
    );
    assert_eq!(env.snapshot().await, before);
    let future = stale.replace(
        &format!("timestamp={}", http::now() - 3600),
        &format!("timestamp={}", http::now() + 3600),
    );
    assert_eq!(
        env.token(&future, Some(&sign(&key, &future))).await.status,
        400
    );
    let garbled = format!("{}&timestamp=soon", refresh_body("ts-1", &api_key, "x"));
    assert_eq!(
        env.token(&garbled, Some(&sign(&key, &garbled)))
            .await
            .status,
        400
    );

    let fresh = format!(
        "{}&timestamp={}",
        refresh_body("ts-1", &api_key, &tokens.str("refresh_token")),
        http::now()
    );
    let rotated = env.token(&fresh, Some(&sign(&key, &fresh))).await;
    assert_eq!(rotated.status, 200, "{}", rotated.json);
}

#[tokio::test]
async fn replaying_a_captured_signed_refresh_or_poll_revokes_nothing() {
    let env = TestEnv::new().await;
    let (key, api_key, tokens) = keyed_device(&env, "rp-1").await;
    let refresh = refresh_body("rp-1", &api_key, &tokens.str("refresh_token"));
    let signature = sign(&key, &refresh);
    let rotated = env.token(&refresh, Some(&signature)).await;
    assert_eq!(rotated.status, 200);

    // An attacker replays the captured request later: refused, and the device keeps its tokens.
    let replay = env.token(&refresh, Some(&signature)).await;
    assert_eq!((replay.status, replay.error()), (400, "invalid_grant"));
    assert_eq!(
        family_status(&env, "rp-1").await,
        [devicegate::model::FamilyStatus::Active]
    );
    let next = refresh_body("rp-1", &api_key, &rotated.str("refresh_token"));
    assert_eq!(env.token(&next, Some(&sign(&key, &next))).await.status, 200);

    // The device itself presenting a spent token in a new request is reuse: the family goes.
    let reuse = format!("{refresh}&timestamp={}", http::now());
    let reused = env.token(&reuse, Some(&sign(&key, &reuse))).await;
    assert_eq!(reused.error(), "invalid_grant");
    assert_eq!(
        family_status(&env, "rp-1").await,
        [devicegate::model::FamilyStatus::Revoked]
    );
}

#[tokio::test]
async fn replaying_a_captured_signed_redemption_revokes_nothing() {
    let env = TestEnv::new().await;
    let (key, _, poll) = approved_keyed_device(&env, "rp-2", 22).await;
    let signature = sign(&key, &poll);
    assert_eq!(env.token(&poll, Some(&signature)).await.status, 200);
    let replay = env.token(&poll, Some(&signature)).await;
    assert_eq!(replay.error(), "invalid_grant");
    assert_eq!(
        family_status(&env, "rp-2").await,
        [devicegate::model::FamilyStatus::Active]
    );
}

// ----- 9. the server secret -----

fn template() -> serde_json::Value {
    template_json()
}

fn functions(template: &serde_json::Value) -> Vec<(String, serde_json::Value)> {
    template["Resources"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, r)| r["Type"] == "AWS::Serverless::Function")
        .map(|(id, r)| (id.clone(), r.clone()))
        .collect()
}

#[test]
fn no_function_configuration_holds_the_server_secret() {
    let template = template();
    let globals = template["Globals"]["Function"]["Environment"]["Variables"].to_string();
    assert!(!globals.contains("SERVER_SECRET"), "{globals}");
    let mut readers = 0;
    for (id, function) in functions(&template) {
        let env = &function["Properties"]["Environment"]["Variables"];
        let text = env.to_string();
        assert!(env.get("SERVER_SECRET").is_none(), "{id}: {text}");
        assert!(!text.contains("resolve:secretsmanager"), "{id}: {text}");
        if env.get("SERVER_SECRET_ARN").is_some() {
            readers += 1;
            assert_eq!(env["SERVER_SECRET_ARN"]["Ref"], "ServerSecret", "{id}");
            let policies = function["Properties"]["Policies"].to_string();
            assert!(
                policies.contains("secretsmanager:GetSecretValue")
                    && policies.contains(r#""Ref":"ServerSecret""#),
                "{id} may read the secret: {policies}"
            );
        }
    }
    assert!(readers >= 2, "register and device-redirect read the secret");
}

#[tokio::test]
async fn the_server_secret_is_read_from_secrets_manager() {
    use http_body_util::BodyExt as _;
    // A stand-in for Secrets Manager on loopback that records what it is asked.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let asked = std::sync::Arc::new(std::sync::Mutex::new(Vec::<(String, String)>::new()));
    let record = asked.clone();
    tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let service = hyper::service::service_fn(
            move |req: hyper::Request<hyper::body::Incoming>| {
                let record = record.clone();
                async move {
                    let target = req.headers()["x-amz-target"].to_str().unwrap().to_owned();
                    let body = req.into_body().collect().await.unwrap().to_bytes();
                    record
                        .lock()
                        .unwrap()
                        .push((target, String::from_utf8_lossy(&body).into_owned()));
                    let answer = serde_json::json!({
                        "ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:devicegate-x",
                        "Name": "devicegate-x",
                        "SecretString": "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ01",
                        "VersionId": "v1",
                    });
                    Ok::<_, std::convert::Infallible>(
                        hyper::Response::builder()
                            .header("content-type", "application/x-amz-json-1.1")
                            .body(http_body_util::Full::new(hyper::body::Bytes::from(
                                answer.to_string(),
                            )))
                            .unwrap(),
                    )
                }
            },
        );
        let _ = hyper::server::conn::http1::Builder::new()
            .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
            .await;
    });
    let config = aws_sdk_secretsmanager::Config::builder()
        .behavior_version(aws_sdk_secretsmanager::config::BehaviorVersion::latest())
        .endpoint_url(format!("http://{addr}"))
        .region(aws_sdk_secretsmanager::config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_secretsmanager::config::Credentials::new(
            "test", "test", None, None, "tests",
        ))
        .build();
    let client = aws_sdk_secretsmanager::Client::from_conf(config);
    let arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:devicegate-x";
    let secret = devicegate::config::fetch_server_secret(&client, arn)
        .await
        .unwrap();
    assert_eq!(secret.bytes().len(), 64);
    let asked = asked.lock().unwrap().clone();
    assert_eq!(asked.len(), 1);
    assert_eq!(asked[0].0, "secretsmanager.GetSecretValue");
    assert!(asked[0].1.contains(arn), "{}", asked[0].1);
}

// ----- 10. sessions, cookies, redirect URIs, issuer, throttling -----

#[tokio::test]
async fn page_sessions_end_when_the_password_is_reset_or_the_user_disabled() {
    let f = devicegate_tests::oauth::fixture().await;
    let admin = f.env.admin_key().await;
    let base = server::serve(f.env.deps.clone()).await;
    let person = devicegate_tests::oauth::Person::new(&base);
    assert_eq!(person.sign_in("correct horse battery").await.0, 200);
    assert!(person.get("/device").await.1.contains("Enter the code"));

    let reset = f
        .env
        .reset_password(&admin, "ada", "a new long passphrase")
        .await;
    assert_eq!(reset.status, 200);
    let page = person.get("/device").await.1;
    assert!(page.contains("Sign in"), "the session ended: {page}");
    assert!(!page.contains("Enter the code"));

    assert_eq!(person.sign_in("a new long passphrase").await.0, 200);
    assert!(person.get("/device").await.1.contains("Enter the code"));
    f.env
        .admin_post(&admin, "/admin/users/ada/disable", None)
        .await;
    assert!(!person.get("/device").await.1.contains("Enter the code"));
}

/// The verification page's answer to a plain GET, through its handler.
async fn get_page(env: &TestEnv) -> lambda_http::Response<lambda_http::Body> {
    let req = lambda_http::http::Request::builder()
        .method("GET")
        .uri("https://gate.test/device")
        .body(lambda_http::Body::Empty)
        .unwrap();
    dispatch(&env.deps, req).await
}

#[tokio::test]
async fn page_cookies_are_host_prefixed_for_the_whole_site() {
    let mut env = TestEnv::new().await;
    env.deps.settings.secure_cookies = true;
    let response = get_page(&env).await;
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cookie.starts_with("__Host-"), "{cookie}");
    assert!(
        cookie.contains("; Path=/;") || cookie.ends_with("; Path=/"),
        "{cookie}"
    );
    assert!(
        cookie.contains("Secure") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    assert!(!cookie.contains("Domain"), "{cookie}");

    // Plain HTTP on loopback (local runs) cannot carry a __Host- cookie: no prefix there.
    env.deps.settings.secure_cookies = false;
    let local = get_page(&env).await;
    let cookie = local.headers()["set-cookie"].to_str().unwrap();
    assert!(
        !cookie.starts_with("__Host-") && !cookie.contains("Secure"),
        "{cookie}"
    );
}

#[tokio::test]
async fn redirect_uris_are_parsed_not_prefix_matched() {
    let env = TestEnv::new().await;
    let admin = env.admin_key().await;
    let create = |uri: &str| {
        serde_json::json!({
            "client_name": "app", "client_type": "public",
            "grant_types": ["refresh_token"], "redirect_uris": [uri],
        })
    };
    let refused = [
        "http://localhost.evil.com/cb",
        "http://127.0.0.1.nip.io/cb",
        "http://localhost@evil.com/cb",
        "http://example.com/cb",
        "https://*.example.com/cb",
        "https://app.example.com/cb#frag",
        "javascript:alert(1)",
        "data:text/html,hi",
        "myapp:/cb",
        "/relative/cb",
        "https:///cb",
    ];
    let accepted = [
        "https://app.example.com/cb",
        "http://localhost:8080/cb",
        "http://127.0.0.1/oauth/callback",
        "http://[::1]:9/cb",
        "com.example.app:/oauth2redirect",
    ];
    let cases = refused.map(|uri| (uri, 400)).into_iter();
    for (uri, status) in cases.chain(accepted.map(|uri| (uri, 201))) {
        let reply = env
            .admin_post(&admin, "/admin/clients", Some(create(uri)))
            .await;
        assert_eq!(reply.status, status, "{uri}: {}", reply.json);
    }
}

#[test]
fn a_deployed_stack_needs_an_issuer_and_is_throttled() {
    let template = template();
    let issuer = &template["Parameters"]["Issuer"];
    assert!(
        issuer.get("Default").is_none(),
        "Issuer must be given: {issuer}"
    );
    assert!(
        issuer["AllowedPattern"]
            .as_str()
            .unwrap()
            .starts_with("^https://"),
        "{issuer}"
    );
    let api = &template["Resources"]["HttpApi"]["Properties"];
    let limits = &api["DefaultRouteSettings"];
    assert!(
        limits.get("ThrottlingBurstLimit").is_some() && limits.get("ThrottlingRateLimit").is_some(),
        "{api}"
    );
}

#[test]
fn without_an_issuer_only_loopback_hosts_name_the_server() {
    let settings = devicegate::Settings {
        issuer: None,
        ..devicegate::Settings::with_secret(devicegate::config::ServerSecret::from_bytes(vec![
            7;
            32
        ]))
    };
    let request = |host: &str| {
        lambda_http::http::Request::builder()
            .uri("/.well-known/oauth-authorization-server")
            .header("host", host)
            .body(lambda_http::Body::Empty)
            .unwrap()
    };
    assert_eq!(
        devicegate::dialect::oauth2::base_url(&request("127.0.0.1:9000"), &settings).unwrap(),
        "http://127.0.0.1:9000"
    );
    assert_eq!(
        devicegate::dialect::oauth2::base_url(&request("localhost:9000"), &settings).unwrap(),
        "http://localhost:9000"
    );
    assert!(devicegate::dialect::oauth2::base_url(&request("evil.example"), &settings).is_err());
    assert!(
        devicegate::dialect::oauth2::base_url(&request("gate.example.com"), &settings).is_err()
    );
}

// ----- found by review -----

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

#[tokio::test]
async fn an_unknown_grant_type_is_not_echoed_at_length() {
    let env = TestEnv::new().await;
    let long = "x".repeat(4000);
    let reply = env
        .oauth2(
            "/oauth2/token",
            &format!("grant_type={long}&client_id=c"),
            None,
        )
        .await;
    assert_eq!(reply.error(), "unsupported_grant_type");
    assert!(reply.json["error_description"].as_str().unwrap().len() < 200);
}

/// A session the `by_username` index missed (eventually consistent), or one begun by a sign-in
/// racing the reset, still ends: every page view checks the user's credentials version.
#[tokio::test]
async fn a_session_missed_when_a_password_was_reset_still_ends_on_its_next_use() {
    let f = devicegate_tests::oauth::fixture().await;
    let base = server::serve(f.env.deps.clone()).await;
    let person = devicegate_tests::oauth::Person::new(&base);
    assert_eq!(person.sign_in("correct horse battery").await.0, 200);
    assert!(person.get("/device").await.1.contains("Enter the code"));
    // The password is reset, but the session was not found to be deleted.
    let store = f.env.store();
    let bump = "ADD credentials_version :v";
    f.env
        .edit_item(&store.tables().users, ("username", "ada"), bump, number(1))
        .await;
    let page = person.get("/device").await.1;
    assert!(!page.contains("Enter the code"), "{page}");
    assert!(page.contains("Sign in"));
}

// ----- tokens written while their holder lapsed -----

/// A redemption or refresh reads the holder's records, judges them, then writes without
/// checking them again: a holder disabled or revoked in between gets tokens whose family is
/// active. They must be dead wherever they are used, because every use reads the holder again.
/// Here the holder lapses behind the service's back (no family revoked), as in that race.
#[tokio::test]
async fn tokens_written_while_their_holder_lapsed_are_dead_at_every_use() {
    use devicegate::model::GrantType;
    use devicegate::usecases::admin::{self, NewUser};

    // OAuth: the user who approved, or the client, lapses.
    let f = devicegate_tests::oauth::fixture().await;
    let env = &f.env;
    let users = env.store().tables().users.clone();
    let clients = env.store().tables().clients.clone();
    for lapsed in ["user", "client"] {
        let grants = vec![GrantType::DeviceCode, GrantType::RefreshToken];
        let (id, secret) = env.confidential_client("Kiosk", grants, false).await;
        let tokens = device_flow_tokens(env, (&id, Some(&secret))).await;
        let access = tokens.str("access_token");
        assert_eq!(env.introspect(&access).await.json["active"], true);
        let (table, key) = match lapsed {
            "user" => (&users, ("username", "ada")),
            _ => (&clients, ("client_id", id.as_str())),
        };
        let disabled = "SET disabled = :v";
        env.edit_item(table, key, disabled, AttributeValue::Bool(true))
            .await;
        assert_eq!(
            env.introspect(&access).await.json["active"],
            false,
            "{lapsed}"
        );
        let body = format!(
            "grant_type=refresh_token&refresh_token={}",
            enc(&tokens.str("refresh_token"))
        );
        let refreshed = env
            .oauth2("/oauth2/token", &body, Some((&id, &secret)))
            .await;
        assert_ne!(refreshed.status, 200, "{lapsed}: {}", refreshed.json);
        env.edit_item(table, key, disabled, AttributeValue::Bool(false))
            .await;
    }

    // Paragon: the device or its API key lapses; the device token no longer signs anyone in.
    for lapsed in ["device", "api key"] {
        let env = TestEnv::new().await;
        let api_key = env.auto_trust_key().await;
        let ada = NewUser {
            username: "ada".into(),
            password: "correct horse battery".into(),
            display_name: None,
            email: None,
        };
        admin::create_user(env.store(), ada, http::now())
            .await
            .unwrap();
        let code = env.register_code(&register_body("desk-1", &api_key)).await;
        let tokens = env.poll_due("desk-1", &api_key, &code).await;
        assert_eq!(tokens.status, 200, "{}", tokens.json);
        let tables = env.store().tables().clone();
        let update = env.store().client().update_item();
        let update = match lapsed {
            "device" => update
                .table_name(&tables.devices)
                .key("client_id", AttributeValue::S("desk-1".into()))
                .update_expression("SET #s = :v")
                .expression_attribute_names("#s", "status")
                .expression_attribute_values(":v", AttributeValue::S("revoked".into())),
            _ => update
                .table_name(&tables.api_keys)
                .key("key_hash", AttributeValue::S(hash_of(&api_key)))
                .update_expression("SET disabled = :v")
                .expression_attribute_values(":v", AttributeValue::Bool(true)),
        };
        update.send().await.unwrap();
        let access = tokens.str("access_token");
        assert_eq!(
            env.introspect(&access).await.json["active"],
            false,
            "{lapsed}"
        );
        let refreshed = env
            .refresh("desk-1", &api_key, &tokens.str("refresh_token"))
            .await;
        assert_ne!(refreshed.status, 200, "{lapsed}: {}", refreshed.json);
        let mut login = form_request(
            "/api/v1/login",
            "username=ada&password=correct+horse+battery",
            None,
        );
        let headers = login.headers_mut();
        headers.insert("x-api-key", api_key.parse().unwrap());
        let bearer = format!("Bearer {access}").parse().unwrap();
        headers.insert("authorization", bearer);
        let login = Reply::from(dispatch(&env.deps, login).await);
        assert_ne!(login.status, 200, "{lapsed}: {}", login.json);
    }
}

fn hash_of(secret: &str) -> String {
    devicegate::secrets::hash_secret(secret)
}

// ----- a finished flow presented under a secret the client no longer has -----

/// A pending poll is checked against the secret the code was issued under, not the client as it
/// is. Past that, a code tells how the flow ended and, presented again after its redemption,
/// revokes what it issued: both only for the client as it is now. A poll carries the device
/// code and the client secret together, so whoever captured one (a debug log, a proxy) holds
/// both: rotating the secret, or disabling the client, must take that power away.
#[tokio::test]
async fn a_rotated_out_secret_cannot_revoke_or_read_a_finished_flow() {
    use devicegate::model::{FamilyStatus, GrantType, Lifetimes};
    use devicegate::storage::PageDecision;
    let f = devicegate_tests::oauth::fixture().await;
    let env = &f.env;
    let clients = env.store().tables().clients.clone();
    let poll_body = |code: &str| {
        format!(
            "grant_type=urn:ietf:params:oauth:grant-type:device_code&device_code={}",
            enc(code)
        )
    };
    for lapse in ["rotated", "disabled"] {
        let grants = vec![GrantType::DeviceCode, GrantType::RefreshToken];
        let (id, secret) = env.confidential_client("Kiosk", grants, false).await;
        let basic = Some((id.as_str(), secret.as_str()));
        let mut codes = Vec::new();
        for decision in [PageDecision::Approve, PageDecision::Deny] {
            let started = env.oauth2("/oauth2/device_authorization", "", basic).await;
            let code = started.str("device_code");
            let granted = (None, Lifetimes::default());
            let decided = env
                .store()
                .decide_on_page(&hash_of(&code), "ada", decision, granted, http::now())
                .await
                .unwrap();
            assert!(decided);
            codes.push(code);
        }
        let tokens = env
            .oauth2("/oauth2/token", &poll_body(&codes[0]), basic)
            .await;
        assert_eq!(tokens.status, 200, "{}", tokens.json);
        let refresh_hash = hash_of(&tokens.str("refresh_token"));
        let token = env.store().get_token(&refresh_hash).await.unwrap().unwrap();

        let (update, value) = match lapse {
            "rotated" => (
                "SET secret_hash = :v",
                AttributeValue::S(hash_of("dgs_rotated")),
            ),
            _ => ("SET disabled = :v", AttributeValue::Bool(true)),
        };
        env.edit_item(&clients, ("client_id", &id), update, value)
            .await;
        let before = env.snapshot().await;
        // The redeemed code again, and the denied one, under the old secret.
        for code in &codes {
            let stale = env.oauth2("/oauth2/token", &poll_body(code), basic).await;
            assert_eq!(
                (stale.status, stale.error()),
                (401, "invalid_client"),
                "{lapse}: {}",
                stale.json
            );
        }
        assert_eq!(env.snapshot().await, before, "{lapse}: something changed");
        let family = env.store().get_family(&token.family_id).await.unwrap();
        assert_eq!(family.unwrap().status, FamilyStatus::Active, "{lapse}");
    }
}
