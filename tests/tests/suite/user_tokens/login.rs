//! Signing in on a trusted device end to end, what sign-in stores (never a login id or a token
//! as it is), and an oversized username.

use super::*;

/// The whole story over HTTP, through `devicegate serve`'s API Gateway stand-in: register,
/// approve, device token, login, the protected route through the authorizer, refresh with
/// `client_id=api` (and reuse detection), then the device revoked and the user token refused.
#[tokio::test]
async fn a_user_signs_in_on_a_trusted_device_and_loses_access_when_it_is_revoked() {
    let (env, api_key, admin_key) = TestEnv::with_keys().await;
    user_ada(&env).await;
    let base = server::serve(env.deps.clone()).await;
    let http = reqwest::Client::new();
    let post_form = |path: &str, body: String| {
        http.post(format!("{base}{path}"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
    };

    let registered: Value = post_form("/oauth/v1/register", register_body("desk-1", &api_key))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let code = registered["device_code"].as_str().unwrap().to_owned();
    let approved = http
        .post(format!("{base}/admin/devices/desk-1/approve"))
        .bearer_auth(&admin_key)
        .send()
        .await
        .unwrap();
    assert_eq!(approved.status(), 200);
    env.force_poll_due(&code).await;
    let device: Value = post_form("/oauth/v1/token", poll_body("desk-1", &api_key, &code))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let device_token = device["access_token"].as_str().unwrap().to_owned();

    let sign_in = || {
        post_form("/api/v1/login", password_body())
            .header("x-api-key", &api_key)
            .bearer_auth(&device_token)
    };
    let reply = sign_in().send().await.unwrap();
    assert_eq!(reply.status(), 200);
    let user: Value = reply.json().await.unwrap();
    assert_eq!(user["token_type"], "Bearer");
    assert_eq!(user["expires_in"], 3600);
    let user_token = user["access_token"].as_str().unwrap().to_owned();
    let user_refresh = user["refresh_token"].as_str().unwrap().to_owned();
    assert!(user_token.starts_with("dgu_"), "{user_token}");
    // The sign-in's audit record: the user, the key and the trusted device, no token.
    let records =
        devicegate_tests::audit::trail(&env, &admin_key, "subject=ada&type=login.succeeded").await;
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0]["actor"], "user:ada");
    assert!(
        records[0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("desk-1")),
        "{records:?}"
    );
    assert!(!records[0].to_string().contains(&user_token));

    let me = |token: Option<String>| {
        let mut req = http.get(format!("{base}/api/v1/me"));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        async move {
            let reply = req.send().await.unwrap();
            (
                reply.status().as_u16(),
                reply.json::<Value>().await.unwrap(),
            )
        }
    };
    env.calls.take();
    let (status, body) = me(Some(user_token.clone())).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["authenticated"], true);
    assert_eq!(body["username"], "ada");
    assert_eq!(body["device_client_id"], "desk-1");
    assert_eq!(
        env.calls.take(),
        ["BatchGetItem"],
        "one DynamoDB read per authorizer call"
    );
    assert_eq!(
        me(None).await,
        (403, json!({ "message": "Forbidden" })),
        "no token"
    );
    assert_eq!(
        me(Some(device_token.clone())).await.0,
        403,
        "a device token is no user token"
    );

    // Refresh with client_id=api: a new pair; the old refresh token presented again is reuse,
    // which revokes the family, so the new access token stops working too.
    let refresh = |token: &str| {
        post_form(
            "/oauth/v1/token",
            format!(
                "grant_type=refresh_token&client_id=api&client_secret={}&refresh_token={}",
                enc(&api_key),
                enc(token)
            ),
        )
        .send()
    };
    let refreshed: Value = refresh(&user_refresh).await.unwrap().json().await.unwrap();
    let new_token = refreshed["access_token"].as_str().unwrap().to_owned();
    assert!(new_token.starts_with("dgu_") && new_token != user_token);
    assert_eq!(me(Some(new_token.clone())).await.0, 200);
    let reused = refresh(&user_refresh).await.unwrap();
    assert_eq!(reused.status(), 400);
    assert_eq!(
        reused.json::<Value>().await.unwrap()["error"],
        "invalid_grant"
    );
    assert_eq!(me(Some(new_token)).await.0, 403, "reuse revoked the family");

    // A second sign-in, then the device is revoked: the user token stops working, its refresh
    // and new sign-ins with the device token are refused.
    env.calls.take();
    let second: Value = sign_in().send().await.unwrap().json().await.unwrap();
    assert_eq!(
        env.calls.take(),
        [
            "UpdateItem",
            "UpdateItem",
            "BatchGetItem",
            "TransactWriteItems"
        ],
        "a password login: the attempt taken from each counter, one read, the issue"
    );
    let second_token = second["access_token"].as_str().unwrap().to_owned();
    assert_eq!(me(Some(second_token.clone())).await.0, 200);
    let revoked = http
        .post(format!("{base}/admin/devices/desk-1/revoke"))
        .bearer_auth(&admin_key)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);
    assert_eq!(me(Some(second_token)).await.0, 403);
    let refused = refresh(second["refresh_token"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);
    let again = sign_in().send().await.unwrap();
    assert_eq!(again.status(), 401);
    assert_eq!(
        again.json::<Value>().await.unwrap()["error"],
        "invalid_token"
    );
}

