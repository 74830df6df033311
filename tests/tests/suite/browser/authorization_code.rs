//! The authorization code flow with PKCE in a real browser, run by the `oauth2` crate as a
//! native app would.

use super::*;

/// The `oauth2` crate runs the authorization code flow with PKCE as a native app would: it
/// listens on a loopback port, a real browser signs in and consents at `/oauth2/authorize`, the
/// redirect lands on the app's listener, and the crate exchanges the code and refreshes.
#[tokio::test]
async fn a_browser_consents_while_the_oauth2_crate_runs_the_authorization_code_flow() {
    use devicegate::model::{GrantType, OAuthClientType, Scope};
    use devicegate::usecases::admin::{self, NewClient};
    use oauth2::{
        AuthUrl, AuthorizationCode, ClientId, CsrfToken, PkceCodeChallenge, RedirectUrl, TokenUrl,
    };
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let mut f = fixture().await;
    f.env.deps.settings.secure_cookies = false; // plain HTTP on loopback
    let app = admin::create_client(
        f.env.store(),
        NewClient {
            scopes: Scope::parse("read write").unwrap(),
            redirect_uris: vec!["http://127.0.0.1/callback".into()],
            ..NewClient::new(
                "Acme App",
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
    let base = server::serve(f.env.deps.clone()).await;

    // The app's redirect listener, on an ephemeral loopback port (RFC 8252 §7.3).
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
        let line = String::from_utf8_lossy(&request)
            .lines()
            .next()
            .unwrap()
            .to_owned();
        line.split(' ').nth(1).unwrap().to_owned()
    });

    let client = oauth2::basic::BasicClient::new(ClientId::new(app))
        .set_auth_type(oauth2::AuthType::RequestBody)
        .set_auth_uri(AuthUrl::new(format!("{base}/oauth2/authorize")).unwrap())
        .set_token_uri(TokenUrl::new(format!("{base}/oauth2/token")).unwrap())
        .set_redirect_uri(RedirectUrl::new(format!("http://127.0.0.1:{port}/callback")).unwrap());
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state) = client
        .authorize_url(CsrfToken::new_random)
        .add_scope(oauth2::Scope::new("read".into()))
        .set_pkce_challenge(challenge)
        .url();

    let driver = start_driver().await;
    let (browser, profile) = start_browser(&driver).await;
    browser.goto(url.as_str()).await.unwrap();
    type_into(&browser, "username", "ada").await;
    type_into(&browser, "password", "correct horse battery").await;
    click(&browser, "button[type=submit]").await;
    wait_for(&browser, Locator::Css("button[value=approve]")).await;
    assert_eq!(text_of(&browser, "h1").await, "Allow access?");
    let text = text_of(&browser, "main").await;
    assert!(text.contains("Acme App"), "{text}");
    assert!(text.contains("read") && !text.contains("write"), "{text}");
    assert!(text.contains("http://127.0.0.1"), "{text}");
    assert_fits_a_phone(&browser).await;
    save_screenshot(&browser, "consent-page").await;
    click(&browser, "button[value=approve]").await;

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
    assert_eq!(param("iss").as_deref(), Some(base.as_str()));
    wait_for(&browser, Locator::Css("h1")).await;
    browser.close().await.unwrap();
    let _ = std::fs::remove_dir_all(&profile);

    let http = http_client();
    let token = client
        .exchange_code(AuthorizationCode::new(param("code").unwrap()))
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .unwrap();
    assert!(token.access_token().secret().starts_with("dga_"));
    let refreshed = client
        .exchange_refresh_token(token.refresh_token().unwrap())
        .request_async(&http)
        .await
        .unwrap();
    assert_ne!(
        refreshed.access_token().secret(),
        token.access_token().secret()
    );
    drop(driver);
}
