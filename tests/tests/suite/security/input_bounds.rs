//! Input bounded before it reaches the store, a log or a reply: absurd timestamps are refused
//! and stored ones still list, an unknown grant type is not echoed at length, an oversized
//! identifier names nothing on any route, and a logged request line has a bounded path.

use super::{console, cookie_value};
use devicegate::http;
use devicegate::model::ApiKeySettings;
use devicegate_tests::*;

#[tokio::test]
async fn absurd_timestamps_are_refused_and_no_listing_can_panic() {
    let env = TestEnv::new().await;
    let admin = env.admin_key().await;
    for expires_at in [
        serde_json::json!(999_999_999_999i64),
        serde_json::json!(i64::MAX),
        serde_json::json!("10000-01-01T00:00:00Z"),
    ] {
        let refused = env
            .admin_post(
                &admin,
                "/admin/api-keys",
                Some(serde_json::json!({"name": "far", "expires_at": expires_at})),
            )
            .await;
        assert_eq!(
            (refused.status, refused.error()),
            (400, "invalid_request"),
            "{expires_at}"
        );
    }
    // Items written before the bound existed, or by hand, still list.
    let mut key = devicegate::usecases::admin::create_api_key(
        env.store(),
        "old",
        ApiKeySettings::default(),
        http::now(),
        &devicegate::model::Origin::system("test"),
    )
    .await
    .unwrap()
    .key;
    key.key_hash = "0".repeat(64);
    key.id = "far-future".into();
    key.settings.expires_at = Some(999_999_999_999);
    key.created_at = i64::MAX;
    let audit = devicegate::model::AuditEvent::success(
        devicegate::model::AuditType::ApiKeyCreated,
        &devicegate::model::Origin::system("test"),
        &key.id,
    );
    env.store().put_api_key(&key, &audit).await.unwrap();
    let listed = env
        .admin("GET", "/admin/api-keys", Some(&admin), None)
        .await;
    assert_eq!(listed.status, 200, "{}", listed.json);
}

#[tokio::test]
async fn an_unknown_grant_type_is_not_echoed_at_length() {
    let env = TestEnv::new().await;
    let long = "x".repeat(4000);
    let reply = env
        .oauth2(
            "/oauth2/token",
            &format!("grant_type={long}&client_id=c"),
            None,
        )
        .await;
    assert_eq!(reply.error(), "unsupported_grant_type");
    assert!(reply.json["error_description"].as_str().unwrap().len() < 200);
}

/// A path parameter longer than any identifier devicegate keeps (DynamoDB refuses keys over
/// 2,048 bytes) names nothing: every route answers 404 in its shape, before the store is asked,
/// and stores nothing. The console's forms name items too, and are bounded the same way.
#[tokio::test]
async fn an_oversized_identifier_names_nothing_on_every_route() {
    const ADMIN: &str = "__Host-dg_admin";
    const PRE: &str = "__Host-dg_pre";
    let env = TestEnv::new().await;
    let admin = env.admin_key().await;
    let long = "a".repeat(3000);
    let json = |v: serde_json::Value| Some(v);
    let routes: Vec<(&str, String, Option<serde_json::Value>)> = vec![
        ("GET", format!("/oauth2/register/{long}"), None),
        (
            "PUT",
            format!("/oauth2/register/{long}"),
            json(serde_json::json!({"client_name": "x"})),
        ),
        ("DELETE", format!("/oauth2/register/{long}"), None),
        ("POST", format!("/admin/devices/{long}/approve"), None),
        ("POST", format!("/admin/api-keys/{long}/disable"), None),
        (
            "POST",
            format!("/admin/api-keys/{long}/settings"),
            json(serde_json::json!({"auto_trust": true})),
        ),
        ("POST", format!("/admin/clients/{long}/disable"), None),
        ("POST", format!("/admin/clients/{long}/delete"), None),
        (
            "POST",
            format!("/admin/initial-access-tokens/{long}/disable"),
            None,
        ),
        ("POST", format!("/admin/users/{long}/disable"), None),
        (
            "POST",
            format!("/admin/users/{long}/password"),
            json(serde_json::json!({"password": "a long new passphrase"})),
        ),
        (
            "POST",
            format!("/admin/users/{long}/login-ids"),
            json(serde_json::json!({"card_id": "CARD-1"})),
        ),
        ("POST", format!("/admin/templates/{long}/disable"), None),
    ];
    let before = env.snapshot().await;
    for (method, path, body) in routes {
        let bearer = if path.starts_with("/admin") {
            admin.as_str()
        } else {
            "dgrat_x"
        };
        let reply = env.admin(method, &path, Some(bearer), body).await;
        let route = &path[..path.len().min(40)];
        reply.assert_described_error(404, "not_found", &format!("{method} {route}"));
    }
    assert_eq!(env.snapshot().await, before, "nothing stored");

    // The console's forms.
    let (_, set, page) = console(&env, None, &[]).await;
    let pre = cookie_value(&set, PRE).unwrap();
    let csrf = devicegate_tests::oauth::csrf_of(&page);
    let body = format!(
        "csrf={}&action=sign_in&admin_key={}",
        enc(&csrf),
        enc(&admin)
    );
    let (_, set, _) = console(&env, Some(&body), &[(PRE, &pre)]).await;
    let session = cookie_value(&set, ADMIN).unwrap();
    let csrf = devicegate::web::csrf_for(env.deps.settings.server_secret().unwrap(), &session);
    let before = env.snapshot().await;
    for (section, action, field) in [
        ("devices", "approve", "client_id"),
        ("api-keys", "disable", "id"),
        ("clients", "disable", "client_id"),
        ("clients", "delete", "client_id"),
        ("users", "disable", "username"),
        ("users", "password", "username"),
    ] {
        let form = format!(
            "csrf={}&action={action}&{field}={long}&password=a+long+new+passphrase",
            enc(&csrf)
        );
        let req = lambda_http::http::Request::builder()
            .method("POST")
            .uri(format!("https://gate.test/admin/console/{section}"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("cookie", format!("{ADMIN}={session}"))
            .body(lambda_http::Body::Text(form))
            .unwrap();
        let response = dispatch(&env.deps, req).await;
        assert_eq!(response.status(), 404, "{section} {action}");
    }
    assert_eq!(env.snapshot().await, before, "nothing stored");
}

#[test]
fn a_request_line_is_logged_with_a_bounded_path() {
    let long = format!("/oauth2/register/{}", "a".repeat(3000));
    let logged = devicegate::http::loggable_path(&long);
    assert!(logged.len() < 300, "{}", logged.len());
    assert!(logged.starts_with("/oauth2/register/aaa"));
    assert_eq!(
        devicegate::http::loggable_path("/oauth2/token"),
        "/oauth2/token"
    );
}
