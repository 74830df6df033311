//! RFC 7591 registration by the `openidconnect` crate, unmodified, against devicegate on
//! loopback: it insists on 201, a JSON content type and `redirect_uris` in the answer, and
//! reads RFC 7591 errors as typed values. The crate has no RFC 7592 support, so the management
//! calls that follow are plain HTTP with the token it received.

use devicegate_tests::oauth::{fixture, http_client};
use devicegate_tests::server;
use openidconnect::core::{
    CoreClientAuthMethod, CoreClientRegistrationRequest, CoreGrantType,
    CoreRegisterErrorResponseType,
};
use openidconnect::registration::{ClientRegistrationError, EmptyAdditionalClientMetadata};
use openidconnect::{ClientName, RedirectUrl, RegistrationUrl};

fn registration(redirect: &str) -> CoreClientRegistrationRequest {
    CoreClientRegistrationRequest::new(
        vec![RedirectUrl::new(redirect.to_owned()).unwrap()],
        EmptyAdditionalClientMetadata::default(),
    )
    .set_client_name(Some(ClientName::new("openidconnect app".into()).into()))
    .set_grant_types(Some(vec![
        CoreGrantType::DeviceCode,
        CoreGrantType::RefreshToken,
    ]))
    .set_token_endpoint_auth_method(Some(CoreClientAuthMethod::ClientSecretBasic))
}

#[tokio::test]
async fn the_openidconnect_crate_registers_a_client_and_reads_refusals() {
    let f = fixture().await;
    let base = server::serve(f.env.deps.clone()).await;
    let endpoint = RegistrationUrl::new(format!("{base}/oauth2/register")).unwrap();
    let http = http_client();

    let registered = registration("http://127.0.0.1:8400/callback")
        .register_async(&endpoint, &http)
        .await
        .unwrap();
    let client_id = registered.client_id().as_str().to_owned();
    assert!(client_id.starts_with("dyn-"));
    assert!(registered.client_secret().is_some());
    assert!(registered.client_secret_expires_at().is_some());
    assert_eq!(
        registered.grant_types(),
        Some(&vec![
            CoreGrantType::DeviceCode,
            CoreGrantType::RefreshToken
        ])
    );
    let management = registered.registration_client_uri().unwrap().url().clone();
    assert_eq!(
        management.as_str(),
        format!("{base}/oauth2/register/{client_id}")
    );
    let token = registered.registration_access_token().unwrap().secret();

    // RFC 7592, by hand: read, then delete.
    let read = http
        .get(management.clone())
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 200);
    let read: serde_json::Value = read.json().await.unwrap();
    assert_eq!(read["client_name"], "openidconnect app");
    let deleted = http
        .delete(management.clone())
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    let gone = http
        .get(management)
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 401);

    let refused = registration("http://evil.example/callback")
        .register_async(&endpoint, &http)
        .await
        .unwrap_err();
    match refused {
        ClientRegistrationError::ServerResponse(e) => {
            assert_eq!(
                *e.error(),
                CoreRegisterErrorResponseType::InvalidRedirectUri
            );
        }
        other => panic!("expected invalid_redirect_uri, got {other:?}"),
    }
}
