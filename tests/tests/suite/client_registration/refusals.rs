//! Bad registrations: each dialect's error shape and status, and nothing stored.

use super::*;

/// Bad input for each registration route: the dialect's error shape and status, and nothing
/// stored (every table scanned before and after).
#[tokio::test]
async fn bad_registrations_are_refused_in_each_dialects_shape_and_store_nothing() {
    let f = fixture().await;
    let env = &f.env;
    let before = env.snapshot().await;
    let json_type = "application/json";
    let long_name = "n".repeat(1025);
    let too_many: Vec<String> = (0..11).map(|i| format!("https://a.example/{i}")).collect();
    let long_uri = format!("https://a.example/{}", "p".repeat(2040));
    let huge = format!(r#"{{"client_name": "{}"}}"#, "x".repeat(17 * 1024));
    let cases: Vec<(&str, &str, String, u16, &str)> = vec![
        (
            "/oauth2/register",
            "text/plain",
            "{}".into(),
            400,
            "invalid_client_metadata",
        ),
        (
            "/oauth2/register",
            json_type,
            "{not json".into(),
            400,
            "invalid_client_metadata",
        ),
        (
            "/oauth2/register",
            json_type,
            "{}".into(),
            400,
            "invalid_client_metadata",
        ),
        (
            "/oauth2/register",
            json_type,
            huge.clone(),
            400,
            "invalid_client_metadata",
        ),
        (
            "/oauth2/register",
            json_type,
            json!({"client_name": long_name}).to_string(),
            400,
            "invalid_client_metadata",
        ),
        (
            "/oauth2/register",
            json_type,
            json!({"client_name": "x", "redirect_uris": too_many}).to_string(),
            400,
            "invalid_client_metadata",
        ),
        (
            "/oauth2/register",
            json_type,
            json!({"client_name": "x", "redirect_uris": [long_uri]}).to_string(),
            400,
            "invalid_redirect_uri",
        ),
        (
            "/oauth2/register",
            json_type,
            json!({"client_name": "x", "redirect_uris": ["https://a.example/cb#frag"]}).to_string(),
            400,
            "invalid_redirect_uri",
        ),
        (
            "/oauth2/register",
            json_type,
            json!({"client_name": "x", "redirect_uris": ["https://*.example/cb"]}).to_string(),
            400,
            "invalid_redirect_uri",
        ),
        (
            "/oauth2/register",
            json_type,
            json!({"client_name": "x", "grant_types": ["password"]}).to_string(),
            400,
            "invalid_client_metadata",
        ),
        (
            "/oauth2/register",
            json_type,
            json!({"client_name": "x", "client_id": "mine"}).to_string(),
            400,
            "invalid_client_metadata",
        ),
        (
            "/oauth2/register",
            json_type,
            json!({"client_name": "x", "scope": "read admin"}).to_string(),
            400,
            "invalid_client_metadata",
        ),
        (
            "/oauth2/register",
            json_type,
            json!({"client_name": "Corp IT\u{201d} (verified)"}).to_string(),
            400,
            "invalid_client_metadata",
        ),
        (
            "/client/register",
            json_type,
            json!({"clientName": "x", "clientType": "public", "scopes": ["payments:write"]})
                .to_string(),
            400,
            "InvalidClientMetadataException",
        ),
        (
            "/v1/clients",
            "text/plain",
            "{}".into(),
            400,
            "invalid_request",
        ),
        (
            "/v1/clients",
            json_type,
            "[1, 2".into(),
            400,
            "invalid_request",
        ),
        (
            "/v1/clients",
            json_type,
            huge.clone(),
            400,
            "invalid_request",
        ),
        (
            "/v1/clients",
            json_type,
            json!({"client_name": "x", "token_endpoint_auth_method": "client_secret_post",
                   "grant_types": ["refresh_token"], "response_types": []})
            .to_string(),
            400,
            "invalid_request",
        ),
        (
            "/v1/clients",
            json_type,
            json!({"client_name": "x", "client_type": "public",
                   "token_endpoint_auth_method": "client_secret_basic",
                   "grant_types": ["refresh_token"], "response_types": []})
            .to_string(),
            400,
            "invalid_client_metadata",
        ),
        (
            "/v1/clients",
            json_type,
            json!({"client_name": "x", "client_type": "public",
                   "token_endpoint_auth_method": "client_secret_post",
                   "grant_types": ["implicit"], "response_types": ["token"]})
            .to_string(),
            400,
            "invalid_client_metadata",
        ),
        (
            "/client/register",
            json_type,
            "{".into(),
            400,
            "InvalidRequestException",
        ),
        (
            "/client/register",
            json_type,
            json!({"clientType": "public"}).to_string(),
            400,
            "InvalidRequestException",
        ),
        (
            "/client/register",
            json_type,
            json!({"clientName": "x", "clientType": "confidential"}).to_string(),
            400,
            "InvalidClientMetadataException",
        ),
        (
            "/client/register",
            json_type,
            json!({"clientName": long_name, "clientType": "public"}).to_string(),
            400,
            "InvalidClientMetadataException",
        ),
        (
            "/client/register",
            json_type,
            json!({"clientName": "x", "clientType": "public",
                   "redirectUris": ["http://evil.example/cb"]})
            .to_string(),
            400,
            "InvalidRedirectUriException",
        ),
    ];
    for (path, content_type, body, status, expected) in &cases {
        let reply = raw(env, path, content_type, body).await;
        let label = format!("{path} {content_type} {}", &body[..body.len().min(60)]);
        assert_eq!(reply.status, *status, "{label}: {}", reply.json);
        match *path {
            "/v1/clients" => {
                assert_eq!(reply.json["error_code"], *expected, "{label}");
                assert!(
                    reply.json["error_msg"]
                        .as_str()
                        .is_some_and(|m| !m.is_empty())
                );
                assert_eq!(reply.json["error"], *expected, "{label}");
                assert!(!header(&reply, "x-request-id").is_empty(), "{label}");
            }
            "/client/register" => {
                assert_eq!(header(&reply, "x-amzn-errortype"), *expected, "{label}");
                assert!(reply.json["error_description"].is_string(), "{label}");
                assert!(!header(&reply, "x-amzn-requestid").is_empty(), "{label}");
            }
            _ => assert_eq!(reply.error(), *expected, "{label}"),
        }
    }
    assert_eq!(
        env.snapshot().await,
        before,
        "a refused registration stores nothing"
    );
}
