//! A real browser on the verification page: Debian's Chromium, headless, driven through
//! chromedriver (WebDriver) with `fantoccini`, signs in, enters the code and approves while the
//! `oauth2` crate polls; and an administrator works through the admin console while devices
//! poll. `scripts/test` installs `chromium` and `chromium-driver`.

mod admin_console;
mod authorization_code;
mod verification;
mod vmware_app;

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
