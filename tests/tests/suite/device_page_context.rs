//! The verification page as Microsoft's and Okta's are (issue 28, items 3 and 4), in headless
//! Chromium: the approve page says from where and since when the device asks, until when the
//! code is good, what each scope means and who runs the service; forms keep what was typed
//! (never the password); a used code in the link is answered on the first page; the
//! authorization endpoint's error page leads somewhere that works; everything fits 390 px.
//!
//! `DEVICEGATE_SCREENSHOTS=1` saves the pages under `docs/screenshots/` (docs/pages.md).

use devicegate::config::PageSettings;
use devicegate_tests::browser::{start_browser, start_driver};
use devicegate_tests::oauth::fixture;
use devicegate_tests::server;
use fantoccini::elements::Element;
use fantoccini::{Client as Browser, Locator};
use serde_json::{Value, json};

async fn assert_fits_a_phone(browser: &Browser) {
    let widths = browser
        .execute(
            "return [window.innerWidth, document.documentElement.scrollWidth]",
            vec![],
        )
        .await
        .unwrap();
    let (viewport, content) = (widths[0].as_f64().unwrap(), widths[1].as_f64().unwrap());
    assert!(viewport <= 400.0, "not phone-sized: {viewport}px");
    assert!(
        content <= viewport,
        "the page overflows a phone-sized window: {content}px in {viewport}px"
    );
}

/// In the temporary directory always; under docs/screenshots/ when asked to.
async fn screenshot(browser: &Browser, name: &str) {
    let Ok(png) = browser.screenshot().await else {
        return;
    };
    let _ = std::fs::write(
        std::env::temp_dir().join(format!("devicegate-{name}.png")),
        &png,
    );
    if std::env::var_os("DEVICEGATE_SCREENSHOTS").is_some() {
        let docs = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/screenshots");
        std::fs::create_dir_all(docs).unwrap();
        std::fs::write(format!("{docs}/{name}.png"), &png).unwrap();
    }
}

async fn find(browser: &Browser, css: &str) -> Element {
    browser.find(Locator::Css(css)).await.unwrap()
}

async fn type_into(browser: &Browser, id: &str, text: &str) {
    find(browser, &format!("#{id}"))
        .await
        .send_keys(text)
        .await
        .unwrap();
}

async fn value_of(browser: &Browser, id: &str) -> String {
    find(browser, &format!("#{id}"))
        .await
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default()
}

async fn text_of(browser: &Browser, css: &str) -> String {
    find(browser, css).await.text().await.unwrap()
}

/// Clicks and waits for the next page's `h1` to differ from `before` (or to be loaded again).
async fn click_to(browser: &Browser, css: &str, wait_for: &str) {
    find(browser, css).await.click().await.unwrap();
    browser
        .wait()
        .for_element(Locator::Css(wait_for))
        .await
        .unwrap();
}

async fn post_json(base: &str, path: &str, body: Value, country: &str) -> Value {
    let reply = reqwest::Client::new()
        .post(format!("{base}{path}"))
        .header("CloudFront-Viewer-Country", country)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(reply.status().is_success(), "{path}: {}", reply.status());
    reply.json().await.unwrap()
}

