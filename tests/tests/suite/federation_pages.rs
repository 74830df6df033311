//! Federation on the consent page and in the console, in headless Chromium against
//! node-oidc-provider as the upstream. At `/oauth2/authorize` an app runs the authorization code
//! flow with the `openidconnect` crate, the person signs in through the upstream, is made a
//! user on the spot, consents, and the app gets devicegate's own ID token for them; disabling
//! the provider then ends that session at once. In the console an administrator adds a
//! provider (its issuer discovered), reads the redirect URI to register, disables and removes
//! it.

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

use super::federation::{CLIENT_ID, CLIENT_SECRET, add_provider, page_text, upstream_for, users};

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
        &devicegate_tests::origin(),
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

/// The page's text once it says `what` (a form's answer is a new page, loaded after the click).
async fn saying(browser: &fantoccini::Client, what: &str) -> String {
    for _ in 0..100 {
        if let Ok(main) = browser.find(Locator::Css("main")).await
            && let Ok(text) = main.text().await
            && text.contains(what)
        {
            return text;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("the page never said {what:?}: {}", page_text(browser).await);
}

#[tokio::test]
async fn an_administrator_adds_disables_and_removes_a_provider_in_the_console() {
    let mut env = TestEnv::new().await;
    env.deps.settings.secure_cookies = false;
    let base = server::serve(env.deps.clone()).await;
    env.deps.settings.issuer = Some(base.clone());
    let admin = env.admin_key().await;
    let upstream = upstream_for(&base).await;
    let driver = start_driver().await;
    let (browser, profile) = start_browser(&driver).await;
    let field = async |id: &str, text: &str| {
        let input = browser.find(Locator::Id(id)).await.unwrap();
        input.send_keys(text).await.unwrap();
    };
    browser
        .goto(&format!("{base}/admin/console"))
        .await
        .unwrap();
    field("admin_key", &admin).await;
    browser
        .find(Locator::Css("button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Css(
            "nav a[href='/admin/console/identity-providers']",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Id("issuer"))
        .await
        .unwrap();
    let empty = page_text(&browser).await;
    assert!(empty.contains("No identity provider yet"), "{empty}");
    let callback = format!("{base}/signin/callback");
    assert!(
        empty.contains(&callback),
        "the redirect URI to register: {empty}"
    );

    // An issuer that does not answer discovery is refused, and nothing is added.
    field("name", "Corp IdP").await;
    field("issuer", "http://127.0.0.1:9/nowhere").await;
    field("client_id", CLIENT_ID).await;
    field("client_secret", CLIENT_SECRET).await;
    field("required_claims", "groups=fleet-approvers").await;
    browser
        .find(Locator::Css("form.create button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    saying(&browser, "could not be read").await;
    let refused = page_text(&browser).await;
    assert!(refused.contains("could not be read"), "{refused}");
    assert!(refused.contains("Identity providers (0)"), "{refused}");

    field("name", "Corp IdP").await;
    field("issuer", &upstream.issuer).await;
    field("client_id", CLIENT_ID).await;
    field("client_secret", CLIENT_SECRET).await;
    field("required_claims", "groups=fleet-approvers").await;
    browser
        .find(Locator::Css("form.create button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    saying(&browser, "Added identity provider Corp IdP").await;
    let added = page_text(&browser).await;
    assert!(
        added.contains("Added identity provider Corp IdP"),
        "{added}"
    );
    assert!(
        added.contains("requires: groups=fleet-approvers"),
        "{added}"
    );
    assert!(!added.contains(CLIENT_SECRET), "the secret is never shown");
    let listed = env
        .admin("GET", "/admin/identity-providers", Some(&admin), None)
        .await;
    let providers = listed.json["identity_providers"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(providers.len(), 1, "{}", listed.json);
    assert_eq!(providers[0]["jit"], true);
    assert_eq!(providers[0]["enabled"], true);
    let id = providers[0]["id"].as_str().unwrap().to_owned();
    let device_page = async || {
        reqwest::get(format!("{base}/device"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    };
    assert!(device_page().await.contains("Sign in with Corp IdP"));

    // Disabled: the button goes from the pages; removed: gone from the list.
    let item = format!("#identity-provider-{id}");
    browser
        .find(Locator::Css(&format!("{item} form.disable button")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Css("form.confirm button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    saying(&browser, "Disabled identity provider Corp IdP").await;
    assert!(
        page_text(&browser)
            .await
            .contains("Disabled identity provider Corp IdP")
    );
    assert!(!device_page().await.contains("Corp IdP"));
    browser
        .find(Locator::Css(&format!("{item} form.delete button")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Css("form.confirm button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    saying(&browser, "Removed identity provider").await;
    assert!(page_text(&browser).await.contains("Identity providers (0)"));
    let after = env
        .admin("GET", "/admin/identity-providers", Some(&admin), None)
        .await;
    assert_eq!(after.json["identity_providers"], json!([]));
    browser.close().await.unwrap();
    let _ = std::fs::remove_dir_all(&profile);
    drop(driver);
}
