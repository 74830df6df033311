//! Client registration in every dialect (RFC 7591/7592 at `/oauth2/register`, huawei
//! `/v1/clients`, aws `/client/register`) and the huawei and aws device flows, through the one
//! route table: what is stored, what each dialect's errors look like, what it costs in round
//! trips, and that a refused request stores nothing.

use devicegate::config::RegistrationPolicy;
use devicegate_tests::oauth::fixture;
use devicegate_tests::{Reply, TestEnv, dispatch, enc};
use lambda_http::Body;
use serde_json::{Value, json};

/// A JSON request to any route, with an optional Bearer token.
async fn send(env: &TestEnv, method: &str, path: &str, bearer: Option<&str>, body: Value) -> Reply {
    let body = (method == "POST" || method == "PUT").then_some(body);
    env.admin(method, path, bearer, body).await
}

/// A JSON POST without credentials.
async fn post(env: &TestEnv, path: &str, body: Value) -> Reply {
    send(env, "POST", path, None, body).await
}

/// The RFC 8414 metadata document.
async fn metadata(env: &TestEnv) -> Reply {
    let path = "/.well-known/oauth-authorization-server";
    send(env, "GET", path, None, Value::Null).await
}

/// A client registered through the aws dialect: its id and secret.
async fn aws_client(env: &TestEnv) -> (String, String) {
    let aws = post(
        env,
        "/client/register",
        json!({"clientName": "aws", "clientType": "public"}),
    )
    .await;
    assert_eq!(aws.status, 200, "{}", aws.json);
    (aws.str("clientId"), aws.str("clientSecret"))
}

/// A huawei registration body for these grants.
fn huawei_registration(grant_types: &[&str]) -> Value {
    json!({"client_name": "hw", "client_type": "public",
           "token_endpoint_auth_method": "client_secret_post",
           "grant_types": grant_types, "response_types": []})
}

/// A request with exactly this content type and body.
async fn raw(env: &TestEnv, path: &str, content_type: &str, body: &str) -> Reply {
    let req = lambda_http::http::Request::builder()
        .method("POST")
        .uri(format!("https://gate.test{path}"))
        .header("content-type", content_type)
        .body(Body::Text(body.to_owned()))
        .unwrap();
    Reply::from(dispatch(&env.deps, req).await)
}

async fn start_with_basic(env: &TestEnv, client_id: &str, secret: &str) -> Reply {
    env.oauth2(
        "/oauth2/device_authorization",
        "scope=read",
        Some((client_id, secret)),
    )
    .await
}

fn header<'a>(reply: &'a Reply, name: &str) -> &'a str {
    reply
        .headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

