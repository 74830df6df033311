//! `devicegate audit` as an operator runs it: against `devicegate store`, the records the CLI's
//! own actions left (an API key created and disabled, by `cli:<account>`), one JSON line each,
//! newest first, filtered by subject and type; a bad filter is a clear error and exit 1; a key
//! file's rotation recorded.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};

use serde_json::Value;

/// `devicegate store` on a free loopback port with a fresh data folder; its endpoint.
fn store(data: &std::path::Path) -> (Child, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_devicegate"))
        .args(["store", "--listen", &format!("127.0.0.1:{port}"), "--data"])
        .arg(data)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let ready = lines.next().unwrap().unwrap();
    assert!(ready.contains("listening on"), "{ready}");
    (child, format!("http://127.0.0.1:{port}"))
}

fn devicegate(endpoint: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_devicegate"))
        .args(args)
        .env("AWS_ENDPOINT_URL_DYNAMODB", endpoint)
        .env("AWS_ACCESS_KEY_ID", "local")
        .env("AWS_SECRET_ACCESS_KEY", "local")
        .env("AWS_REGION", "us-east-1")
        .env("USER", "ops-ada")
        .output()
        .unwrap()
}

fn lines(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn devicegate_audit_prints_the_records_the_cli_left() {
    let data = std::env::temp_dir().join(format!("devicegate-audit-{}", ulid::Ulid::new()));
    let (mut child, endpoint) = store(&data);
    let run = |args: &[&str]| devicegate(&endpoint, args);

    let made = run(&["tables", "create"]);
    assert!(made.status.success(), "{made:?}");
    let created = run(&["api-key", "create", "--name", "kiosks"]);
    assert!(created.status.success(), "{created:?}");
    let value = String::from_utf8(created.stdout.clone()).unwrap();
    let id = String::from_utf8_lossy(&created.stderr)
        .lines()
        .find_map(|l| l.strip_prefix("API key id ").map(str::to_owned))
        .unwrap();
    let disabled = run(&["api-key", "disable", &id]);
    assert!(disabled.status.success(), "{disabled:?}");

    let all = run(&["audit", "--subject", &id]);
    assert!(all.status.success(), "{all:?}");
    let records = lines(&all);
    let types: Vec<&str> = records.iter().filter_map(|r| r["type"].as_str()).collect();
    assert_eq!(types, ["api_key.disabled", "api_key.created"]);
    assert!(records.iter().all(|r| r["actor"] == "cli:ops-ada"));
    assert!(records.iter().all(|r| r["dialect"] == "cli"));
    assert!(!String::from_utf8_lossy(&all.stdout).contains(value.trim()));

    let one = run(&["audit", "--type", "api_key.created", "--limit", "1"]);
    assert_eq!(lines(&one).len(), 1);
    assert_eq!(lines(&one)[0]["subject"], id.as_str());

    let bad = run(&["audit", "--type", "device.exploded"]);
    assert_eq!(bad.status.code(), Some(1), "{bad:?}");
    assert!(bad.stdout.is_empty());
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("type"),
        "{bad:?}"
    );

    // A key file rotated with the store named: the trail has it, by the same account.
    let keys = data.join("signing-keys.json");
    devicegate::oidc::key_storage::load_or_create_file(&keys, devicegate::http::now()).unwrap();
    let keys = keys.display().to_string();
    let rotated = run(&["keys", "rotate", "--file", &keys]);
    assert!(rotated.status.success(), "{rotated:?}");
    let signing: Vec<String> = lines(&rotated)
        .iter()
        .filter(|k| k["state"] == "active")
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect();
    let records = lines(&run(&["audit", "--type", "signing_key.rotated"]));
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0]["subject"], keys.as_str());
    assert_eq!(records[0]["actor"], "cli:ops-ada");
    let reason = records[0]["reason"].as_str().unwrap();
    assert!(
        signing.iter().all(|kid| reason.contains(kid.as_str())),
        "{reason}"
    );

    let _ = child.kill();
    let _ = child.wait();
    std::fs::remove_dir_all(&data).ok();
}
