//! The audit trail: each decision leaves its record, read back through `GET /admin/audit`
//! with its filters and cursor, and no record holds a secret.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use devicegate_tests::audit::{trail, types};
use devicegate_tests::*;
use ed25519_dalek::Signer as _;
use ed25519_dalek::pkcs8::EncodePublicKey as _;

#[tokio::test]
async fn a_paragon_registration_its_approval_and_a_signed_reregistration_are_recorded() {
    let (env, api_key, admin) = TestEnv::with_keys().await;
    let key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
    let spki = B64.encode(key.verifying_key().to_public_key_der().unwrap().as_bytes());
    let first = format!(
        "{}&key_type=ed25519&public_key={}",
        register_body("printer-7", &api_key),
        enc(&spki)
    );
    assert_eq!(env.register(&first, None).await.status, 200);
    assert_eq!(
        env.device_action(&admin, "printer-7", "approve")
            .await
            .status,
        200
    );
    let again = register_body("printer-7", &api_key);
    let signature = B64.encode(key.sign(again.as_bytes()).to_bytes());
    assert_eq!(env.register(&again, Some(&signature)).await.status, 200);

    let events = trail(&env, &admin, "subject=printer-7").await;
    assert_eq!(
        types(&events),
        [
            "device.reregistered",
            "device.approved",
            "device.registered"
        ]
    );
    let approved = &events[1];
    assert_eq!(approved["outcome"], "success");
    assert!(
        approved["actor"]
            .as_str()
            .is_some_and(|a| a.starts_with("admin:"))
    );
    assert_eq!(approved["dialect"], "admin");
    assert_eq!(events[2]["actor"], "device:printer-7");
    assert_eq!(events[2]["dialect"], "paragon");
    assert!(
        events[0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("signed"))
    );
    for event in &events {
        assert!(event["time"].as_str().is_some_and(|t| t.ends_with('Z')));
        assert!(!event["request_id"].as_str().unwrap_or("").is_empty());
        assert!(event["source_ip"].is_string());
    }
    // Nothing secret: neither the API key nor its hash, nor the signature.
    let text = serde_json::to_string(&events).unwrap();
    assert!(!text.contains(&api_key));
    assert!(!text.contains(&devicegate::secrets::hash_secret(&api_key)));
    assert!(!text.contains(&signature));

    // An `until` far in the future reads from now (no empty months to page through); a time
    // with an offset is the same instant in UTC.
    let future = trail(
        &env,
        &admin,
        "subject=printer-7&until=9999-12-31T23:59:59Z&limit=1",
    )
    .await;
    assert_eq!(types(&future), ["device.reregistered"]);
    let offset = trail(
        &env,
        &admin,
        "subject=printer-7&since=2000-01-01T00:00:00-05:00",
    )
    .await;
    assert_eq!(offset.len(), 3);

    // The type filter, the actor filter, and paging with the cursor.
    let approvals = trail(&env, &admin, "type=device.approved").await;
    assert_eq!(types(&approvals), ["device.approved"]);
    let by_device = trail(&env, &admin, "actor=device:printer-7").await;
    assert_eq!(
        types(&by_device),
        ["device.reregistered", "device.registered"]
    );
    let page = env
        .admin(
            "GET",
            "/admin/audit?subject=printer-7&limit=2",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(
        types(page.json["events"].as_array().unwrap()),
        ["device.reregistered", "device.approved"]
    );
    let cursor = page.json["next_cursor"].as_str().unwrap().to_owned();
    let rest = trail(
        &env,
        &admin,
        &format!("subject=printer-7&limit=2&cursor={}", enc(&cursor)),
    )
    .await;
    assert_eq!(types(&rest), ["device.registered"]);
}

#[tokio::test]
async fn an_api_key_created_and_disabled_leaves_two_records_and_bad_filters_are_named() {
    let (env, _api_key, admin) = TestEnv::with_keys().await;
    let created = env
        .admin_post(
            &admin,
            "/admin/api-keys",
            Some(serde_json::json!({ "name": "kiosks" })),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.json);
    let id = created.str("id");
    let value = created.str("api_key");
    let path = format!("/admin/api-keys/{id}/settings");
    let changed = env
        .admin_post(
            &admin,
            &path,
            Some(serde_json::json!({ "auto_trust": true })),
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.json);
    let path = format!("/admin/api-keys/{id}/disable");
    assert_eq!(env.admin_post(&admin, &path, None).await.status, 200);
    let events = trail(&env, &admin, &format!("subject={id}")).await;
    assert_eq!(
        types(&events),
        ["api_key.disabled", "api_key.changed", "api_key.created"]
    );
    assert!(!serde_json::to_string(&events).unwrap().contains(&value));

    for (query, named) in [
        ("type=device.exploded", "type"),
        ("since=yesterday", "since"),
        ("limit=0", "limit"),
        ("cursor=bogus", "cursor"),
    ] {
        let reply = env
            .admin("GET", &format!("/admin/audit?{query}"), Some(&admin), None)
            .await;
        assert_eq!(
            (reply.status, reply.error()),
            (400, "invalid_request"),
            "{query}"
        );
        assert!(
            reply.str("error_description").contains(named),
            "{query}: {}",
            reply.json
        );
    }
    // Without an admin key: 401, as every admin route.
    assert_eq!(
        env.admin("GET", "/admin/audit", None, None).await.status,
        401
    );
}
