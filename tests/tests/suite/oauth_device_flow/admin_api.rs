//! The admin API over the device flow's fixture: clients made, listed without their secrets
//! and disabled; users made, refused twice, and their passwords reset.

use devicegate_tests::oauth::fixture;

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
