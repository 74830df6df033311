//! The API key policies: the policy matrix over every credential kind, and which refusals are
//! uniform and which specific.

use super::*;

#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum DeviceToken {
    None,
    Trusted,
    /// The device registered but was never approved: it has no token, so it presents what it
    /// has (its device code).
    Pending,
    Revoked,
}

/// What each policy combination answers, with and without a password. `(untrusted endpoints
/// allowed, unauthenticated requests allowed, device token) -> (password login, password-less
/// login)`, each `(status, error)`.
/// An expected answer: status and `error`.
pub(super) type Answer = (u16, &'static str);

pub(super) const MATRIX: &[(bool, bool, DeviceToken, Answer, Answer)] = {
    use DeviceToken::*;
    const OK: Answer = (200, "");
    const NO_DEVICE: Answer = (401, "invalid_token");
    const NOT_ALLOWED: Answer = (403, "access_denied");
    &[
        (false, false, None, NO_DEVICE, NO_DEVICE),
        (false, false, Trusted, OK, NOT_ALLOWED),
        (false, false, Pending, NO_DEVICE, NO_DEVICE),
        (false, false, Revoked, NO_DEVICE, NOT_ALLOWED),
        (true, false, None, OK, NOT_ALLOWED),
        (true, false, Trusted, OK, NOT_ALLOWED),
        (true, false, Pending, NO_DEVICE, NO_DEVICE),
        (true, false, Revoked, NO_DEVICE, NOT_ALLOWED),
        (false, true, None, NO_DEVICE, NO_DEVICE),
        (false, true, Trusted, OK, OK),
        (false, true, Pending, NO_DEVICE, NO_DEVICE),
        (false, true, Revoked, NO_DEVICE, NO_DEVICE),
        (true, true, None, OK, NOT_ALLOWED),
        (true, true, Trusted, OK, OK),
        (true, true, Pending, NO_DEVICE, NO_DEVICE),
        (true, true, Revoked, NO_DEVICE, NO_DEVICE),
    ]
};

/// The policy matrix: the two flags x each credential kind x no / trusted / pending / revoked
/// device, each answered with the exact status, error and (on success) token shape; a refused
/// login stores nothing but its failure count.
#[tokio::test]
async fn the_policy_matrix_holds_for_every_credential_kind() {
    let env = TestEnv::new().await;
    let admin_key = env.admin_key().await;
    user_ada(&env).await;
    let credentials = [
        ("password", password_body()),
        ("username", "username=ada".to_owned()),
        ("card_id", format!("card_id={}", enc(CARD_ID))),
        ("short_id", format!("short_id={SHORT_ID}")),
        ("email", format!("email={}", enc(&EMAIL.to_lowercase()))),
    ];
    let mut row_number = 0;
    for flags in [(false, false), (true, false), (false, true), (true, true)] {
        let api_key = env
            .api_key(ApiKeySettings {
                allow_untrusted_endpoints: flags.0,
                allow_unauthenticated_requests: flags.1,
                ..Default::default()
            })
            .await;
        let tag = format!("{}{}", flags.0 as u8, flags.1 as u8);
        let trusted = trusted_device(&env, &admin_key, &api_key, &format!("t-{tag}")).await;
        let revoked = trusted_device(&env, &admin_key, &api_key, &format!("r-{tag}")).await;
        env.device_action(&admin_key, &format!("r-{tag}"), "revoke")
            .await
            .assert_error(200, "", "revoke");
        let pending = env
            .register_code(&register_body(&format!("p-{tag}"), &api_key))
            .await;
        assert_eq!(
            env.device(&format!("p-{tag}")).await.unwrap().status,
            DeviceStatus::Pending
        );
        for &(untrusted, unauthenticated, device, with_password, passwordless) in MATRIX {
            if (untrusted, unauthenticated) != flags {
                continue;
            }
            let presented = match device {
                DeviceToken::None => None,
                DeviceToken::Trusted => Some(trusted.as_str()),
                DeviceToken::Pending => Some(pending.as_str()),
                DeviceToken::Revoked => Some(revoked.as_str()),
            };
            for (kind, body) in &credentials {
                row_number += 1;
                // Each row from its own address: the refusals must not add up to a rate limit.
                let source = format!("10.1.{}.{}", row_number / 200, row_number % 200);
                let expected = if *kind == "password" {
                    with_password
                } else {
                    passwordless
                };
                let row = format!("{flags:?} {device:?} {kind}");
                let before = env.snapshot().await;
                let reply = login(&env, &api_key, presented, body, &source).await;
                if expected.0 == 200 {
                    reply.assert_error(200, "", &row);
                    assert_eq!(reply.json["token_type"], "Bearer", "{row}");
                    assert_eq!(reply.json["expires_in"], 3600, "{row}");
                    assert!(reply.str("access_token").starts_with("dgu_"), "{row}");
                    assert!(reply.str("refresh_token").starts_with("dgr_"), "{row}");
                } else {
                    reply.assert_described_error(expected.0, expected.1, &row);
                    let after = env.snapshot().await;
                    let grown: Vec<_> = after.iter().filter(|i| !before.contains(i)).collect();
                    // The attempt counters, and the refusal's one audit record, nothing else.
                    let records: Vec<_> = grown.iter().filter(|i| i.contains("-audit: ")).collect();
                    assert!(
                        grown
                            .iter()
                            .all(|i| i.contains("rate-limits") || i.contains("-audit: ")),
                        "{row} stored {grown:?}"
                    );
                    assert_eq!(records.len(), 1, "{row}: {records:?}");
                    assert!(records[0].contains("\"type\":\"login.refused\""), "{row}");
                    assert!(!records[0].contains("correct horse"), "{row}");
                }
            }
        }
    }
    assert_eq!(row_number, 16 * 5);
}

/// Wrong credentials of every kind get one answer; disabled users, disabled and expired keys,
/// and a source outside the key's networks get theirs; none issues anything.
#[tokio::test]
async fn refusals_are_uniform_where_they_must_be_and_specific_where_they_may_be() {
    let env = TestEnv::new().await;
    let admin_key = env.admin_key().await;
    user_ada(&env).await;
    let api_key = env
        .api_key(ApiKeySettings {
            allow_unauthenticated_requests: true,
            ..Default::default()
        })
        .await;
    let device = trusted_device(&env, &admin_key, &api_key, "kiosk").await;
    let wrong = [
        "username=ada&password=wrong+password".to_owned(),
        "username=nobody&password=wrong+password".to_owned(),
        "username=nobody".to_owned(),
        "card_id=NO-SUCH-CARD".to_owned(),
        "short_id=0000".to_owned(),
        "email=nobody%40example.com".to_owned(),
    ];
    for (i, body) in wrong.iter().enumerate() {
        let reply = login(&env, &api_key, Some(&device), body, &format!("10.2.0.{i}")).await;
        assert_eq!(
            (reply.status, reply.json.clone()),
            (
                400,
                json!({"error": "invalid_grant", "error_description": "wrong credentials"})
            ),
            "{body}"
        );
    }
    // The same address, over and over: the eleventh failure for one user is refused unjudged.
    for _ in 0..10 {
        login(&env, &api_key, Some(&device), &wrong[0], "10.2.1.1").await;
    }
    login(&env, &api_key, Some(&device), &password_body(), "10.2.1.1")
        .await
        .assert_error(429, "too_many_attempts", "locked out per user and source");
    login(&env, &api_key, Some(&device), &password_body(), "10.2.1.2")
        .await
        .assert_error(200, "", "another address is not");

    // A source outside the key's networks: 403, on login, registration and token alike.
    let key_id = env.store().list_api_keys().await.unwrap()[0].id.clone();
    let limited = env
        .admin_post(
            &admin_key,
            &format!("/admin/api-keys/{key_id}/settings"),
            Some(json!({ "allowed_sources": ["10.9.0.0/16"] })),
        )
        .await;
    limited.assert_error(200, "", "settings");
    assert_eq!(limited.json["allowed_sources"], json!(["10.9.0.0/16"]));
    login(&env, &api_key, Some(&device), &password_body(), "10.2.1.3")
        .await
        .assert_described_error(403, "access_denied", "outside the networks");
    login(&env, &api_key, Some(&device), &password_body(), "10.9.4.4")
        .await
        .assert_error(200, "", "inside");
    env.register(&register_body("another", &api_key), None)
        .await
        .assert_error(403, "access_denied", "register from elsewhere");
    env.admin_post(
        &admin_key,
        &format!("/admin/api-keys/{key_id}/settings"),
        Some(json!({ "allowed_sources": ["not a network"] })),
    )
    .await
    .assert_described_error(400, "invalid_request", "a bad CIDR");

    // A disabled user: their own answer once the password matched, and their tokens end.
    let reply = login(&env, &api_key, Some(&device), &password_body(), "10.9.4.5").await;
    let user_token = reply.str("access_token");
    assert_eq!(
        judge(&env, Some(&user_token), None).await["isAuthorized"],
        true
    );
    env.admin_post(&admin_key, "/admin/users/ada/disable", None)
        .await
        .assert_error(200, "", "disable");
    assert_eq!(
        judge(&env, Some(&user_token), None).await["isAuthorized"],
        false,
        "disabling a user revokes their user tokens"
    );
    login(&env, &api_key, Some(&device), &password_body(), "10.9.4.6")
        .await
        .assert_described_error(400, "access_denied", "disabled user");
    login(
        &env,
        &api_key,
        Some(&device),
        "card_id=CARD-0042-7781",
        "10.9.4.7",
    )
    .await
    .assert_described_error(400, "access_denied", "disabled user, password-less");

    // A disabled key: logins are invalid_client, and the authorizer refuses its user tokens.
    let other = env.auto_trust_key().await;
    let kiosk = {
        let code = env.register_code(&register_body("kiosk-2", &other)).await;
        env.poll_due("kiosk-2", &other, &code)
            .await
            .str("access_token")
    };
    admin::create_user(
        env.store(),
        NewUser {
            username: "bob".into(),
            password: PASSWORD.into(),
            display_name: None,
            email: None,
            email_verified: false,
        },
        http::now(),
        &devicegate_tests::origin(),
    )
    .await
    .unwrap();
    let bob = format!("username=bob&password={}", enc(PASSWORD));
    let bob_token = login(&env, &other, Some(&kiosk), &bob, "10.3.0.1")
        .await
        .str("access_token");
    assert_eq!(
        judge(&env, Some(&bob_token), None).await["isAuthorized"],
        true
    );
    let other_id = env
        .store()
        .list_api_keys()
        .await
        .unwrap()
        .into_iter()
        .find(|k| !k.settings.allow_unauthenticated_requests)
        .unwrap()
        .id;
    env.admin_post(
        &admin_key,
        &format!("/admin/api-keys/{other_id}/disable"),
        None,
    )
    .await
    .assert_error(200, "", "disable key");
    assert_eq!(
        judge(&env, Some(&bob_token), None).await["isAuthorized"],
        false
    );
    login(&env, &other, Some(&kiosk), &bob, "10.3.0.2")
        .await
        .assert_described_error(401, "invalid_client", "disabled key");
}
