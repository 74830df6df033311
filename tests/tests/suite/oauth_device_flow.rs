//! The RFC 8628 device flow, black-box: devicegate served over HTTP on loopback, the `oauth2`
//! crate as the device's client, and the verification page driven by an HTTP client with a
//! cookie jar (here) or by headless Chromium (`browser.rs`).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use devicegate::model::CodeStatus;
use devicegate::usecases::admin::{self, NewUser};
use devicegate_tests::oauth::{
    Fixture, Person, crate_client, csrf_of, fixture, http_client, start_device_flow,
};
use devicegate_tests::{enc, server};
use oauth2::{RefreshToken, TokenResponse};
use serde_json::Value;

#[tokio::test]
async fn the_oauth2_crate_runs_the_flow_through_slow_down_approval_and_refresh() {
    let f = fixture().await;
    let base = server::serve(f.env.deps.clone()).await;
    let client = crate_client(&f.cli_id, &base);
    let http = http_client();

    let details = start_device_flow(&client, &http, "read").await;
    let user_code = details.user_code().secret().clone();
    assert_eq!(user_code.len(), 9);
    assert_eq!(&user_code[4..5], "-");
    assert_eq!(
        details.verification_uri().as_str(),
        format!("{base}/device")
    );
    assert_eq!(
        details
            .verification_uri_complete()
            .map(|u| u.secret().clone()),
        Some(format!("{base}/device?user_code={user_code}"))
    );
    assert_eq!(details.interval(), Duration::from_secs(1));

    // The person approves once the client has polled a few times.
    let person = Person::new(&base);
    let approver = {
        let user_code = user_code.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(2500)).await;
            let (status, page) = person.sign_in("correct horse battery").await;
            assert_eq!(status, 200);
            assert!(page.contains("Signed in as <b>ada</b>"), "{page}");
            let (status, page) = person.decide(&user_code, "approve").await;
            assert_eq!(status, 200, "{page}");
            assert!(page.contains("Device connected"), "{page}");
        })
    };

    // The client's sleep function skips its first wait, so its second poll comes too early:
    // the server answers slow_down and the crate adds 5 s, as RFC 8628 §3.5 says.
    let waits = Arc::new(Mutex::new(Vec::new()));
    let sleep = {
        let waits = waits.clone();
        move |d: Duration| {
            let first = {
                let mut w = waits.lock().unwrap();
                w.push(d);
                w.len() == 1
            };
            async move {
                if !first {
                    tokio::time::sleep(d).await;
                }
            }
        }
    };
    let token = client
        .exchange_device_access_token(&details)
        .request_async(&http, sleep, Some(Duration::from_secs(60)))
        .await
        .unwrap();
    approver.await.unwrap();
    let waits = waits.lock().unwrap().clone();
    assert_eq!(waits.first(), Some(&Duration::from_secs(1)));
    assert!(
        waits.contains(&Duration::from_secs(6)),
        "slow_down must grow the interval by 5 s: {waits:?}"
    );
    assert_eq!(
        token
            .scopes()
            .map(|s| s.iter().map(|s| s.to_string()).collect::<Vec<_>>()),
        Some(vec!["read".to_owned()])
    );
    assert_eq!(token.expires_in(), Some(Duration::from_secs(600)));
    let refresh = token.refresh_token().unwrap().clone();

    // Refresh with rotation; the old refresh token is then refused and its family revoked.
    let refreshed = client
        .exchange_refresh_token(&refresh)
        .request_async(&http)
        .await
        .unwrap();
    assert_ne!(
        refreshed.access_token().secret(),
        token.access_token().secret()
    );
    let reused = client
        .exchange_refresh_token(&RefreshToken::new(refresh.secret().clone()))
        .request_async(&http)
        .await;
    assert!(
        format!("{reused:?}").contains("invalid_grant"),
        "{reused:?}"
    );

    // The reuse revoked the family: the rotated-in access token introspects inactive.
    let introspected = introspect(&base, &f, refreshed.access_token().secret()).await;
    assert_eq!(introspected["active"], false, "{introspected}");
}

/// A form POST over HTTP to the served `path`, with HTTP Basic credentials if given.
async fn post_form(
    base: &str,
    path: &str,
    form: &[(&str, &str)],
    basic: Option<(&str, &str)>,
) -> reqwest::Response {
    let mut request = http_client().post(format!("{base}{path}")).form(form);
    if let Some((id, secret)) = basic {
        request = request.basic_auth(id, Some(secret));
    }
    request.send().await.unwrap()
}

/// `post_form`, its JSON answer.
async fn post_form_json(
    base: &str,
    path: &str,
    form: &[(&str, &str)],
    basic: Option<(&str, &str)>,
) -> Value {
    post_form(base, path, form, basic)
        .await
        .json()
        .await
        .unwrap()
}

async fn introspect(base: &str, f: &Fixture, token: &str) -> Value {
    let server = Some((f.server_id.as_str(), f.server_secret.as_str()));
    post_form_json(base, "/oauth2/introspect", &[("token", token)], server).await
}

