//! Requests no route takes, over HTTP through `devicegate serve`'s router: an API path answers
//! a JSON 404 in its dialect, a page path an HTML 404 page, a method a route does not accept a
//! 405 naming the methods it does in `Allow`.

use devicegate_tests::*;

async fn send(method: reqwest::Method, url: String) -> (u16, String, String, String) {
    let response = oauth::http_client()
        .request(method, url)
        .send()
        .await
        .unwrap();
    let header = |name: reqwest::header::HeaderName| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    let (content_type, allow) = (
        header(reqwest::header::CONTENT_TYPE),
        header(reqwest::header::ALLOW),
    );
    let status = response.status().as_u16();
    (status, content_type, allow, response.text().await.unwrap())
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_in_their_family() {
    let env = TestEnv::new().await;
    let base = server::serve(env.deps.clone()).await;

    let (status, content_type, _, body) =
        send(reqwest::Method::POST, format!("{base}/v1/nothing")).await;
    assert_eq!((status, content_type.as_str()), (404, "application/json"));
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        json["error_code"], "not_found",
        "the Huawei dialect: {json}"
    );
    assert_eq!(json["error"], "not_found");
    assert!(
        json["error_description"]
            .as_str()
            .unwrap()
            .contains("/v1/nothing")
    );

    let (status, content_type, _, body) =
        send(reqwest::Method::GET, format!("{base}/nothing")).await;
    assert_eq!((status, content_type.as_str()), (404, "application/json"));
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["error"], "not_found", "{json}");

    let (status, content_type, _, body) = send(
        reqwest::Method::GET,
        format!("{base}/admin/console/users/nobody/more"),
    )
    .await;
    assert_eq!(
        (status, content_type.as_str()),
        (404, "text/html; charset=utf-8")
    );
    assert!(body.contains("There is no page at this address."), "{body}");
    assert!(body.contains("href=\"/admin/console\""), "{body}");

    let (status, content_type, allow, body) =
        send(reqwest::Method::GET, format!("{base}/oauth2/token")).await;
    assert_eq!((status, content_type.as_str()), (405, "application/json"));
    assert_eq!(allow, "POST");
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["error"], "invalid_request", "{json}");

    let (status, content_type, allow, _) =
        send(reqwest::Method::DELETE, format!("{base}/device")).await;
    assert_eq!(
        (status, content_type.as_str()),
        (405, "text/html; charset=utf-8")
    );
    assert_eq!(allow, "GET, POST");
}
