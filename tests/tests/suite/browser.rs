//! A real browser on the verification page: Debian's Chromium, headless, driven through
//! chromedriver (WebDriver) with `fantoccini`, signs in, enters the code and approves while the
//! `oauth2` crate polls; and an administrator works through the admin console while devices
//! poll. `scripts/test` installs `chromium` and `chromium-driver`.

use std::time::Duration;

use devicegate::model::{ApiKeySettings, DeviceStatus};
use devicegate_tests::browser::{start_browser, start_driver};
use devicegate_tests::oauth::{crate_client, fixture, http_client, start_device_flow};
use devicegate_tests::{TestEnv, register_body, server};
use fantoccini::elements::Element;
use fantoccini::{Client as Browser, Locator};
use oauth2::TokenResponse;

/// Asserts that the page fits a phone-sized window without sideways scrolling.
async fn assert_fits_a_phone(browser: &Browser) {
    let widths = browser
        .execute(
            "return [window.innerWidth, document.documentElement.scrollWidth]",
            vec![],
        )
        .await
        .unwrap();
    let (viewport, content) = (widths[0].as_f64().unwrap(), widths[1].as_f64().unwrap());
    assert!(
        viewport <= 400.0,
        "the window is not phone-sized: {viewport}px"
    );
    assert!(
        content <= viewport,
        "the page overflows a phone-sized window: {content}px in {viewport}px"
    );
}

/// Leaves a screenshot of the page in the temporary directory, for a person to look at.
async fn save_screenshot(browser: &Browser, name: &str) {
    if let Ok(png) = browser.screenshot().await {
        let _ = std::fs::write(
            std::env::temp_dir().join(format!("devicegate-{name}.png")),
            png,
        );
    }
}

/// The page's helpers: every step must work, so any WebDriver error fails the test.
async fn type_into(browser: &Browser, id: &str, text: &str) {
    let field = browser.find(Locator::Id(id)).await.unwrap();
    field.send_keys(text).await.unwrap();
}

async fn find(browser: &Browser, css: &str) -> Element {
    browser.find(Locator::Css(css)).await.unwrap()
}

async fn click(browser: &Browser, css: &str) {
    find(browser, css).await.click().await.unwrap();
}

async fn text_of(browser: &Browser, css: &str) -> String {
    find(browser, css).await.text().await.unwrap()
}

async fn wait_for(browser: &Browser, locator: Locator<'_>) -> Element {
    browser.wait().for_element(locator).await.unwrap()
}

#[tokio::test]
async fn a_browser_signs_in_and_approves_while_the_client_polls() {
    let mut f = fixture().await;
    f.env.deps.settings.secure_cookies = false; // plain HTTP on loopback
    let env = &f.env;
    let base = server::serve(env.deps.clone()).await;

    let client = crate_client(&f.cli_id, &base);
    let http = http_client();
    let details = start_device_flow(&client, &http, "write").await;
    let user_code = details.user_code().secret().clone();
    let complete = details
        .verification_uri_complete()
        .unwrap()
        .secret()
        .clone();

    // The CLI polls in the background while the person uses the browser.
    let polling = tokio::spawn(async move {
        client
            .exchange_device_access_token(&details)
            .request_async(&http, tokio::time::sleep, Some(Duration::from_secs(90)))
            .await
    });

    let driver = start_driver().await;
    let (browser, profile) = start_browser(&driver).await;

    // verification_uri_complete: sign in first, and the code comes along.
    browser.goto(&complete).await.unwrap();
    type_into(&browser, "username", "ada").await;
    type_into(&browser, "password", "correct horse battery").await;
    click(&browser, "button[type=submit]").await;

    // The code is filled in, but nothing happens without the person's click.
    let field = wait_for(&browser, Locator::Id("user_code")).await;
    assert_eq!(
        field.prop("value").await.unwrap().as_deref(),
        Some(user_code.as_str())
    );
    click(&browser, "form button[type=submit]").await;

    // The confirmation names the client and the scope; the person approves.
    wait_for(&browser, Locator::Css("button[value=approve]")).await;
    assert_eq!(text_of(&browser, "h1").await, "Approve this device?");
    let text = text_of(&browser, "main").await;
    assert!(text.contains("Acme CLI"), "{text}");
    assert!(text.contains("write"), "{text}");
    assert!(text.contains(&user_code), "{text}");
    // Phone-sized: the layout fits a 390 px viewport without sideways scrolling.
    assert_fits_a_phone(&browser).await;
    save_screenshot(&browser, "confirm-page").await;
    click(&browser, "button[value=approve]").await;
    wait_for(&browser, Locator::Css("p.ok")).await;
    assert_eq!(text_of(&browser, "h1").await, "Device connected");
    browser.close().await.unwrap();
    let _ = std::fs::remove_dir_all(&profile);

    let token = polling.await.unwrap().unwrap();
    assert!(token.access_token().secret().starts_with("dga_"));
    assert_eq!(
        token
            .scopes()
            .map(|s| s.iter().map(|s| s.to_string()).collect::<Vec<_>>()),
        Some(vec!["write".to_owned()])
    );
    drop(driver);
}

