//! The flow itself: register, approve, poll and refresh; the echoed state and auto-trust; denial
//! and revocation; what registering costs.

use super::*;

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
