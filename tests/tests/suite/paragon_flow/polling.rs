//! Polling and redemption: concurrent polls, a second redemption, expiry before TTL, and RFC 8628
//! `slow_down`.

use super::*;

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

pub(super) async fn futures_join_all<F: std::future::Future>(
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