#[tokio::test]
async fn rfc7591_registers_and_rfc7592_reads_updates_and_deletes() {
    let f = fixture().await;
    let env = &f.env;
    let now = devicegate::http::now();
    let metadata = json!({
        "client_name": "Kiosk fleet",
        "redirect_uris": ["https://kiosk.example/callback", "com.example.kiosk:/cb"],
        "grant_types": ["urn:ietf:params:oauth:grant-type:device_code", "refresh_token"],
        "token_endpoint_auth_method": "client_secret_basic",
        "scope": "read write",
        "logo_uri": "https://kiosk.example/logo.png",
    });
    env.calls.take();
    let created = post(env, "/oauth2/register", metadata).await;
    assert_eq!(created.status, 201, "{}", created.json);
    assert_eq!(
        env.calls.take(),
        ["TransactWriteItems"],
        "rate-limit window and client in one round trip"
    );
    let client_id = created.str("client_id");
    let secret = created.str("client_secret");
    let access_token = created.str("registration_access_token");
    assert!(client_id.starts_with("dyn-"));
    assert!(secret.starts_with("dgs_"));
    assert!(access_token.starts_with("dgrat_"));
    let issued = created.json["client_id_issued_at"].as_i64().unwrap();
    assert!((now - 5..=now + 5).contains(&issued));
    assert_eq!(
        created.json["client_secret_expires_at"].as_i64(),
        Some(issued + 90 * 86_400)
    );
    assert_eq!(
        created.str("registration_client_uri"),
        format!("https://gate.test/oauth2/register/{client_id}")
    );
    assert_eq!(created.str("client_name"), "Kiosk fleet");
    assert_eq!(created.str("scope"), "read write");
    assert_eq!(
        created.str("token_endpoint_auth_method"),
        "client_secret_basic"
    );
    assert_eq!(
        created.json["redirect_uris"],
        json!(["https://kiosk.example/callback", "com.example.kiosk:/cb"])
    );
    assert_eq!(created.json["response_types"], json!(["code"]));
    assert!(
        created.json.get("logo_uri").is_none(),
        "unknown metadata is not kept"
    );

    // The secret works at once, and the admin API sees where the client came from.
    assert_eq!(start_with_basic(env, &client_id, &secret).await.status, 200);
    let admin_key = env.admin_key().await;
    let listed = env
        .admin("GET", "/admin/clients", Some(&admin_key), None)
        .await;
    let view = listed.json["clients"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["client_id"] == client_id.as_str())
        .unwrap()
        .clone();
    assert_eq!(view["origin"], "rfc7591");
    assert!(view["last_used_at"].is_string(), "{view}");
    assert!(view["expires_at"].is_string(), "{view}");

    let uri = format!("/oauth2/register/{client_id}");
    let read = send(env, "GET", &uri, Some(&access_token), Value::Null).await;
    assert_eq!(read.status, 200, "{}", read.json);
    assert_eq!(read.str("client_name"), "Kiosk fleet");
    assert!(read.json.get("client_secret").is_none());
    assert!(read.json.get("registration_access_token").is_none());

    for bearer in [None, Some("dgrat_wrong"), Some(secret.as_str())] {
        let refused = send(env, "GET", &uri, bearer, Value::Null).await;
        assert_eq!(refused.status, 401, "{bearer:?}");
        assert_eq!(refused.error(), "invalid_token");
        assert!(header(&refused, "www-authenticate").contains("invalid_token"));
    }
    let elsewhere = send(
        env,
        "GET",
        &format!("/oauth2/register/{}", f.cli_id),
        Some(&access_token),
        Value::Null,
    )
    .await;
    assert_eq!(elsewhere.status, 401, "a token manages only its own client");

    // A PUT may not change what a person may be looking at on the page: the name stays, the
    // scope only narrows, and a secret cannot be dropped.
    let put = |body: Value| send(env, "PUT", &uri, Some(&access_token), body);
    let before_refusals = env.snapshot().await;
    for (body, why) in [
        (
            json!({"client_id": "someone-else", "client_name": "Kiosk fleet"}),
            "another id",
        ),
        (
            json!({"client_id": client_id, "client_name": "Corp IT"}),
            "a new name",
        ),
        (
            json!({"client_id": client_id, "client_name": "Kiosk fleet", "scope": "read write openid",
                   "token_endpoint_auth_method": "client_secret_basic"}),
            "a wider scope",
        ),
        (
            json!({"client_id": client_id, "client_name": "Kiosk fleet", "scope": "read",
                   "token_endpoint_auth_method": "none"}),
            "dropping the secret",
        ),
    ] {
        let refused = put(body).await;
        assert_eq!(
            (refused.status, refused.error()),
            (400, "invalid_client_metadata"),
            "{why}: {}",
            refused.json
        );
    }
    assert_eq!(env.snapshot().await, before_refusals);
    let updated = put(json!({
        "client_id": client_id,
        "client_name": "Kiosk fleet",
        "grant_types": ["urn:ietf:params:oauth:grant-type:device_code", "refresh_token"],
        "scope": "read",
    }))
    .await;
    assert_eq!(updated.status, 200, "{}", updated.json);
    assert_eq!(updated.str("scope"), "read");
    assert_eq!(updated.json["redirect_uris"], json!([]), "PUT replaces");
    let new_secret = updated.str("client_secret");
    assert_ne!(new_secret, secret, "an update issues a new secret");
    let new_access_token = updated.str("registration_access_token");
    assert_ne!(
        new_access_token, access_token,
        "and a new registration access token"
    );
    assert_eq!(
        send(env, "GET", &uri, Some(&access_token), Value::Null)
            .await
            .status,
        401,
        "the old registration access token is spent"
    );
    let access_token = new_access_token;
    assert_eq!(
        start_with_basic(env, &client_id, &secret).await.status,
        401,
        "the old secret is gone"
    );

    // Tokens issued before the delete die with the client.
    let started = start_with_basic(env, &client_id, &new_secret).await;
    assert_eq!(started.status, 200, "{}", started.json);
    let device_code = started.str("device_code");
    assert!(env.approve_on_page(&device_code, "ada", Some("read")).await);
    env.force_poll_due(&device_code).await;
    let tokens = env
        .oauth2(
            "/oauth2/token",
            &format!(
                "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code&device_code={}",
                enc(&device_code)
            ),
            Some((&client_id, &new_secret)),
        )
        .await;
    assert_eq!(tokens.status, 200, "{}", tokens.json);
    assert_eq!(
        env.introspect(&tokens.str("access_token")).await.json["active"],
        true
    );

    let deleted = send(env, "DELETE", &uri, Some(&access_token), Value::Null).await;
    assert_eq!(deleted.status, 204);
    assert_eq!(
        send(env, "GET", &uri, Some(&access_token), Value::Null)
            .await
            .status,
        401
    );
    let after = start_with_basic(env, &client_id, &new_secret).await;
    assert_eq!((after.status, after.error()), (401, "invalid_client"));
    assert_eq!(
        env.introspect(&tokens.str("access_token")).await.json["active"],
        false
    );
}

