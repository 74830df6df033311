//! The `authorizer` function: an API Gateway HTTP API Lambda authorizer (payload format 2.0,
//! simple responses). It is invoked for every request to a protected route, with or without an
//! `Authorization` header, and answers `{"isAuthorized", "context"}`; API Gateway answers 403
//! itself when it is false and hands `context` to the backend as
//! `requestContext.authorizer.lambda`.

use lambda_http::aws_lambda_events::apigw::ApiGatewayV2CustomAuthorizerV2Request;
use lambda_http::http::HeaderMap;
use serde::Serialize;

use crate::Deps;
use crate::error::Error;
use crate::usecases::user_tokens::{self, Authorization, AuthorizerInput};

/// The simple response of an HTTP API Lambda authorizer.
#[derive(Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthorizerResponse {
    pub is_authorized: bool,
    /// String values only: API Gateway passes them on as they are.
    pub context: serde_json::Map<String, serde_json::Value>,
}

/// Judges one authorizer event.
pub async fn handle(
    deps: &Deps,
    event: &ApiGatewayV2CustomAuthorizerV2Request,
) -> Result<AuthorizerResponse, Error> {
    let source = event
        .request_context
        .http
        .source_ip
        .as_deref()
        .unwrap_or("");
    judge(deps, &event.headers, source).await
}

/// Judges a request's headers (the local server calls this in front of protected routes, as API
/// Gateway calls the function). A header sent twice or not in ASCII counts as absent.
pub async fn judge(
    deps: &Deps,
    headers: &HeaderMap,
    source: &str,
) -> Result<AuthorizerResponse, Error> {
    let single = |name: &str| {
        let mut values = headers.get_all(name).iter();
        match (values.next(), values.next()) {
            (Some(one), None) => one.to_str().ok(),
            _ => None,
        }
    };
    let input = AuthorizerInput {
        authorization: single("authorization"),
        api_key: single(crate::dialect::paragon::API_KEY_HEADER),
        source,
    };
    let decision = user_tokens::authorize(&deps.store, input, crate::http::now()).await?;
    let mut context = serde_json::Map::new();
    let mut put = |name: &str, value: &str| {
        context.insert(name.to_owned(), serde_json::Value::from(value));
    };
    let is_authorized = match &decision {
        Authorization::User {
            username,
            device_client_id,
            api_key_id,
        } => {
            put("kind", "user");
            put("username", username);
            if let Some(device) = device_client_id {
                put("device_client_id", device);
            }
            put("api_key_id", api_key_id);
            true
        }
        Authorization::Unauthenticated { api_key_id } => {
            put("kind", "unauthenticated");
            put("api_key_id", api_key_id);
            true
        }
        Authorization::Denied => false,
    };
    // The function's `main` logs the decision, with its metrics, once the store is done.
    Ok(AuthorizerResponse {
        is_authorized,
        context,
    })
}
