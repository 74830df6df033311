//! Client authentication at the token, introspection and revocation endpoints: a check that did
//! not pass inside a transaction is never taken for authentication, introspection needs
//! permission and refresh tokens stay with their client, a rotated-out secret can neither revoke
//! nor read a finished flow, and a failed authentication is challenged in the scheme it used.

use super::{device_flow_tokens, hash_of};
use aws_sdk_dynamodb::types::AttributeValue;
use devicegate::http;
use devicegate_tests::*;

#[tokio::test]
async fn a_client_check_that_did_not_pass_is_never_taken_for_authentication() {
    let f = devicegate_tests::oauth::fixture().await;
    let env = &f.env;
    let grants = vec![devicegate::model::GrantType::DeviceCode];
    let (id, secret) = env
        .confidential_client("Confidential CLI", grants, false)
        .await;
    let device_code = env
        .oauth2("/oauth2/device_authorization", "", Some((&id, &secret)))
        .await
        .str("device_code");
    assert!(env.approve_on_page(&device_code, "ada", None).await);
    let poll = format!(
        "grant_type=urn:ietf:params:oauth:grant-type:device_code&device_code={device_code}"
    );
    let before = env.snapshot().await;

    // A wrong secret never reaches a transaction: the poll's write to the code is refused
    // (the code is approved, and not issued under that secret) and the client is read to say so.
    env.calls.take();
    let forged = env
        .oauth2("/oauth2/token", &poll, Some((&id, "dgs_wrong")))
        .await;
    assert_eq!((forged.status, forged.error()), (401, "invalid_client"));
    assert_eq!(env.calls.take(), ["UpdateItem", "GetItem"]);
    assert_eq!(
        env.snapshot().await,
        before,
        "nothing issued, the code unspent"
    );

    // The redemption reads the client as it is now and authenticates it before any write;
    // nothing is inferred from a cancelled transaction. Disabled: refused after that read.
    let clients = env.store().tables().clients.clone();
    let set_disabled = |on: bool| {
        let clients = clients.clone();
        let id = id.clone();
        async move {
            env.edit_item(
                &clients,
                ("client_id", &id),
                "SET disabled = :v",
                aws_sdk_dynamodb::types::AttributeValue::Bool(on),
            )
            .await
        }
    };
    set_disabled(true).await;
    let disabled = env.snapshot().await;
    env.calls.take();
    let refused = env
        .oauth2("/oauth2/token", &poll, Some((&id, &secret)))
        .await;
    assert_eq!((refused.status, refused.error()), (401, "invalid_client"));
    assert_eq!(env.calls.take(), ["UpdateItem", "BatchGetItem"]);
    assert_eq!(
        env.snapshot().await,
        disabled,
        "nothing issued, the code unspent"
    );
    set_disabled(false).await;

    let real = env
        .oauth2("/oauth2/token", &poll, Some((&id, &secret)))
        .await;
    assert_eq!(real.status, 200, "{}", real.json);
}

/// An introspection request by `client` (id, secret), with a token type hint if any.
async fn introspect_as(
    env: &TestEnv,
    client: (&str, &str),
    token: &str,
    hint: Option<&str>,
) -> Reply {
    let mut body = format!("token={}", enc(token));
    if let Some(hint) = hint {
        body.push_str(&format!("&token_type_hint={hint}"));
    }
    env.oauth2("/oauth2/introspect", &body, Some(client)).await
}

