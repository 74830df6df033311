//! Users on trusted devices: Paragon login, user tokens, the API key policies and the
//! authorizer, end to end over HTTP and as a policy matrix.

use devicegate::api::authorizer;
use devicegate::http;
use devicegate::model::{ApiKeySettings, DeviceStatus};
use devicegate::usecases::admin::{self, NewUser};
use devicegate::usecases::user_tokens::{self, Authorization, AuthorizerInput};
use devicegate_tests::server;
use devicegate_tests::*;
use lambda_http::RequestExt;
use lambda_http::aws_lambda_events::apigw::{
    ApiGatewayV2httpRequestContext, ApiGatewayV2httpRequestContextHttpDescription,
};
use lambda_http::request::RequestContext;
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery";
const CARD_ID: &str = "CARD-0042-7781";
const SHORT_ID: &str = "9917";
const EMAIL: &str = "Ada@Example.com";

/// A user `ada` with a password, a card id, a short id and an email.
async fn user_ada(env: &TestEnv) {
    admin::create_user(
        env.store(),
        NewUser {
            username: "ada".into(),
            password: PASSWORD.into(),
            display_name: None,
            email: Some(EMAIL.into()),
            email_verified: false,
        },
        http::now(),
        &devicegate_tests::origin(),
    )
    .await
    .unwrap();
    admin::set_login_ids(
        env.store(),
        env.deps.settings.server_secret().unwrap(),
        "ada",
        Some(Some(CARD_ID)),
        Some(Some(SHORT_ID)),
        http::now(),
    )
    .await
    .unwrap();
}

/// Registers `client_id` under `api_key`, has the administrator approve it, and redeems its
/// code: the device token (access) and refresh token.
async fn trusted_device(env: &TestEnv, admin_key: &str, api_key: &str, client_id: &str) -> String {
    let code = env.register_code(&register_body(client_id, api_key)).await;
    env.device_action(admin_key, client_id, "approve")
        .await
        .assert_error(200, "", "approve");
    let reply = env.poll_due(client_id, api_key, &code).await;
    reply.assert_error(200, "", "redeem");
    reply.str("access_token")
}

/// `POST /api/v1/login` from `source`, as API Gateway delivers it.
async fn login(
    env: &TestEnv,
    api_key: &str,
    device_token: Option<&str>,
    body: &str,
    source: &str,
) -> Reply {
    let mut req = form_request("/api/v1/login", body, None);
    req.headers_mut()
        .insert("x-api-key", api_key.parse().unwrap());
    if let Some(token) = device_token {
        req.headers_mut()
            .insert("authorization", format!("Bearer {token}").parse().unwrap());
    }
    let mut described = ApiGatewayV2httpRequestContextHttpDescription::default();
    described.source_ip = Some(source.to_owned());
    let mut context = ApiGatewayV2httpRequestContext::default();
    context.http = described;
    let req = req.with_request_context(RequestContext::ApiGatewayV2(context));
    Reply::from(dispatch(&env.deps, req).await)
}

fn password_body() -> String {
    format!("username=ada&password={}", enc(PASSWORD))
}

/// Asks the authorizer about a bearer token (and an `X-Api-Key`), as API Gateway would.
async fn judge(env: &TestEnv, bearer: Option<&str>, api_key: Option<&str>) -> Value {
    let mut headers = lambda_http::http::HeaderMap::new();
    if let Some(token) = bearer {
        headers.insert("authorization", format!("Bearer {token}").parse().unwrap());
    }
    if let Some(key) = api_key {
        headers.insert("x-api-key", key.parse().unwrap());
    }
    let decision = authorizer::judge(&env.deps, &headers, "192.0.2.10")
        .await
        .unwrap();
    serde_json::to_value(decision).unwrap()
}

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
        ["TransactWriteItems", "BatchGetItem", "TransactWriteItems"],
        "a password login: the attempt taken, one read, the issue"
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

#[derive(Clone, Copy, Debug, PartialEq)]
enum DeviceToken {
    None,
    Trusted,
    /// The device registered but was never approved: it has no token, so it presents what it
    /// has (its device code).
    Pending,
    Revoked,
}

