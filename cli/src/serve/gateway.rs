//! The local stand-in for API Gateway: the request context and query parameters it gives a
//! Lambda function, the authorizer in front of protected routes, and loopback hosts only.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request};
use axum::middleware::Next;
use axum::response::Response;
use devicegate::{Deps, routes};
use lambda_http::RequestExt;
use lambda_http::aws_lambda_events::apigw::{
    ApiGatewayRequestAuthorizer, ApiGatewayV2httpRequestContext,
    ApiGatewayV2httpRequestContextHttpDescription,
};
use lambda_http::request::RequestContext;

/// The local stand-in for API Gateway in front of [`routes::router_all`] and `devicegate serve`'s
/// own `GET /health` ([`super::health`]).
pub fn router(deps: Arc<Deps>) -> axum::Router {
    routes::router_all(deps.clone())
        .merge(super::health::routes(deps.clone()))
        .merge(super::openapi::routes())
        .layer(axum::middleware::from_fn_with_state(
            deps,
            api_gateway_context,
        ))
}

/// Gives each request the query parameters and request context (method, path, source address)
/// that API Gateway puts on the requests it hands a Lambda function, and, on the routes of
/// [`routes::PROTECTED`], runs the authorizer first as API Gateway does: 403
/// `{"message":"Forbidden"}` when it refuses, its context in `requestContext.authorizer.lambda`
/// when it allows.
pub(super) async fn api_gateway_context(
    axum::extract::State(deps): axum::extract::State<Arc<Deps>>,
    req: Request,
    next: Next,
) -> Response {
    // A web page that rebinds its own name to 127.0.0.1 would otherwise be same-origin with
    // devicegate: only loopback names are answered.
    if !loopback_host(req.headers().get(axum::http::header::HOST)) {
        let mut refused = Response::new(axum::body::Body::from(
            "devicegate serve answers only requests addressed to a loopback host\n",
        ));
        *refused.status_mut() = axum::http::StatusCode::MISDIRECTED_REQUEST;
        return refused;
    }
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip().to_string());
    let query: std::collections::HashMap<String, String> = req
        .uri()
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let mut described = ApiGatewayV2httpRequestContextHttpDescription::default();
    described.method = req.method().clone();
    described.path = Some(req.uri().path().to_owned());
    described.source_ip = peer;
    let mut context = ApiGatewayV2httpRequestContext::default();
    let protected = routes::PROTECTED
        .iter()
        .any(|(method, path)| req.method().as_str() == *method && req.uri().path() == *path);
    if protected {
        let source = described.source_ip.clone().unwrap_or_default();
        match devicegate::api::authorizer::judge(&deps, req.headers(), &source).await {
            Ok(decision) if decision.is_authorized => {
                let mut authorizer = ApiGatewayRequestAuthorizer::default();
                authorizer.fields = decision.context.into_iter().collect();
                context.authorizer = Some(authorizer);
            }
            Ok(_) => return gateway_answer(403, r#"{"message":"Forbidden"}"#),
            Err(e) => {
                tracing::error!(error = %e, "authorizer failed");
                return gateway_answer(500, r#"{"message":"Internal Server Error"}"#);
            }
        }
    }
    context.http = described;
    let req = req
        .with_query_string_parameters(query)
        .with_request_context(RequestContext::ApiGatewayV2(context));
    next.run(req).await
}

/// A response API Gateway gives on its own (as it does when an authorizer refuses).
pub(super) fn gateway_answer(status: u16, body: &'static str) -> Response {
    let mut response = Response::new(axum::body::Body::from(body));
    *response.status_mut() =
        axum::http::StatusCode::from_u16(status).unwrap_or(axum::http::StatusCode::FORBIDDEN);
    response.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("application/json"),
    );
    response
}

/// Whether a `Host` header names this machine: `localhost`, `127.x.y.z` or `[::1]`, any port.
pub(super) fn loopback_host(host: Option<&axum::http::HeaderValue>) -> bool {
    let Some(host) = host.and_then(|h| h.to_str().ok()) else {
        return false;
    };
    let name = match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    };
    let name = name.trim_start_matches('[').trim_end_matches(']');
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_hosts_are_answered() {
        let host = |h: &str| {
            loopback_host(Some(
                &axum::http::HeaderValue::from_str(h)
                    .unwrap_or_else(|_| axum::http::HeaderValue::from_static("x")),
            ))
        };
        for ok in [
            "127.0.0.1:9000",
            "localhost",
            "LOCALHOST:1",
            "[::1]:9000",
            "127.1.2.3",
        ] {
            assert!(host(ok), "{ok}");
        }
        for refused in [
            "evil.example",
            "evil.example:9000",
            "10.0.0.1:9000",
            "127.0.0.1.evil.example",
            "localhost.evil.example",
        ] {
            assert!(!host(refused), "{refused}");
        }
        assert!(!loopback_host(None));
    }
}