#[tokio::test]
async fn introspection_needs_permission_and_refresh_tokens_stay_with_their_client() {
    use devicegate::model::GrantType;
    let f = devicegate_tests::oauth::fixture().await;
    let env = &f.env;
    let tokens = device_flow_tokens(env, (&f.cli_id, None)).await;
    let (access, refresh) = (tokens.str("access_token"), tokens.str("refresh_token"));

    // A confidential client is not a resource server by being confidential.
    let (nosy, nosy_secret) = env
        .confidential_client("confidential", vec![GrantType::RefreshToken], false)
        .await;
    let refused = introspect_as(env, (&nosy, &nosy_secret), &access, None).await;
    assert_eq!(
        (refused.status, refused.error()),
        (401, "invalid_client"),
        "{}",
        refused.json
    );

    // The resource server sees access tokens, never another client's refresh token.
    let server = (f.server_id.as_str(), f.server_secret.as_str());
    let seen = introspect_as(env, server, &access, None).await;
    assert_eq!(seen.json["active"], true, "{}", seen.json);
    for hint in [None, Some("refresh_token"), Some("access_token")] {
        let hidden = introspect_as(env, server, &refresh, hint).await;
        assert_eq!(
            hidden.json,
            serde_json::json!({"active": false}),
            "{hint:?}"
        );
    }

    // A client may look at its own refresh token, when it says that is what it sends.
    let (own, own_secret) = env
        .confidential_client(
            "confidential",
            vec![GrantType::DeviceCode, GrantType::RefreshToken],
            true,
        )
        .await;
    let own_tokens = device_flow_tokens(env, (&own, Some(&own_secret))).await;
    let own_refresh = own_tokens.str("refresh_token");
    let own_client = (own.as_str(), own_secret.as_str());
    let mine = introspect_as(env, own_client, &own_refresh, Some("refresh_token")).await;
    assert_eq!(mine.json["active"], true, "{}", mine.json);
    assert_eq!(mine.json["token_type"], "refresh_token");
    let unhinted = introspect_as(env, own_client, &own_refresh, None).await;
    assert_eq!(unhinted.json["active"], false);
}

/// A pending poll is checked against the secret the code was issued under, not the client as it
/// is. Past that, a code tells how the flow ended and, presented again after its redemption,
/// revokes what it issued: both only for the client as it is now. A poll carries the device
/// code and the client secret together, so whoever captured one (a debug log, a proxy) holds
/// both: rotating the secret, or disabling the client, must take that power away.
#[tokio::test]
async fn a_rotated_out_secret_cannot_revoke_or_read_a_finished_flow() {
    use devicegate::model::{FamilyStatus, GrantType, Lifetimes};
    use devicegate::storage::PageDecision;
    let f = devicegate_tests::oauth::fixture().await;
    let env = &f.env;
    let clients = env.store().tables().clients.clone();
    let poll_body = |code: &str| {
        format!(
            "grant_type=urn:ietf:params:oauth:grant-type:device_code&device_code={}",
            enc(code)
        )
    };
    for lapse in ["rotated", "disabled"] {
        let grants = vec![GrantType::DeviceCode, GrantType::RefreshToken];
        let (id, secret) = env.confidential_client("Kiosk", grants, false).await;
        let basic = Some((id.as_str(), secret.as_str()));
        let mut codes = Vec::new();
        for decision in [PageDecision::Approve, PageDecision::Deny] {
            let started = env.oauth2("/oauth2/device_authorization", "", basic).await;
            let code = started.str("device_code");
            let granted = (None, Lifetimes::default());
            let decided = env
                .store()
                .decide_on_page(
                    &hash_of(&code),
                    "ada",
                    decision,
                    granted,
                    http::now(),
                    &devicegate_tests::setup_record(
                        devicegate::model::AuditType::DeviceCodeApproved,
                        "test",
                    ),
                )
                .await
                .unwrap();
            assert!(decided);
            codes.push(code);
        }
        let tokens = env
            .oauth2("/oauth2/token", &poll_body(&codes[0]), basic)
            .await;
        assert_eq!(tokens.status, 200, "{}", tokens.json);
        let refresh_hash = hash_of(&tokens.str("refresh_token"));
        let token = env.store().get_token(&refresh_hash).await.unwrap().unwrap();

        let (update, value) = match lapse {
            "rotated" => (
                "SET secret_hash = :v",
                AttributeValue::S(hash_of("dgs_rotated")),
            ),
            _ => ("SET disabled = :v", AttributeValue::Bool(true)),
        };
        env.edit_item(&clients, ("client_id", &id), update, value)
            .await;
        let before = env.snapshot().await;
        // The redeemed code again, and the denied one, under the old secret.
        for code in &codes {
            let stale = env.oauth2("/oauth2/token", &poll_body(code), basic).await;
            assert_eq!(
                (stale.status, stale.error()),
                (401, "invalid_client"),
                "{lapse}: {}",
                stale.json
            );
        }
        assert_eq!(env.snapshot().await, before, "{lapse}: something changed");
        let family = env.store().get_family(&token.family_id).await.unwrap();
        assert_eq!(family.unwrap().status, FamilyStatus::Active, "{lapse}");
    }
}

