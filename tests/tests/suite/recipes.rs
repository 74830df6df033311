//! The client recipes of `docs/clients.md`, run: every block the page marks
//! `<!-- recipe: PATH -->` is the file at PATH (or, for the Rust crates, the region of
//! `recipes/crates.rs` between `// recipe:begin NAME` and `// recipe:end`), and each recipe runs
//! against devicegate served over HTTP on loopback while a person approves its code on the
//! `/device` page. The
//! Python clients come from `scripts/recipes-venv` (the Huawei SDK from `scripts/huawei-venv`),
//! openid-client from `scripts/recipes-node`; Go runs only where `go` is installed.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use devicegate::model::{GrantType, OAuthClientType, Scope};
use devicegate::usecases::admin::{self, NewClient};
use devicegate_tests::oauth::{Fixture, Person, fixture};
use devicegate_tests::server;
use tokio::sync::mpsc;

mod crates;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

/// Runs an install script (`scripts/recipes-venv`, ...) and returns the path it prints.
fn install(script: &str) -> PathBuf {
    let out = Command::new(repo_root().join(script))
        .output()
        .unwrap_or_else(|e| panic!("{script} runs: {e}"));
    assert!(
        out.status.success(),
        "{script} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
}

// --- the page shows what runs ---------------------------------------------------------------

/// Each `<!-- recipe: PATH -->` of the page and the fenced block after it.
fn marked_blocks(page: &str) -> Vec<(String, String)> {
    let mut blocks = Vec::new();
    let mut lines = page.lines();
    while let Some(line) = lines.next() {
        let Some(target) = line
            .trim()
            .strip_prefix("<!-- recipe:")
            .and_then(|l| l.strip_suffix("-->"))
        else {
            continue;
        };
        let fence = lines.next().unwrap_or_default();
        assert!(
            fence.starts_with("```"),
            "the line after {line:?} must open a fenced block, not {fence:?}"
        );
        let body: Vec<&str> = lines.by_ref().take_while(|l| *l != "```").collect();
        blocks.push((target.trim().to_owned(), body.join("\n") + "\n"));
    }
    blocks
}

/// The text of `// recipe:begin NAME` .. `// recipe:end` in `recipes/crates.rs`.
fn rust_region(name: &str) -> String {
    let source =
        std::fs::read_to_string(repo_root().join("tests/tests/suite/recipes/crates.rs")).unwrap();
    let begin = format!("// recipe:begin {name}\n");
    let start = source.find(&begin).unwrap_or_else(|| panic!("no {begin}")) + begin.len();
    let end = start + source[start..].find("// recipe:end").unwrap();
    source[start..end].to_owned()
}

#[test]
fn every_recipe_on_the_page_is_the_code_the_suite_runs() {
    let page = std::fs::read_to_string(repo_root().join("docs/clients.md")).unwrap();
    let blocks = marked_blocks(&page);
    for (target, shown) in &blocks {
        let runs = match target.strip_prefix("tests/tests/suite/recipes/crates.rs#") {
            Some(name) => rust_region(name),
            None => std::fs::read_to_string(repo_root().join(target))
                .unwrap_or_else(|e| panic!("{target}: {e}")),
        };
        assert_eq!(
            shown, &runs,
            "docs/clients.md's block for {target} differs from what runs"
        );
    }
    // Every recipe file is on the page, and so are both Rust recipes.
    let mut files: Vec<String> = std::fs::read_dir(repo_root().join("tests/recipes"))
        .unwrap()
        .map(|e| format!("tests/recipes/{}", e.unwrap().file_name().to_string_lossy()))
        .collect();
    files.push("tests/tests/suite/recipes/crates.rs#oauth2".into());
    files.push("tests/tests/suite/recipes/crates.rs#openidconnect".into());
    for file in files {
        assert!(
            blocks.iter().any(|(t, _)| *t == file),
            "docs/clients.md shows no recipe for {file}"
        );
    }
}

// --- running a recipe while a person approves -------------------------------------------------

/// A public client allowed the device and refresh grants, scopes `openid read`, and ada.
async fn gate() -> (Fixture, String, String) {
    let f = fixture().await;
    let client = admin::create_client(
        f.env.store(),
        NewClient {
            scopes: Scope::parse("openid read").unwrap(),
            ..NewClient::new(
                "My CLI",
                OAuthClientType::Public,
                vec![GrantType::DeviceCode, GrantType::RefreshToken],
            )
        },
        devicegate::http::now(),
        &devicegate_tests::origin(),
    )
    .await
    .unwrap()
    .client
    .client_id;
    let base = server::serve(f.env.deps.clone()).await;
    (f, base, client)
}

/// The verification URL and user code a recipe shows, from its `open URL` and `user code: CODE`
/// lines.
fn shown(lines: &[String]) -> Option<(String, String)> {
    let url = lines.iter().find_map(|l| l.strip_prefix("open "))?;
    let code = lines.iter().find_map(|l| l.strip_prefix("user code: "))?;
    Some((url.to_owned(), code.to_owned()))
}

/// Signs in as ada at `base`'s `/device` and approves `user_code`.
async fn approve(base: &str, url: &str, user_code: &str) {
    assert_eq!(
        url,
        format!("{base}/device?user_code={user_code}"),
        "the recipe must show the complete verification URI"
    );
    let person = Person::new(base);
    assert_eq!(person.sign_in("correct horse battery").await.0, 200);
    let (status, page) = person.decide(user_code, "approve").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Device connected"), "{page}");
}

/// Runs `command` (with `GATE` set to `base`), approves the code it shows while it polls, and
/// returns what it printed once it exits successfully.
async fn run_and_approve(mut command: Command, base: &str) -> Vec<String> {
    command
        .env("GATE", base)
        .env("PYTHONUNBUFFERED", "1")
        // Clients honour proxy variables; loopback must not go through one.
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env("no_proxy", "127.0.0.1,localhost")
        // No AWS profile or credentials of the machine's: the sso-oidc calls are unsigned.
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env_remove("AWS_PROFILE")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let what = format!("{command:?}");
    let mut child = command.spawn().unwrap_or_else(|e| panic!("{what}: {e}"));
    let pid = child.id();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    // Off the runtime (the server shares its thread): the lines as they come, then the exit.
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let _ = tx.send(Ok(line.unwrap()));
        }
        let mut errors = String::new();
        let _ = stderr.read_to_string(&mut errors);
        let _ = tx.send(Err((child.wait().unwrap(), errors)));
    });
    let mut lines = Vec::new();
    let mut approved = false;
    let finished = tokio::time::timeout(Duration::from_secs(90), async {
        while let Some(event) = rx.recv().await {
            match event {
                Ok(line) => lines.push(line),
                Err(exit) => return exit,
            }
            if !approved && let Some((url, code)) = shown(&lines) {
                approve(base, &url, &code).await;
                approved = true;
            }
        }
        unreachable!("the reader sends the exit last")
    })
    .await;
    let Ok((status, errors)) = finished else {
        // Ours to end, by its id.
        let _ = Command::new("kill").arg(pid.to_string()).status();
        panic!("{what} did not finish:\n{}", lines.join("\n"));
    };
    let out = lines.join("\n");
    assert!(
        status.success(),
        "{what} failed ({status}):\n{out}\n{errors}"
    );
    assert!(approved, "{what} showed no code to approve:\n{out}");
    lines
}

