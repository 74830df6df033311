//! Tokens die with their holder: tokens written while their device, client or user lapsed,
//! and a user token its user's disabling missed, are refused at every use, because every use reads
//! the holder again.

use super::{device_flow_tokens, hash_of};
use aws_sdk_dynamodb::types::AttributeValue;
use devicegate::http;
use devicegate::model::ApiKeySettings;
use devicegate_tests::*;

/// A redemption or refresh reads the holder's records, judges them, then writes without
/// checking them again: a holder disabled or revoked in between gets tokens whose family is
/// active. They must be dead wherever they are used, because every use reads the holder again.
/// Here the holder lapses behind the service's back (no family revoked), as in that race.
#[tokio::test]
async fn tokens_written_while_their_holder_lapsed_are_dead_at_every_use() {
    use devicegate::model::GrantType;
    use devicegate::usecases::admin::{self, NewUser};

    // OAuth: the user who approved, or the client, lapses.
    let f = devicegate_tests::oauth::fixture().await;
    let env = &f.env;
    let users = env.store().tables().users.clone();
    let clients = env.store().tables().clients.clone();
    for lapsed in ["user", "client"] {
        let grants = vec![GrantType::DeviceCode, GrantType::RefreshToken];
        let (id, secret) = env.confidential_client("Kiosk", grants, false).await;
        let tokens = device_flow_tokens(env, (&id, Some(&secret))).await;
        let access = tokens.str("access_token");
        assert_eq!(env.introspect(&access).await.json["active"], true);
        let (table, key) = match lapsed {
            "user" => (&users, ("username", "ada")),
            _ => (&clients, ("client_id", id.as_str())),
        };
        let disabled = "SET disabled = :v";
        env.edit_item(table, key, disabled, AttributeValue::Bool(true))
            .await;
        assert_eq!(
            env.introspect(&access).await.json["active"],
            false,
            "{lapsed}"
        );
        let body = format!(
            "grant_type=refresh_token&refresh_token={}",
            enc(&tokens.str("refresh_token"))
        );
        let refreshed = env
            .oauth2("/oauth2/token", &body, Some((&id, &secret)))
            .await;
        assert_ne!(refreshed.status, 200, "{lapsed}: {}", refreshed.json);
        env.edit_item(table, key, disabled, AttributeValue::Bool(false))
            .await;
    }

    // Paragon: the device or its API key lapses; the device token no longer signs anyone in.
    for lapsed in ["device", "api key"] {
        let env = TestEnv::new().await;
        let api_key = env.auto_trust_key().await;
        let ada = NewUser {
            username: "ada".into(),
            password: "correct horse battery".into(),
            display_name: None,
            email: None,
            email_verified: false,
        };
        admin::create_user(env.store(), ada, http::now(), &devicegate_tests::origin())
            .await
            .unwrap();
        let code = env.register_code(&register_body("desk-1", &api_key)).await;
        let tokens = env.poll_due("desk-1", &api_key, &code).await;
        assert_eq!(tokens.status, 200, "{}", tokens.json);
        let tables = env.store().tables().clone();
        let update = env.store().client().update_item();
        let update = match lapsed {
            "device" => update
                .table_name(&tables.devices)
                .key("client_id", AttributeValue::S("desk-1".into()))
                .update_expression("SET #s = :v")
                .expression_attribute_names("#s", "status")
                .expression_attribute_values(":v", AttributeValue::S("revoked".into())),
            _ => update
                .table_name(&tables.api_keys)
                .key("key_hash", AttributeValue::S(hash_of(&api_key)))
                .update_expression("SET disabled = :v")
                .expression_attribute_values(":v", AttributeValue::Bool(true)),
        };
        update.send().await.unwrap();
        let access = tokens.str("access_token");
        assert_eq!(
            env.introspect(&access).await.json["active"],
            false,
            "{lapsed}"
        );
        let refreshed = env
            .refresh("desk-1", &api_key, &tokens.str("refresh_token"))
            .await;
        assert_ne!(refreshed.status, 200, "{lapsed}: {}", refreshed.json);
        let mut login = form_request(
            "/api/v1/login",
            "username=ada&password=correct+horse+battery",
            None,
        );
        let headers = login.headers_mut();
        headers.insert("x-api-key", api_key.parse().unwrap());
        let bearer = format!("Bearer {access}").parse().unwrap();
        headers.insert("authorization", bearer);
        let login = Reply::from(dispatch(&env.deps, login).await);
        assert_ne!(login.status, 200, "{lapsed}: {}", login.json);
    }
}

/// Disabling a user revokes their user-token families as the `by_owner` index lists them, and
/// that index is eventually consistent: a family a login wrote a moment before may be missing.
/// The authorizer reads the user's guard with the token, so such a token is refused all the
/// same. Here the family is kept out of the index's sight, as in that race.
#[tokio::test]
async fn a_user_token_missed_when_its_user_was_disabled_is_refused_by_the_authorizer() {
    use devicegate::usecases::admin::{self, NewUser};
    let env = TestEnv::new().await;
    let admin_key = env.admin_key().await;
    let api_key = env
        .api_key(ApiKeySettings {
            allow_untrusted_endpoints: true,
            ..Default::default()
        })
        .await;
    let ada = NewUser {
        username: "ada.l".into(),
        password: "correct horse battery".into(),
        display_name: None,
        email: None,
        email_verified: false,
    };
    admin::create_user(env.store(), ada, http::now(), &devicegate_tests::origin())
        .await
        .unwrap();
    let mut login = form_request(
        "/api/v1/login",
        "username=ada.l&password=correct+horse+battery",
        None,
    );
    login
        .headers_mut()
        .insert("x-api-key", api_key.parse().unwrap());
    let tokens = Reply::from(dispatch(&env.deps, login).await);
    tokens.assert_error(200, "", "login");
    let access = tokens.str("access_token");
    let judge = |token: String| {
        let deps = &env.deps;
        async move {
            let mut headers = lambda_http::http::HeaderMap::new();
            let bearer = format!("Bearer {token}").parse().unwrap();
            headers.insert("authorization", bearer);
            devicegate::api::authorizer::judge(deps, &headers, "192.0.2.1")
                .await
                .unwrap()
                .is_authorized
        }
    };
    assert!(judge(access.clone()).await, "the token stands");

    // The family is out of the index's sight, as a moment after the login wrote it.
    let record = env
        .store()
        .get_token(&hash_of(&access))
        .await
        .unwrap()
        .unwrap();
    env.store()
        .client()
        .update_item()
        .table_name(&env.store().tables().families)
        .key("family_id", AttributeValue::S(record.family_id.clone()))
        .update_expression("SET #o = :v")
        .expression_attribute_names("#o", "owner")
        .expression_attribute_values(":v", AttributeValue::S("not-yet-indexed".into()))
        .send()
        .await
        .unwrap();
    env.admin_post(&admin_key, "/admin/users/ada.l/disable", None)
        .await
        .assert_error(200, "", "disable");
    let family = env.store().get_family(&record.family_id).await.unwrap();
    assert_eq!(
        family.unwrap().status,
        devicegate::model::FamilyStatus::Active,
        "the index missed it"
    );
    assert!(!judge(access).await, "the disabled user's token is refused");
}
