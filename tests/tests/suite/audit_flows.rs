//! The audit trail of a person's flow: a client registered, a wrong password and a sign-in on
//! the device page, the device code approved there, redeemed, refreshed, and the rotated-out
//! refresh token presented again. Each leaves its record, read back through `GET /admin/audit`,
//! and no record holds a password, a code or a token.

use std::time::Duration;

use devicegate_tests::audit::{trail, types};
use devicegate_tests::oauth::{Person, fixture};
use devicegate_tests::{TestEnv, enc, server};
use serde_json::json;

#[tokio::test]
async fn a_device_flow_approved_on_the_page_and_a_refresh_reuse_are_recorded() {
    let f = fixture().await;
    let env = &f.env;
    let admin = env.admin_key().await;
    let base = server::serve(env.deps.clone()).await;

    // A self-registered client.
    let registered = env
        .admin(
            "POST",
            "/oauth2/register",
            None,
            Some(json!({"client_name": "Kiosk", "grant_types": ["urn:ietf:params:oauth:grant-type:device_code"], "token_endpoint_auth_method": "none"})),
        )
        .await;
    assert_eq!(registered.status, 201, "{}", registered.json);
    let kiosk = registered.str("client_id");
    let records = trail(env, &admin, &format!("subject={kiosk}")).await;
    assert_eq!(types(&records), ["client.registered"]);
    assert_eq!(records[0]["dialect"], "rfc7591");
    assert_eq!(records[0]["actor"], "anonymous");

    // A wrong password, then the right one, on the device page.
    let person = Person::new(&base);
    let (status, _) = person.sign_in("not the password at all").await;
    assert_eq!(status, 401);
    person.sign_in("correct horse battery").await;
    let signins = trail(env, &admin, "subject=ada").await;
    // The fixture made ada (and its clients) through the admin use cases: recorded too.
    assert_eq!(
        types(&signins),
        ["signin.succeeded", "signin.failed", "user.created"]
    );
    assert_eq!(signins[0]["actor"], "user:ada");
    assert_eq!(signins[1]["outcome"], "failure");
    assert_eq!(signins[1]["actor"], "anonymous");
    assert_eq!(signins[0]["dialect"], "page");

    // The fixture's CLI starts a flow; ada approves it on the page; the CLI redeems it.
    let started = env
        .oauth2(
            "/oauth2/device_authorization",
            &format!("client_id={}&scope=read", f.cli_id),
            None,
        )
        .await;
    assert_eq!(started.status, 200, "{:?}", started.json);
    let (device_code, user_code) = (started.str("device_code"), started.str("user_code"));
    let (status, page) = person.decide(&user_code, "approve").await;
    assert_eq!(status, 200, "{page}");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let poll = format!(
        "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code&device_code={}&client_id={}",
        enc(&device_code),
        f.cli_id
    );
    let tokens = env.oauth2("/oauth2/token", &poll, None).await;
    assert_eq!(tokens.status, 200, "{:?}", tokens.json);
    let first_refresh = tokens.str("refresh_token");
    let refresh = |token: &str| {
        format!(
            "grant_type=refresh_token&refresh_token={}&client_id={}",
            enc(token),
            f.cli_id
        )
    };
    let refreshed = env
        .oauth2("/oauth2/token", &refresh(&first_refresh), None)
        .await;
    assert_eq!(refreshed.status, 200, "{:?}", refreshed.json);
    // The rotated-out token again: refused, and its family revoked.
    let reused = env
        .oauth2("/oauth2/token", &refresh(&first_refresh), None)
        .await;
    assert_eq!(reused.error(), "invalid_grant");

    let records = trail(env, &admin, &format!("subject={}", f.cli_id)).await;
    assert_eq!(
        types(&records),
        [
            "token.reuse_detected",
            "token.refreshed",
            "device_code.redeemed",
            "device_code.approved",
            "device_code.issued",
            "client.registered",
        ]
    );
    let actor = format!("client:{}", f.cli_id);
    assert_eq!(records[0]["outcome"], "failure");
    assert!(
        records[0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("revoked")),
        "{}",
        records[0]
    );
    assert_eq!(records[0]["actor"], actor.as_str());
    assert_eq!(records[2]["actor"], actor.as_str());
    assert_eq!(records[2]["dialect"], "oauth2");
    assert_eq!(records[3]["actor"], "user:ada");
    assert_eq!(records[3]["dialect"], "page");
    let reuses = trail(env, &admin, "type=token.reuse_detected").await;
    assert_eq!(reuses.len(), 1);

    // Nothing secret anywhere in the trail.
    let everything = serde_json::to_string(&trail(env, &admin, "limit=200").await).unwrap();
    for secret in [
        "correct horse battery",
        "not the password at all",
        device_code.as_str(),
        user_code.as_str(),
        first_refresh.as_str(),
        tokens.str("access_token").as_str(),
        refreshed.str("refresh_token").as_str(),
        registered.str("registration_access_token").as_str(),
    ] {
        assert!(!everything.contains(secret), "{secret} is in the trail");
        let hashed = devicegate::secrets::hash_secret(secret);
        assert!(!everything.contains(&hashed), "a hash is in the trail");
    }
}

