//! The huawei and aws device flows: their round trips, and bad requests refused in each
//! dialect's shape with nothing stored.

use super::*;

/// The huawei and aws device flows cost what the oauth2 one costs: one transaction to start,
/// one per pending poll; their errors carry what their SDKs read.
#[tokio::test]
async fn huawei_and_aws_device_flows_cost_one_round_trip_per_start_and_pending_poll() {
    let mut f = fixture().await;
    // Polls are timed in whole seconds: with 1 s, the too-early poll could land on the next one.
    f.env.deps.settings.poll_interval = 5;
    let env = &f.env;
    let huawei = post(
        env,
        "/v1/clients",
        json!({"client_name": "hw", "client_type": "public",
               "token_endpoint_auth_method": "client_secret_post",
               "grant_types": ["urn:ietf:params:oauth:grant-type:device_code", "refresh_token"],
               "response_types": ["code"], "scopes": ["openid"]}),
    )
    .await;
    assert_eq!(huawei.status, 200, "{}", huawei.json);
    assert!(!header(&huawei, "x-request-id").is_empty(), "success too");
    let info = &huawei.json["client_info"];
    let (hw_id, hw_secret) = (
        info["client_id"].as_str().unwrap().to_owned(),
        info["client_secret"].as_str().unwrap().to_owned(),
    );
    assert_eq!(info["token_endpoint"], "https://gate.test/v1/tokens");
    assert_eq!(info["scopes"], json!(["openid"]));

    let (aws_id, aws_secret) = aws_client(env).await;

    env.calls.take();
    let started = post(env, "/v1/device/authorize", json!({"client_id": hw_id, "client_secret": hw_secret, "start_url": "https://start.example"}),
    )
    .await;
    assert_eq!(started.status, 200, "{}", started.json);
    assert_eq!(env.calls.take(), ["TransactWriteItems"], "huawei start");
    let hw_code = started.str("device_code");
    let poll = json!({"client_id": hw_id, "client_secret": hw_secret,
                      "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
                      "device_code": hw_code});
    let pending = post(env, "/v1/tokens", poll.clone()).await;
    assert_eq!(env.calls.take(), ["UpdateItem"], "huawei pending poll");
    assert_eq!(pending.status, 400);
    assert_eq!(pending.json["error_code"], "authorization_pending");
    let too_fast = post(env, "/v1/tokens", poll).await;
    assert_eq!(too_fast.json["error_code"], "slow_down");

    env.calls.take();
    let started = post(env, "/device_authorization", json!({"clientId": aws_id, "clientSecret": aws_secret, "startUrl": "https://start.example"}),
    )
    .await;
    assert_eq!(started.status, 200, "{}", started.json);
    assert_eq!(env.calls.take(), ["TransactWriteItems"], "aws start");
    let poll = json!({"clientId": aws_id, "clientSecret": aws_secret,
                      "grant_type_is_not_this": 1,
                      "grantType": "urn:ietf:params:oauth:grant-type:device_code",
                      "deviceCode": started.str("deviceCode")});
    let pending = post(env, "/token", poll).await;
    assert_eq!(env.calls.take(), ["UpdateItem"], "aws pending poll");
    assert_eq!(
        header(&pending, "x-amzn-errortype"),
        "AuthorizationPendingException"
    );
    assert_eq!(pending.error(), "authorization_pending");

    // A client from one dialect is the same client everywhere: the huawei client's secret
    // works at the oauth2 device authorization endpoint too.
    let elsewhere = start_with_basic(env, &hw_id, &hw_secret).await;
    assert_eq!(elsewhere.status, 400, "{}", elsewhere.json);
    assert_eq!(
        elsewhere.error(),
        "invalid_scope",
        "authenticated, then refused `read`"
    );
}

