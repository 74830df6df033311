//! The OpenAPI documents: the committed `docs/openapi/<dialect>.json` are what the code
//! generates, `devicegate serve` serves them (and refuses an unknown dialect in the OAuth error
//! shape), and schemathesis, a fuzzer nobody here wrote, finds no 5xx, no answer outside its
//! documented status codes, content types and schemas, and no hang, for every document. Its
//! summary lines go to `.tools/schemathesis-summary.txt`, which `scripts/test` prints.

use std::path::{Path, PathBuf};
use std::process::Command;

use devicegate::openapi::{Dialect, document_json};
use devicegate_cli::examples::seed_examples;
use devicegate_tests::{TestEnv, server};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

#[test]
fn the_committed_documents_are_what_the_code_generates() {
    for dialect in Dialect::ALL {
        let path = repo_root().join(format!("docs/openapi/{}.json", dialect.name()));
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == document_json(dialect),
            "{} is stale: run `cargo run -p devicegate-cli -- openapi --write docs/openapi`",
            path.display()
        );
    }
}

#[tokio::test]
async fn serve_serves_each_document_and_refuses_an_unknown_dialect() {
    let env = TestEnv::new().await;
    let base = server::serve(env.deps.clone()).await;
    let http = reqwest::Client::new();
    for dialect in Dialect::ALL {
        let reply = http
            .get(format!("{base}/openapi/{}.json", dialect.name()))
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status(), 200);
        assert_eq!(reply.text().await.unwrap(), document_json(dialect));
    }
    for unknown in ["soap.json", "aws", "..%2Fadmin.json"] {
        let reply = http
            .get(format!("{base}/openapi/{unknown}"))
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status(), 404, "{unknown}");
        let body: serde_json::Value = reply.json().await.unwrap();
        assert_eq!(body["error"], "not_found", "{unknown}: {body}");
    }
}

/// `st run` for one document, off the runtime (the server shares its thread).
async fn schemathesis(st: &Path, base: &str, dialect: Dialect, admin: &str) -> (bool, String) {
    let mut command = Command::new(st);
    command
        .arg("run")
        .arg(format!("{base}/openapi/{}.json", dialect.name()))
        .args(["--url", base])
        .args([
            "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
        ])
        .args(["--max-examples", "15", "--request-timeout", "10", "--no-color"])
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env("SCHEMATHESIS_TELEMETRY", "false")
        .current_dir(std::env::temp_dir());
    if dialect == Dialect::Admin {
        command.args(["-H", &format!("Authorization: Bearer {admin}")]);
    }
    let out = tokio::task::spawn_blocking(move || command.output())
        .await
        .unwrap()
        .expect("schemathesis runs");
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// The lines of schemathesis's summary worth keeping: operations, test cases, failures.
fn summary(text: &str) -> String {
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    let after = |label: &str| {
        lines
            .iter()
            .position(|l| *l == label)
            .and_then(|i| lines.get(i + 1))
            .copied()
            .unwrap_or("?")
    };
    let tested = lines
        .iter()
        .find_map(|l| l.strip_prefix("Tested:"))
        .map_or("?", str::trim);
    let failures = lines.iter().filter(|l| l.starts_with("❌ ST")).count();
    format!(
        "{tested} operations; test cases {}; failures {failures}",
        after("Test cases:")
    )
}

#[tokio::test]
async fn schemathesis_finds_nothing_in_any_document() {
    let st = Command::new(repo_root().join("scripts/schemathesis-venv"))
        .output()
        .expect("scripts/schemathesis-venv runs");
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    let st = PathBuf::from(String::from_utf8_lossy(&st.stdout).trim());

    let env = TestEnv::new().await;
    seed_examples(env.store(), &env.deps.settings, devicegate::http::now())
        .await
        .unwrap();
    let admin = env.admin_key().await;
    let base = server::serve(env.deps.clone()).await;
    let mut report = String::new();
    let mut failed = Vec::new();
    for dialect in Dialect::ALL {
        let (passed, text) = schemathesis(&st, &base, dialect, &admin).await;
        report.push_str(&format!(
            "schemathesis {:8} {}\n",
            dialect.name(),
            summary(&text)
        ));
        if !passed {
            failed.push(format!("== {}\n{text}", dialect.name()));
        }
    }
    std::fs::create_dir_all(repo_root().join(".tools")).unwrap();
    std::fs::write(repo_root().join(".tools/schemathesis-summary.txt"), &report).unwrap();
    assert!(failed.is_empty(), "{report}\n{}", failed.join("\n"));
    assert_eq!(report.lines().count(), Dialect::ALL.len());
    assert!(!report.contains("test cases ?"), "{report}");
}
