//! A real browser for the tests: Debian's Chromium, headless, driven through chromedriver
//! (WebDriver) with `fantoccini`. `scripts/test` installs `chromium` and `chromium-driver`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client as Browser, ClientBuilder};

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// chromedriver on a free loopback port, killed when dropped.
pub struct Driver {
    child: Child,
    /// Where the WebDriver server listens, `http://127.0.0.1:PORT`.
    pub url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts chromedriver and waits (up to 10 s) until it accepts connections.
pub async fn start_driver() -> Driver {
    assert!(
        Path::new(CHROMEDRIVER).exists() && Path::new(CHROMIUM).exists(),
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

/// Headless Chromium with a phone's viewport and its own profile directory (removed by the
/// caller when done).
pub async fn start_browser(driver: &Driver) -> (Browser, PathBuf) {
    start_browser_at(driver, 390).await
}

/// Headless Chromium `width` px wide: a phone's viewport (touch, 844 px high) at 390, a
/// desktop window (1280 by 900) otherwise.
pub async fn start_browser_at(driver: &Driver, width: u32) -> (Browser, PathBuf) {
    let profile = std::env::temp_dir().join(format!("devicegate-chromium-{}", ulid::Ulid::new()));
    let mut options = serde_json::json!({
        "binary": CHROMIUM,
        "args": [
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync",
            if width < 500 { "--window-size=500,900".to_owned() } else { format!("--window-size={width},900") },
            format!("--user-data-dir={}", profile.display()),
        ],
    });
    if width < 500 {
        // A phone's viewport (headless windows are at least 500 px wide).
        options["mobileEmulation"] = serde_json::json!({
            "deviceMetrics": { "width": width, "height": 844, "pixelRatio": 1.0, "touch": true }
        });
    }
    let mut caps = serde_json::Map::new();
    caps.insert("goog:chromeOptions".into(), options);
    // rustls has both ring (devicegate's AWS client) and aws-lc (fantoccini's default) in this
    // build, so it cannot pick a process default by itself.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let browser = ClientBuilder::rustls()
        .unwrap()
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .unwrap();
    (browser, profile)
}
