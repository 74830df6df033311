//! What each step of the flow costs in DynamoDB: the round trips per request and the write
//! units `scripts/cost` and docs/performance.md use.

use std::time::Duration;

use devicegate_tests::oauth::{Person, fixture};
use devicegate_tests::{enc, server};

use super::{poll, refresh, start};

#[tokio::test]
async fn round_trips_per_request() {
    let f = fixture().await;
    let env = &f.env;
    env.calls.take();
    let started = start(&f, &format!("client_id={}&scope=read", f.cli_id)).await;
    assert_eq!(started.status, 200, "{:?}", started.json);
    assert_eq!(
        env.calls.take(),
        ["TransactWriteItems"],
        "device authorization"
    );

    let device_code = started.str("device_code");
    let pending = poll(&f, &device_code).await;
    assert_eq!(pending.error(), "authorization_pending");
    // One conditional write to the code alone: the client is checked against the secret the
    // code was issued under, not read (one write unit instead of a two-item transaction's four).
    assert_eq!(env.calls.take(), ["UpdateItem"], "pending poll");

    // Polled again at once: slow_down in two round trips and no read. The refused poll write
    // returns the code as it was; the grown interval is a second write, because an update
    // expression cannot choose what to set by a comparison and a refused condition writes
    // nothing (docs/architecture.md, "DynamoDB round trips per request").
    let too_fast = poll(&f, &device_code).await;
    assert_eq!(too_fast.error(), "slow_down");
    assert_eq!(
        env.calls.take(),
        ["UpdateItem", "UpdateItem"],
        "too-fast poll"
    );

    // Approve through the page's use case, then wait out the interval.
    let code = env.device_code(&device_code).await.unwrap();
    env.store()
        .decide_on_page(
            &code.code_hash,
            "ada",
            devicegate::storage::PageDecision::Approve,
            (Some("read"), Default::default()),
            devicegate::http::now(),
            &devicegate_tests::setup_record(
                devicegate::model::AuditType::DeviceCodeApproved,
                "test",
            ),
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    env.calls.take();
    let tokens = poll(&f, &device_code).await;
    assert_eq!(tokens.status, 200, "{:?}", tokens.json);
    // The refused poll write returns the approved code; the client and the user are read and
    // judged; one transaction marks the code and writes the family and both tokens.
    assert_eq!(
        env.calls.take(),
        ["UpdateItem", "BatchGetItem", "TransactWriteItems"],
        "redemption"
    );

    let refreshed = refresh(&f, &tokens.str("refresh_token")).await;
    assert_eq!(refreshed.status, 200, "{:?}", refreshed.json);
    assert_eq!(
        env.calls.take(),
        ["BatchGetItem", "TransactWriteItems"],
        "refresh"
    );

    let introspected = env
        .oauth2(
            "/oauth2/introspect",
            &format!("token={}", enc(&refreshed.str("access_token"))),
            Some((&f.server_id, &f.server_secret)),
        )
        .await;
    assert_eq!(introspected.json["active"], true, "{:?}", introspected.json);
    assert_eq!(
        env.calls.take(),
        ["BatchGetItem", "BatchGetItem"],
        "introspection"
    );
}

/// What each step of a device flow is billed in DynamoDB write units (items here are under
/// 1 KB; see `CallLog::take_write_units`), the figures `scripts/cost` and docs/performance.md's cost
/// table use. A change that makes a step costlier fails here.
#[tokio::test]
async fn write_units_per_step_of_a_device_flow() {
    let f = fixture().await;
    let env = &f.env;
    let base = server::serve(env.deps.clone()).await;
    let person = Person::new(&base);
    person.sign_in("correct horse battery").await;
    let units = || env.calls.take_write_units();
    units();

    // The client's check, the device code, the user code and the `device_code.issued` record:
    // a 4-item transaction.
    let started = start(&f, &format!("client_id={}&scope=read", f.cli_id)).await;
    assert_eq!(started.status, 200, "{:?}", started.json);
    assert_eq!(units(), 8, "device authorization");
    let device_code = started.str("device_code");
    assert_eq!(
        poll(&f, &device_code).await.error(),
        "authorization_pending"
    );
    assert_eq!(units(), 1, "pending poll");
    assert_eq!(poll(&f, &device_code).await.error(), "slow_down");
    assert_eq!(
        units(),
        2,
        "too-fast poll: the refused write, the grown interval"
    );

    // The page: the code typed (an attempt taken from the user's and the source's counters and
    // given back: four single-item updates), then the decision from the confirm form, which
    // refers to what this session found and so takes no attempt: the conditional write and
    // its audit record, a 2-item transaction.
    let (status, confirm) = person.find(&started.str("user_code")).await;
    assert_eq!(status, 200, "{confirm}");
    assert_eq!(units(), 4, "code typed on the page");
    let (status, page) = person.decide(&started.str("user_code"), "approve").await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(units(), 4 + 4, "found (by decide), and approved");

    // The refused poll write; the client and user read and judged; then code, family, both
    // tokens and the audit record in one transaction.
    env.force_poll_due(&device_code).await;
    units();
    let tokens = poll(&f, &device_code).await;
    assert_eq!(tokens.status, 200, "{:?}", tokens.json);
    assert_eq!(units(), 1 + 10, "redemption");

    // The client is read and judged with the token; the old token, the family, the user's
    // check, the new pair and the audit record are written.
    let refreshed = refresh(&f, &tokens.str("refresh_token")).await;
    assert_eq!(refreshed.status, 200, "{:?}", refreshed.json);
    assert_eq!(units(), 12, "refresh");
}
