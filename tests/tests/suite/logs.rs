//! Honest log levels: a whole device flow with the refusals the protocol is made of (pending
//! polls, a wrong user code, a failed sign-in, a reused refresh token, a device code presented
//! again, unknown routes) logs nothing at WARN or ERROR, the store's refusals included.

use devicegate_tests::oauth::{Person, fixture_on};
use devicegate_tests::*;
use serde_json::Value;

async fn post(base: &str, path: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let response = oauth::http_client()
        .post(format!("{base}{path}"))
        .form(form)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_flow_and_its_protocol_refusals_log_nothing_above_info() {
    let (log, _guard) = logs::capture(None);
    let f = fixture_on(TestEnv::on(logs::own_store().await).await).await;
    let base = server::serve(f.env.deps.clone()).await;
    let cli = f.cli_id.as_str();

    let (status, started) = post(
        &base,
        "/oauth2/device_authorization",
        &[("client_id", cli), ("scope", "read")],
    )
    .await;
    assert_eq!(status, 200, "{started}");
    let device_code = started["device_code"].as_str().unwrap();
    let user_code = started["user_code"].as_str().unwrap();
    let redeem = [
        ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
        ("device_code", device_code),
        ("client_id", cli),
    ];
    for _ in 0..2 {
        f.env.force_poll_due(device_code).await;
        let (status, pending) = post(&base, "/oauth2/token", &redeem).await;
        assert_eq!(
            (status, pending["error"].as_str()),
            (400, Some("authorization_pending"))
        );
    }

    let person = Person::new(&base);
    assert_eq!(person.sign_in("wrong password").await.0, 401);
    assert_eq!(person.sign_in("correct horse battery").await.0, 200);
    assert_eq!(person.find("BBBB-BBBB").await.0, 400, "a wrong user code");
    let (status, page) = person.decide(user_code, "approve").await;
    assert_eq!(status, 200, "{page}");

    f.env.force_poll_due(device_code).await;
    let (status, tokens) = post(&base, "/oauth2/token", &redeem).await;
    assert_eq!(status, 200, "{tokens}");
    let first = tokens["refresh_token"].as_str().unwrap();
    let refresh = |token| {
        [
            ("grant_type", "refresh_token"),
            ("refresh_token", token),
            ("client_id", cli),
        ]
    };
    let (status, rotated) = post(&base, "/oauth2/token", &refresh(first)).await;
    assert_eq!(status, 200, "{rotated}");
    let (status, reused) = post(&base, "/oauth2/token", &refresh(first)).await;
    assert_eq!(
        (status, reused["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let (status, again) = post(&base, "/oauth2/token", &redeem).await;
    assert_eq!(
        (status, again["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    assert_eq!(post(&base, "/oauth2/nothing", &[]).await.0, 404);
    assert_eq!(
        oauth::http_client()
            .get(format!("{base}/oauth2/token"))
            .send()
            .await
            .unwrap()
            .status(),
        405
    );

    let requests = log.saying("request");
    assert!(
        requests.len() >= 15,
        "every request logged: {}",
        requests.len()
    );
    let reuse = log.saying("refresh token reused; family revoked");
    assert_eq!(reuse.len(), 1, "{:?}", log.lines());
    assert_eq!(reuse[0]["level"], "INFO");
    assert_eq!(log.loud(), Vec::<Value>::new());
}
