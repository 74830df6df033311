//! The trail of what guards the flows: a device code issued, wrong user codes typed on the page
//! and the limit they trip (once, however long the flood), a client's RFC 7592 update, an
//! administrator setting a user's login ids and lifting their limits, a signing key rotation.
//! Each is read back through `GET /admin/audit`, with nothing secret in it.

use devicegate::usecases::admin;
use devicegate_tests::audit::{trail, types};
use devicegate_tests::oauth::{Person, fixture};
use devicegate_tests::{enc, server};
use serde_json::json;

#[tokio::test]
async fn wrong_user_codes_are_recorded_and_their_limit_trips_once() {
    let f = fixture().await;
    let env = &f.env;
    let admin = env.admin_key().await;
    let base = server::serve(env.deps.clone()).await;

    let started = env
        .oauth2(
            "/oauth2/device_authorization",
            &format!("client_id={}&scope=read", f.cli_id),
            None,
        )
        .await;
    assert_eq!(started.status, 200, "{:?}", started.json);
    let issued = trail(env, &admin, "type=device_code.issued").await;
    assert_eq!(issued.len(), 1, "{issued:?}");
    assert_eq!(issued[0]["subject"], f.cli_id.as_str());
    assert_eq!(issued[0]["actor"], format!("client:{}", f.cli_id).as_str());
    assert_eq!(issued[0]["dialect"], "oauth2");
    assert_eq!(issued[0]["reason"], "scope read");

    let person = Person::new(&base);
    person.sign_in("correct horse battery").await;
    // A well-formed code nobody holds, and text that is no code at all.
    let nobodys = devicegate::usercode::UserCode::generate()
        .unwrap()
        .display();
    let (status, _) = person.find("not a code").await;
    assert_ne!(status, 200);
    // The user's wrong-code limit admits 10 in a row (CODE_LIMIT_PER_USER).
    for i in 1..10 {
        let (status, page) = person.find(&nobodys).await;
        assert!(status != 200 && status != 429, "{i}: {status} {page}");
    }
    for _ in 0..3 {
        let (status, _) = person.find(&nobodys).await;
        assert_eq!(status, 429, "held back");
    }

    let rejected = trail(env, &admin, "type=user_code.rejected").await;
    assert_eq!(
        rejected.len(),
        10,
        "one record per judged code, none once held back"
    );
    assert!(rejected.iter().all(|r| r["subject"] == "ada"
        && r["actor"] == "user:ada"
        && r["outcome"] == "failure"
        && r["dialect"] == "page"));
    assert_eq!(rejected[9]["reason"], "not a user code");
    assert_eq!(rejected[0]["reason"], "no live request has this user code");
    let tripped = trail(env, &admin, "type=limit.tripped").await;
    assert_eq!(tripped.len(), 1, "three refusals, one trip: {tripped:?}");
    assert_eq!(tripped[0]["subject"], "ada");
    assert_eq!(tripped[0]["actor"], "user:ada");
    let reason = tripped[0]["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("code-user: 10 failures in a row"),
        "{reason}"
    );

    // An administrator lifts the limit: recorded, and the next code is judged again.
    let lifted = env
        .admin_post(&admin, "/admin/users/ada/unlock", None)
        .await;
    assert_eq!(lifted.status, 200, "{}", lifted.json);
    let records = trail(env, &admin, "type=limit.lifted").await;
    assert_eq!(types(&records), ["limit.lifted"]);
    assert_eq!(records[0]["subject"], "ada");
    assert!(records[0]["actor"].as_str().unwrap().starts_with("admin:"));
    let (status, _) = person.find(&nobodys).await;
    assert_ne!(status, 429);

    // Filling it again trips it again: one record per time it fills.
    for _ in 0..11 {
        person.find(&nobodys).await;
    }
    assert_eq!(trail(env, &admin, "type=limit.tripped").await.len(), 2);

    let everything = serde_json::to_string(&trail(env, &admin, "limit=200").await).unwrap();
    for secret in [
        nobodys.as_str(),
        started.str("user_code").as_str(),
        started.str("device_code").as_str(),
    ] {
        assert!(!everything.contains(secret), "{secret} is in the trail");
    }
}