/// The `NAME: N chars` line's N.
fn chars(lines: &[String], name: &str) -> usize {
    let prefix = format!("{name}: ");
    lines
        .iter()
        .find_map(|l| {
            l.strip_prefix(&prefix)?
                .strip_suffix(" chars")?
                .parse()
                .ok()
        })
        .unwrap_or_else(|| panic!("no {prefix:?} line in {lines:?}"))
}

/// An access token (`dga_` and 43 characters) and, where printed, a refresh token.
fn assert_tokens(lines: &[String]) {
    assert_eq!(chars(lines, "access token"), 47, "{lines:?}");
    if lines.iter().any(|l| l.starts_with("refresh token: ")) {
        assert_eq!(chars(lines, "refresh token"), 47, "{lines:?}");
    }
}

fn python(venv: &Path, recipe: &str) -> Command {
    let mut command = Command::new(venv);
    command.arg(repo_root().join("tests/recipes").join(recipe));
    command
}

async fn venv(script: &'static str) -> PathBuf {
    tokio::task::spawn_blocking(move || install(script))
        .await
        .unwrap()
}

#[tokio::test]
async fn the_aws_cli_recipe_gets_a_token() {
    let venv = venv("scripts/recipes-venv").await;
    let (_f, base, _) = gate().await;
    let mut command = Command::new("bash");
    command.arg(repo_root().join("tests/recipes/aws_cli_sso_oidc.sh"));
    // The venv's pinned `aws` first on PATH.
    let path = std::env::var("PATH").unwrap_or_default();
    command.env(
        "PATH",
        format!("{}:{path}", venv.parent().unwrap().display()),
    );
    assert_tokens(&run_and_approve(command, &base).await);
}

