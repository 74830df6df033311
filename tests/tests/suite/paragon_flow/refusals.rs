//! Refused requests: bad API keys, registrations and token requests get clear errors and store
//! nothing.

use super::*;

#[tokio::test]
async fn unknown_disabled_or_expired_api_keys_are_invalid_client_and_store_nothing() {
    let (env, api_key, admin) = TestEnv::with_keys().await;
    let before = env.snapshot().await;

    let unknown = env.register(&register_body("p", "dgk_nope"), None).await;
    assert_eq!((unknown.status, unknown.error()), (401, "invalid_client"));
    // The API key came in the body: no HTTP scheme was used, none is offered.
    assert!(unknown.headers.get("www-authenticate").is_none());

    let keys = env
        .admin("GET", "/admin/api-keys", Some(&admin), None)
        .await;
    let id = keys.json["api_keys"][0]["id"].as_str().unwrap().to_owned();
    assert!(
        keys.json["api_keys"][0].get("api_key").is_none(),
        "a key is shown only at creation"
    );
    let disabled = env
        .admin_post(&admin, &format!("/admin/api-keys/{id}/disable"), None)
        .await;
    assert_eq!(disabled.json["disabled"], true);
    let refused = env.register(&register_body("p", &api_key), None).await;
    assert_eq!(refused.status, 401);

    let expiring = env
        .api_key(ApiKeySettings {
            expires_at: Some(http::now() + 1),
            ..Default::default()
        })
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let expired = env.register(&register_body("p", &expiring), None).await;
    assert_eq!(expired.status, 401);

    let after = env.snapshot().await;
    let devices: Vec<_> = after
        .iter()
        .filter(|i| i.contains("-devicegate-devices:") || i.contains("device-codes:"))
        .collect();
    assert!(devices.is_empty(), "{devices:?}");
    assert!(before.len() < after.len(), "only the new API key was added");
}

#[tokio::test]
async fn bad_registrations_get_clear_errors_and_store_nothing() {
    let env = TestEnv::new().await;
    let api_key = env.api_key(ApiKeySettings::default()).await;
    let before = env.snapshot().await;
    let good = register_body("dev-1", &api_key);
    let cases: Vec<(String, u16, &str)> = vec![
        (good.replace("printer", "toaster"), 400, "invalid_request"),
        (
            good.replace("=device_code", "=code"),
            400,
            "unsupported_response_type",
        ),
        (format!("{good}&client_id=dev-2"), 400, "invalid_request"),
        (
            format!("{good}&state={}", "s".repeat(513)),
            400,
            "invalid_request",
        ),
        (
            format!("{good}&client_description={}", "d".repeat(1025)),
            400,
            "invalid_request",
        ),
        (format!("{good}&key_type=ed25519"), 400, "invalid_request"),
        (
            format!("{good}&key_type=ed25519&public_key=AAAA"),
            400,
            "invalid_request",
        ),
        (good.replace("dev-1", "%01bad"), 400, "invalid_request"),
        (format!("{good}&x=%FF"), 400, "invalid_request"),
        (
            format!("{good}&pad={}", "a".repeat(17 * 1024)),
            400,
            "invalid_request",
        ),
        ("client_id=dev-1".into(), 400, "invalid_request"),
    ];
    for (body, status, error) in cases {
        let reply = env.register(&body, None).await;
        reply.assert_described_error(status, error, &format!("{body:.80}"));
    }
    // Wrong content type.
    let mut req = form_request("/oauth/v1/register", &good, None);
    req.headers_mut()
        .insert("content-type", "application/json".parse().unwrap());
    let reply = Reply::from(dispatch(&env.deps, req).await);
    assert_eq!((reply.status, reply.error()), (400, "invalid_request"));
    assert_eq!(env.snapshot().await, before);
}

#[tokio::test]
async fn bad_token_requests_get_clear_errors_and_store_nothing() {
    let env = TestEnv::new().await;
    let api_key = env.api_key(ApiKeySettings::default()).await;
    let code = env.register_code(&register_body("dev-1", &api_key)).await;
    let before = env.snapshot().await;
    let cases: Vec<(String, u16, &str)> = vec![
        (
            poll_body("dev-1", &api_key, "dgc_unknown"),
            400,
            "invalid_grant",
        ),
        (poll_body("dev-2", &api_key, &code), 400, "invalid_grant"),
        (
            poll_body("dev-1", "dgk_other", &code),
            401,
            "invalid_client",
        ),
        (
            poll_body("dev-1", &api_key, &code)
                .replace("grant_type=device_code", "grant_type=password"),
            400,
            "unsupported_grant_type",
        ),
        (
            format!("{}&device_code=again", poll_body("dev-1", &api_key, &code)),
            400,
            "invalid_request",
        ),
        (
            refresh_body("dev-1", &api_key, "dgr_unknown"),
            400,
            "invalid_grant",
        ),
        ("grant_type=device_code".into(), 400, "invalid_request"),
    ];
    for (body, status, error) in cases {
        let reply = env.token(&body, None).await;
        reply.assert_error(status, error, &body);
    }
    assert_eq!(env.snapshot().await, before);
}
