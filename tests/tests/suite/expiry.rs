//! Device codes that expire unused are recorded in the audit trail (issue 25): through the use
//! case both paths call, through the `expiry` function's handler fed a TTL removal from the
//! stream, and through `devicegate serve`'s sweep. Each expiry is recorded once, at its expiry
//! time, by `system`.

use devicegate::api::admin::views::rfc3339;
use devicegate::api::expiry;
use devicegate::model::{DeviceCode, Origin};
use devicegate::usecases::expiry::{Expiry, record_expired};
use devicegate_cli::serve::expiry::{Swept, sweep};
use devicegate_tests::audit::trail;
use devicegate_tests::oauth::fixture;
use devicegate_tests::*;
use serde_json::Value;

/// Moves a stored code's expiry (and its TTL) to `at`, as if time had passed.
async fn expire(env: &TestEnv, code: &str, at: i64) -> DeviceCode {
    let hash = devicegate::secrets::hash_secret(code);
    let table = env.store().tables().device_codes.clone();
    for update in ["SET expires_at = :v", "SET #ttl = :v"] {
        env.store()
            .client()
            .update_item()
            .table_name(&table)
            .key(
                "code_hash",
                aws_sdk_dynamodb::types::AttributeValue::S(hash.clone()),
            )
            .update_expression(update)
            .set_expression_attribute_names(
                update
                    .contains("#ttl")
                    .then(|| [("#ttl".to_owned(), "ttl".to_owned())].into()),
            )
            .expression_attribute_values(":v", number(at))
            .send()
            .await
            .unwrap();
    }
    env.device_code(code).await.unwrap()
}

/// A new OAuth device code for the client, pending.
async fn start_device_code(env: &TestEnv, client_id: &str) -> String {
    let started = env
        .oauth2(
            "/oauth2/device_authorization",
            &format!("client_id={client_id}"),
            None,
        )
        .await;
    assert_eq!(started.status, 200, "{}", started.json);
    started.str("device_code")
}

/// The time `GET /admin/audit` shows for an epoch second.
fn shown(epoch: i64) -> String {
    rfc3339(epoch).replace('Z', ".000Z")
}

#[tokio::test]
async fn expired_codes_are_recorded_once_at_their_expiry_and_a_redeemed_one_not_at_all() {
    let f = fixture().await;
    let env = &f.env;
    let admin = env.admin_key().await;
    let api_key = env.api_key(Default::default()).await;
    let now = devicegate::http::now();
    let past = now - 120;

    // A Paragon registration nobody decided on, and an OAuth code nobody entered.
    let paragon = env
        .register_code(&register_body("printer-exp", &api_key))
        .await;
    let paragon = expire(env, &paragon, past).await;
    let started = start_device_code(env, &f.cli_id).await;
    let oauth = expire(env, &started, past - 1).await;

    // A code approved at once and redeemed: decided and recorded then, nothing at expiry.
    let trusted = env.auto_trust_key().await;
    let redeemed = env
        .register_code(&register_body("printer-done", &trusted))
        .await;
    assert_eq!(
        env.poll("printer-done", &trusted, &redeemed).await.status,
        200
    );
    let redeemed = expire(env, &redeemed, past).await;

    let origin = Origin::system("expiry");
    for _ in 0..2 {
        record_expired(env.store(), &paragon, &origin, now)
            .await
            .unwrap();
        record_expired(env.store(), &oauth, &origin, now)
            .await
            .unwrap();
    }
    assert_eq!(
        record_expired(env.store(), &paragon, &origin, now)
            .await
            .unwrap(),
        Expiry::AlreadyRecorded
    );
    assert_eq!(
        record_expired(env.store(), &redeemed, &origin, now)
            .await
            .unwrap(),
        Expiry::NotDue
    );

    let devices = trail(env, &admin, "type=device.expired").await;
    assert_eq!(devices.len(), 1, "once, however often: {devices:?}");
    let device = &devices[0];
    assert_eq!(device["subject"], "printer-exp");
    assert_eq!(device["actor"], "system");
    assert_eq!(device["outcome"], "failure");
    assert_eq!(device["time"], shown(past), "the expiry, not when noticed");
    assert_eq!(
        device["reason"],
        format!("expired at {} without a decision", rfc3339(past))
    );
    let codes = trail(env, &admin, "type=device_code.expired").await;
    assert_eq!(codes.len(), 1, "{codes:?}");
    assert_eq!(codes[0]["subject"], f.cli_id.as_str());
    assert_eq!(codes[0]["actor"], "system");
    assert_eq!(codes[0]["time"], shown(past - 1));
    let done = trail(env, &admin, "subject=printer-done").await;
    assert!(
        done.iter()
            .all(|e| !e["type"].as_str().unwrap().ends_with(".expired")),
        "{done:?}"
    );
}

