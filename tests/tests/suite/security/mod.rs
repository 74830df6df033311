//! What an attacker cannot do, by capability: each test asserts a refusal (or a harmless
//! answer) and that nothing stored changed. Each submodule holds one capability.

mod api_keys;
mod attempt_limits;
mod client_auth;
mod consent;
mod deployment;
mod input_bounds;
mod registration;
mod sessions;
mod signed_requests;
mod token_holders;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use devicegate_tests::*;
use ed25519_dalek::Signer as _;

/// An Ed25519 key a device (or an attacker) holds, with its raw public key in base64.
pub(super) fn ed25519_key(seed: u8) -> (ed25519_dalek::SigningKey, String) {
    let key = ed25519_dalek::SigningKey::from_bytes(&[seed; 32]);
    let public = B64.encode(key.verifying_key().to_bytes());
    (key, public)
}

pub(super) fn sign(key: &ed25519_dalek::SigningKey, body: &str) -> String {
    B64.encode(key.sign(body.as_bytes()).to_bytes())
}

/// A printer's registration body proposing an Ed25519 public key.
pub(super) fn keyed_register_body(client_id: &str, api_key: &str, public: &str) -> String {
    let body = register_body(client_id, api_key);
    format!("{body}&key_type=ed25519&public_key={}", enc(public))
}

/// Runs the device flow for a client (approved by ada through storage) and returns its tokens.
pub(super) async fn device_flow_tokens(env: &TestEnv, client: (&str, Option<&str>)) -> Reply {
    let (id, secret) = client;
    let basic = secret.map(|s| (id, s));
    let body = if basic.is_some() {
        String::new()
    } else {
        format!("client_id={id}")
    };
    let device_code = env
        .oauth2("/oauth2/device_authorization", &body, basic)
        .await
        .str("device_code");
    assert!(env.approve_on_page(&device_code, "ada", None).await);
    let poll = format!(
        "grant_type=urn:ietf:params:oauth:grant-type:device_code&device_code={device_code}{}",
        if basic.is_some() {
            String::new()
        } else {
            format!("&client_id={id}")
        }
    );
    let tokens = env.oauth2("/oauth2/token", &poll, basic).await;
    assert_eq!(tokens.status, 200, "{}", tokens.json);
    tokens
}

pub(super) fn hash_of(secret: &str) -> String {
    devicegate::secrets::hash_secret(secret)
}

/// A console request with the given cookies: (status, the `Set-Cookie` values, the page).
pub(super) async fn console(
    env: &TestEnv,
    body: Option<&str>,
    cookies: &[(&str, &str)],
) -> (u16, Vec<String>, String) {
    let mut builder = lambda_http::http::Request::builder()
        .method(if body.is_some() { "POST" } else { "GET" })
        .uri("https://gate.test/admin/console");
    if !cookies.is_empty() {
        let header: Vec<String> = cookies.iter().map(|(n, v)| format!("{n}={v}")).collect();
        builder = builder.header("cookie", header.join("; "));
    }
    if body.is_some() {
        builder = builder.header("content-type", "application/x-www-form-urlencoded");
    }
    let text = lambda_http::Body::Text(body.unwrap_or("").to_owned());
    let response = dispatch(&env.deps, builder.body(text).unwrap()).await;
    let set = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    let html = match response.body() {
        lambda_http::Body::Text(t) => t.clone(),
        _ => String::new(),
    };
    (response.status().as_u16(), set, html)
}

/// The value a `Set-Cookie` gives `name`.
pub(super) fn cookie_value(set: &[String], name: &str) -> Option<String> {
    set.iter()
        .find_map(|v| v.strip_prefix(&format!("{name}=")))
        .map(|v| v.split(';').next().unwrap().to_owned())
}
