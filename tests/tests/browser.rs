//! A real browser on the verification page: Debian's Chromium, headless, driven through
//! chromedriver (WebDriver) with `fantoccini`, signs in, enters the code and approves while the
//! `oauth2` crate polls. `scripts/test` installs `chromium` and `chromium-driver`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use devicegate_tests::oauth::{crate_client, fixture, http_client, start_device_flow};
use devicegate_tests::server;
use fantoccini::elements::Element;
use fantoccini::{Client as Browser, ClientBuilder, Locator};
use oauth2::TokenResponse;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// chromedriver on a free loopback port, killed when dropped.
struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start_driver() -> Driver {
    assert!(
        std::path::Path::new(CHROMEDRIVER).exists() && std::path::Path::new(CHROMIUM).exists(),
        "Chromium is missing: run scripts/test (it installs Debian's chromium and chromium-driver)"
    );
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    };
    // Held by `Driver` at once, so that every path (a panic included) kills and waits for it.
    let driver = Driver {
        child: Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
        url: format!("http://127.0.0.1:{port}"),
    };
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return driver;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not start on port {port}");
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
    let profile = std::env::temp_dir().join(format!("devicegate-chromium-{}", ulid::Ulid::new()));
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": CHROMIUM,
            // A phone's viewport (headless windows are at least 500 px wide).
            "mobileEmulation": {
                "deviceMetrics": { "width": 390, "height": 844, "pixelRatio": 1.0, "touch": true }
            },
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--window-size=500,900",
                format!("--user-data-dir={}", profile.display()),
            ],
        }),
    );
    let browser = ClientBuilder::rustls()
        .unwrap()
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .unwrap();

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
    if let Ok(png) = browser.screenshot().await {
        let _ = std::fs::write(
            std::env::temp_dir().join("devicegate-confirm-page.png"),
            png,
        );
    }
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