/// The sample stream event (`events/expiry-ttl-remove.json`): a TTL removal of a Paragon
/// registration's pending code, as Lambda hands it to the `expiry` function.
fn sample_stream_event() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../events/expiry-ttl-remove.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn stream_event(json: Value) -> aws_lambda_events::event::dynamodb::Event {
    serde_json::from_value(json).unwrap()
}

#[tokio::test]
async fn the_function_records_the_sample_ttl_removal_once_and_skips_other_removals() {
    let env = TestEnv::new().await;
    let admin = env.admin_key().await;
    let now = devicegate::http::now();
    // The sample's code, expired an hour ago (its own date would one day be past retention).
    let mut sample = sample_stream_event();
    let old = &mut sample["Records"][0]["dynamodb"]["OldImage"];
    old["expires_at"]["N"] = (now - 3600).to_string().into();
    old["ttl"]["N"] = (now - 3600).to_string().into();
    let event = stream_event(sample.clone());
    let (response, tally) = expiry::handle(env.store(), &event, "req-1", now).await;
    assert!(response.batch_item_failures.is_empty());
    assert_eq!((tally.recorded, tally.failed), (1, 0));
    let (_, again) = expiry::handle(env.store(), &event, "req-2", now).await;
    assert_eq!((again.recorded, again.already), (0, 1), "a redelivery");

    let old = &sample["Records"][0]["dynamodb"]["OldImage"];
    let client_id = old["client_id"]["S"].as_str().unwrap();
    let expires_at: i64 = old["expires_at"]["N"].as_str().unwrap().parse().unwrap();
    let events = trail(&env, &admin, &format!("subject={client_id}")).await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["type"], "device.expired");
    assert_eq!(events[0]["time"], shown(expires_at));
    assert_eq!(events[0]["request_id"], "req-1");
    assert_eq!(events[0]["dialect"], "expiry");

    // Someone's own DeleteItem is not an expiry: no record.
    let mut deleted = sample.clone();
    deleted["Records"][0]["userIdentity"] = Value::Null;
    deleted["Records"][0]["dynamodb"]["OldImage"]["code_hash"]["S"] = "another".into();
    let (_, tally) = expiry::handle(env.store(), &stream_event(deleted), "req-3", now).await;
    assert_eq!((tally.recorded, tally.skipped), (0, 1));
}

#[tokio::test]
async fn a_record_that_cannot_be_handled_is_reported_and_the_rest_wait_for_the_retry() {
    let env = TestEnv::new().await;
    let now = devicegate::http::now();
    let mut json = sample_stream_event();
    let good = json["Records"][0].clone();
    let mut broken = good.clone();
    broken["dynamodb"]["OldImage"]
        .as_object_mut()
        .unwrap()
        .remove("owner");
    broken["dynamodb"]["SequenceNumber"] = "111".into();
    json["Records"] = Value::Array(vec![broken, good]);
    let (response, tally) = expiry::handle(env.store(), &stream_event(json), "req", now).await;
    let failed: Vec<_> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone())
        .collect();
    assert_eq!(failed, [Some("111".to_owned())]);
    assert_eq!(
        (tally.recorded, tally.failed),
        (0, 1),
        "stopped at the failure"
    );
}

#[tokio::test]
async fn serves_sweep_records_and_deletes_expired_codes_and_leaves_live_ones() {
    let f = fixture().await;
    let env = &f.env;
    let admin = env.admin_key().await;
    let now = devicegate::http::now();
    let expired = start_device_code(env, &f.cli_id).await;
    expire(env, &expired, now - 5).await;
    let live = start_device_code(env, &f.cli_id).await;

    let swept = sweep(env.store(), now).await.unwrap();
    assert_eq!(
        swept,
        Swept {
            recorded: 1,
            ..Default::default()
        }
    );
    assert!(
        env.device_code(&expired).await.is_none(),
        "deleted, as TTL would"
    );
    assert!(env.device_code(&live).await.is_some());
    assert_eq!(sweep(env.store(), now).await.unwrap(), Swept::default());
    let codes = trail(env, &admin, "type=device_code.expired").await;
    assert_eq!(codes.len(), 1, "{codes:?}");
    assert_eq!(codes[0]["dialect"], "serve");
    assert_eq!(codes[0]["time"], shown(now - 5));
}
