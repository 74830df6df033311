use super::flows::CodeFlow;
use super::form::*;
use lambda_http::http::{StatusCode, header};

#[test]
fn requests_round_trip_through_the_forms_and_refuse_repeats() {
    let query = "response_type=code&client_id=c&redirect_uri=http%3A%2F%2F127.0.0.1%3A5%2Fcb\
                     &scopes=a+b&state=s%26t&code_challenge=x&code_challenge_method=S256&extra=1";
    let request = read_request::<CodeFlow>(url::form_urlencoded::parse(query.as_bytes()));
    let Ok(request) = request else {
        panic!("{request:?}");
    };
    assert_eq!(request.scope.as_deref(), Some("a b"));
    assert_eq!(request.state.as_deref(), Some("s&t"));
    let again = read_request::<CodeFlow>(url::form_urlencoded::parse(
        encode_request::<CodeFlow>(&request).as_bytes(),
    ));
    assert_eq!(again.ok(), Some(request));
    let read = |q: &[u8]| read_request::<CodeFlow>(url::form_urlencoded::parse(q));
    assert!(read(b"state=a&state=b").is_err());
    assert!(read(b"scope=a&scopes=b").is_err());
}

#[test]
fn answers_keep_the_redirect_uris_query_and_add_the_issuer() {
    let response = back_to_client(
        "com.example.app:/cb?keep=1",
        &[("code", "dgac_x"), ("state", "a b")],
        "https://gate.test",
    );
    assert_eq!(response.status(), StatusCode::FOUND);
    let location = response
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert_eq!(
        location,
        "com.example.app:/cb?keep=1&code=dgac_x&state=a+b&iss=https%3A%2F%2Fgate.test"
    );
}