#[tokio::test]
async fn a_client_updated_through_rfc7592_is_recorded() {
    let f = fixture().await;
    let env = &f.env;
    let admin = env.admin_key().await;
    let metadata = json!({
        "client_name": "Kiosk",
        "grant_types": ["urn:ietf:params:oauth:grant-type:device_code"],
        "token_endpoint_auth_method": "client_secret_basic",
        "scope": "read write",
    });
    let registered = env
        .admin("POST", "/oauth2/register", None, Some(metadata))
        .await;
    assert_eq!(registered.status, 201, "{}", registered.json);
    let client_id = registered.str("client_id");
    let token = registered.str("registration_access_token");
    let uri = format!("/oauth2/register/{}", enc(&client_id));
    let body = json!({
        "client_id": client_id,
        "client_name": "Kiosk",
        "grant_types": ["urn:ietf:params:oauth:grant-type:device_code"],
        "token_endpoint_auth_method": "client_secret_basic",
        "scope": "read",
    });
    // A stranger's token changes nothing and leaves no update record.
    let refused = env
        .admin("PUT", &uri, Some("dgrat_not-the-token"), Some(body.clone()))
        .await;
    assert_eq!(refused.status, 401, "{}", refused.json);
    let updated = env.admin("PUT", &uri, Some(&token), Some(body)).await;
    assert_eq!(updated.status, 200, "{}", updated.json);

    let records = trail(env, &admin, &format!("subject={client_id}")).await;
    assert_eq!(types(&records), ["client.updated", "client.registered"]);
    assert_eq!(records[0]["actor"], format!("client:{client_id}").as_str());
    assert_eq!(records[0]["dialect"], "rfc7591");
    let text = serde_json::to_string(&records).unwrap();
    for secret in [
        token,
        registered.str("client_secret"),
        updated.str("client_secret"),
        updated.str("registration_access_token"),
    ] {
        assert!(!text.contains(&secret), "{secret} is in the trail");
        assert!(!text.contains(&devicegate::secrets::hash_secret(&secret)));
    }
}

#[tokio::test]
async fn login_ids_set_by_an_administrator_are_recorded_by_kind_only() {
    let f = fixture().await;
    let env = &f.env;
    let admin = env.admin_key().await;
    let card = "CARD-7781-0042";
    let set = env
        .admin_post(
            &admin,
            "/admin/users/ada/login-ids",
            Some(json!({"card_id": card})),
        )
        .await;
    assert_eq!(set.status, 200, "{}", set.json);
    let cleared = env
        .admin_post(
            &admin,
            "/admin/users/ada/login-ids",
            Some(json!({"card_id": null})),
        )
        .await;
    assert_eq!(cleared.status, 200, "{}", cleared.json);
    let missing = env
        .admin_post(
            &admin,
            "/admin/users/nobody/login-ids",
            Some(json!({"card_id": card})),
        )
        .await;
    assert_eq!(missing.status, 404, "{}", missing.json);

    let records = trail(env, &admin, "type=user.changed").await;
    assert_eq!(types(&records), ["user.changed", "user.changed"]);
    assert_eq!(records[0]["reason"], "card_id cleared");
    assert_eq!(records[1]["reason"], "card_id set");
    assert!(records.iter().all(|r| r["subject"] == "ada"));
    let text = serde_json::to_string(&records).unwrap();
    assert!(!text.contains(card), "{text}");
}