/// An RFC 8628 start for an administrator's client, from "the Netherlands".
async fn start_for(base: &str, client_id: &str) -> String {
    let reply = reqwest::Client::new()
        .post(format!("{base}/oauth2/device_authorization"))
        .header("CloudFront-Viewer-Country", "NL")
        .form(&[("client_id", client_id), ("scope", "read write")])
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    let json: Value = reply.json().await.unwrap();
    json["user_code"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_approve_page_says_who_asks_from_where_until_when_and_forms_keep_what_was_typed() {
    let mut f = fixture().await;
    f.env.deps.settings.secure_cookies = false;
    f.env.deps.settings.pages = PageSettings {
        organization_name: Some("Acme Corp".into()),
        organization_logo_url: None,
        scope_descriptions: [("read".to_owned(), "Read your files".to_owned())].into(),
    };
    let base = server::serve(f.env.deps.clone()).await;
    let user_code = start_for(&base, &f.cli_id).await;
    let driver = start_driver().await;
    let (browser, profile) = start_browser(&driver).await;

    // A wrong password keeps the username, never the password; the code comes along.
    browser
        .goto(&format!("{base}/device?user_code={user_code}"))
        .await
        .unwrap();
    assert_eq!(text_of(&browser, "header.brand").await, "Acme Corp");
    type_into(&browser, "username", "ada").await;
    type_into(&browser, "password", "not the password").await;
    click_to(&browser, "button[type=submit]", "p.msg").await;
    let text = text_of(&browser, "main").await;
    assert!(
        text.contains("Wrong username or password. Check them and try again."),
        "{text}"
    );
    assert_eq!(value_of(&browser, "username").await, "ada");
    assert_eq!(value_of(&browser, "password").await, "");
    let html = browser.source().await.unwrap();
    assert!(!html.contains("not the password"), "{html}");
    assert_fits_a_phone(&browser).await;
    screenshot(&browser, "device-sign-in-wrong-password").await;
    type_into(&browser, "password", "correct horse battery").await;
    click_to(&browser, "button[type=submit]", "#user_code").await;
    assert_eq!(value_of(&browser, "user_code").await, user_code);
    click_to(
        &browser,
        "form button[type=submit]",
        "button[value=approve]",
    )
    .await;

    // The approve page: where from, since when, until when, what, who runs it.
    let text = text_of(&browser, "main").await;
    for expected in [
        "Acme Corp",
        "Registered by your administrator",
        "Requested from 127.0.0.1 (NL)",
        "Started just now",
        "Expires in 10 minutes",
        "Read your files (read)",
        "Use the scope write",
        "Didn\u{2019}t start this? Deny it.",
    ] {
        assert!(text.contains(expected), "{expected:?} in {text}");
    }
    assert!(!text.contains("registered itself"), "{text}");
    let expiry = find(&browser, "ul.context li:last-child").await;
    let title = expiry.attr("title").await.unwrap().unwrap_or_default();
    assert!(title.ends_with(" UTC") && title.len() == 20, "{title:?}");
    assert_fits_a_phone(&browser).await;
    screenshot(&browser, "device-approve").await;
    click_to(&browser, "button[value=approve]", "p.msg.ok").await;
    assert_eq!(text_of(&browser, "h1").await, "Device connected");

    // The used code in a link is answered on the first page, the code kept in the field.
    browser
        .goto(&format!("{base}/device?user_code={user_code}"))
        .await
        .unwrap();
    let text = text_of(&browser, "main").await;
    assert!(
        text.contains(
            "This code has already been used. Start again on your device to get a new code."
        ),
        "{text}"
    );
    assert_eq!(value_of(&browser, "user_code").await, user_code);
    assert_fits_a_phone(&browser).await;
    screenshot(&browser, "device-used-code").await;

    // A wrong code typed by hand is kept too, for correcting.
    browser.goto(&format!("{base}/device")).await.unwrap();
    type_into(&browser, "user_code", "BBBB-BBBB").await;
    click_to(&browser, "form button[type=submit]", "p.msg").await;
    assert!(
        text_of(&browser, "p.msg")
            .await
            .starts_with("That code is not valid.")
    );
    assert_eq!(value_of(&browser, "user_code").await, "BBBB-BBBB");

    // A self-registered client: the unverified banner, not the administrator's mark.
    let registered = post_json(
        &base,
        "/client/register",
        json!({"clientName": "Gadget", "clientType": "public"}),
        "DE",
    )
    .await;
    let started = post_json(
        &base,
        "/device_authorization",
        json!({
            "clientId": registered["clientId"],
            "clientSecret": registered["clientSecret"],
            "startUrl": "https://gadget.example/start",
        }),
        "DE",
    )
    .await;
    let gadget_code = started["userCode"].as_str().unwrap();
    browser
        .goto(&format!("{base}/device?user_code={gadget_code}"))
        .await
        .unwrap();
    click_to(
        &browser,
        "form button[type=submit]",
        "button[value=approve]",
    )
    .await;
    let text = text_of(&browser, "main").await;
    assert!(
        text.contains("This application registered itself. Its maker is not verified"),
        "{text}"
    );
    assert!(text.contains("(unverified)"), "{text}");
    assert!(text.contains("Requested from 127.0.0.1 (DE)"), "{text}");
    assert!(!text.contains("Registered by your administrator"), "{text}");
    assert_fits_a_phone(&browser).await;
    screenshot(&browser, "device-approve-self-registered").await;

    browser.close().await.unwrap();
    let _ = std::fs::remove_dir_all(&profile);
    drop(driver);
}

#[tokio::test]
async fn the_authorize_error_page_leads_to_a_page_that_works() {
    let mut f = fixture().await;
    f.env.deps.settings.secure_cookies = false;
    let base = server::serve(f.env.deps.clone()).await;
    let driver = start_driver().await;
    let (browser, profile) = start_browser(&driver).await;

    browser
        .goto(&format!("{base}/oauth2/authorize"))
        .await
        .unwrap();
    assert_eq!(text_of(&browser, "h1").await, "Something went wrong");
    let text = text_of(&browser, "main").await;
    assert!(
        text.contains("Go back to the application you came from"),
        "{text}"
    );
    assert_fits_a_phone(&browser).await;
    screenshot(&browser, "authorize-error").await;
    click_to(&browser, "main a", "#username").await;
    assert_eq!(text_of(&browser, "h1").await, "Sign in to connect a device");
    assert!(!text_of(&browser, "main").await.contains("went wrong"));

    browser.close().await.unwrap();
    let _ = std::fs::remove_dir_all(&profile);
    drop(driver);
}
