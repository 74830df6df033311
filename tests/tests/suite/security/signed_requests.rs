//! Signed Paragon requests (`HCP-Request-Signature`) against capture: a stale signed timestamp
//! is refused and changes nothing, and a captured signed poll, refresh or redemption replayed
//! revokes nothing.

use super::{ed25519_key, keyed_register_body, sign};
use devicegate::http;
use devicegate::model::ApiKeySettings;
use devicegate_tests::*;

/// A device registered with the Ed25519 key of `seed`, approved, its code due for a poll:
/// (device key, API key, the poll's body).
async fn approved_keyed_device(
    env: &TestEnv,
    id: &str,
    seed: u8,
) -> (ed25519_dalek::SigningKey, String, String) {
    let api_key = env.api_key(ApiKeySettings::default()).await;
    let admin = env.admin_key().await;
    let (key, public) = ed25519_key(seed);
    let code = env
        .register_code(&keyed_register_body(id, &api_key, &public))
        .await;
    env.device_action(&admin, id, "approve").await;
    env.force_poll_due(&code).await;
    let poll = poll_body(id, &api_key, &code);
    (key, api_key, poll)
}

/// A keyed device, approved, with its first tokens: (device key, API key, refresh token).
async fn keyed_device(env: &TestEnv, id: &str) -> (ed25519_dalek::SigningKey, String, Reply) {
    let (key, api_key, poll) = approved_keyed_device(env, id, 21).await;
    let tokens = env.token(&poll, Some(&sign(&key, &poll))).await;
    assert_eq!(tokens.status, 200, "{}", tokens.json);
    (key, api_key, tokens)
}

async fn family_status(env: &TestEnv, id: &str) -> Vec<devicegate::model::FamilyStatus> {
    let mut out = Vec::new();
    for family in env
        .store()
        .family_ids_of(&format!("device#{id}"))
        .await
        .unwrap()
    {
        out.push(
            env.store()
                .get_family(&family)
                .await
                .unwrap()
                .unwrap()
                .status,
        );
    }
    out
}

#[tokio::test]
async fn a_stale_signed_timestamp_is_refused_and_changes_nothing() {
    let env = TestEnv::new().await;
    let (key, api_key, tokens) = keyed_device(&env, "ts-1").await;
    let before = env.snapshot().await;
    let stale = format!(
        "{}&timestamp={}",
        refresh_body("ts-1", &api_key, &tokens.str("refresh_token")),
        http::now() - 3600
    );
    let refused = env.token(&stale, Some(&sign(&key, &stale))).await;
    assert_eq!(
        (refused.status, refused.error()),
        (400, "invalid_request"),
        "{}",
        refused.json
    );
    assert_eq!(env.snapshot().await, before);
    let future = stale.replace(
        &format!("timestamp={}", http::now() - 3600),
        &format!("timestamp={}", http::now() + 3600),
    );
    assert_eq!(
        env.token(&future, Some(&sign(&key, &future))).await.status,
        400
    );
    let garbled = format!("{}&timestamp=soon", refresh_body("ts-1", &api_key, "x"));
    assert_eq!(
        env.token(&garbled, Some(&sign(&key, &garbled)))
            .await
            .status,
        400
    );

    let fresh = format!(
        "{}&timestamp={}",
        refresh_body("ts-1", &api_key, &tokens.str("refresh_token")),
        http::now()
    );
    let rotated = env.token(&fresh, Some(&sign(&key, &fresh))).await;
    assert_eq!(rotated.status, 200, "{}", rotated.json);
}

#[tokio::test]
async fn replaying_a_captured_signed_refresh_or_poll_revokes_nothing() {
    let env = TestEnv::new().await;
    let (key, api_key, tokens) = keyed_device(&env, "rp-1").await;
    let refresh = refresh_body("rp-1", &api_key, &tokens.str("refresh_token"));
    let signature = sign(&key, &refresh);
    let rotated = env.token(&refresh, Some(&signature)).await;
    assert_eq!(rotated.status, 200);

    // An attacker replays the captured request later: refused, and the device keeps its tokens.
    let replay = env.token(&refresh, Some(&signature)).await;
    assert_eq!((replay.status, replay.error()), (400, "invalid_grant"));
    assert_eq!(
        family_status(&env, "rp-1").await,
        [devicegate::model::FamilyStatus::Active]
    );
    let next = refresh_body("rp-1", &api_key, &rotated.str("refresh_token"));
    assert_eq!(env.token(&next, Some(&sign(&key, &next))).await.status, 200);

    // The device itself presenting a spent token in a new request is reuse: the family goes.
    let reuse = format!("{refresh}&timestamp={}", http::now());
    let reused = env.token(&reuse, Some(&sign(&key, &reuse))).await;
    assert_eq!(reused.error(), "invalid_grant");
    assert_eq!(
        family_status(&env, "rp-1").await,
        [devicegate::model::FamilyStatus::Revoked]
    );
}

#[tokio::test]
async fn replaying_a_captured_signed_redemption_revokes_nothing() {
    let env = TestEnv::new().await;
    let (key, _, poll) = approved_keyed_device(&env, "rp-2", 22).await;
    let signature = sign(&key, &poll);
    assert_eq!(env.token(&poll, Some(&signature)).await.status, 200);
    let replay = env.token(&poll, Some(&signature)).await;
    assert_eq!(replay.error(), "invalid_grant");
    assert_eq!(
        family_status(&env, "rp-2").await,
        [devicegate::model::FamilyStatus::Active]
    );
}
