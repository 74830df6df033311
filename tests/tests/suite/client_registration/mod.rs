//! Client registration in every dialect (RFC 7591/7592 at `/oauth2/register`, huawei
//! `/v1/clients`, aws `/client/register`) and the huawei and aws device flows, through the one
//! route table: what is stored, what each dialect's errors look like, what it costs in round
//! trips, and that a refused request stores nothing.

mod device_flows;
mod lifecycle;
mod policy;
mod refusals;

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
