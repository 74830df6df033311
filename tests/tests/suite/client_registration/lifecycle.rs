//! A registered client's life: RFC 7591 registration and RFC 7592 read, update and delete,
//! public clients, expiry of secrets and idle clients, and administrators deleting or disabling.

use super::*;

#[tokio::test]
async fn rfc7591_registers_and_rfc7592_reads_updates_and_deletes() {
    let f = fixture().await;
    let env = &f.env;
    let now = devicegate::http::now();
    let metadata = json!({
        "client_name": "Kiosk fleet",
        "redirect_uris": ["https://kiosk.example/callback", "com.example.kiosk:/cb"],
        "grant_types": ["urn:ietf:params:oauth:grant-type:device_code", "refresh_token"],
        "token_endpoint_auth_method": "client_secret_basic",
        "scope": "read write",
        "logo_uri": "https://kiosk.example/logo.png",
    });
    env.calls.take();
    let created = post(env, "/oauth2/register", metadata).await;
    assert_eq!(created.status, 201, "{}", created.json);
    assert_eq!(
        env.calls.take(),
        ["TransactWriteItems"],
        "rate-limit window and client in one round trip"
    );
    let client_id = created.str("client_id");
    let secret = created.str("client_secret");
    let access_token = created.str("registration_access_token");
    assert!(client_id.starts_with("dyn-"));
    assert!(secret.starts_with("dgs_"));
    assert!(access_token.starts_with("dgrat_"));
    let issued = created.json["client_id_issued_at"].as_i64().unwrap();
    assert!((now - 5..=now + 5).contains(&issued));
    assert_eq!(
        created.json["client_secret_expires_at"].as_i64(),
        Some(issued + 90 * 86_400)
    );
    assert_eq!(
        created.str("registration_client_uri"),
        format!("https://gate.test/oauth2/register/{client_id}")
    );
    assert_eq!(created.str("client_name"), "Kiosk fleet");
    assert_eq!(created.str("scope"), "read write");
    assert_eq!(
        created.str("token_endpoint_auth_method"),
        "client_secret_basic"
    );
    assert_eq!(
        created.json["redirect_uris"],
        json!(["https://kiosk.example/callback", "com.example.kiosk:/cb"])
    );
    assert_eq!(created.json["response_types"], json!(["code"]));
    assert!(
        created.json.get("logo_uri").is_none(),
        "unknown metadata is not kept"
    );

    // The secret works at once, and the admin API sees where the client came from.
    assert_eq!(start_with_basic(env, &client_id, &secret).await.status, 200);
    let admin_key = env.admin_key().await;
    let listed = env
        .admin("GET", "/admin/clients", Some(&admin_key), None)
        .await;
    let view = listed.json["clients"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["client_id"] == client_id.as_str())
        .unwrap()
        .clone();
    assert_eq!(view["origin"], "rfc7591");
    assert!(view["last_used_at"].is_string(), "{view}");
    assert!(view["expires_at"].is_string(), "{view}");

    let uri = format!("/oauth2/register/{client_id}");
    let read = send(env, "GET", &uri, Some(&access_token), Value::Null).await;
    assert_eq!(read.status, 200, "{}", read.json);
    assert_eq!(read.str("client_name"), "Kiosk fleet");
    assert!(read.json.get("client_secret").is_none());
    assert!(read.json.get("registration_access_token").is_none());

    for bearer in [None, Some("dgrat_wrong"), Some(secret.as_str())] {
        let refused = send(env, "GET", &uri, bearer, Value::Null).await;
        assert_eq!(refused.status, 401, "{bearer:?}");
        assert_eq!(refused.error(), "invalid_token");
        assert!(header(&refused, "www-authenticate").contains("invalid_token"));
    }
    let elsewhere = send(
        env,
        "GET",
        &format!("/oauth2/register/{}", f.cli_id),
        Some(&access_token),
        Value::Null,
    )
    .await;
    assert_eq!(elsewhere.status, 401, "a token manages only its own client");

    // A PUT may not change what a person may be looking at on the page: the name stays, the
    // scope only narrows, and a secret cannot be dropped.
    let put = |body: Value| send(env, "PUT", &uri, Some(&access_token), body);
    let before_refusals = env.snapshot().await;
    for (body, why) in [
        (
            json!({"client_id": "someone-else", "client_name": "Kiosk fleet"}),
            "another id",
        ),
        (
            json!({"client_id": client_id, "client_name": "Corp IT"}),
            "a new name",
        ),
        (
            json!({"client_id": client_id, "client_name": "Kiosk fleet", "scope": "read write openid",
                   "token_endpoint_auth_method": "client_secret_basic"}),
            "a wider scope",
        ),
        (
            json!({"client_id": client_id, "client_name": "Kiosk fleet", "scope": "read",
                   "token_endpoint_auth_method": "none"}),
            "dropping the secret",
        ),
    ] {
        let refused = put(body).await;
        assert_eq!(
            (refused.status, refused.error()),
            (400, "invalid_client_metadata"),
            "{why}: {}",
            refused.json
        );
    }
    assert_eq!(env.snapshot().await, before_refusals);
    let updated = put(json!({
        "client_id": client_id,
        "client_name": "Kiosk fleet",
        "grant_types": ["urn:ietf:params:oauth:grant-type:device_code", "refresh_token"],
        "scope": "read",
    }))
    .await;
    assert_eq!(updated.status, 200, "{}", updated.json);
    assert_eq!(updated.str("scope"), "read");
    assert_eq!(updated.json["redirect_uris"], json!([]), "PUT replaces");
    let new_secret = updated.str("client_secret");
    assert_ne!(new_secret, secret, "an update issues a new secret");
    let new_access_token = updated.str("registration_access_token");
    assert_ne!(
        new_access_token, access_token,
        "and a new registration access token"
    );
    assert_eq!(
        send(env, "GET", &uri, Some(&access_token), Value::Null)
            .await
            .status,
        401,
        "the old registration access token is spent"
    );
    let access_token = new_access_token;
    assert_eq!(
        start_with_basic(env, &client_id, &secret).await.status,
        401,
        "the old secret is gone"
    );

    // Tokens issued before the delete die with the client.
    let started = start_with_basic(env, &client_id, &new_secret).await;
    assert_eq!(started.status, 200, "{}", started.json);
    let device_code = started.str("device_code");
    assert!(env.approve_on_page(&device_code, "ada", Some("read")).await);
    env.force_poll_due(&device_code).await;
    let tokens = env
        .oauth2(
            "/oauth2/token",
            &format!(
                "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code&device_code={}",
                enc(&device_code)
            ),
            Some((&client_id, &new_secret)),
        )
        .await;
    assert_eq!(tokens.status, 200, "{}", tokens.json);
    assert_eq!(
        env.introspect(&tokens.str("access_token")).await.json["active"],
        true
    );

    let deleted = send(env, "DELETE", &uri, Some(&access_token), Value::Null).await;
    assert_eq!(deleted.status, 204);
    assert_eq!(
        send(env, "GET", &uri, Some(&access_token), Value::Null)
            .await
            .status,
        401
    );
    let after = start_with_basic(env, &client_id, &new_secret).await;
    assert_eq!((after.status, after.error()), (401, "invalid_client"));
    assert_eq!(
        env.introspect(&tokens.str("access_token")).await.json["active"],
        false
    );
}

