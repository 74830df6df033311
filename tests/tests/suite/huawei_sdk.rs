//! The Huawei dialect against the real, unmodified Huawei Cloud Python SDK
//! (`huaweicloudsdkidentitycenteroidc`, pinned in `scripts/huawei-venv`, which this test runs to
//! make the virtualenv if it is missing): devicegate served over HTTP on loopback,
//! `tests/clients/huawei_flow.py` making one SDK call per run, and the verification page driven
//! by an HTTP client with a cookie jar in between.

use std::path::{Path, PathBuf};
use std::process::Command;

use devicegate::model::CodeStatus;
use devicegate_tests::oauth::{Person, fixture};
use devicegate_tests::server;
use serde_json::Value;

const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

/// The SDK's virtualenv, made (or found) by `scripts/huawei-venv`.
fn sdk_python() -> PathBuf {
    let out = Command::new(repo_root().join("scripts/huawei-venv"))
        .output()
        .expect("scripts/huawei-venv runs");
    assert!(
        out.status.success(),
        "scripts/huawei-venv failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let python = PathBuf::from(String::from_utf8(out.stdout).unwrap().trim());
    assert!(python.is_file(), "no python at {}", python.display());
    python
}

/// The Huawei SDK, one call per process.
struct Sdk {
    python: PathBuf,
    endpoint: String,
}

impl Sdk {
    /// Runs one call of `huawei_flow.py` off the runtime (the server shares its thread) and
    /// returns its JSON line.
    async fn call(&self, args: &[&str]) -> Value {
        let mut command = Command::new(&self.python);
        command
            .arg(repo_root().join("tests/clients/huawei_flow.py"))
            .arg(&self.endpoint)
            .args(args)
            // `requests` honours proxy variables; loopback must not go through one.
            .env("NO_PROXY", "127.0.0.1,localhost")
            .env("no_proxy", "127.0.0.1,localhost");
        let out = tokio::task::spawn_blocking(move || command.output())
            .await
            .unwrap()
            .expect("the SDK's python runs");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "huawei_flow.py {args:?} failed:\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_str(stdout.lines().last().unwrap_or_default())
            .unwrap_or_else(|e| panic!("huawei_flow.py {args:?} printed no JSON ({e}): {stdout}"))
    }

    async fn register(&self, client_type: &str) -> Value {
        self.call(&["register", "devicegate-sdk-test", client_type])
            .await
    }

    async fn authorize(&self, id: &str, secret: &str) -> Value {
        self.call(&["authorize", id, secret, "https://example.com/start"])
            .await
    }

    async fn token(&self, id: &str, secret: &str, grant_type: &str, code: &str) -> Value {
        self.call(&["token", id, secret, grant_type, code]).await
    }
}

/// The SDK's response (`ok`), as its model parsed it.
fn ok(reply: Value) -> Value {
    assert_eq!(reply["ok"], true, "the SDK raised: {reply}");
    assert_eq!(reply["status"], 200, "{reply}");
    reply["response"].clone()
}

/// The SDK's `ClientRequestException`: its status and `error_code`, with a request id.
fn refused(reply: &Value, status: u16, error_code: &str) {
    assert_eq!(reply["ok"], false, "the SDK did not raise: {reply}");
    assert_eq!(reply["status"], status, "{reply}");
    assert_eq!(reply["error_code"], error_code, "{reply}");
    assert!(
        reply["error_msg"].as_str().is_some_and(|m| !m.is_empty()),
        "{reply}"
    );
    assert!(
        reply["request_id"].as_str().is_some_and(|m| !m.is_empty()),
        "X-Request-Id: {reply}"
    );
}

fn str_of<'a>(v: &'a Value, field: &str) -> &'a str {
    v[field]
        .as_str()
        .unwrap_or_else(|| panic!("{field} is not a string: {v}"))
}

