//! A real upstream identity provider for the federation tests: node-oidc-provider
//! (`tests/upstream/provider.mjs`, where its accounts, scopes, claims and interactions are
//! described) in its own node process on a free loopback port, devicegate being its relying
//! party.
//!
//! The first start installs the pinned package into `.tools/upstream` with npm (a few seconds;
//! once per process, and safe against another test process doing the same); Node.js and npm
//! must be on `PATH`, and a test that needs them and does not find them fails, it never skips.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use fantoccini::{Client as Browser, Locator};

/// The package npm installs, the version `scripts/load --peer` uses too.
pub const OIDC_PROVIDER: &str = "oidc-provider@9.13.3";

/// How long a start may take before it is a failure.
const READY_WITHIN: Duration = Duration::from_secs(20);

/// How long each step of a sign-in in the browser may take.
const STEP_WITHIN: Duration = Duration::from_secs(15);

/// A client registered at the upstream: a confidential client (client_secret_basic) allowed
/// the authorization code grant, with one redirect URI.
#[derive(Clone, Debug)]
pub struct UpstreamClient {
    pub client_id: String,
    pub client_secret: String,
    pub redirect_uri: String,
}

impl UpstreamClient {
    pub fn new(client_id: &str, client_secret: &str, redirect_uri: &str) -> UpstreamClient {
        UpstreamClient {
            client_id: client_id.to_owned(),
            client_secret: client_secret.to_owned(),
            redirect_uri: redirect_uri.to_owned(),
        }
    }
}

/// A running upstream identity provider; its node process is killed when this is dropped.
pub struct Upstream {
    /// `http://127.0.0.1:PORT`, exactly as its discovery document and ID tokens give it.
    pub issuer: String,
    child: Option<Child>,
    output: Arc<Mutex<String>>,
    readers: Vec<std::thread::JoinHandle<()>>,
}

/// Starts an upstream identity provider for `clients` (see [`Upstream::start`]).
pub async fn start(clients: &[UpstreamClient]) -> Upstream {
    Upstream::start(clients).await
}

impl Upstream {
    /// Installs node-oidc-provider if it is not yet, starts it for `clients` on a free
    /// loopback port, and returns once its discovery document answers 200; panics, with what
    /// the node process wrote, if that does not happen within 20 s.
    pub async fn start(clients: &[UpstreamClient]) -> Upstream {
        let module = tokio::task::spawn_blocking(installed_module)
            .await
            .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()));
        let config = serde_json::Value::from_iter(clients.iter().map(|c| {
            serde_json::json!({
                "client_id": c.client_id,
                "client_secret": c.client_secret,
                "redirect_uris": [c.redirect_uri],
            })
        }))
        .to_string();
        let script = repo_root().join("tests/upstream/provider.mjs");
        let mut attempt = 0;
        loop {
            attempt += 1;
            // The port is free now; another process may take it before node does, so a start
            // that fails for that reason is tried again on another.
            let port = {
                let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
                probe.local_addr().unwrap().port()
            };
            let child = Command::new("node")
                .arg(&script)
                .arg(&module)
                .arg(port.to_string())
                .arg(&config)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap_or_else(|e| {
                    panic!("cannot run node for the upstream identity provider (is Node.js installed?): {e}")
                });
            let mut upstream = Upstream {
                issuer: format!("http://127.0.0.1:{port}"),
                child: Some(child),
                output: Arc::default(),
                readers: Vec::new(),
            };
            upstream.collect_output();
            match upstream.wait_until_ready().await {
                Ok(()) => return upstream,
                Err(why) => {
                    upstream.stop();
                    let output = upstream.output();
                    if attempt < 3 && output.contains("EADDRINUSE") {
                        continue;
                    }
                    panic!(
                        "the upstream identity provider did not start at {}: {why}\n{output}",
                        upstream.issuer
                    );
                }
            }
        }
    }

    /// Kills the node process now (to see what the relying party does when its identity
    /// provider is down); the issuer's port refuses connections from then on.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        for reader in self.readers.drain(..) {
            let _ = reader.join();
        }
    }

    /// What the node process wrote so far, stdout and stderr interleaved by line.
    pub fn output(&self) -> String {
        self.output.lock().unwrap().clone()
    }

    /// Copies the child's stdout and stderr into `output`, a thread each.
    fn collect_output(&mut self) {
        let Some(child) = self.child.as_mut() else {
            return;
        };
        if let Some(stdout) = child.stdout.take() {
            self.readers.push(copy_lines(stdout, self.output.clone()));
        }
        if let Some(stderr) = child.stderr.take() {
            self.readers.push(copy_lines(stderr, self.output.clone()));
        }
    }

    async fn wait_until_ready(&mut self) -> Result<(), String> {
        let discovery = format!("{}/.well-known/openid-configuration", self.issuer);
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()
            .unwrap();
        let deadline = Instant::now() + READY_WITHIN;
        let mut last = String::from("no answer yet");
        while Instant::now() < deadline {
            if let Some(Ok(Some(status))) = self.child.as_mut().map(Child::try_wait) {
                return Err(format!("node exited ({status})"));
            }
            match http.get(&discovery).send().await {
                // Its own answer, not that of whatever else might have taken the port.
                Ok(response) if response.status() == 200 => {
                    let metadata: serde_json::Value = response.json().await.unwrap_or_default();
                    if metadata["issuer"] == self.issuer.as_str() {
                        return Ok(());
                    }
                    last = format!("{discovery} answered for another issuer: {metadata}");
                }
                Ok(response) => last = format!("{discovery} answered {}", response.status()),
                Err(e) => last = format!("{discovery}: {e}"),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(format!("not ready within {READY_WITHIN:?}; last: {last}"))
    }
}

impl Drop for Upstream {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Appends each line `stream` gives to `output`, on a thread of its own, until it ends.
fn copy_lines(
    stream: impl Read + Send + 'static,
    output: Arc<Mutex<String>>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            let mut output = output.lock().unwrap();
            output.push_str(&line);
            output.push('\n');
        }
    })
}