#[tokio::test]
async fn public_rfc7591_clients_get_no_secret_and_software_statements_are_refused() {
    let f = fixture().await;
    let env = &f.env;
    let public = post(
        env,
        "/oauth2/register",
        json!({
            "client_name": "Native app",
            "redirect_uris": ["http://127.0.0.1:8400/cb"],
            "token_endpoint_auth_method": "none",
        }),
    )
    .await;
    assert_eq!(public.status, 201, "{}", public.json);
    assert!(public.json.get("client_secret").is_none());
    assert!(public.json.get("client_secret_expires_at").is_none());
    assert_eq!(
        public.json["grant_types"],
        json!(["authorization_code"]),
        "RFC 7591 default"
    );

    let before = env.snapshot().await;
    let statement = post(
        env,
        "/oauth2/register",
        json!({"client_name": "x", "software_statement": "eyJhbGciOi..."}),
    )
    .await;
    assert_eq!(
        (statement.status, statement.error()),
        (400, "unapproved_software_statement")
    );
    assert_eq!(env.snapshot().await, before);
}

/// Expired is expired before TTL deletes it: a self-registered client whose secret or idle
/// time ran out authenticates nowhere.
#[tokio::test]
async fn expired_secrets_and_idle_clients_do_not_authenticate() {
    use aws_sdk_dynamodb::types::AttributeValue;
    let env = TestEnv::new().await;
    let stored = |id: String| {
        let env = &env;
        async move { env.store().get_client(&id).await.unwrap().unwrap() }
    };
    for attribute in ["secret_expires_at", "expires_at"] {
        let (id, secret) = aws_client(&env).await;
        let now = devicegate::http::now();
        let unused_until = stored(id.clone()).await.expires_at.unwrap();
        assert!(
            (now - 5..=now + 5).contains(&(unused_until - 86_400)),
            "an unused registration lives a day"
        );
        let start =
            json!({"clientId": id, "clientSecret": secret, "startUrl": "https://s.example"});
        assert_eq!(
            post(&env, "/device_authorization", start.clone())
                .await
                .status,
            200
        );
        let used = stored(id.clone()).await;
        assert!(used.last_used_at.is_some());
        assert!(
            used.expires_at.unwrap() >= now + 90 * 86_400 - 5,
            "a use moves the idle expiry on"
        );
        env.store()
            .client()
            .update_item()
            .table_name(&env.store().tables().clients)
            .key("client_id", AttributeValue::S(id.clone()))
            .update_expression("SET #a = :past")
            .expression_attribute_names("#a", attribute)
            .expression_attribute_values(":past", AttributeValue::N("1".into()))
            .send()
            .await
            .unwrap();
        let refused = post(&env, "/device_authorization", start).await;
        assert_eq!(refused.status, 401, "{attribute}");
        assert_eq!(
            header(&refused, "x-amzn-errortype"),
            "InvalidClientException"
        );
    }
}

#[tokio::test]
async fn administrators_delete_self_registered_clients_and_disable_their_own() {
    let f = fixture().await;
    let env = &f.env;
    let admin_key = env.admin_key().await;
    let (id, secret) = aws_client(env).await;
    let deleted = env
        .admin(
            "POST",
            &format!("/admin/clients/{id}/delete"),
            Some(&admin_key),
            None,
        )
        .await;
    assert_eq!(deleted.status, 200, "{}", deleted.json);
    assert_eq!(deleted.json["origin"], "aws");
    assert!(env.store().get_client(&id).await.unwrap().is_none());
    let start = json!({"clientId": id, "clientSecret": secret, "startUrl": "https://s.example"});
    assert_eq!(post(env, "/device_authorization", start).await.status, 401);

    let own = env
        .admin(
            "POST",
            &format!("/admin/clients/{}/delete", f.cli_id),
            Some(&admin_key),
            None,
        )
        .await;
    assert_eq!((own.status, own.error()), (409, "conflict"));
}
