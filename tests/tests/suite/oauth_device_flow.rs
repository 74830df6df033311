//! The RFC 8628 device flow, black-box: devicegate served over HTTP on loopback, the `oauth2`
//! crate as the device's client, and the verification page driven by an HTTP client with a
//! cookie jar (here) or by headless Chromium (`browser.rs`).
//!
//! - [`flow`]: the flow end to end, introspection and revocation, denied and expired codes.
//! - [`refusals`]: what the endpoints refuse a client, storing nothing.
//! - [`costs`]: round trips and write units per step.
//! - [`page`]: the verification page's forged forms, attempt limits and weight.
//! - [`confirm_form`]: the confirm form's reference to what its session found.
//! - [`metadata`]: the authorization server metadata.
//! - [`admin_api`]: the admin API's clients and users.

mod admin_api;
mod confirm_form;
mod costs;
mod flow;
mod metadata;
mod page;
mod refusals;

use devicegate_tests::enc;
use devicegate_tests::oauth::{Fixture, Person, http_client};
use serde_json::Value;

/// A form POST over HTTP to the served `path`, with HTTP Basic credentials if given.
async fn post_form(
    base: &str,
    path: &str,
    form: &[(&str, &str)],
    basic: Option<(&str, &str)>,
) -> reqwest::Response {
    let mut request = http_client().post(format!("{base}{path}")).form(form);
    if let Some((id, secret)) = basic {
        request = request.basic_auth(id, Some(secret));
    }
    request.send().await.unwrap()
}

/// `post_form`, its JSON answer.
async fn post_form_json(
    base: &str,
    path: &str,
    form: &[(&str, &str)],
    basic: Option<(&str, &str)>,
) -> Value {
    post_form(base, path, form, basic)
        .await
        .json()
        .await
        .unwrap()
}

async fn introspect(base: &str, f: &Fixture, token: &str) -> Value {
    let server = Some((f.server_id.as_str(), f.server_secret.as_str()));
    post_form_json(base, "/oauth2/introspect", &[("token", token)], server).await
}

/// Runs the flow with plain HTTP calls and returns the token response.
async fn approved_tokens(f: &Fixture, base: &str, scope: &str) -> Value {
    let ask = [("client_id", f.cli_id.as_str()), ("scope", scope)];
    let started = post_form_json(base, "/oauth2/device_authorization", &ask, None).await;
    let person = Person::new(base);
    person.sign_in("correct horse battery").await;
    let (status, page) = person
        .decide(started["user_code"].as_str().unwrap(), "approve")
        .await;
    assert_eq!(status, 200, "{page}");
    let redeem = [
        ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
        ("device_code", started["device_code"].as_str().unwrap()),
        ("client_id", f.cli_id.as_str()),
    ];
    post_form_json(base, "/oauth2/token", &redeem, None).await
}

async fn start(f: &Fixture, body: &str) -> devicegate_tests::Reply {
    f.env
        .oauth2("/oauth2/device_authorization", body, None)
        .await
}

/// A refresh by the fixture's CLI, through the handler.
async fn refresh(f: &Fixture, refresh_token: &str) -> devicegate_tests::Reply {
    let body = format!(
        "grant_type=refresh_token&refresh_token={}&client_id={}",
        enc(refresh_token),
        f.cli_id
    );
    f.env.oauth2("/oauth2/token", &body, None).await
}

/// The stored device code an authorization started with.
async fn stored_code(
    f: &Fixture,
    started: &devicegate_tests::Reply,
) -> devicegate::model::DeviceCode {
    f.env
        .device_code(&started.str("device_code"))
        .await
        .unwrap()
}

async fn poll(f: &Fixture, device_code: &str) -> devicegate_tests::Reply {
    f.env
        .oauth2(
            "/oauth2/token",
            &format!(
                "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code&device_code={}&client_id={}",
                enc(device_code),
                f.cli_id
            ),
            None,
        )
        .await
}
