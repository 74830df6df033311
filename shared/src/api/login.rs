//! The `login` function: Paragon's user login `POST /api/v1/login`, and the sample protected
//! route `GET /api/v1/me` that API Gateway puts behind the `authorizer` function.

use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use serde::Serialize;

use crate::Deps;
use crate::dialect::paragon;
use crate::error::Error;
use crate::http::{json_response, now};
use crate::usecases::user_tokens;

/// Signs a user in and answers a user TokenInfo.
pub async fn login(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    let request = paragon::parse_login(&req)?;
    let origin = crate::api::audit_origin(&req, "paragon");
    let tokens = user_tokens::login(
        &deps.store,
        deps.settings.server_secret()?,
        request,
        &origin,
        now(),
    )
    .await?;
    Ok(paragon::token_response(&tokens))
}

/// `GET /api/v1/me`'s answer.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct Me<'a> {
    authenticated: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    username: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    device_client_id: Option<&'a str>,
    api_key_id: Option<&'a str>,
}

/// Who the caller is, as the authorizer told API Gateway (`requestContext.authorizer.lambda`):
/// the backend behind devicegate reads identities this way and never parses a token.
pub async fn me(_deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    let fields = match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx.authorizer.as_ref().map(|a| &a.fields),
        _ => None,
    };
    // Without the authorizer's context the route was reached around API Gateway's authorizer.
    let fields = fields
        .filter(|f| !f.is_empty())
        .ok_or_else(|| Error::Forbidden("this route sits behind the authorizer".into()))?;
    let text = |name: &str| fields.get(name).and_then(|v| v.as_str());
    Ok(json_response(
        200,
        &Me {
            authenticated: text("kind") == Some("user"),
            username: text("username"),
            device_client_id: text("device_client_id"),
            api_key_id: text("api_key_id"),
        },
    ))
}