#[tokio::test]
async fn the_huawei_python_sdk_registers_runs_the_device_flow_and_refreshes() {
    let python = tokio::task::spawn_blocking(sdk_python).await.unwrap();
    let f = fixture().await;
    // A 5 s interval, so that "poll again at once" is too early whatever second it lands in.
    let mut deps = f.env.deps.clone();
    deps.settings.poll_interval = 5;
    let base = server::serve(deps).await;
    let sdk = Sdk {
        python,
        endpoint: base.clone(),
    };

    // Registration: a public client with a secret that expires.
    let now = devicegate::http::now();
    let info = ok(sdk.register("public").await)["client_info"].clone();
    let id = str_of(&info, "client_id").to_owned();
    let secret = str_of(&info, "client_secret").to_owned();
    assert!(!id.is_empty() && !secret.is_empty(), "{info}");
    assert!(
        info["client_secret_expires_at"]
            .as_i64()
            .is_some_and(|t| t > now),
        "client_secret_expires_at must be in the future: {info}"
    );
    assert!(
        info["client_id_issued_at"]
            .as_i64()
            .is_some_and(|t| (now - 5..=now + 5).contains(&t)),
        "{info}"
    );
    assert_eq!(info["token_endpoint"], format!("{base}/v1/tokens"));
    assert!(
        str_of(&info, "authorization_endpoint").starts_with(&base),
        "{info}"
    );
    assert_eq!(info["scopes"], serde_json::json!(["openid"]), "{info}");

    // Only public clients register.
    refused(
        &sdk.register("confidential").await,
        400,
        "invalid_client_metadata",
    );

    // Device authorization, flat.
    let started = ok(sdk.authorize(&id, &secret).await);
    let device_code = str_of(&started, "device_code").to_owned();
    let user_code = str_of(&started, "user_code").to_owned();
    let bytes = user_code.as_bytes();
    assert!(
        bytes.len() == 9
            && bytes[4] == b'-'
            && bytes
                .iter()
                .enumerate()
                .all(|(i, b)| i == 4 || b.is_ascii_uppercase() || b.is_ascii_digit()),
        "user_code must be XXXX-XXXX: {user_code}"
    );
    assert_eq!(started["verification_uri"], format!("{base}/device"));
    assert_eq!(
        started["verification_uri_complete"],
        format!("{base}/device?user_code={user_code}")
    );
    assert_eq!(started["interval"], 5, "{started}");
    assert!(
        started["expires_in"].as_i64().is_some_and(|s| s > 0),
        "{started}"
    );

    // Polling before approval: pending, then (at once again) slow_down, which grows the
    // interval by 5 s.
    refused(
        &sdk.token(&id, &secret, DEVICE_CODE_GRANT, &device_code)
            .await,
        400,
        "authorization_pending",
    );
    refused(
        &sdk.token(&id, &secret, DEVICE_CODE_GRANT, &device_code)
            .await,
        400,
        "slow_down",
    );
    let code = f.env.device_code(&device_code).await.unwrap();
    assert_eq!(code.status, CodeStatus::Pending);
    assert_eq!(code.interval, 10, "slow_down must grow the interval by 5 s");

    // A wrong secret is refused as the client's fault.
    refused(
        &sdk.token(&id, "dgs_wrong", DEVICE_CODE_GRANT, &device_code)
            .await,
        401,
        "invalid_client",
    );
    refused(
        &sdk.authorize(&id, "dgs_wrong").await,
        401,
        "invalid_client",
    );

    // Ada approves on the verification page; the next poll (its interval waited out) has the
    // tokens.
    let person = Person::new(&base);
    let (status, page) = person.sign_in("correct horse battery").await;
    assert_eq!(status, 200, "{page}");
    let (status, page) = person.decide(&user_code, "approve").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Device connected"), "{page}");
    f.env.force_poll_due(&device_code).await;
    let tokens = ok(sdk
        .token(&id, &secret, DEVICE_CODE_GRANT, &device_code)
        .await)["token_info"]
        .clone();
    let access = str_of(&tokens, "access_token").to_owned();
    let refresh = str_of(&tokens, "refresh_token").to_owned();
    assert!(!access.is_empty() && !refresh.is_empty(), "{tokens}");
    assert_eq!(tokens["token_type"], "Bearer");
    assert!(
        tokens["expires_in"].as_i64().is_some_and(|s| s > 0),
        "{tokens}"
    );
    let introspected = f.env.introspect(&access).await;
    assert_eq!(introspected.json["active"], true, "{:?}", introspected.json);
    assert_eq!(introspected.json["username"], "ada");

    // Refresh: new tokens; a wrong secret is invalid_client.
    refused(
        &sdk.token(&id, "dgs_wrong", "refresh_token", &refresh).await,
        401,
        "invalid_client",
    );
    let refreshed =
        ok(sdk.token(&id, &secret, "refresh_token", &refresh).await)["token_info"].clone();
    assert_ne!(str_of(&refreshed, "access_token"), access);
    assert_ne!(str_of(&refreshed, "refresh_token"), refresh);
    assert_eq!(refreshed["token_type"], "Bearer");

    // The device code is spent (presenting it again revokes what it issued, so this comes last).
    refused(
        &sdk.token(&id, &secret, DEVICE_CODE_GRANT, &device_code)
            .await,
        400,
        "invalid_grant",
    );
}