/// What each policy combination answers, with and without a password. `(untrusted endpoints
/// allowed, unauthenticated requests allowed, device token) -> (password login, password-less
/// login)`, each `(status, error)`.
/// An expected answer: status and `error`.
type Answer = (u16, &'static str);

const MATRIX: &[(bool, bool, DeviceToken, Answer, Answer)] = {
    use DeviceToken::*;
    const OK: Answer = (200, "");
    const NO_DEVICE: Answer = (401, "invalid_token");
    const NOT_ALLOWED: Answer = (403, "access_denied");
    &[
        (false, false, None, NO_DEVICE, NO_DEVICE),
        (false, false, Trusted, OK, NOT_ALLOWED),
        (false, false, Pending, NO_DEVICE, NO_DEVICE),
        (false, false, Revoked, NO_DEVICE, NOT_ALLOWED),
        (true, false, None, OK, NOT_ALLOWED),
        (true, false, Trusted, OK, NOT_ALLOWED),
        (true, false, Pending, NO_DEVICE, NO_DEVICE),
        (true, false, Revoked, NO_DEVICE, NOT_ALLOWED),
        (false, true, None, NO_DEVICE, NO_DEVICE),
        (false, true, Trusted, OK, OK),
        (false, true, Pending, NO_DEVICE, NO_DEVICE),
        (false, true, Revoked, NO_DEVICE, NO_DEVICE),
        (true, true, None, OK, NOT_ALLOWED),
        (true, true, Trusted, OK, OK),
        (true, true, Pending, NO_DEVICE, NO_DEVICE),
        (true, true, Revoked, NO_DEVICE, NO_DEVICE),
    ]
};

/// The policy matrix: the two flags x each credential kind x no / trusted / pending / revoked
/// device, each answered with the exact status, error and (on success) token shape; a refused
/// login stores nothing but its failure count.
#[tokio::test]
async fn the_policy_matrix_holds_for_every_credential_kind() {
    let env = TestEnv::new().await;
    let admin_key = env.admin_key().await;
    user_ada(&env).await;
    let credentials = [
        ("password", password_body()),
        ("username", "username=ada".to_owned()),
        ("card_id", format!("card_id={}", enc(CARD_ID))),
        ("short_id", format!("short_id={SHORT_ID}")),
        ("email", format!("email={}", enc(&EMAIL.to_lowercase()))),
    ];
    let mut row_number = 0;
    for flags in [(false, false), (true, false), (false, true), (true, true)] {
        let api_key = env
            .api_key(ApiKeySettings {
                allow_untrusted_endpoints: flags.0,
                allow_unauthenticated_requests: flags.1,
                ..Default::default()
            })
            .await;
        let tag = format!("{}{}", flags.0 as u8, flags.1 as u8);
        let trusted = trusted_device(&env, &admin_key, &api_key, &format!("t-{tag}")).await;
        let revoked = trusted_device(&env, &admin_key, &api_key, &format!("r-{tag}")).await;
        env.device_action(&admin_key, &format!("r-{tag}"), "revoke")
            .await
            .assert_error(200, "", "revoke");
        let pending = env
            .register_code(&register_body(&format!("p-{tag}"), &api_key))
            .await;
        assert_eq!(
            env.device(&format!("p-{tag}")).await.unwrap().status,
            DeviceStatus::Pending
        );
        for &(untrusted, unauthenticated, device, with_password, passwordless) in MATRIX {
            if (untrusted, unauthenticated) != flags {
                continue;
            }
            let presented = match device {
                DeviceToken::None => None,
                DeviceToken::Trusted => Some(trusted.as_str()),
                DeviceToken::Pending => Some(pending.as_str()),
                DeviceToken::Revoked => Some(revoked.as_str()),
            };
            for (kind, body) in &credentials {
                row_number += 1;
                // Each row from its own address: the refusals must not add up to a rate limit.
                let source = format!("10.1.{}.{}", row_number / 200, row_number % 200);
                let expected = if *kind == "password" {
                    with_password
                } else {
                    passwordless
                };
                let row = format!("{flags:?} {device:?} {kind}");
                let before = env.snapshot().await;
                let reply = login(&env, &api_key, presented, body, &source).await;
                if expected.0 == 200 {
                    reply.assert_error(200, "", &row);
                    assert_eq!(reply.json["token_type"], "Bearer", "{row}");
                    assert_eq!(reply.json["expires_in"], 3600, "{row}");
                    assert!(reply.str("access_token").starts_with("dgu_"), "{row}");
                    assert!(reply.str("refresh_token").starts_with("dgr_"), "{row}");
                } else {
                    reply.assert_described_error(expected.0, expected.1, &row);
                    let after = env.snapshot().await;
                    let grown: Vec<_> = after.iter().filter(|i| !before.contains(i)).collect();
                    // The attempt counters, and the refusal's one audit record, nothing else.
                    let records: Vec<_> = grown.iter().filter(|i| i.contains("-audit: ")).collect();
                    assert!(
                        grown
                            .iter()
                            .all(|i| i.contains("rate-limits") || i.contains("-audit: ")),
                        "{row} stored {grown:?}"
                    );
                    assert_eq!(records.len(), 1, "{row}: {records:?}");
                    assert!(records[0].contains("\"type\":\"login.refused\""), "{row}");
                    assert!(!records[0].contains("correct horse"), "{row}");
                }
            }
        }
    }
    assert_eq!(row_number, 16 * 5);
}

/// Wrong credentials of every kind get one answer; disabled users, disabled and expired keys,
/// and a source outside the key's networks get theirs; none issues anything.
#[tokio::test]
async fn refusals_are_uniform_where_they_must_be_and_specific_where_they_may_be() {
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
    let wrong = [
        "username=ada&password=wrong+password".to_owned(),
        "username=nobody&password=wrong+password".to_owned(),
        "username=nobody".to_owned(),
        "card_id=NO-SUCH-CARD".to_owned(),
        "short_id=0000".to_owned(),
        "email=nobody%40example.com".to_owned(),
    ];
    for (i, body) in wrong.iter().enumerate() {
        let reply = login(&env, &api_key, Some(&device), body, &format!("10.2.0.{i}")).await;
        assert_eq!(
            (reply.status, reply.json.clone()),
            (
                400,
                json!({"error": "invalid_grant", "error_description": "wrong credentials"})
            ),
            "{body}"
        );
    }
    // The same address, over and over: the eleventh failure for one user is refused unjudged.
    for _ in 0..10 {
        login(&env, &api_key, Some(&device), &wrong[0], "10.2.1.1").await;
    }
    login(&env, &api_key, Some(&device), &password_body(), "10.2.1.1")
        .await
        .assert_error(429, "too_many_attempts", "locked out per user and source");
    login(&env, &api_key, Some(&device), &password_body(), "10.2.1.2")
        .await
        .assert_error(200, "", "another address is not");

    // A source outside the key's networks: 403, on login, registration and token alike.
    let key_id = env.store().list_api_keys().await.unwrap()[0].id.clone();
    let limited = env
        .admin_post(
            &admin_key,
            &format!("/admin/api-keys/{key_id}/settings"),
            Some(json!({ "allowed_sources": ["10.9.0.0/16"] })),
        )
        .await;
    limited.assert_error(200, "", "settings");
    assert_eq!(limited.json["allowed_sources"], json!(["10.9.0.0/16"]));
    login(&env, &api_key, Some(&device), &password_body(), "10.2.1.3")
        .await
        .assert_described_error(403, "access_denied", "outside the networks");
    login(&env, &api_key, Some(&device), &password_body(), "10.9.4.4")
        .await
        .assert_error(200, "", "inside");
    env.register(&register_body("another", &api_key), None)
        .await
        .assert_error(403, "access_denied", "register from elsewhere");
    env.admin_post(
        &admin_key,
        &format!("/admin/api-keys/{key_id}/settings"),
        Some(json!({ "allowed_sources": ["not a network"] })),
    )
    .await
    .assert_described_error(400, "invalid_request", "a bad CIDR");

    // A disabled user: their own answer once the password matched, and their tokens end.
    let reply = login(&env, &api_key, Some(&device), &password_body(), "10.9.4.5").await;
    let user_token = reply.str("access_token");
    assert_eq!(
        judge(&env, Some(&user_token), None).await["isAuthorized"],
        true
    );
    env.admin_post(&admin_key, "/admin/users/ada/disable", None)
        .await
        .assert_error(200, "", "disable");
    assert_eq!(
        judge(&env, Some(&user_token), None).await["isAuthorized"],
        false,
        "disabling a user revokes their user tokens"
    );
    login(&env, &api_key, Some(&device), &password_body(), "10.9.4.6")
        .await
        .assert_described_error(400, "access_denied", "disabled user");
    login(
        &env,
        &api_key,
        Some(&device),
        "card_id=CARD-0042-7781",
        "10.9.4.7",
    )
    .await
    .assert_described_error(400, "access_denied", "disabled user, password-less");

    // A disabled key: logins are invalid_client, and the authorizer refuses its user tokens.
    let other = env.auto_trust_key().await;
    let kiosk = {
        let code = env.register_code(&register_body("kiosk-2", &other)).await;
        env.poll_due("kiosk-2", &other, &code)
            .await
            .str("access_token")
    };
    admin::create_user(
        env.store(),
        NewUser {
            username: "bob".into(),
            password: PASSWORD.into(),
            display_name: None,
            email: None,
            email_verified: false,
        },
        http::now(),
        &devicegate_tests::origin(),
    )
    .await
    .unwrap();
    let bob = format!("username=bob&password={}", enc(PASSWORD));
    let bob_token = login(&env, &other, Some(&kiosk), &bob, "10.3.0.1")
        .await
        .str("access_token");
    assert_eq!(
        judge(&env, Some(&bob_token), None).await["isAuthorized"],
        true
    );
    let other_id = env
        .store()
        .list_api_keys()
        .await
        .unwrap()
        .into_iter()
        .find(|k| !k.settings.allow_unauthenticated_requests)
        .unwrap()
        .id;
    env.admin_post(
        &admin_key,
        &format!("/admin/api-keys/{other_id}/disable"),
        None,
    )
    .await
    .assert_error(200, "", "disable key");
    assert_eq!(
        judge(&env, Some(&bob_token), None).await["isAuthorized"],
        false
    );
    login(&env, &other, Some(&kiosk), &bob, "10.3.0.2")
        .await
        .assert_described_error(401, "invalid_client", "disabled key");
}

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

/// A console request (form body, one cookie): its status and the cookies it sets.
async fn console_post(
    env: &TestEnv,
    path: &str,
    body: &str,
    cookie: Option<(&str, &str)>,
) -> (u16, Vec<String>) {
    let mut builder = lambda_http::http::Request::builder()
        .method(if body.is_empty() { "GET" } else { "POST" })
        .uri(format!("https://gate.test{path}"));
    if let Some((name, value)) = cookie {
        builder = builder.header("cookie", format!("{name}={value}"));
    }
    if !body.is_empty() {
        builder = builder.header("content-type", "application/x-www-form-urlencoded");
    }
    let response = dispatch(
        &env.deps,
        builder
            .body(lambda_http::Body::Text(body.to_owned()))
            .unwrap(),
    )
    .await;
    let cookies = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap().to_owned())
        .collect();
    (response.status().as_u16(), cookies)
}

