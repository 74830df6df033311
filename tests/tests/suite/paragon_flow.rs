//! The trusted-device flow end to end, through the handlers, against dynoxide.

use devicegate::model::{ApiKeySettings, CodeStatus, DeviceStatus, FamilyStatus};
use devicegate::usecases::device_grant::{
    DeviceCodeGrant, TooFastPolls, poll_as_device as poll_device_code,
};
use devicegate::{Error, http};
use devicegate_tests::*;

#[tokio::test]
async fn register_approve_poll_refresh() {
    let (env, api_key, admin) = TestEnv::with_keys().await;

    let reg = env
        .register(
            &format!(
                "{}&client_description=Lobby&state=s-1",
                register_body("printer-1", &api_key)
            ),
            None,
        )
        .await;
    assert_eq!(reg.status, 200, "{:?}", reg.json);
    assert_eq!(reg.str("state"), "s-1");
    assert_eq!(reg.json["expires_in"], 72 * 3600);
    assert_eq!(reg.json["interval"], 5);
    let code = reg.str("device_code");
    assert!(code.len() >= 43, "a device code carries at least 256 bits");
    assert_eq!(
        env.device("printer-1").await.unwrap().status,
        DeviceStatus::Pending
    );

    // Pending: the API key read and judged, then one conditional write, answered
    // authorization_pending.
    env.calls.take();
    let pending = env.poll("printer-1", &api_key, &code).await;
    assert_eq!(
        (pending.status, pending.error()),
        (400, "authorization_pending")
    );
    assert_eq!(env.calls.take(), ["GetItem", "UpdateItem"]);

    // Paragon clients never see slow_down: a too-early poll is still authorization_pending.
    let early = env.poll("printer-1", &api_key, &code).await;
    assert_eq!(early.error(), "authorization_pending");
    assert_eq!(
        env.device_code(&code).await.unwrap().interval,
        5,
        "the interval did not grow"
    );

    let listed = env
        .admin("GET", "/admin/devices?status=pending", Some(&admin), None)
        .await;
    assert_eq!(listed.status, 200);
    assert_eq!(listed.json["devices"][0]["client_id"], "printer-1");
    assert_eq!(listed.json["devices"][0]["client_description"], "Lobby");

    let approved = env.device_action(&admin, "printer-1", "approve").await;
    assert_eq!(approved.status, 200, "{:?}", approved.json);
    assert_eq!(approved.json["status"], "approved");

    // Approval took effect; the redemption is four round trips (the API key read and judged,
    // the refused poll write, the device and API key read and judged, the redeem transaction
    // of 5 items with the audit record: 1 + 10 write units).
    env.force_poll_due(&code).await;
    env.calls.take();
    env.calls.take_write_units();
    let tokens = env.poll("printer-1", &api_key, &code).await;
    assert_eq!(tokens.status, 200, "{:?}", tokens.json);
    assert_eq!(
        env.calls.take(),
        [
            "GetItem",
            "UpdateItem",
            "BatchGetItem",
            "TransactWriteItems"
        ]
    );
    assert_eq!(env.calls.take_write_units(), 1 + 10);
    assert_eq!(tokens.json["token_type"], "Bearer");
    assert_eq!(tokens.json["expires_in"], 3600);
    assert_eq!(tokens.headers["cache-control"], "no-store");
    let refresh = tokens.str("refresh_token");

    // Refresh rotates: two round trips (one batched read, one transaction).
    let rotated = env.refresh("printer-1", &api_key, &refresh).await;
    assert_eq!(rotated.status, 200, "{:?}", rotated.json);
    assert_eq!(env.calls.take(), ["BatchGetItem", "TransactWriteItems"]);
    // The device and API key were read and judged with the token, so the transaction holds only
    // the old token, the family, the new pair and the audit record: 5 items, 10 write units.
    env.calls.take_write_units();
    let again = env
        .refresh("printer-1", &api_key, &rotated.str("refresh_token"))
        .await;
    assert_eq!(again.status, 200, "{:?}", again.json);
    assert_eq!(env.calls.take_write_units(), 10);
    env.calls.take();
    let rotated = again;
    let newer = rotated.str("refresh_token");
    assert_ne!(newer, refresh);
    assert_ne!(rotated.str("access_token"), tokens.str("access_token"));

    // Reusing the rotated-out token revokes the whole family, the newest token included.
    let reused = env.refresh("printer-1", &api_key, &refresh).await;
    assert_eq!((reused.status, reused.error()), (400, "invalid_grant"));
    let after = env.refresh("printer-1", &api_key, &newer).await;
    assert_eq!(after.error(), "invalid_grant");
    let code_item = env.device_code(&code).await.unwrap();
    let family = env
        .store()
        .get_family(code_item.family_id.as_deref().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(family.status, FamilyStatus::Revoked);
}

#[tokio::test]
async fn state_is_echoed_only_when_sent_and_auto_trust_approves_at_once() {
    let env = TestEnv::new().await;
    let api_key = env
        .api_key(ApiKeySettings {
            auto_trust: true,
            access_token_ttl: Some(600),
            ..Default::default()
        })
        .await;
    let reg = env
        .register(&register_body("kiosk-7", &api_key), None)
        .await;
    assert_eq!(reg.status, 200);
    assert!(reg.json.get("state").is_none(), "{:?}", reg.json);
    assert_eq!(
        env.device("kiosk-7").await.unwrap().status,
        DeviceStatus::Approved
    );
    let tokens = env.poll("kiosk-7", &api_key, &reg.str("device_code")).await;
    assert_eq!(tokens.status, 200, "{:?}", tokens.json);
    assert_eq!(
        tokens.json["expires_in"], 600,
        "lifetime comes from the API key"
    );
}

#[tokio::test]
async fn unknown_disabled_or_expired_api_keys_are_invalid_client_and_store_nothing() {
    let (env, api_key, admin) = TestEnv::with_keys().await;
    let before = env.snapshot().await;

    let unknown = env.register(&register_body("p", "dgk_nope"), None).await;
    assert_eq!((unknown.status, unknown.error()), (401, "invalid_client"));
    // The API key came in the body: no HTTP scheme was used, none is offered.
    assert!(unknown.headers.get("www-authenticate").is_none());

    let keys = env
        .admin("GET", "/admin/api-keys", Some(&admin), None)
        .await;
    let id = keys.json["api_keys"][0]["id"].as_str().unwrap().to_owned();
    assert!(
        keys.json["api_keys"][0].get("api_key").is_none(),
        "a key is shown only at creation"
    );
    let disabled = env
        .admin_post(&admin, &format!("/admin/api-keys/{id}/disable"), None)
        .await;
    assert_eq!(disabled.json["disabled"], true);
    let refused = env.register(&register_body("p", &api_key), None).await;
    assert_eq!(refused.status, 401);

    let expiring = env
        .api_key(ApiKeySettings {
            expires_at: Some(http::now() + 1),
            ..Default::default()
        })
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let expired = env.register(&register_body("p", &expiring), None).await;
    assert_eq!(expired.status, 401);

    let after = env.snapshot().await;
    let devices: Vec<_> = after
        .iter()
        .filter(|i| i.contains("-devicegate-devices:") || i.contains("device-codes:"))
        .collect();
    assert!(devices.is_empty(), "{devices:?}");
    assert!(before.len() < after.len(), "only the new API key was added");
}

#[tokio::test]
async fn bad_registrations_get_clear_errors_and_store_nothing() {
    let env = TestEnv::new().await;
    let api_key = env.api_key(ApiKeySettings::default()).await;
    let before = env.snapshot().await;
    let good = register_body("dev-1", &api_key);
    let cases: Vec<(String, u16, &str)> = vec![
        (good.replace("printer", "toaster"), 400, "invalid_request"),
        (
            good.replace("=device_code", "=code"),
            400,
            "unsupported_response_type",
        ),
        (format!("{good}&client_id=dev-2"), 400, "invalid_request"),
        (
            format!("{good}&state={}", "s".repeat(513)),
            400,
            "invalid_request",
        ),
        (
            format!("{good}&client_description={}", "d".repeat(1025)),
            400,
            "invalid_request",
        ),
        (format!("{good}&key_type=ed25519"), 400, "invalid_request"),
        (
            format!("{good}&key_type=ed25519&public_key=AAAA"),
            400,
            "invalid_request",
        ),
        (good.replace("dev-1", "%01bad"), 400, "invalid_request"),
        (format!("{good}&x=%FF"), 400, "invalid_request"),
        (
            format!("{good}&pad={}", "a".repeat(17 * 1024)),
            400,
            "invalid_request",
        ),
        ("client_id=dev-1".into(), 400, "invalid_request"),
    ];
    for (body, status, error) in cases {
        let reply = env.register(&body, None).await;
        reply.assert_described_error(status, error, &format!("{body:.80}"));
    }
    // Wrong content type.
    let mut req = form_request("/oauth/v1/register", &good, None);
    req.headers_mut()
        .insert("content-type", "application/json".parse().unwrap());
    let reply = Reply::from(dispatch(&env.deps, req).await);
    assert_eq!((reply.status, reply.error()), (400, "invalid_request"));
    assert_eq!(env.snapshot().await, before);
}

#[tokio::test]
async fn bad_token_requests_get_clear_errors_and_store_nothing() {
    let env = TestEnv::new().await;
    let api_key = env.api_key(ApiKeySettings::default()).await;
    let code = env.register_code(&register_body("dev-1", &api_key)).await;
    let before = env.snapshot().await;
    let cases: Vec<(String, u16, &str)> = vec![
        (
            poll_body("dev-1", &api_key, "dgc_unknown"),
            400,
            "invalid_grant",
        ),
        (poll_body("dev-2", &api_key, &code), 400, "invalid_grant"),
        (
            poll_body("dev-1", "dgk_other", &code),
            401,
            "invalid_client",
        ),
        (
            poll_body("dev-1", &api_key, &code)
                .replace("grant_type=device_code", "grant_type=password"),
            400,
            "unsupported_grant_type",
        ),
        (
            format!("{}&device_code=again", poll_body("dev-1", &api_key, &code)),
            400,
            "invalid_request",
        ),
        (
            refresh_body("dev-1", &api_key, "dgr_unknown"),
            400,
            "invalid_grant",
        ),
        ("grant_type=device_code".into(), 400, "invalid_request"),
    ];
    for (body, status, error) in cases {
        let reply = env.token(&body, None).await;
        reply.assert_error(status, error, &body);
    }
    assert_eq!(env.snapshot().await, before);
}

#[tokio::test]
async fn fifty_concurrent_polls_after_approval_yield_exactly_one_token() {
    let env = TestEnv::new().await;
    let api_key = env.auto_trust_key().await;
    let code = env.register_code(&register_body("busy-1", &api_key)).await;
    let body = poll_body("busy-1", &api_key, &code);
    let polls = (0..50).map(|_| env.token(&body, None));
    let replies = futures_join_all(polls).await;
    let winners = replies.iter().filter(|r| r.status == 200).count();
    let losers = replies
        .iter()
        .filter(|r| r.error() == "invalid_grant")
        .count();
    assert_eq!(
        (winners, losers),
        (1, 49),
        "{:?}",
        replies.iter().map(|r| r.error()).collect::<Vec<_>>()
    );
    let stored = env.device_code(&code).await.unwrap();
    assert_eq!(stored.status, CodeStatus::Redeemed);
    let families = env.store().family_ids_of("device#busy-1").await.unwrap();
    assert_eq!(families.len(), 1, "exactly one token family was written");
}

async fn futures_join_all<F: std::future::Future>(
    futures: impl Iterator<Item = F>,
) -> Vec<F::Output> {
    let mut set = Vec::new();
    for f in futures {
        set.push(f);
    }
    // Poll them all concurrently on this task.
    let mut pinned: Vec<_> = set.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = pinned.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (i, f) in pinned.iter_mut().enumerate() {
            if outputs[i].is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => outputs[i] = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    outputs.into_iter().map(Option::unwrap).collect()
}

#[tokio::test]
async fn a_second_redemption_is_invalid_grant_and_revokes_the_first() {
    let env = TestEnv::new().await;
    let api_key = env.auto_trust_key().await;
    let code = env.register_code(&register_body("twice", &api_key)).await;
    let first = env.poll("twice", &api_key, &code).await;
    assert_eq!(first.status, 200);
    let second = env.poll("twice", &api_key, &code).await;
    assert_eq!((second.status, second.error()), (400, "invalid_grant"));
    let first_refresh = first.str("refresh_token");
    let revoked = env.refresh("twice", &api_key, &first_refresh).await;
    let why = "the first redemption's tokens are revoked";
    assert_eq!(revoked.error(), "invalid_grant", "{why}");
}

#[tokio::test]
async fn codes_expire_before_ttl_deletes_them() {
    let (env, api_key, admin) = TestEnv::with_keys().await;
    let code = env.register_code(&register_body("late", &api_key)).await;
    let stored = env.device_code(&code).await.unwrap();
    let after_window = stored.expires_at + 1;
    assert!(
        stored.ttl >= stored.expires_at,
        "TTL never deletes a live code"
    );

    // The item is still there (no TTL sweep), yet it is expired.
    let grant = DeviceCodeGrant {
        client_id: "late".into(),
        api_key: api_key.clone(),
        device_code: code.clone(),
    };
    let polled = poll_device_code(
        env.store(),
        &grant,
        None,
        TooFastPolls::SlowDown,
        &devicegate_tests::origin_from("127.0.0.1"),
        after_window,
    )
    .await;
    assert!(matches!(polled, Err(Error::ExpiredToken)), "{polled:?}");

    // An approval after the window is refused too, and changes nothing.
    let late = devicegate::usecases::admin::act_on_device(
        env.store(),
        "late",
        devicegate::usecases::admin::DeviceAction::Approve,
        after_window,
        &devicegate::model::Origin::system("test"),
    )
    .await;
    assert!(matches!(late, Err(Error::Conflict(_))), "{late:?}");
    assert_eq!(
        env.device("late").await.unwrap().status,
        DeviceStatus::Pending
    );
    let listed = env
        .admin("GET", "/admin/devices?status=pending", Some(&admin), None)
        .await;
    assert_eq!(listed.json["devices"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn rfc8628_slow_down_grows_the_interval_for_good() {
    let env = TestEnv::new().await;
    let api_key = env.api_key(ApiKeySettings::default()).await;
    let code = env.register_code(&register_body("fast", &api_key)).await;
    let grant = DeviceCodeGrant {
        client_id: "fast".into(),
        api_key,
        device_code: code.clone(),
    };
    let now = http::now();
    assert!(matches!(
        poll_device_code(
            env.store(),
            &grant,
            None,
            TooFastPolls::SlowDown,
            &devicegate_tests::origin_from("127.0.0.1"),
            now
        )
        .await,
        Err(Error::AuthorizationPending)
    ));
    assert!(matches!(
        poll_device_code(
            env.store(),
            &grant,
            None,
            TooFastPolls::SlowDown,
            &devicegate_tests::origin_from("127.0.0.1"),
            now + 1
        )
        .await,
        Err(Error::SlowDown)
    ));
    assert_eq!(env.device_code(&code).await.unwrap().interval, 10);
    // Waiting the old 5 s is no longer enough; waiting the grown 10 s is.
    assert!(matches!(
        poll_device_code(
            env.store(),
            &grant,
            None,
            TooFastPolls::SlowDown,
            &devicegate_tests::origin_from("127.0.0.1"),
            now + 7
        )
        .await,
        Err(Error::SlowDown)
    ));
    assert_eq!(env.device_code(&code).await.unwrap().interval, 15);
    assert!(matches!(
        poll_device_code(
            env.store(),
            &grant,
            None,
            TooFastPolls::SlowDown,
            &devicegate_tests::origin_from("127.0.0.1"),
            now + 7 + 15
        )
        .await,
        Err(Error::AuthorizationPending)
    ));
    assert_eq!(
        env.device_code(&code).await.unwrap().interval,
        15,
        "stays grown"
    );
}

#[tokio::test]
async fn denial_and_revocation() {
    let (env, api_key, admin) = TestEnv::with_keys().await;

    let denied_code = env.register_code(&register_body("no", &api_key)).await;
    assert_eq!(env.device_action(&admin, "no", "deny").await.status, 200);
    let denied = env.poll_due("no", &api_key, &denied_code).await;
    assert_eq!((denied.status, denied.error()), (400, "access_denied"));
    let again = env.device_action(&admin, "no", "approve").await;
    assert_eq!(again.status, 409);

    let code = env.register_code(&register_body("yes", &api_key)).await;
    env.device_action(&admin, "yes", "approve").await;
    let tokens = env.poll_due("yes", &api_key, &code).await;
    assert_eq!(tokens.status, 200);
    let revoked = env.device_action(&admin, "yes", "revoke").await;
    assert_eq!(
        (revoked.status, revoked.json["status"].as_str()),
        (200, Some("revoked"))
    );
    let refresh = env
        .refresh("yes", &api_key, &tokens.str("refresh_token"))
        .await;
    let why = "revocation revoked the device's tokens";
    assert_eq!(refresh.error(), "invalid_grant", "{why}");
    let family = env.store().family_ids_of("device#yes").await.unwrap();
    let family = env.store().get_family(&family[0]).await.unwrap().unwrap();
    assert_eq!(family.status, FamilyStatus::Revoked);
    assert_eq!(
        env.device_action(&admin, "yes", "approve").await.status,
        409
    );
    assert_eq!(
        env.device_action(&admin, "yes", "revoke").await.status,
        200,
        "revoking is idempotent (a retry finishes a revocation that failed half-way)"
    );
    let back = env.register(&register_body("yes", &api_key), None).await;
    assert_eq!(
        (back.status, back.error()),
        (401, "invalid_client"),
        "a revoked device cannot register again"
    );
}

#[tokio::test]
async fn register_is_two_round_trips() {
    let env = TestEnv::new().await;
    let api_key = env.api_key(ApiKeySettings::default()).await;
    env.calls.take();
    assert_eq!(
        env.register(&register_body("rt", &api_key), None)
            .await
            .status,
        200
    );
    assert_eq!(env.calls.take(), ["BatchGetItem", "TransactWriteItems"]);
}