#[tokio::test]
async fn a_signing_key_rotation_is_recorded_with_the_keys_that_sign_now() {
    use devicegate::oidc::{KeyState, key_storage};
    let f = fixture().await;
    let env = &f.env;
    let admin = env.admin_key().await;
    let folder = std::env::temp_dir().join(format!("devicegate-keys-{}", ulid::Ulid::new()));
    let path = folder.join("signing-keys.json");
    let now = devicegate::http::now();
    key_storage::load_or_create_file(&path, now).unwrap();
    let rotated = key_storage::rotate_file(&path, now + 1, 3600).unwrap();
    let place = path.display().to_string();
    admin::record_rotation(env.store(), &place, &rotated, &devicegate_tests::origin())
        .await
        .unwrap();

    let records = trail(env, &admin, "type=signing_key.rotated").await;
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["subject"], place.as_str());
    let reason = records[0]["reason"].as_str().unwrap();
    let active: Vec<&str> = rotated
        .keys()
        .iter()
        .filter(|k| k.state() == KeyState::Active)
        .map(|k| k.kid())
        .collect();
    assert_eq!(active.len(), 2);
    assert!(active.iter().all(|kid| reason.contains(kid)), "{reason}");
    let key_file = std::fs::read_to_string(&path).unwrap();
    let stored: serde_json::Value = serde_json::from_str(&key_file).unwrap();
    let text = serde_json::to_string(&records).unwrap();
    let privates: Vec<&str> = stored["keys"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|k| k["private_key"].as_str())
        .collect();
    assert_eq!(privates.len(), 6, "{key_file}");
    for private in privates {
        assert!(
            !text.contains(&private[..40]),
            "a key's material is in the trail"
        );
    }
    std::fs::remove_dir_all(&folder).ok();
}

/// Text that is no username counts against the address's sign-in limit like any failure, so
/// it cannot flood the trail; a name nobody has is recorded as `(unknown user)` (what was typed
/// may be a password); unlocking a user who does not exist lifts and records nothing.
#[tokio::test]
async fn failed_sign_ins_of_any_kind_are_limited_and_name_only_real_users() {
    let f = fixture().await;
    let env = &f.env;
    let admin = env.admin_key().await;
    let base = server::serve(env.deps.clone()).await;
    let person = Person::new(&base);
    let (status, _) = person
        .sign_in_as("nobody-here", "hunter2 typed as a name")
        .await;
    assert_eq!(status, 401);
    let (status, _) = person.sign_in_as("ada", "not ada's password").await;
    assert_eq!(status, 401);
    let failed = trail(env, &admin, "type=signin.failed").await;
    assert_eq!(failed[0]["subject"], "ada");
    assert_eq!(failed[1]["subject"], "(unknown user)");
    // SIGN_IN_LIMIT_PER_SOURCE: 30 in 15 minutes from one address, whatever is typed.
    let mut statuses = Vec::new();
    for i in 0..30 {
        statuses.push(person.sign_in_as(&format!("<not a name {i}>"), "p").await.0);
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 401).count(),
        28,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        2,
        "{statuses:?}"
    );
    let failed = trail(env, &admin, "type=signin.failed&limit=100").await;
    assert_eq!(failed.len(), 30, "two named, 28 not");
    let tripped = trail(env, &admin, "type=limit.tripped").await;
    assert_eq!(tripped.len(), 1, "{tripped:?}");
    assert!(
        tripped[0]["reason"]
            .as_str()
            .unwrap()
            .starts_with("signin-source")
    );
    let everything = serde_json::to_string(&trail(env, &admin, "limit=200").await).unwrap();
    assert!(!everything.contains("hunter2"));
    assert!(!everything.contains("nobody-here"));

    let unknown = env
        .admin_post(&admin, "/admin/users/ghost/unlock?source=127.0.0.1", None)
        .await;
    assert_eq!(unknown.status, 404, "{}", unknown.json);
    assert!(trail(env, &admin, "type=limit.lifted").await.is_empty());
    let (status, _) = person.sign_in_as("ada", "correct horse battery").await;
    assert_eq!(status, 429, "the address's limit still holds");
}
