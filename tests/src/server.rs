//! devicegate served over real HTTP on loopback, for clients nobody here wrote (the `oauth2`
//! crate, a browser). Each request becomes the `lambda_http::Request` API Gateway would deliver
//! (path, query parameters, headers, body, and a request context carrying the source address)
//! and goes to the handler of the function `template.yaml` routes it to.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use devicegate::Deps;
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use lambda_http::aws_lambda_events::apigw::{
    ApiGatewayV2httpRequestContext, ApiGatewayV2httpRequestContextHttpDescription,
};
use lambda_http::request::RequestContext;
use lambda_http::{Body, RequestExt};

/// Serves `deps` on an ephemeral loopback port until the test's runtime ends; returns the base
/// URL (`http://127.0.0.1:PORT`), which is also the issuer.
pub async fn serve(mut deps: Deps) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    deps.settings.issuer = Some(format!("http://{addr}"));
    let deps = Arc::new(deps);
    tokio::spawn(async move {
        loop {
            let Ok((stream, peer)) = listener.accept().await else {
                continue;
            };
            let deps = deps.clone();
            tokio::spawn(async move {
                let service = service_fn(move |req| {
                    let deps = deps.clone();
                    async move { Ok::<_, std::convert::Infallible>(handle(&deps, req, peer).await) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    format!("http://{addr}")
}

async fn handle(
    deps: &Deps,
    req: hyper::Request<Incoming>,
    peer: SocketAddr,
) -> hyper::Response<Full<Bytes>> {
    let (parts, body) = req.into_parts();
    let bytes = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let host = parts
        .headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1")
        .to_owned();
    let path = parts.uri.path().to_owned();
    let query: HashMap<String, String> = parts.uri.query().map(url_pairs).unwrap_or_default();
    let mut builder = lambda_http::http::Request::builder()
        .method(parts.method.clone())
        .uri(format!("http://{host}{}", parts.uri));
    for (name, value) in &parts.headers {
        builder = builder.header(name, value);
    }
    let body = crate::body_of(&bytes);
    let mut described = ApiGatewayV2httpRequestContextHttpDescription::default();
    described.method = parts.method.clone();
    described.path = Some(path.clone());
    described.source_ip = Some(peer.ip().to_string());
    let mut context = ApiGatewayV2httpRequestContext::default();
    context.http = described;
    let context = RequestContext::ApiGatewayV2(context);
    let req = builder
        .body(body)
        .unwrap()
        .with_query_string_parameters(query)
        .with_request_context(context);
    let response = crate::dispatch(deps, req).await;
    let (parts, body) = response.into_parts();
    let bytes = match body {
        Body::Text(t) => Bytes::from(t),
        Body::Binary(b) => Bytes::from(b),
        _ => Bytes::new(),
    };
    hyper::Response::from_parts(parts, Full::new(bytes))
}

fn url_pairs(query: &str) -> HashMap<String, String> {
    query
        .split('&')
        .filter_map(|p| p.split_once('=').or(Some((p, ""))))
        .map(|(k, v)| {
            let decode = |s: &str| {
                percent_encoding::percent_decode_str(&s.replace('+', " "))
                    .decode_utf8_lossy()
                    .into_owned()
            };
            (decode(k), decode(v))
        })
        .collect()
}
