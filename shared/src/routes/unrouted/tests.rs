use lambda_http::http::header;
use lambda_http::{Body, Request, Response};
use tower::ServiceExt as _;

use super::*;
use crate::routes::{self, METADATA};

fn all_rows() -> Vec<Row> {
    let mut rows = Vec::new();
    for (function, method, path) in routes::table() {
        let shape = match (function, path) {
            (routes::Function::Admin, _) => ErrorShape::Admin,
            (_, "/v1/device/authorize" | "/v1/clients" | "/v1/tokens") => ErrorShape::Huawei,
            (_, "/device_authorization" | "/client/register" | "/token" | "/authorize") => {
                ErrorShape::Aws
            }
            _ => ErrorShape::OAuth,
        };
        rows.push(Row {
            method,
            path,
            shape,
        });
    }
    rows
}

fn request(method: &str, path: &str) -> Request {
    lambda_http::http::Request::builder()
        .method(method)
        .uri(format!("https://gate.test{path}"))
        .body(Body::Empty)
        .unwrap_or_default()
}

fn header_of(response: &Response<Body>, name: header::HeaderName) -> &str {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

fn body_of(response: &Response<Body>) -> String {
    match response.body() {
        Body::Text(text) => text.clone(),
        Body::Binary(bytes) => String::from_utf8_lossy(bytes).into_owned(),
        _ => String::new(),
    }
}

fn json_of(response: &Response<Body>) -> serde_json::Value {
    serde_json::from_str(&body_of(response)).unwrap_or_default()
}

#[test]
fn an_unknown_api_path_is_a_404_in_its_dialect() {
    let rows = all_rows();
    for (path, shape, code_field) in [
        ("/oauth2/nothing", ErrorShape::OAuth, "error"),
        ("/v1/nothing", ErrorShape::Huawei, "error_code"),
        ("/admin/nothing", ErrorShape::Admin, "error"),
        ("/client/nothing", ErrorShape::Aws, "error"),
        ("/nothing/at/all", ErrorShape::OAuth, "error"),
        ("/", ErrorShape::OAuth, "error"),
    ] {
        let (stamped, response) = answer(&rows, &request("GET", path));
        assert_eq!(stamped, shape, "{path}");
        assert_eq!(response.status(), 404, "{path}");
        assert_eq!(
            header_of(&response, header::CONTENT_TYPE),
            "application/json"
        );
        let json = json_of(&response);
        assert_eq!(json[code_field], "not_found", "{path}: {json}");
        assert!(
            json["error_description"]
                .as_str()
                .is_some_and(|d| d.contains(path)),
            "{json}"
        );
    }
}

#[test]
fn an_unknown_page_path_is_a_404_page() {
    let rows = all_rows();
    for (path, start) in [
        ("/device/nothing", "/device"),
        ("/signin/a/b", "/device"),
        ("/admin/console/users/x", "/admin/console"),
    ] {
        let (_, response) = answer(&rows, &request("GET", path));
        assert_eq!(response.status(), 404, "{path}");
        assert_eq!(
            header_of(&response, header::CONTENT_TYPE),
            "text/html; charset=utf-8"
        );
        let body = body_of(&response);
        assert!(body.contains("There is no page at this address."), "{body}");
        assert!(body.contains(&format!("href=\"{start}\"")), "{body}");
    }
}

#[test]
fn a_method_a_route_does_not_take_is_a_405_with_allow() {
    let rows = all_rows();
    let (shape, response) = answer(&rows, &request("GET", "/v1/tokens"));
    assert_eq!(shape, ErrorShape::Huawei);
    assert_eq!(response.status(), 405);
    assert_eq!(header_of(&response, header::ALLOW), "POST");
    assert_eq!(json_of(&response)["error_code"], "invalid_request");

    let (_, response) = answer(&rows, &request("PATCH", "/oauth2/register/some-client"));
    assert_eq!(response.status(), 405);
    assert_eq!(header_of(&response, header::ALLOW), "GET, PUT, DELETE");

    let (_, response) = answer(&rows, &request("DELETE", "/device"));
    assert_eq!(response.status(), 405);
    assert_eq!(header_of(&response, header::ALLOW), "GET, POST");
    assert!(header_of(&response, header::CONTENT_TYPE).starts_with("text/html"));
    assert!(body_of(&response).contains("does not accept DELETE"));
}

#[test]
fn patterns_match_one_segment_per_parameter() {
    assert!(matches("/signin/{id}", "/signin/acme"));
    assert!(!matches("/signin/{id}", "/signin/"));
    assert!(!matches("/signin/{id}", "/signin/a/b"));
    assert!(!matches("/device", "/device/"));
    assert!(matches("/device", "/device"));
}

/// The router itself: a function's router answers what it does not serve in its family.
#[tokio::test]
async fn a_functions_router_answers_404_and_405_with_bodies() -> Result<(), String> {
    let settings =
        crate::Settings::with_secret(crate::secrets::ServerSecret::from_bytes(vec![7; 32]));
    let router = routes::router(METADATA, std::sync::Arc::new(settings));
    let send = |method: &str, path: &str| {
        let router = router.clone();
        let req = axum::http::Request::builder()
            .method(method)
            .uri(path)
            .body(axum::body::Body::empty());
        async move {
            let req = req.map_err(|e| e.to_string())?;
            let response = router.oneshot(req).await.map_err(|e| e.to_string())?;
            let (parts, body) = response.into_parts();
            let bytes = axum::body::to_bytes(body, 1 << 20)
                .await
                .map_err(|e| e.to_string())?;
            Ok::<_, String>((parts, String::from_utf8_lossy(&bytes).into_owned()))
        }
    };
    let (parts, body) = send("GET", "/.well-known/nothing").await?;
    assert_eq!(parts.status, 404);
    assert_eq!(parts.headers[header::CONTENT_TYPE], "application/json");
    assert!(body.contains(r#""error":"not_found""#), "{body}");
    let (parts, body) = send("POST", "/.well-known/jwks.json").await?;
    assert_eq!(parts.status, 405);
    assert_eq!(parts.headers[header::ALLOW], "GET");
    assert!(body.contains(r#""error":"invalid_request""#), "{body}");
    Ok(())
}
