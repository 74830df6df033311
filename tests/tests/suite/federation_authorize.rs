//! Federation on the consent page: an app runs the authorization code flow against devicegate
//! with the `openidconnect` crate, the person signs in at `/oauth2/authorize` through the
//! upstream (node-oidc-provider) in headless Chromium, is made a user on the spot, consents,
//! and the app gets devicegate's own ID token for them. Disabling the provider then ends that
//! session at once.

use std::time::Duration;

use devicegate::model::{GrantType, OAuthClientType, Scope};
use devicegate::usecases::admin::{self, NewClient};
use devicegate_tests::browser::{start_browser, start_driver};
use devicegate_tests::oauth::http_client;
use devicegate_tests::upstream::sign_in_upstream;
use devicegate_tests::{TestEnv, server};
use fantoccini::Locator;
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthType, AuthorizationCode, ClientId, CsrfToken, IssuerUrl, Nonce, PkceCodeChallenge,
    RedirectUrl, Scope as OidcScope, TokenResponse,
};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::federation::{add_provider, page_text, upstream_for, users};

/// The app's redirect listener on an ephemeral loopback port (RFC 8252 §7.3): gives the port
/// and the request target of the one redirect it receives.
async fn redirect_listener() -> (u16, tokio::task::JoinHandle<String>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let captured = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut request = Vec::new();
        let mut buffer = [0u8; 4096];
        while !request.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = socket.read(&mut buffer).await.unwrap();
            assert!(n > 0, "the browser closed the connection");
            request.extend_from_slice(&buffer[..n]);
        }
        let page = "<!doctype html><title>Signed in</title><h1>You can close this window</h1>";
        let reply = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{page}",
            page.len()
        );
        socket.write_all(reply.as_bytes()).await.unwrap();
        let text = String::from_utf8_lossy(&request);
        let line = text.lines().next().unwrap_or_default();
        line.split(' ').nth(1).unwrap_or_default().to_owned()
    });
    (port, captured)
}

#[tokio::test]
async fn a_person_signs_in_upstream_at_the_consent_page_and_the_app_gets_an_id_token() {
    let mut env = TestEnv::new().await;
    env.deps.settings.secure_cookies = false; // plain HTTP on loopback
    let base = server::serve(env.deps.clone()).await;
    env.deps.settings.issuer = Some(base.clone());
    let admin = env.admin_key().await;
    let upstream = upstream_for(&base).await;
    let id = add_provider(&env, &admin, &upstream, json!({})).await;
    let app = admin::create_client(
        env.store(),
        NewClient {
            scopes: Scope::parse("openid profile email").unwrap(),
            redirect_uris: vec!["http://127.0.0.1/callback".into()],
            ..NewClient::new(
                "Acme SSO",
                OAuthClientType::Public,
                vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
            )
        },
        devicegate::http::now(),
    )
    .await
    .unwrap()
    .client
    .client_id;

    let http = http_client();
    let metadata =
        CoreProviderMetadata::discover_async(IssuerUrl::new(base.clone()).unwrap(), &http)
            .await
            .unwrap();
    let (port, captured) = redirect_listener().await;
    let client = CoreClient::from_provider_metadata(metadata, ClientId::new(app.clone()), None)
        .set_redirect_uri(RedirectUrl::new(format!("http://127.0.0.1:{port}/callback")).unwrap())
        .set_auth_type(AuthType::RequestBody);
    let (pkce, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(OidcScope::new("profile".into()))
        .add_scope(OidcScope::new("email".into()))
        .set_pkce_challenge(pkce)
        .url();

    let driver = start_driver().await;
    let (browser, profile) = start_browser(&driver).await;
    browser.goto(url.as_str()).await.unwrap();
    browser
        .wait()
        .for_element(Locator::LinkText("Sign in with Corp IdP"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    sign_in_upstream(&browser, "ada").await;

    // Back on the very request: the consent page, naming who signed in and through what.
    browser
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css("button[value=approve]"))
        .await
        .unwrap();
    let consent = page_text(&browser).await;
    assert!(consent.contains("ada (through Corp IdP)"), "{consent}");
    assert!(consent.contains("Acme SSO"), "{consent}");
    browser
        .find(Locator::Css("button[value=approve]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let target = tokio::time::timeout(Duration::from_secs(60), captured)
        .await
        .expect("the browser never reached the app's redirect listener")
        .unwrap();
    let back = url::Url::parse(&format!("http://127.0.0.1:{port}{target}")).unwrap();
    let param = |name: &str| {
        back.query_pairs()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.into_owned())
    };
    assert_eq!(param("state").as_deref(), Some(state.secret().as_str()));

    // devicegate's own ID token for the user it made: its own sub, the upstream's claims.
    let tokens = client
        .exchange_code(AuthorizationCode::new(param("code").unwrap()))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .unwrap();
    let id_token = tokens.id_token().expect("an ID token for openid");
    let claims = id_token
        .claims(&client.id_token_verifier(), &nonce)
        .unwrap();
    assert_eq!(claims.issuer().as_str(), base);
    assert_eq!(claims.preferred_username().map(|u| u.as_str()), Some("ada"));
    assert_eq!(claims.email().map(|e| e.as_str()), Some("ada@example.com"));
    assert_ne!(
        claims.subject().as_str(),
        "ada-7c1e",
        "not the upstream's sub"
    );
    let made = users(&env, &admin).await;
    assert_eq!(made.len(), 1, "{made:?}");
    assert_eq!(made[0]["identity_provider"], id.as_str());

    // The provider disabled: the session it started no longer signs anyone in.
    let disabled = env
        .admin(
            "PATCH",
            &format!("/admin/identity-providers/{id}"),
            Some(&admin),
            Some(json!({"enabled": false})),
        )
        .await;
    assert_eq!(disabled.status, 200, "{}", disabled.json);
    browser.goto(url.as_str()).await.unwrap();
    browser
        .wait()
        .for_element(Locator::Css("input[name=password]"))
        .await
        .unwrap();
    let again = page_text(&browser).await;
    assert!(!again.contains("through Corp IdP"), "{again}");
    assert!(!again.contains("Sign in with Corp IdP"), "{again}");
    browser.close().await.unwrap();
    let _ = std::fs::remove_dir_all(&profile);
    drop(driver);
}