#[tokio::test]
async fn the_boto3_recipe_gets_tokens() {
    let venv = venv("scripts/recipes-venv").await;
    let (_f, base, _) = gate().await;
    let lines = run_and_approve(python(&venv, "boto3_device_flow.py"), &base).await;
    assert_tokens(&lines);
}

#[tokio::test]
async fn the_huawei_sdk_recipe_gets_tokens() {
    let venv = venv("scripts/huawei-venv").await;
    let (_f, base, _) = gate().await;
    let lines = run_and_approve(python(&venv, "huawei_sdk_device_flow.py"), &base).await;
    assert_tokens(&lines);
}

#[tokio::test]
async fn the_authlib_and_requests_oauthlib_recipes_get_tokens() {
    let venv = venv("scripts/recipes-venv").await;
    let (_f, base, client) = gate().await;
    for recipe in ["authlib_device_flow.py", "requests_oauthlib_device_flow.py"] {
        let mut command = python(&venv, recipe);
        command
            .env("CLIENT_ID", &client)
            // Both refuse plain http unless told: loopback only.
            .env("AUTHLIB_INSECURE_TRANSPORT", "1")
            .env("OAUTHLIB_INSECURE_TRANSPORT", "1");
        assert_tokens(&run_and_approve(command, &base).await);
    }
}

#[tokio::test]
async fn the_openid_client_recipe_gets_tokens_and_an_id_token() {
    let dir = venv("scripts/recipes-node").await;
    let (_f, base, client) = gate().await;
    // ESM resolves `openid-client` from the file's folder: run a copy beside node_modules.
    let copy = dir.join("openid_client_device_flow.mjs");
    std::fs::copy(
        repo_root().join("tests/recipes/openid_client_device_flow.mjs"),
        &copy,
    )
    .unwrap();
    let mut command = Command::new("node");
    command.arg(&copy).env("CLIENT_ID", &client);
    let lines = run_and_approve(command, &base).await;
    assert_tokens(&lines);
    let sub = lines
        .iter()
        .find_map(|l| l.strip_prefix("id token subject: "))
        .unwrap_or_else(|| panic!("{lines:?}"));
    assert!(!sub.is_empty() && sub != "undefined", "{lines:?}");
}

#[tokio::test]
async fn the_go_recipe_gets_a_token_where_go_is_installed() {
    if Command::new("go").arg("version").output().is_err() {
        eprintln!(
            "SKIPPED: tests/recipes/go_device_flow.go not run: `go` is not on PATH (install Go to run it)"
        );
        return;
    }
    let (_f, base, client) = gate().await;
    let dir = std::env::temp_dir().join(format!("devicegate-go-recipe-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(
        repo_root().join("tests/recipes/go_device_flow.go"),
        dir.join("main.go"),
    )
    .unwrap();
    let go = |args: &[&str]| {
        let out = Command::new("go")
            .args(args)
            .current_dir(&dir)
            .output()
            .unwrap();
        assert!(out.status.success(), "go {args:?}: {out:?}");
    };
    go(&["mod", "init", "recipe"]);
    go(&["get", "golang.org/x/oauth2@v0.30.0"]);
    let mut command = Command::new("go");
    command
        .args(["run", "."])
        .current_dir(&dir)
        .env("CLIENT_ID", &client);
    assert_tokens(&run_and_approve(command, &base).await);
}