/// Disabling an API key in the web console ends its user tokens at the authorizer, as the
/// admin API and the command line do (the console used to disable the key alone, leaving its
/// guard standing).
#[tokio::test]
async fn disabling_an_api_key_in_the_console_ends_its_user_tokens() {
    const PRE: &str = "__Host-dg_pre";
    const ADMIN: &str = "__Host-dg_admin";
    let env = TestEnv::new().await;
    let admin_key = env.admin_key().await;
    user_ada(&env).await;
    let api_key = env
        .api_key(ApiKeySettings {
            allow_untrusted_endpoints: true,
            ..Default::default()
        })
        .await;
    let token = login(&env, &api_key, None, &password_body(), "10.6.0.1")
        .await
        .str("access_token");
    assert_eq!(judge(&env, Some(&token), None).await["isAuthorized"], true);

    let secret = env.deps.settings.server_secret().unwrap();
    let cookie = |cookies: &[String], name: &str| {
        cookies
            .iter()
            .find_map(|c| c.strip_prefix(&format!("{name}=")))
            .unwrap()
            .to_owned()
    };
    let (_, cookies) = console_post(&env, "/admin/console", "", None).await;
    let pre = cookie(&cookies, PRE);
    let sign_in = format!(
        "csrf={}&action=sign_in&admin_key={}",
        enc(&devicegate::web::csrf_for(secret, &pre)),
        enc(&admin_key)
    );
    let (_, cookies) = console_post(&env, "/admin/console", &sign_in, Some((PRE, &pre))).await;
    let session = cookie(&cookies, ADMIN);
    let id = env.store().list_api_keys().await.unwrap()[0].id.clone();
    let disable = format!(
        "csrf={}&action=disable&id={id}&confirm=yes",
        enc(&devicegate::web::csrf_for(secret, &session))
    );
    let (status, _) = console_post(
        &env,
        "/admin/console/api-keys",
        &disable,
        Some((ADMIN, &session)),
    )
    .await;
    assert_eq!(status, 200);
    assert!(env.store().list_api_keys().await.unwrap()[0].disabled);
    assert_eq!(
        judge(&env, Some(&token), None).await["isAuthorized"],
        false,
        "a key disabled in the console still let its user tokens through the authorizer"
    );
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

/// Whoever signed in with the old password loses the user token when an administrator resets
/// it, as page sessions do.
#[tokio::test]
async fn a_password_reset_ends_the_users_tokens() {
    let env = TestEnv::new().await;
    let admin_key = env.admin_key().await;
    user_ada(&env).await;
    let api_key = env.api_key(ApiKeySettings::default()).await;
    let device = trusted_device(&env, &admin_key, &api_key, "kiosk").await;
    let signed_in = login(&env, &api_key, Some(&device), &password_body(), "10.6.0.1").await;
    let token = signed_in.str("access_token");
    assert_eq!(judge(&env, Some(&token), None).await["isAuthorized"], true);
    env.reset_password(&admin_key, "ada", "a brand new password")
        .await
        .assert_error(200, "", "reset");
    assert_eq!(judge(&env, Some(&token), None).await["isAuthorized"], false);
    let refreshed = env
        .token(
            &format!(
                "grant_type=refresh_token&client_id=api&client_secret={}&refresh_token={}",
                enc(&api_key),
                enc(&signed_in.str("refresh_token"))
            ),
            None,
        )
        .await;
    refreshed.assert_error(400, "invalid_grant", "refresh after the reset");
}
