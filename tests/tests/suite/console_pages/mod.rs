//! What the console's browser tests share: a seeded devicegate on loopback with headless
//! Chromium signed in to the console at a given width, the 390 px overflow check, screenshots
//! (`DEVICEGATE_SCREENSHOTS=1` saves them under `docs/screenshots/`, docs/api/admin.md), and
//! small page helpers.

mod confirm;
mod forms;
mod search;
mod waiting;

use std::path::PathBuf;

use devicegate::model::ApiKeySettings;
use devicegate_tests::browser::{Driver, start_browser_at, start_driver};
use devicegate_tests::{TestEnv, register_body, server};
use fantoccini::elements::Element;
use fantoccini::{Client as Browser, Locator};

/// The widths every changed page is checked and photographed at.
pub const WIDTHS: [u32; 2] = [1280, 390];

/// A devicegate with an API key and pending devices, and a browser signed in to its console.
pub struct Console {
    pub env: TestEnv,
    pub base: String,
    pub browser: Browser,
    pub width: u32,
    profile: PathBuf,
    _driver: Driver,
}

impl Console {
    /// Signed in at `width`, with `devices` registered and waiting for a decision.
    pub async fn open(width: u32, devices: &[&str]) -> Console {
        let mut env = TestEnv::new().await;
        env.deps.settings.secure_cookies = false; // plain HTTP on loopback
        let admin_key = env.admin_key().await;
        let api_key = env.api_key(ApiKeySettings::default()).await;
        for id in devices {
            env.register_code(&register_body(id, &api_key)).await;
        }
        let base = server::serve(env.deps.clone()).await;
        let driver = start_driver().await;
        let (browser, profile) = start_browser_at(&driver, width).await;
        let console = Console {
            env,
            base,
            browser,
            width,
            profile,
            _driver: driver,
        };
        console.go("").await;
        console.type_into("admin_key", &admin_key).await;
        console.click("button[type=submit]").await;
        console.wait("nav").await;
        console
    }

    /// Goes to a console page (`""` for the first, else a section's path after `/admin/console/`).
    pub async fn go(&self, section: &str) {
        let path = if section.is_empty() {
            "/admin/console".to_owned()
        } else {
            format!("/admin/console/{section}")
        };
        self.browser
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap();
        self.wait("h1").await;
    }

    pub async fn wait(&self, css: &str) -> Element {
        self.browser
            .wait()
            .for_element(Locator::Css(css))
            .await
            .unwrap()
    }

    /// Waits for the page's notice (`role=alert`) saying `text`.
    pub async fn alert(&self, text: &str) -> String {
        let xpath = format!("//*[@role='alert'][contains(., \"{text}\")]");
        let found = self
            .browser
            .wait()
            .for_element(Locator::XPath(&xpath))
            .await;
        found.unwrap().text().await.unwrap()
    }

    /// Clicks what leads to another page (every console button and link does) and waits until
    /// that page has loaded.
    pub async fn click(&self, css: &str) {
        let target = self.wait(css).await;
        let mark = "document.documentElement.dataset.left = 'yes'";
        self.browser.execute(mark, vec![]).await.unwrap();
        target.click().await.unwrap();
        let arrived = "return document.readyState === 'complete' \
            && document.documentElement.dataset.left === undefined";
        for _ in 0..200 {
            if self.browser.execute(arrived, vec![]).await.ok() == Some(true.into()) {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        panic!("{css} led nowhere");
    }

    pub async fn type_into(&self, id: &str, text: &str) {
        let field = self.wait(&format!("#{id}")).await;
        field.clear().await.unwrap();
        field.send_keys(text).await.unwrap();
    }

    pub async fn text(&self, css: &str) -> String {
        self.wait(css).await.text().await.unwrap()
    }

    pub async fn value(&self, id: &str) -> String {
        let field = self.wait(&format!("#{id}")).await;
        field.prop("value").await.unwrap().unwrap_or_default()
    }

    /// Clicks what stays on the page (a `<summary>`, a checkbox).
    pub async fn toggle(&self, css: &str) {
        self.wait(css).await.click().await.unwrap();
    }

    /// A signed-in POST of a section's form as the browser's session sends it (with its CSRF
    /// token): the status, for what a browser does not show.
    pub async fn post(&self, section: &str, fields: &str) -> u16 {
        let cookie = self.browser.get_named_cookie("dg_admin").await.unwrap();
        let secret = self.env.deps.settings.server_secret().unwrap();
        let csrf = devicegate::web::csrf_for(secret, cookie.value());
        let body = format!("csrf={}&{fields}", devicegate_tests::enc(&csrf));
        let reply = reqwest::Client::new()
            .post(format!("{}/admin/console/{section}", self.base))
            .header("cookie", format!("dg_admin={}", cookie.value()))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        reply.status().as_u16()
    }

    /// The session cookie as a `Cookie` header's value.
    pub async fn cookie(&self) -> String {
        let cookie = self.browser.get_named_cookie("dg_admin").await.unwrap();
        format!("dg_admin={}", cookie.value())
    }

    /// The page is no wider than the window: nothing scrolls sideways at 390 px.
    pub async fn assert_fits(&self) {
        let widths = self
            .browser
            .execute(
                "return [window.innerWidth, document.documentElement.scrollWidth]",
                vec![],
            )
            .await
            .unwrap();
        let (viewport, content) = (widths[0].as_f64().unwrap(), widths[1].as_f64().unwrap());
        assert!(viewport <= f64::from(self.width), "{viewport}px window");
        assert!(
            content <= viewport,
            "the page overflows its window: {content}px in {viewport}px"
        );
    }

    /// [`Console::shot`] with `css` scrolled to the middle of the window.
    pub async fn shot_of(&self, name: &str, css: &str) {
        let element = self.wait(css).await;
        let script = "arguments[0].scrollIntoView({block: 'center'})";
        let arg = serde_json::to_value(&element).unwrap();
        self.browser.execute(script, vec![arg]).await.unwrap();
        self.shot(name).await;
    }

    /// Checks the fit, then saves the page as `console-{name}-{width}.png`.
    pub async fn shot(&self, name: &str) {
        self.assert_fits().await;
        let Ok(png) = self.browser.screenshot().await else {
            return;
        };
        let file = format!("console-{name}-{}.png", self.width);
        let _ = std::fs::write(
            std::env::temp_dir().join(format!("devicegate-{file}")),
            &png,
        );
        if std::env::var_os("DEVICEGATE_SCREENSHOTS").is_some() {
            let docs = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/screenshots");
            std::fs::create_dir_all(docs).unwrap();
            std::fs::write(format!("{docs}/{file}"), &png).unwrap();
        }
    }

    pub async fn close(self) {
        self.browser.close().await.unwrap();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}
