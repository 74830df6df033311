//! The real `devicegate serve` binary as a child process: it starts on an ephemeral port with a
//! fresh data folder, serves the Paragon and RFC 8628 flows over HTTP, stops cleanly on SIGTERM,
//! and on the same data again still knows the approved device and its tokens.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use devicegate_cli::examples::credentials;
use serde_json::Value;

/// A running `devicegate serve`, its base URL and what its first run printed.
struct Served {
    child: Child,
    lines: std::sync::mpsc::Receiver<String>,
    base: String,
    banner: Vec<String>,
}

fn start(data: &Path) -> Served {
    start_with(data, &[])
}

/// As [`start`], with more arguments to `devicegate serve`.
fn start_with(data: &Path, more: &[&str]) -> Served {
    start_with_env(data, more, &[])
}

/// As [`start_with`], with more environment variables.
fn start_with_env(data: &Path, more: &[&str], vars: &[(&str, &str)]) -> Served {
    let mut child = Command::new(env!("CARGO_BIN_EXE_devicegate"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(data)
        .args(more)
        .env_remove("AWS_ENDPOINT_URL_DYNAMODB")
        .env("RUST_LOG", "warn")
        .envs(vars.iter().copied())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = forward(child.stdout.take().unwrap());
    let started = Instant::now();
    let mut banner = Vec::new();
    loop {
        let Ok(line) =
            lines.recv_timeout(Duration::from_secs(60).saturating_sub(started.elapsed()))
        else {
            let _ = child.kill();
            let _ = child.wait();
            panic!("devicegate serve did not say where it listens: {banner:?}");
        };
        if let Some(base) = line.strip_prefix("devicegate: listening on ") {
            return Served {
                child,
                lines,
                base: base.to_owned(),
                banner,
            };
        }
        banner.push(line);
    }
}

fn forward(stdout: ChildStdout) -> std::sync::mpsc::Receiver<String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

impl Served {
    /// SIGTERM, then the exit status and the last lines.
    fn stop(mut self) -> (bool, Vec<String>) {
        Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        let status = self.child.wait().unwrap();
        (status.success(), self.lines.try_iter().collect())
    }

    async fn post(&self, path: &str, form: &[(&str, &str)], bearer: Option<&str>) -> (u16, Value) {
        let mut request = reqwest::Client::new()
            .post(format!("{}{path}", self.base))
            .form(form);
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }
}

#[tokio::test]
async fn serve_runs_the_flows_and_keeps_its_data_across_a_restart() {
    let data = std::env::temp_dir().join(format!("devicegate-serve-{}", ulid::Ulid::new()));
    let served = start(&data);
    let admin_key = served
        .banner
        .iter()
        .find_map(|l| l.trim().strip_prefix("admin key (shown this once): "))
        .expect("the first run prints an admin key")
        .to_owned();

    // Paragon: register, an administrator approves, the poll gets the device token.
    let device = [
        ("client_id", "serve-printer"),
        ("client_secret", credentials::API_KEY),
        ("client_type", "printer"),
        ("response_type", "device_code"),
    ];
    let (status, registered) = served.post("/oauth/v1/register", &device, None).await;
    assert_eq!(status, 200, "{registered}");
    let device_code = registered["device_code"].as_str().unwrap().to_owned();
    let (status, _) = served
        .post(
            "/admin/devices/serve-printer/approve",
            &[],
            Some(&admin_key),
        )
        .await;
    assert_eq!(status, 200);
    let poll = [
        ("client_id", "serve-printer"),
        ("client_secret", credentials::API_KEY),
        ("grant_type", "device_code"),
        ("device_code", device_code.as_str()),
    ];
    let (status, tokens) = served.post("/oauth/v1/token", &poll, None).await;
    assert_eq!(status, 200, "{tokens}");
    let access_token = tokens["access_token"].as_str().unwrap().to_owned();
    let refresh_token = tokens["refresh_token"].as_str().unwrap().to_owned();

    // RFC 8628: a code, and a pending poll.
    let (status, started) = served
        .post(
            "/oauth2/device_authorization",
            &[("client_id", credentials::CLI_CLIENT_ID)],
            None,
        )
        .await;
    assert_eq!(status, 200, "{started}");
    assert!(
        started["verification_uri"]
            .as_str()
            .unwrap()
            .starts_with(&served.base)
    );
    let grant = "urn:ietf:params:oauth:grant-type:device_code";
    let (status, pending) = served
        .post(
            "/oauth2/token",
            &[
                ("grant_type", grant),
                ("client_id", credentials::CLI_CLIENT_ID),
                ("device_code", started["device_code"].as_str().unwrap()),
            ],
            None,
        )
        .await;
    assert_eq!(
        (status, pending["error"].as_str()),
        (400, Some("authorization_pending"))
    );

    let jwks_before = jwks_kids(&served.base).await;
    assert_eq!(
        jwks_before.len(),
        4,
        "an active and a next key per algorithm"
    );

    let (clean, last) = served.stop();
    assert!(clean, "SIGTERM stops it cleanly: {last:?}");

    // `devicegate keys rotate` on the key file serve made: the keys it published stay published.
    let keys_file = data.join("signing-keys.json");
    let rotated = Command::new(env!("CARGO_BIN_EXE_devicegate"))
        .args(["keys", "rotate", "--file"])
        .arg(&keys_file)
        .env_remove("AWS_ENDPOINT_URL_DYNAMODB")
        .output()
        .unwrap();
    assert!(rotated.status.success(), "{rotated:?}");
    assert!(
        String::from_utf8_lossy(&rotated.stderr).contains("not recorded in the audit trail"),
        "no store named, and the command says so: {rotated:?}"
    );
    let listing = String::from_utf8(rotated.stdout).unwrap();
    let states: Vec<Value> = listing
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let count = |state: &str| states.iter().filter(|k| k["state"] == state).count();
    assert_eq!(
        (count("active"), count("next"), count("retired")),
        (2, 2, 2)
    );
    assert!(
        !listing.contains("\"d\""),
        "no private part listed: {listing}"
    );
    assert!(last.iter().any(|l| l == "devicegate: stopped"), "{last:?}");

    // The same data again: the device, its tokens and the admin key are still there.
    let served = start(&data);
    assert!(
        served.banner.iter().any(|l| l.contains("reusing the data")),
        "{:?}",
        served.banner
    );
    let jwks_after = jwks_kids(&served.base).await;
    assert_eq!(jwks_after.len(), 6);
    assert!(jwks_before.iter().all(|kid| jwks_after.contains(kid)));
    let introspect = [("token", access_token.as_str())];
    let response = reqwest::Client::new()
        .post(format!("{}/oauth2/introspect", served.base))
        .basic_auth(
            credentials::API_CLIENT_ID,
            Some(credentials::API_CLIENT_SECRET),
        )
        .form(&introspect)
        .send()
        .await
        .unwrap();
    let active: Value = response.json().await.unwrap();
    assert_eq!(active["active"], true, "{active}");
    let refresh = [
        ("client_id", "serve-printer"),
        ("client_secret", credentials::API_KEY),
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token.as_str()),
    ];
    let (status, refreshed) = served.post("/oauth/v1/token", &refresh, None).await;
    assert_eq!(status, 200, "{refreshed}");
    let (status, _) = served
        .post("/admin/devices/serve-printer/revoke", &[], Some(&admin_key))
        .await;
    assert_eq!(status, 200, "the first run's admin key still works");
    let (clean, _) = served.stop();
    assert!(clean);
    let _ = std::fs::remove_dir_all(&data);
}

async fn jwks_kids(base: &str) -> Vec<String> {
    let jwks: Value = reqwest::get(format!("{base}/.well-known/jwks.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect()
}

/// `--events-file`: every audit record serve stores is appended as the EventBridge event the
/// deployed pipe publishes (`source`, `detail-type`, `detail`), the examples' first.
#[tokio::test]
async fn serve_appends_each_audit_event_to_the_events_file() {
    let data = std::env::temp_dir().join(format!("devicegate-events-{}", ulid::Ulid::new()));
    std::fs::create_dir_all(&data).unwrap();
    let file = data.join("events.jsonl");
    let served = start_with(&data, &["--events-file", file.to_str().unwrap()]);
    let device = [
        ("client_id", "events-printer"),
        ("client_secret", credentials::API_KEY),
        ("client_type", "printer"),
        ("response_type", "device_code"),
    ];
    let (status, registered) = served.post("/oauth/v1/register", &device, None).await;
    assert_eq!(status, 200, "{registered}");
    let (stopped, _) = served.stop();
    assert!(stopped);

    let text = std::fs::read_to_string(&file).unwrap();
    let events: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(events.iter().all(|e| e["source"] == "devicegate"));
    assert!(
        events
            .iter()
            .all(|e| e["detail-type"] == e["detail"]["type"])
    );
    let of = |kind: &str| events.iter().filter(|e| e["detail-type"] == kind).count();
    assert_eq!(of("user.created"), 1, "the example user: {text}");
    assert!(of("client.registered") >= 4, "the example clients: {text}");
    let registration = events
        .iter()
        .find(|e| {
            e["detail-type"] == "device.registered" && e["detail"]["subject"] == "events-printer"
        })
        .expect("the registration's event");
    assert_eq!(registration["detail"]["dialect"], "paragon");
    assert!(!text.contains(credentials::API_KEY));
    std::fs::remove_dir_all(&data).ok();
}

/// serve has no TTL: its sweep (here every second, `EXPIRY_SWEEP_SECONDS`) records each device
/// code that expired unused, as the deployed `expiry` function does from TTL's deletions.
#[tokio::test]
async fn serve_records_device_codes_that_expire_unused() {
    let data = std::env::temp_dir().join(format!("devicegate-expiry-{}", ulid::Ulid::new()));
    let served = start_with_env(
        &data,
        &[],
        &[
            ("EXPIRY_SWEEP_SECONDS", "1"),
            ("DEVICE_CODE_TTL_SECONDS", "1"),
            ("APPROVAL_WINDOW_SECONDS", "1"),
        ],
    );
    let admin_key = served
        .banner
        .iter()
        .find_map(|l| l.trim().strip_prefix("admin key (shown this once): "))
        .expect("the first run prints an admin key")
        .to_owned();
    let device = [
        ("client_id", "expiring-printer"),
        ("client_secret", credentials::API_KEY),
        ("client_type", "printer"),
        ("response_type", "device_code"),
    ];
    let (status, registered) = served.post("/oauth/v1/register", &device, None).await;
    assert_eq!(status, 200, "{registered}");
    let ask = [("client_id", credentials::CLI_CLIENT_ID)];
    let (status, started) = served
        .post("/oauth2/device_authorization", &ask, None)
        .await;
    assert_eq!(status, 200, "{started}");

    // The examples' own registrations expire too (a 1 s approval window): by subject.
    let trail = |subject: &'static str, kind: &'static str| {
        let url = format!("{}/admin/audit?subject={subject}&type={kind}", served.base);
        let admin_key = admin_key.clone();
        async move {
            let reply: Value = reqwest::Client::new()
                .get(url)
                .bearer_auth(admin_key)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            reply["events"].as_array().cloned().unwrap_or_default()
        }
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    let (devices, codes) = loop {
        let found = (
            trail("expiring-printer", "device.expired").await,
            trail(credentials::CLI_CLIENT_ID, "device_code.expired").await,
        );
        if (!found.0.is_empty() && !found.1.is_empty()) || Instant::now() > deadline {
            break found;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert_eq!(devices.len(), 1, "{devices:?}");
    assert_eq!(devices[0]["subject"], "expiring-printer");
    assert_eq!(devices[0]["actor"], "system");
    assert_eq!(devices[0]["dialect"], "serve");
    assert_eq!(codes.len(), 1, "{codes:?}");
    assert_eq!(codes[0]["subject"], credentials::CLI_CLIENT_ID);
    let (clean, _) = served.stop();
    assert!(clean);
    let _ = std::fs::remove_dir_all(&data);
}