#[tokio::test]
async fn introspection_and_revocation() {
    let f = fixture().await;
    let base = server::serve(f.env.deps.clone()).await;
    let tokens = approved_tokens(&f, &base, "read write").await;
    let access = tokens["access_token"].as_str().unwrap();

    let active = introspect(&base, &f, access).await;
    assert_eq!(active["active"], true, "{active}");
    assert_eq!(active["username"], "ada");
    assert_eq!(active["client_id"], f.cli_id.as_str());
    assert_eq!(active["scope"], "read write");
    assert_eq!(active["token_type"], "Bearer");

    // client_secret_post works as well as HTTP Basic.
    let with_secret = [
        ("token", access),
        ("client_id", f.server_id.as_str()),
        ("client_secret", f.server_secret.as_str()),
    ];
    let posted = post_form_json(&base, "/oauth2/introspect", &with_secret, None).await;
    assert_eq!(posted["active"], true, "{posted}");

    // A public client may not introspect; a wrong secret is 401.
    let public = [("token", access), ("client_id", f.cli_id.as_str())];
    let refused = post_form(&base, "/oauth2/introspect", &public, None).await;
    assert_eq!(refused.status().as_u16(), 401);
    let wrong_secret = Some((f.server_id.as_str(), "dgs_wrong"));
    let refused = post_form(
        &base,
        "/oauth2/introspect",
        &[("token", access)],
        wrong_secret,
    )
    .await;
    assert_eq!(refused.status().as_u16(), 401);

    // Revoking an unknown token is 200 and changes nothing; revoking ours ends the family.
    for token in ["dga_unknown", tokens["refresh_token"].as_str().unwrap()] {
        let revoke = [
            ("token", token),
            ("token_type_hint", "refresh_token"),
            ("client_id", f.cli_id.as_str()),
        ];
        let r = post_form(&base, "/oauth2/revoke", &revoke, None).await;
        assert_eq!(r.status().as_u16(), 200);
    }
    assert_eq!(introspect(&base, &f, access).await["active"], false);

    // Disabling the user makes their tokens inactive too (checked on a fresh pair).
    let tokens = approved_tokens(&f, &base, "read").await;
    f.env.store().disable_user("ada").await.unwrap();
    let after = introspect(&base, &f, tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(after["active"], false);
}

/// Runs the flow with plain HTTP calls and returns the token response.
async fn approved_tokens(f: &Fixture, base: &str, scope: &str) -> Value {
    let ask = [("client_id", f.cli_id.as_str()), ("scope", scope)];
    let started = post_form_json(base, "/oauth2/device_authorization", &ask, None).await;
    let person = Person::new(base);
    person.sign_in("correct horse battery").await;
    let (status, page) = person
        .decide(started["user_code"].as_str().unwrap(), "approve")
        .await;
    assert_eq!(status, 200, "{page}");
    let redeem = [
        ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
        ("device_code", started["device_code"].as_str().unwrap()),
        ("client_id", f.cli_id.as_str()),
    ];
    post_form_json(base, "/oauth2/token", &redeem, None).await
}

async fn start(f: &Fixture, body: &str) -> devicegate_tests::Reply {
    f.env
        .oauth2("/oauth2/device_authorization", body, None)
        .await
}

/// A refresh by the fixture's CLI, through the handler.
async fn refresh(f: &Fixture, refresh_token: &str) -> devicegate_tests::Reply {
    let body = format!(
        "grant_type=refresh_token&refresh_token={}&client_id={}",
        enc(refresh_token),
        f.cli_id
    );
    f.env.oauth2("/oauth2/token", &body, None).await
}

/// The stored device code an authorization started with.
async fn stored_code(
    f: &Fixture,
    started: &devicegate_tests::Reply,
) -> devicegate::model::DeviceCode {
    f.env
        .device_code(&started.str("device_code"))
        .await
        .unwrap()
}

async fn poll(f: &Fixture, device_code: &str) -> devicegate_tests::Reply {
    f.env
        .oauth2(
            "/oauth2/token",
            &format!(
                "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code&device_code={}&client_id={}",
                enc(device_code),
                f.cli_id
            ),
            None,
        )
        .await
}

#[tokio::test]
async fn round_trips_per_request() {
    let f = fixture().await;
    let env = &f.env;
    env.calls.take();
    let started = start(&f, &format!("client_id={}&scope=read", f.cli_id)).await;
    assert_eq!(started.status, 200, "{:?}", started.json);
    assert_eq!(
        env.calls.take(),
        ["TransactWriteItems"],
        "device authorization"
    );

    let device_code = started.str("device_code");
    let pending = poll(&f, &device_code).await;
    assert_eq!(pending.error(), "authorization_pending");
    // One conditional write to the code alone: the client is checked against the secret the
    // code was issued under, not read (one write unit instead of a two-item transaction's four).
    assert_eq!(env.calls.take(), ["UpdateItem"], "pending poll");

    // Polled again at once: slow_down in two round trips and no read. The refused poll write
    // returns the code as it was; the grown interval is a second write, because an update
    // expression cannot choose what to set by a comparison and a refused condition writes
    // nothing (docs/architecture.md, "DynamoDB round trips per request").
    let too_fast = poll(&f, &device_code).await;
    assert_eq!(too_fast.error(), "slow_down");
    assert_eq!(
        env.calls.take(),
        ["UpdateItem", "UpdateItem"],
        "too-fast poll"
    );

    // Approve through the page's use case, then wait out the interval.
    let code = env.device_code(&device_code).await.unwrap();
    env.store()
        .decide_on_page(
            &code.code_hash,
            "ada",
            devicegate::storage::PageDecision::Approve,
            (Some("read"), Default::default()),
            devicegate::http::now(),
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    env.calls.take();
    let tokens = poll(&f, &device_code).await;
    assert_eq!(tokens.status, 200, "{:?}", tokens.json);
    // The refused poll write returns the approved code; the client and the user are read and
    // judged; one transaction marks the code and writes the family and both tokens.
    assert_eq!(
        env.calls.take(),
        ["UpdateItem", "BatchGetItem", "TransactWriteItems"],
        "redemption"
    );

    let refreshed = refresh(&f, &tokens.str("refresh_token")).await;
    assert_eq!(refreshed.status, 200, "{:?}", refreshed.json);
    assert_eq!(
        env.calls.take(),
        ["BatchGetItem", "TransactWriteItems"],
        "refresh"
    );

    let introspected = env
        .oauth2(
            "/oauth2/introspect",
            &format!("token={}", enc(&refreshed.str("access_token"))),
            Some((&f.server_id, &f.server_secret)),
        )
        .await;
    assert_eq!(introspected.json["active"], true, "{:?}", introspected.json);
    assert_eq!(
        env.calls.take(),
        ["BatchGetItem", "BatchGetItem"],
        "introspection"
    );
}

#[tokio::test]
async fn client_errors_follow_rfc6749_and_store_nothing() {
    let f = fixture().await;
    let env = &f.env;
    let before = env.snapshot().await;

    let cases = [
        // (body, basic auth, status, error)
        (
            format!("client_id={}&scope=admin", f.cli_id),
            None,
            400,
            "invalid_scope",
        ),
        ("client_id=nobody".to_owned(), None, 401, "invalid_client"),
        (String::new(), None, 401, "invalid_client"),
        (
            format!("client_id={}&client_secret=x", f.cli_id),
            None,
            401,
            "invalid_client",
        ),
        (
            "scope=read".to_owned(),
            Some((f.server_id.as_str(), "dgs_wrong")),
            401,
            "invalid_client",
        ),
        (
            "scope=read".to_owned(),
            Some((f.server_id.as_str(), f.server_secret.as_str())),
            400,
            "unauthorized_client",
        ),
        (
            format!("client_id={}&scope=a%22b", f.cli_id),
            None,
            400,
            "invalid_scope",
        ),
        (
            format!("client_id={}&client_id={}", f.cli_id, f.cli_id),
            None,
            400,
            "invalid_request",
        ),
    ];
    for (body, basic, status, error) in cases {
        let reply = env
            .oauth2("/oauth2/device_authorization", &body, basic)
            .await;
        reply.assert_described_error(status, error, &body);
    }
    let token_cases = [
        ("grant_type=password&client_id=x", "unsupported_grant_type"),
        (
            "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code&client_id=x",
            "invalid_request",
        ),
    ];
    for (body, error) in token_cases {
        let reply = env.oauth2("/oauth2/token", body, None).await;
        assert_eq!((reply.status, reply.error()), (400, error), "{body}");
    }
    let unknown = poll(&f, "dgc_unknown").await;
    assert_eq!((unknown.status, unknown.error()), (400, "invalid_grant"));
    assert_eq!(
        env.snapshot().await,
        before,
        "a refused request stored something"
    );
}

#[tokio::test]
async fn denied_expired_and_twice_redeemed_codes() {
    let mut f = fixture().await;
    let base = server::serve(f.env.deps.clone()).await;
    let person = Person::new(&base);
    person.sign_in("correct horse battery").await;

    // Denied on the page: access_denied.
    let denied = start(&f, &format!("client_id={}", f.cli_id)).await;
    let (status, page) = person.decide(&denied.str("user_code"), "deny").await;
    assert_eq!(status, 200);
    assert!(page.contains("Request denied"));
    assert_eq!(
        poll(&f, &denied.str("device_code")).await.error(),
        "access_denied"
    );

    // Approved: one redemption, then a second presentation is refused and revokes the first.
    let approved = start(&f, &format!("client_id={}", f.cli_id)).await;
    person.decide(&approved.str("user_code"), "approve").await;
    let code = stored_code(&f, &approved).await;
    assert_eq!(code.status, CodeStatus::Approved);
    assert_eq!(code.owner.username(), Some("ada"));
    assert_eq!(
        code.scope.as_deref(),
        Some("read write"),
        "no scope asked: the client's"
    );
    let first = poll(&f, &approved.str("device_code")).await;
    assert_eq!(first.status, 200, "{:?}", first.json);
    let second = poll(&f, &approved.str("device_code")).await;
    assert_eq!(second.error(), "invalid_grant");
    let reused = refresh(&f, &first.str("refresh_token")).await;
    assert_eq!(reused.error(), "invalid_grant", "the family was revoked");

    // Expired (before any TTL sweep): expired_token, and the page refuses it too.
    f.env.deps.settings.device_code_ttl = 1;
    let expiring = start(&f, &format!("client_id={}", f.cli_id)).await;
    assert_eq!(expiring.json["expires_in"], 1);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(
        poll(&f, &expiring.str("device_code")).await.error(),
        "expired_token"
    );
    let (status, page) = person.decide(&expiring.str("user_code"), "approve").await;
    assert_eq!(status, 400, "{page}");
}

#[tokio::test]
async fn the_page_refuses_forged_forms_and_limits_wrong_codes() {
    let f = fixture().await;
    let base = server::serve(f.env.deps.clone()).await;
    let started = start(&f, &format!("client_id={}", f.cli_id)).await;
    let user_code = started.str("user_code");

    // Wrong password: 401, no session.
    let person = Person::new(&base);
    let (status, page) = person.sign_in("wrong password!").await;
    assert_eq!(status, 401);
    assert!(page.contains("wrong username or password"));

    // A forged approval (no CSRF token, or another session's) changes nothing.
    person.sign_in("correct horse battery").await;
    let (status, _) = person
        .post(&[("action", "approve"), ("user_code", &user_code)])
        .await;
    assert_eq!(status, 403);
    admin::create_user(
        f.env.store(),
        NewUser {
            username: "grace".into(),
            password: "hopper hopper".into(),
            display_name: None,
            email: None,
            email_verified: false,
        },
        devicegate::http::now(),
    )
    .await
    .unwrap();
    let other = Person::new(&base);
    other.sign_in_as("grace", "hopper hopper").await;
    let (_, other_page) = other.get("/device").await;
    let (status, _) = person
        .post(&[
            ("action", "approve"),
            ("csrf", &csrf_of(&other_page)),
            ("user_code", &user_code),
        ])
        .await;
    assert_eq!(status, 403);
    let code = stored_code(&f, &started).await;
    assert_eq!(code.status, CodeStatus::Pending);

    // A GET with the code only fills the form in.
    let (status, page) = person.get(&format!("/device?user_code={user_code}")).await;
    assert_eq!(status, 200);
    assert!(page.contains(&format!("value=\"{user_code}\"")));
    assert!(!page.contains("Approve this device?"));

    // Wrong codes: 10 a day per user, then 429 even for the right code.
    for attempt in 0..10 {
        let (status, page) = person.decide("BBBB-BBBB", "approve").await;
        assert_eq!(status, 400, "attempt {attempt}: {page}");
        assert!(page.contains("not valid"));
    }
    let (status, page) = person.decide(&user_code, "approve").await;
    assert_eq!(status, 429, "{page}");
    assert!(page.contains("too many failed attempts"));
    // Case, spaces and dashes are ignored for another user, who is not limited.
    let (status, page) = other
        .decide(&user_code.to_lowercase().replace('-', " "), "approve")
        .await;
    assert_eq!(status, 200, "{page}");
}

#[tokio::test]
async fn metadata_lists_exactly_what_is_served() {
    let f = fixture().await;
    let base = server::serve(f.env.deps.clone()).await;
    let r = http_client()
        .get(format!("{base}/.well-known/oauth-authorization-server"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let m: Value = r.json().await.unwrap();
    assert_eq!(m["issuer"], base.as_str());
    assert_eq!(m["token_endpoint"], format!("{base}/oauth2/token"));
    assert_eq!(
        m["device_authorization_endpoint"],
        format!("{base}/oauth2/device_authorization")
    );
    assert_eq!(
        m["grant_types_supported"],
        serde_json::json!([
            "authorization_code",
            "urn:ietf:params:oauth:grant-type:device_code",
            "refresh_token"
        ])
    );
    assert_eq!(
        m["authorization_endpoint"],
        format!("{base}/oauth2/authorize")
    );
    assert_eq!(m["response_types_supported"], serde_json::json!(["code"]));
    assert_eq!(
        m["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    assert_eq!(m["authorization_response_iss_parameter_supported"], true);
    // The authorization endpoint answers a browser (a page, not 404).
    let page = http_client()
        .get(m["authorization_endpoint"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 400, "no client_id: a page");
    assert_eq!(
        m["token_endpoint_auth_methods_supported"],
        serde_json::json!(["client_secret_basic", "client_secret_post", "none"])
    );
    // Every endpoint it names answers (not 404).
    for key in [
        "revocation_endpoint",
        "introspection_endpoint",
        "token_endpoint",
    ] {
        let r = http_client()
            .post(m[key].as_str().unwrap())
            .form(&[("token", "x")])
            .send()
            .await
            .unwrap();
        assert_ne!(r.status().as_u16(), 404, "{key}");
    }
}

#[tokio::test]
async fn admin_api_manages_clients_and_users() {
    let f = fixture().await;
    let env = &f.env;
    let key = env.admin_key().await;
    let made = env
        .admin_post(
            &key,
            "/admin/clients",
            Some(serde_json::json!({
                "client_name": "Kiosk", "client_type": "confidential",
                "grant_types": ["urn:ietf:params:oauth:grant-type:device_code"], "scopes": ["read"]
            })),
        )
        .await;
    assert_eq!(made.status, 201, "{:?}", made.json);
    assert!(made.str("client_secret").starts_with("dgs_"));
    let id = made.str("client_id");
    let listed = env.admin("GET", "/admin/clients", Some(&key), None).await;
    let clients = listed.json["clients"].as_array().unwrap();
    assert_eq!(clients.len(), 3);
    assert!(clients.iter().all(|c| c.get("client_secret").is_none()));
    let disabled = env
        .admin_post(&key, &format!("/admin/clients/{id}/disable"), None)
        .await;
    assert_eq!(disabled.json["disabled"], true);
    let bad = env
        .admin_post(&key, "/admin/clients", Some(serde_json::json!({"client_name": "X", "client_type": "public", "grant_types": ["password"]})))
        .await;
    assert_eq!(bad.status, 400);

    let user = env
        .admin_post(&key, "/admin/users", Some(serde_json::json!({"username": "grace@example.com", "password": "hopper hopper", "email": "grace@example.com"})))
        .await;
    assert_eq!(user.status, 201, "{:?}", user.json);
    assert!(!user.json.to_string().contains("hopper"));
    assert!(!user.json.to_string().contains("argon2"));
    let dup = env
        .admin_post(
            &key,
            "/admin/users",
            Some(serde_json::json!({"username": "grace@example.com", "password": "another one"})),
        )
        .await;
    assert_eq!(dup.status, 409);
    let short = env.reset_password(&key, "grace@example.com", "short").await;
    assert_eq!(short.status, 400);
    let reset = env
        .reset_password(&key, "grace@example.com", "a much better one")
        .await;
    assert_eq!(reset.status, 200, "{:?}", reset.json);
    let stored = env
        .store()
        .get_user("grace@example.com")
        .await
        .unwrap()
        .unwrap();
    assert!(devicegate::password::verify(
        "a much better one",
        Some(&stored.password_hash)
    ));
    let gone = env
        .admin_post(&key, "/admin/users/nobody/disable", None)
        .await;
    assert_eq!(gone.status, 404);
}

/// Page weight: each page is one self-contained HTML document (no scripts, images, fonts or
/// other requests). Bytes are stable, so they get a budget.
#[tokio::test]
async fn the_page_stays_light() {
    let f = fixture().await;
    let base = server::serve(f.env.deps.clone()).await;
    let started = start(&f, &format!("client_id={}&scope=read", f.cli_id)).await;
    let person = Person::new(&base);
    let (_, sign_in) = person.get("/device").await;
    let (_, enter) = person.sign_in("correct horse battery").await;
    let (_, confirm) = person
        .post(&[
            ("action", "find"),
            ("csrf", &csrf_of(&enter)),
            ("user_code", &started.str("user_code")),
        ])
        .await;
    assert!(confirm.contains("Approve this device?"));
    for (name, page) in [
        ("sign-in", &sign_in),
        ("enter code", &enter),
        ("confirm", &confirm),
    ] {
        eprintln!("page weight, {name}: {} bytes", page.len());
        assert!(page.len() < 5 * 1024, "{name} page is {} bytes", page.len());
        assert!(!page.contains("<script"), "{name} page has a script");
        assert!(
            !page.contains(" src="),
            "{name} page loads another resource"
        );
    }
}

/// A pending poll is one write to the code alone: the client proves itself against the secret
/// the code was issued under. The client as it is now is checked by the redemption, so a client
/// disabled or given a new secret while its code is pending gets no tokens.
#[tokio::test]
async fn polls_check_the_issuing_secret_and_the_redemption_checks_the_client_as_it_is() {
    use aws_sdk_dynamodb::types::AttributeValue;
    use devicegate::model::{GrantType, OAuthClientType};
    use devicegate::usecases::admin::NewClient;
    let f = fixture().await;
    let env = &f.env;
    let base = server::serve(env.deps.clone()).await;
    let person = Person::new(&base);
    person.sign_in("correct horse battery").await;
    let kiosk = admin::create_client(
        env.store(),
        NewClient::new(
            "Kiosk",
            OAuthClientType::Confidential,
            vec![GrantType::DeviceCode, GrantType::RefreshToken],
        ),
        devicegate::http::now(),
    )
    .await
    .unwrap();
    let id = kiosk.client.client_id.clone();
    let secret = kiosk.secret.clone().unwrap();
    let poll_with = |code: String, secret: String| {
        let id = id.clone();
        async move {
            env.oauth2(
                "/oauth2/token",
                &format!(
                    "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code&device_code={}",
                    enc(&code)
                ),
                Some((id.as_str(), secret.as_str())),
            )
            .await
        }
    };
    let begin = || async {
        let started = env
            .oauth2(
                "/oauth2/device_authorization",
                "",
                Some((id.as_str(), secret.as_str())),
            )
            .await;
        assert_eq!(started.status, 200, "{:?}", started.json);
        started
    };

    // The code records the secret's hash, never the secret.
    let started = begin().await;
    let code = stored_code(&f, &started).await;
    assert_eq!(
        code.client_secret_hash.as_deref(),
        Some(devicegate::secrets::hash_secret(&secret).as_str())
    );
    let before = env.snapshot().await;
    let wrong = poll_with(started.str("device_code"), "dgs_wrong".into()).await;
    wrong.assert_described_error(401, "invalid_client", "wrong secret");
    assert_eq!(
        env.snapshot().await,
        before,
        "a refused poll wrote something"
    );
    env.calls.take();
    let pending = poll_with(started.str("device_code"), secret.clone()).await;
    assert_eq!(pending.error(), "authorization_pending");
    assert_eq!(env.calls.take(), ["UpdateItem"]);

    // Disabled while pending: the poll cannot tell (it reads no client) and answers pending;
    // the approved code's redemption refuses, and issues nothing.
    let (status, page) = person.decide(&started.str("user_code"), "approve").await;
    assert_eq!(status, 200, "{page}");
    env.store().disable_client(&id).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let before = env.snapshot().await;
    let refused = poll_with(started.str("device_code"), secret.clone()).await;
    refused.assert_described_error(401, "invalid_client", "disabled client redeems");
    assert_eq!(
        stored_code(&f, &started).await.status,
        CodeStatus::Approved,
        "the refused redemption changed the code"
    );
    assert_eq!(
        env.snapshot().await,
        before,
        "a refused redemption wrote something"
    );

    // A new secret while a code is pending: the old one still polls that code (it is what the
    // code was issued under) but no longer redeems it; the new one is told the code is not its.
    let clients = env.store().tables().clients.clone();
    let edit = |update: &'static str, value: AttributeValue| {
        let (clients, id) = (clients.clone(), id.clone());
        async move {
            env.edit_item(&clients, ("client_id", &id), update, value)
                .await
        }
    };
    edit("SET disabled = :v", AttributeValue::Bool(false)).await;
    let started = begin().await;
    person.decide(&started.str("user_code"), "approve").await;
    let rotated = devicegate::secrets::hash_secret("dgs_rotated");
    edit("SET secret_hash = :v", AttributeValue::S(rotated)).await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let old = poll_with(started.str("device_code"), secret.clone()).await;
    old.assert_described_error(401, "invalid_client", "old secret redeems");
    let new = poll_with(started.str("device_code"), "dgs_rotated".into()).await;
    new.assert_described_error(400, "invalid_grant", "new secret on an old code");
    assert_eq!(stored_code(&f, &started).await.status, CodeStatus::Approved);

    // Another client's secret on this code: the client is authenticated first, then told.
    let cli_poll = poll(&f, &started.str("device_code")).await;
    cli_poll.assert_described_error(400, "invalid_grant", "another client's code");
}

/// What each step of a device flow is billed in DynamoDB write units (items here are under
/// 1 KB; see `CallLog::take_write_units`), the figures `scripts/cost` and docs/performance.md's cost
/// table use. A change that makes a step costlier fails here.
#[tokio::test]
async fn write_units_per_step_of_a_device_flow() {
    let f = fixture().await;
    let env = &f.env;
    let base = server::serve(env.deps.clone()).await;
    let person = Person::new(&base);
    person.sign_in("correct horse battery").await;
    let units = || env.calls.take_write_units();
    units();

    // The client's check, the device code, the user code: a 3-item transaction.
    let started = start(&f, &format!("client_id={}&scope=read", f.cli_id)).await;
    assert_eq!(started.status, 200, "{:?}", started.json);
    assert_eq!(units(), 6, "device authorization");
    let device_code = started.str("device_code");
    assert_eq!(
        poll(&f, &device_code).await.error(),
        "authorization_pending"
    );
    assert_eq!(units(), 1, "pending poll");
    assert_eq!(poll(&f, &device_code).await.error(), "slow_down");
    assert_eq!(
        units(),
        2,
        "too-fast poll: the refused write, the grown interval"
    );

    // The page: the code typed (an attempt taken from the user's and the source's counters and
    // given back: two 2-item transactions), then the decision from the confirm form, which
    // refers to what this session found and so takes no attempt: one conditional write.
    let (status, confirm) = person.find(&started.str("user_code")).await;
    assert_eq!(status, 200, "{confirm}");
    assert_eq!(units(), 8, "code typed on the page");
    let (status, page) = person.decide(&started.str("user_code"), "approve").await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(units(), 8 + 1, "found (by decide), and approved");

    // The refused poll write; the client and user read and judged; then code, family and
    // both tokens in one transaction (was 1 + 12 with the client and user as conditions).
    env.force_poll_due(&device_code).await;
    units();
    let tokens = poll(&f, &device_code).await;
    assert_eq!(tokens.status, 200, "{:?}", tokens.json);
    assert_eq!(units(), 1 + 8, "redemption");

    // The client is read and judged with the token; the old token, the family, the user's
    // check and the new pair are written.
    let refreshed = refresh(&f, &tokens.str("refresh_token")).await;
    assert_eq!(refreshed.status, 200, "{:?}", refreshed.json);
    assert_eq!(units(), 10, "refresh");
}

/// The confirm form's reference to what its session found lets the decision skip the counted
/// lookup, but only for that session, that code and that client: anything else is looked up
/// again the counted way.
#[tokio::test]
async fn a_confirmation_is_good_only_for_its_own_session_and_code() {
    let f = fixture().await;
    let env = &f.env;
    let base = server::serve(env.deps.clone()).await;
    let (alice, other) = (Person::new(&base), Person::new(&base));
    alice.sign_in("correct horse battery").await;
    other.sign_in("correct horse battery").await;
    let units = || env.calls.take_write_units();
    let start_one = || async {
        let started = start(&f, &format!("client_id={}", f.cli_id)).await;
        assert_eq!(started.status, 200, "{:?}", started.json);
        started.str("user_code")
    };

    // Another session's confirmation: counted again (8 units), then decided.
    let code = start_one().await;
    let (_, confirm) = alice.find(&code).await;
    let reference = devicegate_tests::oauth::hidden_of(&confirm, "request");
    let (_, own_form) = other.find(&code).await;
    units();
    let (status, page) = other
        .post(&[
            ("action", "deny"),
            ("csrf", &csrf_of(&own_form)),
            ("user_code", &code),
            ("request", &reference),
        ])
        .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(units(), 8 + 1, "another session's confirmation was taken");

    // Its own confirmation, altered to name another code, or sent with another typed code:
    // counted again; a wrong typed code is a wrong code.
    let (first, second) = (start_one().await, start_one().await);
    let (_, confirm) = alice.find(&first).await;
    let reference = devicegate_tests::oauth::hidden_of(&confirm, "request");
    let (mac, rest) = reference.split_once('.').unwrap();
    let altered = format!("{mac}.{}{}", "0".repeat(64), &rest[64..]);
    units();
    let (status, _) = alice
        .post(&[
            ("action", "approve"),
            ("csrf", &csrf_of(&confirm)),
            ("user_code", &second),
            ("request", &altered),
        ])
        .await;
    assert_eq!(status, 200);
    assert_eq!(units(), 8 + 1, "an altered confirmation was taken");
    assert_eq!(
        env.device_code_by_user_code(&second).await.status,
        CodeStatus::Approved
    );
    assert_eq!(
        env.device_code_by_user_code(&first).await.status,
        CodeStatus::Pending,
        "the confirmation's own code was decided"
    );
    let (status, page) = alice
        .post(&[
            ("action", "approve"),
            ("csrf", &csrf_of(&confirm)),
            ("user_code", "BCDF-GHJK"),
            ("request", &reference),
        ])
        .await;
    assert_eq!(status, 400, "{page}");
    assert_eq!(units(), 4, "a wrong code takes an attempt");

    // Untouched, for its own code: one conditional write.
    let (status, page) = alice
        .post(&[
            ("action", "approve"),
            ("csrf", &csrf_of(&confirm)),
            ("user_code", &first),
            ("request", &reference),
        ])
        .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(units(), 1);
}

/// Review probes of the confirm form's reference: malformed values never fail the page and
/// are looked up the counted way; a reference dies with its session; a code that changed after
/// it was found (client disabled, expired, decided elsewhere) is refused as the lookup would.
#[tokio::test]
async fn a_confirmation_survives_no_tampering_sign_out_or_change() {
    let f = fixture().await;
    let env = &f.env;
    let base = server::serve(env.deps.clone()).await;
    let alice = Person::new(&base);
    alice.sign_in("correct horse battery").await;
    let units = || env.calls.take_write_units();
    let start_one = || async {
        let started = start(&f, &format!("client_id={}", f.cli_id)).await;
        assert_eq!(started.status, 200, "{:?}", started.json);
        started.str("user_code")
    };

    // Malformed references, sent with a code already decided: never a 500, always the counted
    // lookup (an attempt taken and given back), the code's own refusal.
    let decided = start_one().await;
    let (_, confirm) = alice.find(&decided).await;
    let reference = devicegate_tests::oauth::hidden_of(&confirm, "request");
    let (status, _) = alice.decide(&decided, "deny").await;
    assert_eq!(status, 200);
    let (mac, rest) = reference.split_once('.').unwrap();
    let (hash, client) = rest.split_once('.').unwrap();
    let huge = "9".repeat(5_000);
    let malformed = [
        ".".to_owned(),
        "..".into(),
        "...".into(),
        "a.b".into(),
        mac.to_owned(),
        format!("{mac}.{hash}"),
        format!("{mac}.{hash}."),
        format!(".{hash}.{client}"),
        format!("{mac}..{client}"),
        format!("{mac}.{hash}.{client}."),
        format!("{mac}.{hash}.{client}\0"),
        format!("{mac}.{hash}\0.{client}"),
        format!("{}.{hash}.{client}", mac.to_uppercase()),
        format!("{}.{hash}.{client}", &mac[..63]),
        format!("é{}.{hash}.{client}", &mac[2..]),
        format!("{mac}.{huge}.{client}"),
        format!("{huge}.{huge}.{huge}"),
        "\u{fffd}.\u{1f600}.\u{0}".into(),
    ];
    for bad in &malformed {
        units();
        let (status, page) = alice
            .post(&[
                ("action", "approve"),
                ("csrf", &csrf_of(&confirm)),
                ("user_code", &decided),
                ("request", bad),
            ])
            .await;
        assert_eq!(status, 409, "{bad:.80}: {page}");
        assert_eq!(units(), 8, "{bad:.80}: counted");
    }

    // Signed out: the reference is worth nothing, and signed in again, it is another session's.
    let code = start_one().await;
    let (_, confirm) = alice.find(&code).await;
    let reference = devicegate_tests::oauth::hidden_of(&confirm, "request");
    let (status, _) = alice
        .post(&[("action", "sign_out"), ("csrf", &csrf_of(&confirm))])
        .await;
    assert_eq!(status, 200);
    let replay = [
        ("action", "approve"),
        ("csrf", &csrf_of(&confirm)),
        ("user_code", &code),
        ("request", &reference),
    ];
    let (status, page) = alice.post(&replay).await;
    assert_eq!(status, 403, "{page}");
    assert_eq!(
        env.device_code_by_user_code(&code).await.status,
        CodeStatus::Pending
    );
    let (_, page) = alice.sign_in("correct horse battery").await;
    units();
    let (status, page) = alice
        .post(&[
            ("action", "deny"),
            ("csrf", &csrf_of(&page)),
            ("user_code", &code),
            ("request", &reference),
        ])
        .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(
        units(),
        8 + 1,
        "the old session's reference was counted again"
    );

    // Changed after it was found: the client disabled, the code expired or decided elsewhere.
    let clients = env.store().tables().clients.clone();
    let codes = env.store().tables().device_codes.clone();
    let code = start_one().await;
    let (_, confirm) = alice.find(&code).await;
    let decide = |action: &'static str| {
        let confirm = confirm.clone();
        let code = code.clone();
        let alice = &alice;
        async move {
            alice
                .post(&[
                    ("action", action),
                    ("csrf", &csrf_of(&confirm)),
                    ("user_code", &code),
                    (
                        "request",
                        &devicegate_tests::oauth::hidden_of(&confirm, "request"),
                    ),
                ])
                .await
        }
    };
    let hash = env.device_code_by_user_code(&code).await.code_hash;
    env.edit_item(
        &clients,
        ("client_id", &f.cli_id),
        "SET disabled = :v",
        aws_sdk_dynamodb::types::AttributeValue::Bool(true),
    )
    .await;
    let (status, page) = decide("approve").await;
    assert_eq!(status, 400, "{page}");
    assert!(page.contains("this client has been disabled"), "{page}");
    env.edit_item(
        &clients,
        ("client_id", &f.cli_id),
        "SET disabled = :v",
        aws_sdk_dynamodb::types::AttributeValue::Bool(false),
    )
    .await;
    env.edit_item(
        &codes,
        ("code_hash", &hash),
        "SET expires_at = :v",
        devicegate_tests::number(devicegate::http::now() - 1),
    )
    .await;
    let (status, page) = decide("approve").await;
    assert_eq!(status, 400, "{page}");
    assert!(page.contains("expired"), "{page}");
    env.edit_item(
        &codes,
        ("code_hash", &hash),
        "SET expires_at = :v",
        devicegate_tests::number(devicegate::http::now() + 600),
    )
    .await;
    let bob = Person::new(&base);
    bob.sign_in("correct horse battery").await;
    assert_eq!(bob.decide(&code, "deny").await.0, 200);
    let (status, page) = decide("approve").await;
    assert_eq!(status, 409, "{page}");
    assert_eq!(
        env.device_code_by_user_code(&code).await.status,
        CodeStatus::Denied
    );
}

/// A request that asked for no scope grants the client's whole scope, fixed when the person
/// approves. If an administrator changes the client's scope between the page showing it and the
/// person pressing Approve, the page shows the request again instead of granting what the
/// person never saw; only a second Approve, on what is shown now, decides.
#[tokio::test]
async fn an_approval_grants_what_the_page_showed_or_shows_it_again() {
    use aws_sdk_dynamodb::types::AttributeValue;
    let f = fixture().await;
    let env = &f.env;
    let base = server::serve(env.deps.clone()).await;
    let alice = Person::new(&base);
    alice.sign_in("correct horse battery").await;
    let started = start(&f, &format!("client_id={}", f.cli_id)).await;
    let user_code = started.str("user_code");
    let (_, confirm) = alice.find(&user_code).await;
    assert!(confirm.contains("<code>write</code>"), "{confirm}");
    assert!(!confirm.contains("<code>admin</code>"), "{confirm}");

    let clients = env.store().tables().clients.clone();
    let widened = ["admin", "read", "write"].map(|s| AttributeValue::S(s.into()));
    env.edit_item(
        &clients,
        ("client_id", &f.cli_id),
        "SET scopes = :v",
        AttributeValue::L(widened.to_vec()),
    )
    .await;
    let approve = |page: String| {
        let user_code = user_code.clone();
        let alice = &alice;
        async move {
            alice
                .post(&[
                    ("action", "approve"),
                    ("csrf", &csrf_of(&page)),
                    ("user_code", &user_code),
                    (
                        "request",
                        &devicegate_tests::oauth::hidden_of(&page, "request"),
                    ),
                ])
                .await
        }
    };
    let (status, again) = approve(confirm).await;
    assert_eq!(status, 200, "{again}");
    assert!(again.contains("has changed since you saw it"), "{again}");
    assert!(again.contains("<code>admin</code>"), "{again}");
    assert_eq!(
        env.device_code_by_user_code(&user_code).await.status,
        CodeStatus::Pending,
        "approved what the page never showed"
    );

    let (status, done) = approve(again).await;
    assert_eq!(status, 200, "{done}");
    let code = env.device_code_by_user_code(&user_code).await;
    assert_eq!(code.status, CodeStatus::Approved);
    assert_eq!(code.scope.as_deref(), Some("admin read write"));
}