/// Signs in as `login` on the upstream's login page, where the browser must be (or be on its
/// way to, after following an authorization URL): fills the form (the password is not
/// checked), submits it, continues through a consent page should one be shown, and returns once
/// the browser has left the upstream's origin, normally for the client's redirect URI. Each
/// step may take 15 s.
pub async fn sign_in_upstream(browser: &Browser, login: &str) {
    let field = match browser
        .wait()
        .at_most(STEP_WITHIN)
        .for_element(Locator::Css("form input[name=login]"))
        .await
    {
        Ok(field) => field,
        Err(e) => panic!(
            "no upstream login form at {}: {e}",
            browser
                .current_url()
                .await
                .map_or_else(|e| e.to_string(), |u| u.to_string())
        ),
    };
    let origin = browser.current_url().await.unwrap().origin();
    field.send_keys(login).await.unwrap();
    if let Ok(password) = browser
        .find(Locator::Css("form input[name=password]"))
        .await
    {
        password.send_keys("any password will do").await.unwrap();
    }
    browser
        .find(Locator::Css("form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();

    let deadline = Instant::now() + STEP_WITHIN;
    loop {
        let here = browser.current_url().await.unwrap();
        if here.origin() != origin {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the browser is still on the upstream at {here} after signing in as {login}: {}",
            browser.source().await.unwrap_or_default()
        );
        // A consent page: continue (the page may be changing under us; then look again).
        if browser
            .find(Locator::Css("form input[name=prompt][value=consent]"))
            .await
            .is_ok()
            && let Ok(button) = browser.find(Locator::Css("form button[type=submit]")).await
        {
            let _ = button.click().await;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The repository's root directory.
fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_owned()
}

/// `.tools/upstream/node_modules/oidc-provider`, installed by the first caller in this process.
fn installed_module() -> PathBuf {
    static MODULE: OnceLock<PathBuf> = OnceLock::new();
    MODULE.get_or_init(install).clone()
}

/// The installed package's directory under `dir`, if the pinned version is there.
fn module_in(dir: &Path) -> Option<PathBuf> {
    let module = dir.join("node_modules/oidc-provider");
    let package = std::fs::read_to_string(module.join("package.json")).ok()?;
    let package: serde_json::Value = serde_json::from_str(&package).ok()?;
    let version = OIDC_PROVIDER.rsplit('@').next()?;
    (package["version"] == version).then_some(module)
}

/// Installs the pinned package into `.tools/upstream` unless it is there: into a directory of
/// its own first, renamed into place when complete, so that a second test process installing
/// at the same time neither sees half an install nor spoils this one.
fn install() -> PathBuf {
    let tools = repo_root().join(".tools");
    let target = tools.join("upstream");
    if let Some(module) = module_in(&target) {
        return module;
    }
    let unique = format!("{}-{}", std::process::id(), ulid::Ulid::new());
    if target.exists() {
        // Another version, or an install made by hand: set aside, then removed.
        let stale = tools.join(format!(".upstream-stale-{unique}"));
        if std::fs::rename(&target, &stale).is_ok() {
            let _ = std::fs::remove_dir_all(&stale);
        }
    }
    let staging = tools.join(format!(".upstream-{unique}"));
    std::fs::create_dir_all(&staging).unwrap();
    // A package.json of its own, so that npm installs here rather than in a parent project.
    std::fs::write(staging.join("package.json"), "{\"private\": true}\n").unwrap();
    let installed = Command::new("npm")
        .args(["install", "--no-audit", "--no-fund", "--loglevel=error"])
        .arg(OIDC_PROVIDER)
        .current_dir(&staging)
        .stdin(Stdio::null())
        .output();
    let outcome = match installed {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(format!(
            "the upstream identity provider tests need Node.js and npm on PATH to install \
             {OIDC_PROVIDER}, and npm is not there"
        )),
        Err(e) => Err(format!("cannot run npm: {e}")),
        Ok(out) if !out.status.success() => Err(format!(
            "npm install {OIDC_PROVIDER} failed ({}):\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )),
        Ok(_) => match std::fs::rename(&staging, &target) {
            Ok(()) => Ok(()),
            // Another process got there first: use its install.
            Err(_) if module_in(&target).is_some() => Ok(()),
            Err(e) => Err(format!(
                "cannot move {} to {}: {e}",
                staging.display(),
                target.display()
            )),
        },
    };
    let _ = std::fs::remove_dir_all(&staging);
    if let Err(why) = outcome {
        panic!("{why}");
    }
    module_in(&target).unwrap_or_else(|| panic!("no {OIDC_PROVIDER} in {}", target.display()))
}