#[tokio::test]
async fn an_administrator_approves_denies_and_makes_a_key_in_the_console() {
    let mut env = TestEnv::new().await;
    env.deps.settings.secure_cookies = false; // plain HTTP on loopback
    let admin_key = env.admin_key().await;
    let api_key = env.api_key(ApiKeySettings::default()).await;
    let mut codes = Vec::new();
    for id in ["printer-yes", "printer-no", "printer-forged"] {
        codes.push(env.register_code(&register_body(id, &api_key)).await);
    }
    let pending = env.poll_due("printer-yes", &api_key, &codes[0]).await;
    assert_eq!(pending.error(), "authorization_pending");
    let base = server::serve(env.deps.clone()).await;

    let driver = start_driver().await;
    let (browser, profile) = start_browser(&driver).await;
    browser
        .goto(&format!("{base}/admin/console"))
        .await
        .unwrap();
    type_into(&browser, "admin_key", &admin_key).await;
    click(&browser, "button[type=submit]").await;

    // Pending devices come first, each with its type, key type and registration time.
    let item = wait_for(&browser, Locator::Id("pending-printer-yes")).await;
    let text = item.text().await.unwrap();
    assert!(
        text.contains("printer") && text.contains("registered"),
        "{text}"
    );
    assert!(
        !browser
            .current_url()
            .await
            .unwrap()
            .as_str()
            .contains(&admin_key)
    );
    let script_sees = browser
        .execute("return document.cookie", vec![])
        .await
        .unwrap();
    assert!(
        !script_sees.to_string().contains(&admin_key),
        "the cookie is HttpOnly"
    );
    assert_fits_a_phone(&browser).await;
    save_screenshot(&browser, "console-devices").await;

    // Approve one: its next poll gets its tokens.
    click(&browser, "#pending-printer-yes form.approve button").await;
    wait_for(&browser, Locator::Id("approved-printer-yes")).await;
    let tokens = env.poll_due("printer-yes", &api_key, &codes[0]).await;
    assert_eq!(tokens.status, 200, "{}", tokens.json);
    assert!(tokens.str("access_token").starts_with("dga_"));

    // Deny another: its next poll is refused.
    click(&browser, "#pending-printer-no form.deny button").await;
    browser
        .wait()
        .for_element(Locator::Css("form.confirm button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(&browser, Locator::Id("denied-printer-no")).await;
    let denied = env.poll_due("printer-no", &api_key, &codes[1]).await;
    assert_eq!((denied.status, denied.error()), (400, "access_denied"));

    // A form without its CSRF token, sent with the admin cookie, changes nothing.
    let before = env.snapshot().await;
    browser
        .execute(
            "document.querySelectorAll('#pending-printer-forged input[name=csrf]')\
             .forEach(e => e.remove())",
            vec![],
        )
        .await
        .unwrap();
    click(&browser, "#pending-printer-forged form.approve button").await;
    wait_for(
        &browser,
        Locator::XPath("//p[@role='alert'][contains(., 'expired')]"),
    )
    .await;
    assert_eq!(env.snapshot().await, before);
    assert_eq!(
        env.device("printer-forged").await.unwrap().status,
        DeviceStatus::Pending
    );

    // A new API key is shown once.
    click(&browser, "nav a[href='/admin/console/api-keys']").await;
    type_into(&browser, "name", "fleet 2027").await;
    click(&browser, "#auto_trust").await;
    click(&browser, "form.create button").await;
    let shown = wait_for(&browser, Locator::Id("new-api-key")).await;
    let new_key = shown.text().await.unwrap();
    assert!(new_key.starts_with("dgk_"), "{new_key}");
    let auto = env
        .register(&register_body("printer-auto", &new_key), None)
        .await;
    assert_eq!(auto.status, 200, "the new key works: {}", auto.json);
    assert_eq!(
        env.device("printer-auto").await.unwrap().status,
        DeviceStatus::Approved,
        "and trusts its devices as asked"
    );
    browser
        .goto(&format!("{base}/admin/console/api-keys"))
        .await
        .unwrap();
    // The list shows the key by name, and nothing shows its value.
    wait_for(
        &browser,
        Locator::XPath("//div[@class='item'][contains(., 'fleet 2027')]"),
    )
    .await;
    let source = browser.source().await.unwrap();
    assert!(!source.contains("new-api-key"), "{source}");
    assert!(!source.contains(&new_key), "the key is not shown again");

    // Signing out ends it: the console sends the browser back to sign in.
    click(&browser, "form.sign_out button").await;
    wait_for(&browser, Locator::Id("admin_key")).await;
    browser
        .goto(&format!("{base}/admin/console/devices"))
        .await
        .unwrap();
    wait_for(&browser, Locator::Id("admin_key")).await;
    browser.close().await.unwrap();
    let _ = std::fs::remove_dir_all(&profile);
    drop(driver);
}

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

/// VMware mobile registration with a real browser: the register URL with a real `user_device`,
/// sign-in and the approval page (which names the device and what it says about itself), the
/// approval's 302 to the app's private-use scheme captured (a browser hands such a URL to the
/// operating system, so the form is submitted with the browser's own session cookie and CSRF
/// token by a client that stops at the redirect), activation with the raw code, the code
/// exchanged by the `oauth2` crate with the instance's own credentials, and a refresh.
#[tokio::test]
async fn a_browser_registers_a_vmware_app_which_activates_and_redeems() {
    use oauth2::{AuthorizationCode, ClientId, ClientSecret, RedirectUrl, TokenUrl};

    let mut f = fixture().await;
    f.env.deps.settings.secure_cookies = false; // plain HTTP on loopback
    let admin_key = f.env.admin_key().await;
    let base = server::serve(f.env.deps.clone()).await;
    let redirect = "com.vmware.idm.samples.mobilesso://oauth2redirect";
    let created = reqwest::Client::new()
        .post(format!("{base}/admin/templates"))
        .bearer_auth(&admin_key)
        .json(&serde_json::json!({
            "template_id": "com.vmware.idm.samples",
            "redirect_uris": [redirect],
            "scopes": ["user"]
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let user_device = serde_json::json!({
        "deviceUdid": "0b1c2d3e-4f50-4a6b-8c7d-8e9f00112233",
        "deviceOS": "iOS",
        "deviceOSVersion": "18.1",
        "deviceModel": "iPhone15,2",
        "deviceName": "Ada's iPhone"
    })
    .to_string();
    let mut url = url::Url::parse(&format!("{base}/SAAS/auth/device/register")).unwrap();
    url.query_pairs_mut()
        .append_pair("app_product_id", "com.vmware.idm.samples")
        .append_pair("device_name", "Ada's iPhone")
        .append_pair("user_device", &user_device)
        .append_pair("response_type", "code")
        .append_pair("type", "register")
        .append_pair("redirect_uri", redirect)
        .append_pair("state", "st-vm")
        .append_pair("scope", "user");

    let driver = start_driver().await;
    let (browser, profile) = start_browser(&driver).await;
    browser.goto(url.as_str()).await.unwrap();
    type_into(&browser, "username", "ada").await;
    type_into(&browser, "password", "correct horse battery").await;
    click(&browser, "button[type=submit]").await;
    wait_for(&browser, Locator::Css("button[value=approve]")).await;
    assert_eq!(text_of(&browser, "h1").await, "Register this app?");
    let text = text_of(&browser, "main").await;
    assert!(
        text.contains("Ada's iPhone") && text.contains("iPhone15,2"),
        "{text}"
    );
    assert_fits_a_phone(&browser).await;
    save_screenshot(&browser, "vmware-register-page").await;

    // The Allow button's form, submitted with the browser's session, stopping at the 302.
    let field = |name: &'static str| {
        let browser = &browser;
        async move {
            browser
                .find(Locator::Css(&format!("form input[name={name}]")))
                .await
                .unwrap()
                .prop("value")
                .await
                .unwrap()
                .unwrap()
        }
    };
    let (csrf, request) = (field("csrf").await, field("request").await);
    let cookies = browser.get_all_cookies().await.unwrap();
    let cookie_header = cookies
        .iter()
        .map(|c| format!("{}={}", c.name(), c.value()))
        .collect::<Vec<_>>()
        .join("; ");
    browser.close().await.unwrap();
    let _ = std::fs::remove_dir_all(&profile);
    let approved = http_client()
        .post(format!("{base}/SAAS/auth/device/register"))
        .header("cookie", cookie_header)
        .form(&[
            ("action", "approve"),
            ("csrf", &csrf),
            ("request", &request),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(approved.status(), 302);
    let back = url::Url::parse(approved.headers()["location"].to_str().unwrap()).unwrap();
    assert_eq!(back.scheme(), "com.vmware.idm.samples.mobilesso");
    let param = |name: &str| {
        back.query_pairs()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.into_owned())
            .unwrap()
    };
    assert_eq!(param("state"), "st-vm");

    let activated: serde_json::Value = reqwest::Client::new()
        .post(format!("{base}/SAAS/API/1.0/REST/oauth2/activate"))
        .body(param("activation_code"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let instance = oauth2::basic::BasicClient::new(ClientId::new(
        activated["client_id"].as_str().unwrap().to_owned(),
    ))
    .set_client_secret(ClientSecret::new(
        activated["client_secret"].as_str().unwrap().to_owned(),
    ))
    .set_token_uri(TokenUrl::new(format!("{base}/SAAS/auth/oauthtoken")).unwrap())
    .set_redirect_uri(RedirectUrl::new(redirect.into()).unwrap());
    let http = http_client();
    let token = instance
        .exchange_code(AuthorizationCode::new(param("code")))
        .request_async(&http)
        .await
        .unwrap();
    instance
        .exchange_refresh_token(token.refresh_token().unwrap())
        .request_async(&http)
        .await
        .unwrap();
    drop(driver);
}