/// Bad input on the huawei and aws device-flow routes: each dialect's error shape and status,
/// and nothing stored.
#[tokio::test]
async fn bad_device_flow_requests_are_refused_in_each_dialects_shape_and_store_nothing() {
    let f = fixture().await;
    let env = &f.env;
    let (id, secret) = aws_client(env).await;
    let before = env.snapshot().await;
    let json_type = "application/json";
    let huge = format!(r#"{{"client_id": "{}"}}"#, "x".repeat(17 * 1024));
    let long_id = "i".repeat(513);
    let cases: Vec<(&str, &str, String, u16, &str)> = vec![
        ("/v1/device/authorize", "application/x-www-form-urlencoded", "client_id=x".into(), 400, "invalid_request"),
        ("/v1/device/authorize", json_type, "{\"client_id\": ".into(), 400, "invalid_request"),
        ("/v1/device/authorize", json_type, json!({"client_id": id, "client_secret": secret}).to_string(), 400, "invalid_request"),
        ("/v1/device/authorize", json_type, huge.clone(), 400, "invalid_request"),
        ("/v1/device/authorize", json_type, json!({"client_id": long_id, "client_secret": secret, "start_url": "https://s"}).to_string(), 400, "invalid_request"),
        ("/v1/device/authorize", json_type, json!({"client_id": id, "client_secret": "dgs_wrong", "start_url": "https://s"}).to_string(), 401, "invalid_client"),
        ("/v1/tokens", json_type, json!({"client_id": id, "client_secret": secret, "grant_type": "password"}).to_string(), 400, "unsupported_grant_type"),
        ("/v1/tokens", json_type, json!({"client_id": id, "client_secret": secret, "grant_type": "refresh_token"}).to_string(), 400, "invalid_request"),
        ("/v1/tokens", json_type, json!({"client_id": id, "client_secret": secret, "grant_type": "refresh_token", "refresh_token": "dgr_unknown"}).to_string(), 400, "invalid_grant"),
        ("/device_authorization", "text/plain", "{}".into(), 400, "InvalidRequestException"),
        ("/device_authorization", json_type, "[]".into(), 400, "InvalidRequestException"),
        ("/device_authorization", json_type, json!({"clientId": id, "clientSecret": secret}).to_string(), 400, "InvalidRequestException"),
        ("/device_authorization", json_type, huge, 400, "InvalidRequestException"),
        ("/device_authorization", json_type, json!({"clientId": id, "clientSecret": "dgs_wrong", "startUrl": "https://s"}).to_string(), 401, "InvalidClientException"),
        ("/token", json_type, json!({"clientId": id, "clientSecret": secret, "grantType": "password"}).to_string(), 400, "UnsupportedGrantTypeException"),
        ("/token", json_type, json!({"clientId": id, "clientSecret": secret, "grantType": "urn:ietf:params:oauth:grant-type:device_code"}).to_string(), 400, "InvalidRequestException"),
        ("/token", json_type, json!({"clientId": id, "clientSecret": secret, "grantType": "urn:ietf:params:oauth:grant-type:device_code", "deviceCode": "dgc_unknown"}).to_string(), 400, "InvalidGrantException"),
        ("/token", json_type, json!({"clientId": id, "clientSecret": secret, "grantType": "refresh_token", "refreshToken": "dgr_x", "scope": ["a\"b"]}).to_string(), 400, "InvalidScopeException"),
    ];
    for (path, content_type, body, status, expected) in &cases {
        let reply = raw(env, path, content_type, body).await;
        let label = format!("{path} {}", &body[..body.len().min(80)]);
        assert_eq!(reply.status, *status, "{label}: {}", reply.json);
        if path.starts_with("/v1/") {
            assert_eq!(reply.json["error_code"], *expected, "{label}");
            assert!(!header(&reply, "x-request-id").is_empty(), "{label}");
        } else {
            assert_eq!(header(&reply, "x-amzn-errortype"), *expected, "{label}");
        }
    }
    assert_eq!(
        env.snapshot().await,
        before,
        "a refused request stores nothing"
    );
}
