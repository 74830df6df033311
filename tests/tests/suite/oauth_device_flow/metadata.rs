//! The authorization server metadata lists exactly what is served, and every endpoint it
//! names answers.

use devicegate_tests::oauth::{fixture, http_client};
use devicegate_tests::server;
use serde_json::Value;

#[tokio::test]
async fn metadata_lists_exactly_what_is_served() {
    let f = fixture().await;
    let base = server::serve(f.env.deps.clone()).await;
    let r = http_client()
        .get(format!("{base}/.well-known/oauth-authorization-server"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let m: Value = r.json().await.unwrap();
    assert_eq!(m["issuer"], base.as_str());
    assert_eq!(m["token_endpoint"], format!("{base}/oauth2/token"));
    assert_eq!(
        m["device_authorization_endpoint"],
        format!("{base}/oauth2/device_authorization")
    );
    assert_eq!(
        m["grant_types_supported"],
        serde_json::json!([
            "authorization_code",
            "urn:ietf:params:oauth:grant-type:device_code",
            "refresh_token"
        ])
    );
    assert_eq!(
        m["authorization_endpoint"],
        format!("{base}/oauth2/authorize")
    );
    assert_eq!(m["response_types_supported"], serde_json::json!(["code"]));
    assert_eq!(
        m["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    assert_eq!(m["authorization_response_iss_parameter_supported"], true);
    // The authorization endpoint answers a browser (a page, not 404).
    let page = http_client()
        .get(m["authorization_endpoint"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 400, "no client_id: a page");
    assert_eq!(
        m["token_endpoint_auth_methods_supported"],
        serde_json::json!(["client_secret_basic", "client_secret_post", "none"])
    );
    // Every endpoint it names answers (not 404).
    for key in [
        "revocation_endpoint",
        "introspection_endpoint",
        "token_endpoint",
    ] {
        let r = http_client()
            .post(m[key].as_str().unwrap())
            .form(&[("token", "x")])
            .send()
            .await
            .unwrap();
        assert_ne!(r.status().as_u16(), 404, "{key}");
    }
}