/// Card ids, short ids and tokens are never stored as they are.
#[tokio::test]
async fn no_table_holds_a_card_id_a_short_id_or_a_token() {
    let env = TestEnv::new().await;
    let admin_key = env.admin_key().await;
    user_ada(&env).await;
    let api_key = env
        .api_key(ApiKeySettings {
            allow_unauthenticated_requests: true,
            ..Default::default()
        })
        .await;
    let device = trusted_device(&env, &admin_key, &api_key, "kiosk").await;
    let by_card = login(
        &env,
        &api_key,
        Some(&device),
        &format!("card_id={}", enc(CARD_ID)),
        "10.5.0.1",
    )
    .await;
    let by_password = login(&env, &api_key, Some(&device), &password_body(), "10.5.0.2").await;
    let secrets = [
        CARD_ID.to_owned(),
        SHORT_ID.to_owned(),
        api_key.clone(),
        device.clone(),
        by_card.str("access_token"),
        by_card.str("refresh_token"),
        by_password.str("access_token"),
        by_password.str("refresh_token"),
    ];
    let everything = env.snapshot().await.join("\n");
    for secret in &secrets {
        // The short id is four digits: look for it as a whole value, not inside a number.
        let needle = if secret == SHORT_ID {
            format!("\"{secret}\"")
        } else {
            secret.clone()
        };
        assert!(!everything.contains(&needle), "{secret} is stored");
    }
    // The identifiers are there, as keyed hashes.
    let user = env.store().get_user("ada").await.unwrap().unwrap();
    assert_eq!(user.card_id_hmac.as_deref().map(str::len), Some(64));
    assert_eq!(user.short_id_hmac.as_deref().map(str::len), Some(64));
}

/// A username longer than any user's is a bad request, never a 500 (it went into a rate-limit
/// key past DynamoDB's 2048-byte key size).
#[tokio::test]
async fn an_oversized_username_is_not_a_server_error() {
    let env = TestEnv::new().await;
    user_ada(&env).await;
    let api_key = env
        .api_key(ApiKeySettings {
            allow_untrusted_endpoints: true,
            allow_unauthenticated_requests: true,
            ..Default::default()
        })
        .await;
    let long = "a".repeat(3000);
    for body in [
        format!("username={long}&password={}", enc(PASSWORD)),
        format!("username={long}"),
    ] {
        let reply = login(&env, &api_key, None, &body, "10.8.0.1").await;
        assert!(reply.status < 500, "{} {}", reply.status, reply.json);
    }
}
