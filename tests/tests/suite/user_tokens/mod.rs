//! Users on trusted devices: Paragon login, user tokens, the API key policies and the
//! authorizer, end to end over HTTP and as a policy matrix.

mod authorization;
mod login;
mod policy;
mod revocation;

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
        &devicegate_tests::origin(),
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
