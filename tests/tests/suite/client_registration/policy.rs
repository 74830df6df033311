//! What a deployment allows: registrations limited per source, registration switched off, and
//! initial access tokens.

use super::*;

#[tokio::test]
async fn registrations_are_limited_per_source_in_every_dialect() {
    let mut env = TestEnv::new().await;
    env.deps.settings.registration.per_source_per_minute = 3;
    // The limit is a fixed one-minute window: do not straddle its end.
    let second = devicegate::http::now() % 60;
    if second > 50 {
        tokio::time::sleep(std::time::Duration::from_secs((61 - second) as u64)).await;
    }
    let aws = json!({"clientName": "cli", "clientType": "public"});
    for _ in 0..3 {
        assert_eq!(
            post(&env, "/client/register", aws.clone()).await.status,
            200
        );
    }
    let oauth = post(&env, "/oauth2/register", json!({"client_name": "x"})).await;
    assert_eq!((oauth.status, oauth.error()), (429, "too_many_attempts"));
    // The first refusal records the trip; the ones after it write nothing at all.
    let query = devicegate::storage::AuditQuery {
        kind: Some(devicegate::model::AuditType::LimitTripped),
        limit: 10,
        ..Default::default()
    };
    let now_ms = devicegate::http::now() * 1000 + 999;
    let trips = env
        .store()
        .query_audit(&query, now_ms)
        .await
        .unwrap()
        .events;
    assert_eq!(trips.len(), 1, "{trips:?}");
    assert!(
        trips[0]
            .reason
            .as_deref()
            .is_some_and(|r| r.starts_with("register-source: 3 registrations")),
        "{trips:?}"
    );
    assert_eq!(trips[0].dialect, "rfc7591");
    let before = env.snapshot().await;
    let huawei = post(&env, "/v1/clients", huawei_registration(&["refresh_token"])).await;
    assert_eq!(huawei.status, 429);
    assert_eq!(huawei.json["error_code"], "too_many_attempts");
    let aws = post(&env, "/client/register", aws).await;
    assert_eq!(aws.status, 400);
    assert_eq!(header(&aws, "x-amzn-errortype"), "SlowDownException");
    assert_eq!(
        env.snapshot().await,
        before,
        "over the limit, nothing more is written"
    );
    let trips = env
        .store()
        .query_audit(&query, now_ms + 5_000)
        .await
        .unwrap()
        .events;
    assert_eq!(trips.len(), 1, "one trip per window: {trips:?}");
}

#[tokio::test]
async fn a_deployment_can_switch_registration_off_and_metadata_follows() {
    let mut env = TestEnv::new().await;
    let document = metadata(&env).await;
    assert_eq!(
        document.str("registration_endpoint"),
        "https://gate.test/oauth2/register"
    );
    env.deps.settings.registration.policy = RegistrationPolicy::Disabled;
    let before = env.snapshot().await;
    let refused = post(&env, "/oauth2/register", json!({"client_name": "x"})).await;
    assert_eq!((refused.status, refused.error()), (403, "access_denied"));
    let aws = post(
        &env,
        "/client/register",
        json!({"clientName": "x", "clientType": "public"}),
    )
    .await;
    assert_eq!(header(&aws, "x-amzn-errortype"), "AccessDeniedException");
    assert_eq!(env.snapshot().await, before);
    let document = metadata(&env).await;
    assert!(document.json.get("registration_endpoint").is_none());
}

/// Where the policy asks for one, registration needs an administrator's initial access token
/// (RFC 7591 §3): single- or multi-use, taken in the registration's own transaction.
#[tokio::test]
async fn initial_access_tokens_gate_registration_and_are_used_up() {
    let mut env = TestEnv::new().await;
    env.deps.settings.registration.policy = RegistrationPolicy::InitialAccessToken;
    let admin_key = env.admin_key().await;
    let issued = env
        .admin(
            "POST",
            "/admin/initial-access-tokens",
            Some(&admin_key),
            Some(json!({"name": "kiosk rollout", "max_uses": 1, "expires_in": 3600})),
        )
        .await;
    assert_eq!(issued.status, 201, "{}", issued.json);
    let token = issued.str("initial_access_token");
    assert!(token.starts_with("dgiat_"));
    let metadata = json!({"client_name": "kiosk", "token_endpoint_auth_method": "none"});

    let before = env.snapshot().await;
    for bearer in [None, Some("dgiat_unknown")] {
        let refused = send(&env, "POST", "/oauth2/register", bearer, metadata.clone()).await;
        assert_eq!(
            (refused.status, refused.error()),
            (401, "invalid_token"),
            "{bearer:?}"
        );
    }
    assert_eq!(env.snapshot().await, before, "nothing stored, no use taken");

    env.calls.take();
    let created = send(
        &env,
        "POST",
        "/oauth2/register",
        Some(&token),
        metadata.clone(),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.json);
    assert_eq!(
        env.calls.take(),
        ["TransactWriteItems"],
        "still one round trip"
    );
    let again = send(
        &env,
        "POST",
        "/oauth2/register",
        Some(&token),
        metadata.clone(),
    )
    .await;
    assert_eq!(
        (again.status, again.error()),
        (401, "invalid_token"),
        "single use"
    );

    let listed = env
        .admin(
            "GET",
            "/admin/initial-access-tokens",
            Some(&admin_key),
            None,
        )
        .await;
    let view = &listed.json["initial_access_tokens"][0];
    assert_eq!(view["uses"], 1);
    assert!(
        view.get("initial_access_token").is_none(),
        "never shown again"
    );

    let multi = env
        .admin(
            "POST",
            "/admin/initial-access-tokens",
            Some(&admin_key),
            Some(json!({"name": "lab"})),
        )
        .await;
    let multi_token = multi.str("initial_access_token");
    for _ in 0..2 {
        let ok = send(
            &env,
            "POST",
            "/oauth2/register",
            Some(&multi_token),
            metadata.clone(),
        )
        .await;
        assert_eq!(ok.status, 201);
    }
    let disabled = env
        .admin(
            "POST",
            &format!("/admin/initial-access-tokens/{}/disable", multi.str("id")),
            Some(&admin_key),
            None,
        )
        .await;
    assert_eq!(disabled.json["disabled"], true);
    let refused = send(
        &env,
        "POST",
        "/oauth2/register",
        Some(&multi_token),
        metadata,
    )
    .await;
    assert_eq!(refused.status, 401, "a disabled token registers nothing");

    let bad = env
        .admin(
            "POST",
            "/admin/initial-access-tokens",
            Some(&admin_key),
            Some(json!({"name": "x", "expires_in": 999_999_999})),
        )
        .await;
    assert_eq!(bad.error(), "invalid_request");
}
