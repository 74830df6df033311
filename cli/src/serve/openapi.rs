//! `GET /openapi/<dialect>.json`: the dialect's OpenAPI 3.1 document ([`devicegate::openapi`],
//! as committed in docs/openapi/), for tools pointed at `devicegate serve`. A deployed stack
//! serves none: the documents are in the repository.

use axum::extract::RawPathParams;
use devicegate::error::Error;
use devicegate::http::{self, ErrorShape, Site};
use devicegate::openapi::{Dialect, document_json};
use devicegate::routes;

pub const PATH: &str = "/openapi/{file}";
const SITE: Site = Site {
    function: routes::LOCAL_FUNCTION,
    route: PATH,
};

pub(super) fn routes() -> axum::Router {
    let handler = |params: RawPathParams, req: axum::extract::Request| async move {
        let file = params
            .iter()
            .find(|(name, _)| *name == "file")
            .map(|(_, value)| value.to_owned())
            .unwrap_or_default();
        let req = http::from_axum(req, &params).await;
        let response = http::serve(req, SITE, ErrorShape::OAuth, |_| async move {
            let dialect = file
                .strip_suffix(".json")
                .and_then(Dialect::from_name)
                .ok_or_else(|| {
                    Error::NotFound(format!(
                        "no such document: /openapi/{}.json is one of {}",
                        "<dialect>",
                        Dialect::ALL.map(Dialect::name).join(", ")
                    ))
                })?;
            let mut response =
                lambda_http::Response::new(lambda_http::Body::from(document_json(dialect)));
            response.headers_mut().insert(
                lambda_http::http::header::CONTENT_TYPE,
                lambda_http::http::HeaderValue::from_static("application/json"),
            );
            Ok(response)
        })
        .await;
        http::into_axum(response)
    };
    axum::Router::new().route(PATH, axum::routing::get(handler))
}
