//! An API key's standing, judged at every use: an expired key stops registration, redemption,
//! refresh and introspection; a pending poll or a redemption from outside the key's networks, or
//! under a disabled key, is refused by the key as it is now.

use devicegate::http;
use devicegate::model::{ApiKeySettings, CodeStatus};
use devicegate_tests::*;

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

/// `req` as API Gateway delivers it from `source`.
fn from_source(req: lambda_http::Request, source: &str) -> lambda_http::Request {
    use lambda_http::RequestExt as _;
    use lambda_http::aws_lambda_events::apigw::{
        ApiGatewayV2httpRequestContext, ApiGatewayV2httpRequestContextHttpDescription,
    };
    use lambda_http::request::RequestContext;
    let mut described = ApiGatewayV2httpRequestContextHttpDescription::default();
    described.source_ip = Some(source.to_owned());
    let mut context = ApiGatewayV2httpRequestContext::default();
    context.http = described;
    req.with_request_context(RequestContext::ApiGatewayV2(context))
}

/// A Paragon request to `path` from `source`.
async fn paragon_from(env: &TestEnv, path: &str, body: &str, source: &str) -> Reply {
    let req = from_source(form_request(path, body, None), source);
    Reply::from(dispatch(&env.deps, req).await)
}

/// The id of the only API key.
async fn only_api_key_id(env: &TestEnv) -> String {
    env.store().list_api_keys().await.unwrap()[0].id.clone()
}

/// Sets an API key's `allowed_sources` through the admin API.
async fn limit_api_key(env: &TestEnv, admin: &str, networks: &[&str]) {
    let id = only_api_key_id(env).await;
    let body = serde_json::json!({ "allowed_sources": networks });
    let path = format!("/admin/api-keys/{id}/settings");
    env.admin_post(admin, &path, Some(body))
        .await
        .assert_error(200, "", "settings");
}

/// A pending poll is a use of the API key like any other: from outside the key's networks it is
/// refused (403) and not recorded, and a disabled key's polls are `invalid_client`, not pending.
#[tokio::test]
async fn a_pending_poll_from_outside_the_keys_networks_or_under_a_disabled_key_is_refused() {
    let (env, api_key, admin) = TestEnv::with_keys().await;
    limit_api_key(&env, &admin, &["127.0.0.2/32"]).await;
    let register = register_body("net-1", &api_key);
    let registered = paragon_from(&env, "/oauth/v1/register", &register, "127.0.0.2").await;
    registered.assert_error(200, "", "register from inside");
    let code = registered.str("device_code");
    let poll = poll_body("net-1", &api_key, &code);

    let before = env.snapshot().await;
    let outside = paragon_from(&env, "/oauth/v1/token", &poll, "127.0.0.1").await;
    outside.assert_described_error(403, "access_denied", "a poll from outside");
    assert_eq!(env.snapshot().await, before, "the poll was not recorded");
    let inside = paragon_from(&env, "/oauth/v1/token", &poll, "127.0.0.2").await;
    inside.assert_error(400, "authorization_pending", "a poll from inside");

    let id = only_api_key_id(&env).await;
    env.admin_post(&admin, &format!("/admin/api-keys/{id}/disable"), None)
        .await
        .assert_error(200, "", "disable the key");
    env.force_poll_due(&code).await;
    let before = env.snapshot().await;
    let disabled = paragon_from(&env, "/oauth/v1/token", &poll, "127.0.0.2").await;
    disabled.assert_described_error(401, "invalid_client", "a poll under a disabled key");
    assert_eq!(env.snapshot().await, before, "the poll was not recorded");
}

/// The networks that hold at redemption are the key's as they are now, not as they were when
/// the code was issued.
#[tokio::test]
async fn a_redemption_is_judged_by_the_keys_networks_as_they_are_now() {
    let (env, api_key, admin) = TestEnv::with_keys().await;
    let code = env.register_code(&register_body("net-2", &api_key)).await;
    limit_api_key(&env, &admin, &["127.0.0.2/32"]).await;
    env.device_action(&admin, "net-2", "approve").await;
    env.force_poll_due(&code).await;
    let poll = poll_body("net-2", &api_key, &code);

    let before = env.snapshot().await;
    let outside = paragon_from(&env, "/oauth/v1/token", &poll, "127.0.0.1").await;
    outside.assert_described_error(403, "access_denied", "a redemption from outside");
    assert_eq!(
        env.snapshot().await,
        before,
        "no token issued, the code unspent"
    );
    let inside = paragon_from(&env, "/oauth/v1/token", &poll, "127.0.0.2").await;
    inside.assert_error(200, "", "a redemption from inside");
}