#[tokio::test]
async fn users_and_clients_made_and_disabled_by_an_administrator_are_recorded() {
    let (env, _api_key, admin) = TestEnv::with_keys().await;
    let created = env
        .admin_post(
            &admin,
            "/admin/users",
            Some(json!({"username": "grace", "password": "a long enough passphrase"})),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.json);
    let records = trail(&env, &admin, "subject=grace").await;
    assert_eq!(types(&records), ["user.created"]);
    assert!(
        records[0]["actor"]
            .as_str()
            .is_some_and(|a| a.starts_with("admin:"))
    );
    let client = env
        .admin_post(
            &admin,
            "/admin/clients",
            Some(json!({"client_name": "Printers", "client_type": "public", "grant_types": ["urn:ietf:params:oauth:grant-type:device_code"]})),
        )
        .await;
    assert_eq!(client.status, 201, "{}", client.json);
    let records = trail(
        &env,
        &admin,
        &format!("subject={}", client.str("client_id")),
    )
    .await;
    assert_eq!(types(&records), ["client.registered"]);
    assert!(
        !serde_json::to_string(&records)
            .unwrap()
            .contains("a long enough passphrase")
    );
    let client_id = client.str("client_id");
    let path = format!("/admin/clients/{client_id}/disable");
    assert_eq!(env.admin_post(&admin, &path, None).await.status, 200);
    let records = trail(&env, &admin, &format!("subject={client_id}")).await;
    assert_eq!(types(&records), ["client.disabled", "client.registered"]);
    let path = "/admin/users/grace/disable";
    assert_eq!(env.admin_post(&admin, path, None).await.status, 200);
    let records = trail(&env, &admin, "subject=grace").await;
    assert_eq!(types(&records), ["user.disabled", "user.created"]);
}

/// What a store hands its sink (`devicegate serve`'s events log) is what it stored: a decision
/// whose transaction failed publishes nothing, its retry that succeeds publishes one record.
#[tokio::test]
async fn a_failed_decision_publishes_no_event_and_its_retry_publishes_one() {
    use devicegate::storage::AuditSink;
    use devicegate_tests::faults::Fault;
    use std::sync::{Arc, Mutex};

    let (mut env, _api_key, admin) = TestEnv::with_keys().await;
    let body = json!({ "name": "kiosks" });
    // Which call of a creation is its transaction (the admin key is read first).
    env.calls.take();
    let first = env
        .admin_post(&admin, "/admin/api-keys", Some(body.clone()))
        .await;
    assert_eq!(first.status, 201, "{}", first.json);
    let calls = env.calls.take();
    let tx = calls
        .iter()
        .position(|c| c == "TransactWriteItems")
        .unwrap_or_else(|| panic!("{calls:?}"));
    let seen = Arc::new(Mutex::new(Vec::<String>::new()));
    let into = seen.clone();
    env.deps.store = env
        .deps
        .store
        .clone()
        .with_audit_sink(AuditSink::new(move |event| {
            into.lock().unwrap().push(event.kind.as_str().to_owned());
        }));
    // The API key's put and its record are one transaction: fail it on every attempt the SDK
    // makes (it retries a 500 twice); the injector counts attempts from 1.
    for attempt in 1..=3 {
        env.faults.fail_call(tx + attempt, Fault::ServerError);
    }
    let refused = env
        .admin_post(&admin, "/admin/api-keys", Some(body.clone()))
        .await;
    let injected = env.faults.clear();
    assert_eq!(refused.status, 500, "{}", refused.json);
    assert!(
        injected.iter().any(|(_, op, _)| op == "TransactWriteItems"),
        "{injected:?}"
    );
    assert!(
        seen.lock().unwrap().is_empty(),
        "{:?}",
        seen.lock().unwrap()
    );
    let created = env.admin_post(&admin, "/admin/api-keys", Some(body)).await;
    assert_eq!(created.status, 201, "{}", created.json);
    assert_eq!(*seen.lock().unwrap(), ["api_key.created"]);
}