/// RFC 6749 §5.2: a client that authenticated with HTTP Basic and failed is answered with a
/// `Basic` challenge; `Bearer` is for requests that present a bearer token (RFC 6750). A client
/// that authenticated in the body used no HTTP scheme, and is offered none.
#[tokio::test]
async fn a_failed_client_authentication_is_challenged_in_the_scheme_it_used() {
    use devicegate::model::GrantType;
    let env = TestEnv::new().await;
    let grants = vec![GrantType::DeviceCode, GrantType::RefreshToken];
    let (id, _) = env.confidential_client("Kiosk", grants, true).await;
    let challenge = |reply: &Reply| {
        reply
            .headers
            .get("www-authenticate")
            .map(|v| v.to_str().unwrap().to_owned())
    };
    let poll = "grant_type=urn:ietf:params:oauth:grant-type:device_code&device_code=dgc_x";
    for (path, body) in [
        ("/oauth2/token", poll),
        ("/oauth2/revoke", "token=dga_x"),
        ("/oauth2/introspect", "token=dga_x"),
        ("/oauth2/device_authorization", ""),
    ] {
        let basic = env.oauth2(path, body, Some((&id, "dgs_wrong"))).await;
        basic.assert_error(401, "invalid_client", path);
        let scheme = challenge(&basic).unwrap_or_default();
        assert!(scheme.starts_with("Basic realm=\""), "{path}: {scheme}");

        let posted = format!("{body}&client_id={}&client_secret=dgs_wrong", enc(&id));
        let in_body = env.oauth2(path, &posted, None).await;
        in_body.assert_error(401, "invalid_client", path);
        assert_eq!(challenge(&in_body), None, "{path}");
    }

    // The other dialects' clients authenticate in the body, too.
    let api_key_unknown = env.register(&register_body("p", "dgk_nope"), None).await;
    api_key_unknown.assert_error(401, "invalid_client", "paragon register");
    assert_eq!(challenge(&api_key_unknown), None);
    for (path, body) in [
        (
            "/token",
            serde_json::json!({"clientId": id, "clientSecret": "dgs_wrong",
                "grantType": "refresh_token", "refreshToken": "dgr_x"}),
        ),
        (
            "/v1/tokens",
            serde_json::json!({"client_id": id, "client_secret": "dgs_wrong",
                "grant_type": "refresh_token", "refresh_token": "dgr_x"}),
        ),
    ] {
        let req = lambda_http::http::Request::builder()
            .method("POST")
            .uri(format!("https://gate.test{path}"))
            .header("content-type", "application/json")
            .body(lambda_http::Body::Text(body.to_string()))
            .unwrap();
        let reply = Reply::from(dispatch(&env.deps, req).await);
        assert_eq!(reply.status, 401, "{path}: {}", reply.json);
        assert_eq!(challenge(&reply), None, "{path}");
    }

    // Bearer stays where a bearer token is what failed: the admin API, RFC 7592.
    let admin = env
        .admin("GET", "/admin/devices", Some("dgadmin_wrong"), None)
        .await;
    assert_eq!(admin.status, 401);
    assert_eq!(challenge(&admin).as_deref(), Some("Bearer"));
    let management = env
        .admin(
            "GET",
            "/oauth2/register/dgc_nobody",
            Some("dgrat_wrong"),
            None,
        )
        .await;
    assert_eq!(management.status, 401, "{}", management.json);
    assert_eq!(
        challenge(&management).as_deref(),
        Some(r#"Bearer error="invalid_token""#)
    );
}
