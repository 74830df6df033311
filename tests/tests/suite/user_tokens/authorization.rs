//! The authorizer: what it refuses, a key's new expiry reaching it after a failed write, and a
//! forged locator.

use super::*;

/// The authorizer: every malformed or foreign credential is refused, an API key that allows
/// unauthenticated requests lets a tokenless request through, and a key's expiry (set later)
/// reaches user tokens through its guard.
#[tokio::test]
async fn the_authorizer_refuses_anything_but_a_standing_user_token() {
    let env = TestEnv::new().await;
    let admin_key = env.admin_key().await;
    user_ada(&env).await;
    let open = env
        .api_key(ApiKeySettings {
            allow_unauthenticated_requests: true,
            allow_untrusted_endpoints: true,
            ..Default::default()
        })
        .await;
    let device = trusted_device(&env, &admin_key, &open, "kiosk").await;
    let signed_in = login(&env, &open, Some(&device), &password_body(), "10.4.0.1").await;
    let token = signed_in.str("access_token");
    let refresh = signed_in.str("refresh_token");
    let allowed = judge(&env, Some(&token), None).await;
    assert_eq!(allowed["isAuthorized"], true);
    assert_eq!(allowed["context"]["kind"], "user");
    assert_eq!(allowed["context"]["username"], "ada");
    assert_eq!(allowed["context"]["device_client_id"], "kiosk");

    let mut forged = token.clone();
    forged.pop();
    forged.push(if token.ends_with('A') { 'B' } else { 'A' });
    let other_family = token.replacen("dgu_0", "dgu_1", 1);
    for bad in [
        forged.as_str(),
        other_family.as_str(),
        refresh.as_str(),
        device.as_str(),
        "",
        "dgu_",
        "dgu_....",
        &"x".repeat(5000),
    ] {
        assert_eq!(
            judge(&env, Some(bad), None).await,
            json!({"isAuthorized": false, "context": {}}),
            "{bad:.40}"
        );
    }
    // Headers API Gateway may pass on: sent twice, not a bearer, not ASCII.
    let mut twice = lambda_http::http::HeaderMap::new();
    twice.append("authorization", format!("Bearer {token}").parse().unwrap());
    twice.append("authorization", format!("Bearer {token}").parse().unwrap());
    let mut basic = lambda_http::http::HeaderMap::new();
    basic.insert("authorization", "Basic YWRhOnB3".parse().unwrap());
    let mut binary = lambda_http::http::HeaderMap::new();
    binary.insert(
        "authorization",
        lambda_http::http::HeaderValue::from_bytes(b"Bearer \xff\xfe").unwrap(),
    );
    for headers in [twice, basic, binary] {
        let decision = authorizer::judge(&env.deps, &headers, "192.0.2.1")
            .await
            .unwrap();
        assert!(!decision.is_authorized, "{headers:?}");
    }

    // No token, but a key that allows unauthenticated requests.
    let unauthenticated = judge(&env, None, Some(&open)).await;
    assert_eq!(unauthenticated["isAuthorized"], true);
    assert_eq!(unauthenticated["context"]["kind"], "unauthenticated");
    let strict = env.api_key(ApiKeySettings::default()).await;
    assert_eq!(
        judge(&env, None, Some(&strict)).await["isAuthorized"],
        false
    );
    assert_eq!(
        judge(&env, None, Some("dgk_nope")).await["isAuthorized"],
        false
    );

    // An expiry set later reaches tokens already issued, through the key's guard.
    let id = env
        .store()
        .list_api_keys()
        .await
        .unwrap()
        .into_iter()
        .find(|k| k.settings.allow_untrusted_endpoints)
        .unwrap()
        .id;
    let now = http::now();
    admin::change_api_key_settings(
        env.store(),
        &id,
        admin::ApiKeySettingsChange {
            expires_at: Some(now + 120),
            ..Default::default()
        },
        now,
        &devicegate_tests::origin(),
    )
    .await
    .unwrap();
    let header = format!("Bearer {token}");
    let at = |t: i64| {
        user_tokens::authorize(
            env.store(),
            AuthorizerInput {
                authorization: Some(header.as_str()),
                api_key: None,
                source: "192.0.2.1",
            },
            t,
        )
    };
    assert!(matches!(
        at(now + 60).await.unwrap(),
        Authorization::User { .. }
    ));
    assert_eq!(at(now + 121).await.unwrap(), Authorization::Denied);
}

/// A new expiry reaches the authorizer even when one of the change's writes failed and the
/// administrator sent the same change again (the retry used to skip the guard, whose expiry
/// it no longer saw as a change).
#[tokio::test]
async fn a_new_expiry_reaches_the_authorizer_after_a_failed_write_and_a_retry() {
    use devicegate_tests::faults::Fault;
    let env = TestEnv::new().await;
    user_ada(&env).await;
    for call in 1..=4 {
        let api_key = env
            .api_key(ApiKeySettings {
                allow_untrusted_endpoints: true,
                ..Default::default()
            })
            .await;
        let hash = devicegate::secrets::hash_secret(&api_key);
        let source = format!("10.7.0.{call}");
        let token = login(&env, &api_key, None, &password_body(), &source)
            .await
            .str("access_token");
        let id = env
            .store()
            .list_api_keys()
            .await
            .unwrap()
            .into_iter()
            .find(|k| k.key_hash == hash)
            .unwrap()
            .id;
        let now = http::now();
        let change = || admin::ApiKeySettingsChange {
            expires_at: Some(now + 120),
            ..Default::default()
        };
        env.faults.fail_call(call, Fault::Timeout);
        let first = admin::change_api_key_settings(
            env.store(),
            &id,
            change(),
            now,
            &devicegate_tests::origin(),
        )
        .await;
        assert_eq!(env.faults.clear().len(), 1, "call {call}: {first:?}");
        admin::change_api_key_settings(
            env.store(),
            &id,
            change(),
            now,
            &devicegate_tests::origin(),
        )
        .await
        .unwrap();
        let header = format!("Bearer {token}");
        let decision = user_tokens::authorize(
            env.store(),
            AuthorizerInput {
                authorization: Some(&header),
                api_key: None,
                source: "192.0.2.1",
            },
            now + 121,
        )
        .await
        .unwrap();
        assert_eq!(decision, Authorization::Denied, "call {call} failed first");
    }
}

/// A forged user token that names one family as both its own and its device's is refused like
/// any other, not an authorizer failure (it asked DynamoDB for one key twice, which a
/// BatchGetItem refuses: API Gateway then answers 500 and the log fills with errors).
#[tokio::test]
async fn a_forged_locator_naming_one_family_twice_is_simply_refused() {
    let env = TestEnv::new().await;
    let api_key = env
        .api_key(ApiKeySettings {
            allow_unauthenticated_requests: true,
            ..Default::default()
        })
        .await;
    let id = ulid::Ulid::new().to_string();
    let forged = format!("dgu_{id}.{id}.{}.{}", ulid::Ulid::new(), "A".repeat(43));
    let decision = judge(&env, Some(&forged), Some(&api_key)).await;
    assert_eq!(decision["context"]["kind"], "unauthenticated");
}
