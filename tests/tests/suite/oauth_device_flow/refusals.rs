//! What the endpoints refuse a client, in RFC 6749's shape and with nothing stored: bad
//! requests, and a client checked against its secret as it was and as it is.

use std::time::Duration;

use devicegate::model::CodeStatus;
use devicegate::usecases::admin;
use devicegate_tests::oauth::{Person, fixture};
use devicegate_tests::{enc, server};

use super::{poll, stored_code};

#[tokio::test]
async fn client_errors_follow_rfc6749_and_store_nothing() {
    let f = fixture().await;
    let env = &f.env;
    let before = env.snapshot().await;

    let cases = [
        // (body, basic auth, status, error)
        (
            format!("client_id={}&scope=admin", f.cli_id),
            None,
            400,
            "invalid_scope",
        ),
        ("client_id=nobody".to_owned(), None, 401, "invalid_client"),
        (String::new(), None, 401, "invalid_client"),
        (
            format!("client_id={}&client_secret=x", f.cli_id),
            None,
            401,
            "invalid_client",
        ),
        (
            "scope=read".to_owned(),
            Some((f.server_id.as_str(), "dgs_wrong")),
            401,
            "invalid_client",
        ),
        (
            "scope=read".to_owned(),
            Some((f.server_id.as_str(), f.server_secret.as_str())),
            400,
            "unauthorized_client",
        ),
        (
            format!("client_id={}&scope=a%22b", f.cli_id),
            None,
            400,
            "invalid_scope",
        ),
        (
            format!("client_id={}&client_id={}", f.cli_id, f.cli_id),
            None,
            400,
            "invalid_request",
        ),
    ];
    for (body, basic, status, error) in cases {
        let reply = env
            .oauth2("/oauth2/device_authorization", &body, basic)
            .await;
        reply.assert_described_error(status, error, &body);
    }
    let token_cases = [
        ("grant_type=password&client_id=x", "unsupported_grant_type"),
        (
            "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code&client_id=x",
            "invalid_request",
        ),
    ];
    for (body, error) in token_cases {
        let reply = env.oauth2("/oauth2/token", body, None).await;
        assert_eq!((reply.status, reply.error()), (400, error), "{body}");
    }
    let unknown = poll(&f, "dgc_unknown").await;
    assert_eq!((unknown.status, unknown.error()), (400, "invalid_grant"));
    assert_eq!(
        env.snapshot().await,
        before,
        "a refused request stored something"
    );
}

/// A pending poll is one write to the code alone: the client proves itself against the secret
/// the code was issued under. The client as it is now is checked by the redemption, so a client
/// disabled or given a new secret while its code is pending gets no tokens.
#[tokio::test]
async fn polls_check_the_issuing_secret_and_the_redemption_checks_the_client_as_it_is() {
    use aws_sdk_dynamodb::types::AttributeValue;
    use devicegate::model::{GrantType, OAuthClientType};
    use devicegate::usecases::admin::NewClient;
    let f = fixture().await;
    let env = &f.env;
    let base = server::serve(env.deps.clone()).await;
    let person = Person::new(&base);
    person.sign_in("correct horse battery").await;
    let kiosk = admin::create_client(
        env.store(),
        NewClient::new(
            "Kiosk",
            OAuthClientType::Confidential,
            vec![GrantType::DeviceCode, GrantType::RefreshToken],
        ),
        devicegate::http::now(),
        &devicegate_tests::origin(),
    )
    .await
    .unwrap();
    let id = kiosk.client.client_id.clone();
    let secret = kiosk.secret.clone().unwrap();
    let poll_with = |code: String, secret: String| {
        let id = id.clone();
        async move {
            env.oauth2(
                "/oauth2/token",
                &format!(
                    "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code&device_code={}",
                    enc(&code)
                ),
                Some((id.as_str(), secret.as_str())),
            )
            .await
        }
    };
    let begin = || async {
        let started = env
            .oauth2(
                "/oauth2/device_authorization",
                "",
                Some((id.as_str(), secret.as_str())),
            )
            .await;
        assert_eq!(started.status, 200, "{:?}", started.json);
        started
    };

    // The code records the secret's hash, never the secret.
    let started = begin().await;
    let code = stored_code(&f, &started).await;
    assert_eq!(
        code.client_secret_hash.as_deref(),
        Some(devicegate::secrets::hash_secret(&secret).as_str())
    );
    let before = env.snapshot().await;
    let wrong = poll_with(started.str("device_code"), "dgs_wrong".into()).await;
    wrong.assert_described_error(401, "invalid_client", "wrong secret");
    assert_eq!(
        env.snapshot().await,
        before,
        "a refused poll wrote something"
    );
    env.calls.take();
    let pending = poll_with(started.str("device_code"), secret.clone()).await;
    assert_eq!(pending.error(), "authorization_pending");
    assert_eq!(env.calls.take(), ["UpdateItem"]);

    // Disabled while pending: the poll cannot tell (it reads no client) and answers pending;
    // the approved code's redemption refuses, and issues nothing.
    let (status, page) = person.decide(&started.str("user_code"), "approve").await;
    assert_eq!(status, 200, "{page}");
    env.store()
        .disable_client(
            &id,
            &devicegate_tests::setup_record(devicegate::model::AuditType::ClientDisabled, &id),
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let before = env.snapshot().await;
    let refused = poll_with(started.str("device_code"), secret.clone()).await;
    refused.assert_described_error(401, "invalid_client", "disabled client redeems");
    assert_eq!(
        stored_code(&f, &started).await.status,
        CodeStatus::Approved,
        "the refused redemption changed the code"
    );
    assert_eq!(
        env.snapshot().await,
        before,
        "a refused redemption wrote something"
    );

    // A new secret while a code is pending: the old one still polls that code (it is what the
    // code was issued under) but no longer redeems it; the new one is told the code is not its.
    let clients = env.store().tables().clients.clone();
    let edit = |update: &'static str, value: AttributeValue| {
        let (clients, id) = (clients.clone(), id.clone());
        async move {
            env.edit_item(&clients, ("client_id", &id), update, value)
                .await
        }
    };
    edit("SET disabled = :v", AttributeValue::Bool(false)).await;
    let started = begin().await;
    person.decide(&started.str("user_code"), "approve").await;
    let rotated = devicegate::secrets::hash_secret("dgs_rotated");
    edit("SET secret_hash = :v", AttributeValue::S(rotated)).await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let old = poll_with(started.str("device_code"), secret.clone()).await;
    old.assert_described_error(401, "invalid_client", "old secret redeems");
    let new = poll_with(started.str("device_code"), "dgs_rotated".into()).await;
    new.assert_described_error(400, "invalid_grant", "new secret on an old code");
    assert_eq!(stored_code(&f, &started).await.status, CodeStatus::Approved);

    // Another client's secret on this code: the client is authenticated first, then told.
    let cli_poll = poll(&f, &started.str("device_code")).await;
    cli_poll.assert_described_error(400, "invalid_grant", "another client's code");
}
