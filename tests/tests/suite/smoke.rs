//! `scripts/smoke`, the smoke test for a deployed stack, run as an operator would against
//! devicegate served over HTTP on loopback: with an admin key every check passes and what it
//! made is gone or disabled afterwards; without one it skips the administrator's checks and
//! still passes; against a port nothing listens on, or an HTTP server that is not devicegate, it
//! exits 2 with one clear line.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use devicegate_tests::{TestEnv, server};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

/// Runs `python3 scripts/smoke <args>` off the runtime (the server shares its thread).
async fn smoke(args: &[&str]) -> Output {
    let mut command = Command::new("python3");
    command
        .arg(repo_root().join("scripts/smoke"))
        .args(args)
        .env_remove("DEVICEGATE_ADMIN_KEY")
        // urllib honours proxy variables; loopback must not go through one.
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env("no_proxy", "127.0.0.1,localhost");
    tokio::task::spawn_blocking(move || command.output())
        .await
        .unwrap()
        .expect("python3 runs scripts/smoke")
}

/// The table's rows as (dialect, check, result, detail), and the whole output for messages.
fn rows(out: &Output) -> (Vec<(String, String, String, String)>, String) {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let text = format!(
        "{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows = stdout
        .lines()
        .skip(2)
        .take_while(|l| !l.trim().is_empty())
        .map(|l| {
            let cols: Vec<&str> = l.split("  ").filter(|c| !c.trim().is_empty()).collect();
            assert!(cols.len() >= 3, "not a table row: {l:?}\n{text}");
            (
                cols[0].trim().to_owned(),
                cols[1].trim().to_owned(),
                cols[2].trim().to_owned(),
                cols[3..].join("  ").trim().to_owned(),
            )
        })
        .collect();
    (rows, text)
}

/// What the admin API lists: each id with whether it is disabled (clients, API keys,
/// templates) or its status (devices of every status).
async fn listing(env: &TestEnv, admin: &str) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut all = BTreeMap::new();
    for (path, field, id, state) in [
        ("/admin/clients", "clients", "client_id", "disabled"),
        ("/admin/api-keys", "api_keys", "id", "disabled"),
        ("/admin/templates", "templates", "template_id", "disabled"),
    ] {
        let reply = env.admin("GET", path, Some(admin), None).await;
        assert_eq!(reply.status, 200, "{path}: {}", reply.json);
        let items = reply.json[field]
            .as_array()
            .unwrap_or_else(|| panic!("{path}: {}", reply.json));
        all.insert(
            field.to_owned(),
            items
                .iter()
                .map(|i| (i[id].as_str().unwrap().to_owned(), i[state].to_string()))
                .collect(),
        );
    }
    let mut devices = BTreeMap::new();
    for status in ["pending", "approved", "denied", "revoked"] {
        let path = format!("/admin/devices?status={status}");
        let reply = env.admin("GET", &path, Some(admin), None).await;
        assert_eq!(reply.status, 200, "{path}: {}", reply.json);
        for d in reply.json["devices"].as_array().unwrap() {
            devices.insert(
                d["client_id"].as_str().unwrap().to_owned(),
                status.to_owned(),
            );
        }
    }
    all.insert("devices".to_owned(), devices);
    all
}

/// Every id in `after` that `before` lacks must be in its cleaned-up state.
fn assert_nothing_left(
    before: &BTreeMap<String, BTreeMap<String, String>>,
    after: &BTreeMap<String, BTreeMap<String, String>>,
    output: &str,
) {
    for (kind, items) in after {
        for (id, state) in items {
            match before[kind].get(id) {
                Some(old) => assert_eq!(old, state, "{kind} {id} changed\n{output}"),
                None => {
                    let ok = match kind.as_str() {
                        // Self-registered clients are deleted with an admin key, disabled without.
                        "clients" => state == "true",
                        "devices" => state == "revoked",
                        _ => state == "true",
                    };
                    assert!(ok, "{kind} {id} left behind as {state}\n{output}");
                }
            }
        }
    }
}

#[tokio::test]
async fn the_smoke_script_passes_against_serve_and_leaves_nothing_behind() {
    let env = TestEnv::new().await;
    let admin = env.admin_key().await;
    let base = server::serve(env.deps.clone()).await;
    let before = listing(&env, &admin).await;

    let out = smoke(&[&base, "--admin-key", &admin]).await;
    let (rows, text) = rows(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(rows.iter().all(|r| r.2 == "PASS"), "{text}");
    for dialect in [
        "oauth2", "oidc", "aws", "huawei", "paragon", "vmware", "admin",
    ] {
        assert!(
            rows.iter().any(|r| r.0 == dialect),
            "no {dialect} row\n{text}"
        );
    }
    for check in [
        "poll -> tokens",
        "reused refresh token -> invalid_grant",
        "wrong device code -> InvalidGrantException",
        "no admin key -> 401 unauthorized",
    ] {
        assert!(
            rows.iter().any(|r| r.1 == check),
            "no {check:?} row\n{text}"
        );
    }

    let after = listing(&env, &admin).await;
    // With an admin key the clients it registered are gone, not only disabled.
    assert_eq!(
        before["clients"].keys().collect::<Vec<_>>(),
        after["clients"].keys().collect::<Vec<_>>(),
        "{text}"
    );
    assert!(after["api_keys"].len() > before["api_keys"].len(), "{text}");
    assert!(after["devices"].len() > before["devices"].len(), "{text}");
    assert_nothing_left(&before, &after, &text);
}

#[tokio::test]
async fn the_smoke_script_without_an_admin_key_skips_what_needs_one() {
    let env = TestEnv::new().await;
    let admin = env.admin_key().await;
    let base = server::serve(env.deps.clone()).await;
    let before = listing(&env, &admin).await;

    let out = smoke(&[&base]).await;
    let (rows, text) = rows(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(rows.iter().any(|r| r.2 == "PASS"), "{text}");
    assert!(rows.iter().any(|r| r.2 == "SKIP"), "{text}");
    assert!(!rows.iter().any(|r| r.2 == "FAIL"), "{text}");
    assert!(
        rows.iter()
            .filter(|r| r.2 == "SKIP")
            .all(|r| r.3.contains("needs --admin-key")),
        "{text}"
    );

    let after = listing(&env, &admin).await;
    assert_eq!(before["api_keys"], after["api_keys"], "{text}");
    assert_eq!(before["devices"], after["devices"], "{text}");
    assert_nothing_left(&before, &after, &text);
}

#[tokio::test]
async fn the_smoke_script_refuses_a_url_with_no_devicegate_behind_it() {
    // A loopback port nothing listens on: bind one, note it, let it go.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let out = smoke(&[&base, "--admin-key", "dgadmin_unused"]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("smoke: cannot reach ") && stderr.contains(&base),
        "{stderr}"
    );
}

#[tokio::test]
async fn the_smoke_script_refuses_an_http_server_that_is_not_devicegate() {
    use std::io::{Read, Write};
    // An HTTP server that answers every request with a page, as a wrong URL would.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let body = "<html>hello</html>";
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    let out = smoke(&[&base]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("does not look like devicegate"), "{stderr}");
}