#[tokio::test]
async fn public_rfc7591_clients_get_no_secret_and_software_statements_are_refused() {
    let f = fixture().await;
    let env = &f.env;
    let public = post(
        env,
        "/oauth2/register",
        json!({
            "client_name": "Native app",
            "redirect_uris": ["http://127.0.0.1:8400/cb"],
            "token_endpoint_auth_method": "none",
        }),
    )
    .await;
    assert_eq!(public.status, 201, "{}", public.json);
    assert!(public.json.get("client_secret").is_none());
    assert!(public.json.get("client_secret_expires_at").is_none());
    assert_eq!(
        public.json["grant_types"],
        json!(["authorization_code"]),
        "RFC 7591 default"
    );

    let before = env.snapshot().await;
    let statement = post(
        env,
        "/oauth2/register",
        json!({"client_name": "x", "software_statement": "eyJhbGciOi..."}),
    )
    .await;
    assert_eq!(
        (statement.status, statement.error()),
        (400, "unapproved_software_statement")
    );
    assert_eq!(env.snapshot().await, before);
}

/// Bad input for each registration route: the dialect's error shape and status, and nothing
/// stored (every table scanned before and after).
#[tokio::test]
async fn bad_registrations_are_refused_in_each_dialects_shape_and_store_nothing() {
    let f = fixture().await;
    let env = &f.env;
    let before = env.snapshot().await;
    let json_type = "application/json";
    let long_name = "n".repeat(1025);
    let too_many: Vec<String> = (0..11).map(|i| format!("https://a.example/{i}")).collect();
    let long_uri = format!("https://a.example/{}", "p".repeat(2040));
    let huge = format!(r#"{{"client_name": "{}"}}"#, "x".repeat(17 * 1024));
    let cases: Vec<(&str, &str, String, u16, &str)> = vec![
        (
            "/oauth2/register",
            "text/plain",
            "{}".into(),
            400,
            "invalid_client_metadata",
        ),
        (
            "/oauth2/register",
            json_type,
            "{not json".into(),
            400,
            "invalid_client_metadata",
        ),
        (
            "/oauth2/register",
            json_type,
            "{}".into(),
            400,
            "invalid_client_metadata",
        ),
        (
            "/oauth2/register",
            json_type,
            huge.clone(),
            400,
            "invalid_client_metadata",
        ),
        (
            "/oauth2/register",
            json_type,
            json!({"client_name": long_name}).to_string(),
            400,
            "invalid_client_metadata",
        ),
        (
            "/oauth2/register",
            json_type,
            json!({"client_name": "x", "redirect_uris": too_many}).to_string(),
            400,
            "invalid_client_metadata",
        ),
        (
            "/oauth2/register",
            json_type,
            json!({"client_name": "x", "redirect_uris": [long_uri]}).to_string(),
            400,
            "invalid_redirect_uri",
        ),
        (
            "/oauth2/register",
            json_type,
            json!({"client_name": "x", "redirect_uris": ["https://a.example/cb#frag"]}).to_string(),
            400,
            "invalid_redirect_uri",
        ),
        (
            "/oauth2/register",
            json_type,
            json!({"client_name": "x", "redirect_uris": ["https://*.example/cb"]}).to_string(),
            400,
            "invalid_redirect_uri",
        ),
        (
            "/oauth2/register",
            json_type,
            json!({"client_name": "x", "grant_types": ["password"]}).to_string(),
            400,
            "invalid_client_metadata",
        ),
        (
            "/oauth2/register",
            json_type,
            json!({"client_name": "x", "client_id": "mine"}).to_string(),
            400,
            "invalid_client_metadata",
        ),
        (
            "/oauth2/register",
            json_type,
            json!({"client_name": "x", "scope": "read admin"}).to_string(),
            400,
            "invalid_client_metadata",
        ),
        (
            "/oauth2/register",
            json_type,
            json!({"client_name": "Corp IT\u{201d} (verified)"}).to_string(),
            400,
            "invalid_client_metadata",
        ),
        (
            "/client/register",
            json_type,
            json!({"clientName": "x", "clientType": "public", "scopes": ["payments:write"]})
                .to_string(),
            400,
            "InvalidClientMetadataException",
        ),
        (
            "/v1/clients",
            "text/plain",
            "{}".into(),
            400,
            "invalid_request",
        ),
        (
            "/v1/clients",
            json_type,
            "[1, 2".into(),
            400,
            "invalid_request",
        ),
        (
            "/v1/clients",
            json_type,
            huge.clone(),
            400,
            "invalid_request",
        ),
        (
            "/v1/clients",
            json_type,
            json!({"client_name": "x", "token_endpoint_auth_method": "client_secret_post",
                   "grant_types": ["refresh_token"], "response_types": []})
            .to_string(),
            400,
            "invalid_request",
        ),
        (
            "/v1/clients",
            json_type,
            json!({"client_name": "x", "client_type": "public",
                   "token_endpoint_auth_method": "client_secret_basic",
                   "grant_types": ["refresh_token"], "response_types": []})
            .to_string(),
            400,
            "invalid_client_metadata",
        ),
        (
            "/v1/clients",
            json_type,
            json!({"client_name": "x", "client_type": "public",
                   "token_endpoint_auth_method": "client_secret_post",
                   "grant_types": ["implicit"], "response_types": ["token"]})
            .to_string(),
            400,
            "invalid_client_metadata",
        ),
        (
            "/client/register",
            json_type,
            "{".into(),
            400,
            "InvalidRequestException",
        ),
        (
            "/client/register",
            json_type,
            json!({"clientType": "public"}).to_string(),
            400,
            "InvalidRequestException",
        ),
        (
            "/client/register",
            json_type,
            json!({"clientName": "x", "clientType": "confidential"}).to_string(),
            400,
            "InvalidClientMetadataException",
        ),
        (
            "/client/register",
            json_type,
            json!({"clientName": long_name, "clientType": "public"}).to_string(),
            400,
            "InvalidClientMetadataException",
        ),
        (
            "/client/register",
            json_type,
            json!({"clientName": "x", "clientType": "public",
                   "redirectUris": ["http://evil.example/cb"]})
            .to_string(),
            400,
            "InvalidRedirectUriException",
        ),
    ];
    for (path, content_type, body, status, expected) in &cases {
        let reply = raw(env, path, content_type, body).await;
        let label = format!("{path} {content_type} {}", &body[..body.len().min(60)]);
        assert_eq!(reply.status, *status, "{label}: {}", reply.json);
        match *path {
            "/v1/clients" => {
                assert_eq!(reply.json["error_code"], *expected, "{label}");
                assert!(
                    reply.json["error_msg"]
                        .as_str()
                        .is_some_and(|m| !m.is_empty())
                );
                assert_eq!(reply.json["error"], *expected, "{label}");
                assert!(!header(&reply, "x-request-id").is_empty(), "{label}");
            }
            "/client/register" => {
                assert_eq!(header(&reply, "x-amzn-errortype"), *expected, "{label}");
                assert!(reply.json["error_description"].is_string(), "{label}");
                assert!(!header(&reply, "x-amzn-requestid").is_empty(), "{label}");
            }
            _ => assert_eq!(reply.error(), *expected, "{label}"),
        }
    }
    assert_eq!(
        env.snapshot().await,
        before,
        "a refused registration stores nothing"
    );
}

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
    let before = env.snapshot().await;
    let oauth = post(&env, "/oauth2/register", json!({"client_name": "x"})).await;
    assert_eq!((oauth.status, oauth.error()), (429, "too_many_attempts"));
    let huawei = post(&env, "/v1/clients", huawei_registration(&["refresh_token"])).await;
    assert_eq!(huawei.status, 429);
    assert_eq!(huawei.json["error_code"], "too_many_attempts");
    let aws = post(&env, "/client/register", aws).await;
    assert_eq!(aws.status, 400);
    assert_eq!(header(&aws, "x-amzn-errortype"), "SlowDownException");
    assert_eq!(
        env.snapshot().await,
        before,
        "over the limit, nothing is written"
    );
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

/// Expired is expired before TTL deletes it: a self-registered client whose secret or idle
/// time ran out authenticates nowhere.
#[tokio::test]
async fn expired_secrets_and_idle_clients_do_not_authenticate() {
    use aws_sdk_dynamodb::types::AttributeValue;
    let env = TestEnv::new().await;
    let stored = |id: String| {
        let env = &env;
        async move { env.store().get_client(&id).await.unwrap().unwrap() }
    };
    for attribute in ["secret_expires_at", "expires_at"] {
        let (id, secret) = aws_client(&env).await;
        let now = devicegate::http::now();
        let unused_until = stored(id.clone()).await.expires_at.unwrap();
        assert!(
            (now - 5..=now + 5).contains(&(unused_until - 86_400)),
            "an unused registration lives a day"
        );
        let start =
            json!({"clientId": id, "clientSecret": secret, "startUrl": "https://s.example"});
        assert_eq!(
            post(&env, "/device_authorization", start.clone())
                .await
                .status,
            200
        );
        let used = stored(id.clone()).await;
        assert!(used.last_used_at.is_some());
        assert!(
            used.expires_at.unwrap() >= now + 90 * 86_400 - 5,
            "a use moves the idle expiry on"
        );
        env.store()
            .client()
            .update_item()
            .table_name(&env.store().tables().clients)
            .key("client_id", AttributeValue::S(id.clone()))
            .update_expression("SET #a = :past")
            .expression_attribute_names("#a", attribute)
            .expression_attribute_values(":past", AttributeValue::N("1".into()))
            .send()
            .await
            .unwrap();
        let refused = post(&env, "/device_authorization", start).await;
        assert_eq!(refused.status, 401, "{attribute}");
        assert_eq!(
            header(&refused, "x-amzn-errortype"),
            "InvalidClientException"
        );
    }
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

#[tokio::test]
async fn administrators_delete_self_registered_clients_and_disable_their_own() {
    let f = fixture().await;
    let env = &f.env;
    let admin_key = env.admin_key().await;
    let (id, secret) = aws_client(env).await;
    let deleted = env
        .admin(
            "POST",
            &format!("/admin/clients/{id}/delete"),
            Some(&admin_key),
            None,
        )
        .await;
    assert_eq!(deleted.status, 200, "{}", deleted.json);
    assert_eq!(deleted.json["origin"], "aws");
    assert!(env.store().get_client(&id).await.unwrap().is_none());
    let start = json!({"clientId": id, "clientSecret": secret, "startUrl": "https://s.example"});
    assert_eq!(post(env, "/device_authorization", start).await.status, 401);

    let own = env
        .admin(
            "POST",
            &format!("/admin/clients/{}/delete", f.cli_id),
            Some(&admin_key),
            None,
        )
        .await;
    assert_eq!((own.status, own.error()), (409, "conflict"));
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
