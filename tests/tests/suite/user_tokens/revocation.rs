//! What ends a user's tokens: disabling the API key in the console, resetting the password.

use super::*;

/// A console request (form body, one cookie): its status and the cookies it sets.
pub(super) async fn console_post(
    env: &TestEnv,
    path: &str,
    body: &str,
    cookie: Option<(&str, &str)>,
) -> (u16, Vec<String>) {
    let mut builder = lambda_http::http::Request::builder()
        .method(if body.is_empty() { "GET" } else { "POST" })
        .uri(format!("https://gate.test{path}"));
    if let Some((name, value)) = cookie {
        builder = builder.header("cookie", format!("{name}={value}"));
    }
    if !body.is_empty() {
        builder = builder.header("content-type", "application/x-www-form-urlencoded");
    }
    let response = dispatch(
        &env.deps,
        builder
            .body(lambda_http::Body::Text(body.to_owned()))
            .unwrap(),
    )
    .await;
    let cookies = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap().to_owned())
        .collect();
    (response.status().as_u16(), cookies)
}

/// Disabling an API key in the web console ends its user tokens at the authorizer, as the
/// admin API and the command line do (the console used to disable the key alone, leaving its
/// guard standing).
#[tokio::test]
async fn disabling_an_api_key_in_the_console_ends_its_user_tokens() {
    const PRE: &str = "__Host-dg_pre";
    const ADMIN: &str = "__Host-dg_admin";
    let env = TestEnv::new().await;
    let admin_key = env.admin_key().await;
    user_ada(&env).await;
    let api_key = env
        .api_key(ApiKeySettings {
            allow_untrusted_endpoints: true,
            ..Default::default()
        })
        .await;
    let token = login(&env, &api_key, None, &password_body(), "10.6.0.1")
        .await
        .str("access_token");
    assert_eq!(judge(&env, Some(&token), None).await["isAuthorized"], true);

    let secret = env.deps.settings.server_secret().unwrap();
    let cookie = |cookies: &[String], name: &str| {
        cookies
            .iter()
            .find_map(|c| c.strip_prefix(&format!("{name}=")))
            .unwrap()
            .to_owned()
    };
    let (_, cookies) = console_post(&env, "/admin/console", "", None).await;
    let pre = cookie(&cookies, PRE);
    let sign_in = format!(
        "csrf={}&action=sign_in&admin_key={}",
        enc(&devicegate::web::csrf_for(secret, &pre)),
        enc(&admin_key)
    );
    let (_, cookies) = console_post(&env, "/admin/console", &sign_in, Some((PRE, &pre))).await;
    let session = cookie(&cookies, ADMIN);
    let id = env.store().list_api_keys().await.unwrap()[0].id.clone();
    let disable = format!(
        "csrf={}&action=disable&id={id}&confirm=yes",
        enc(&devicegate::web::csrf_for(secret, &session))
    );
    let (status, _) = console_post(
        &env,
        "/admin/console/api-keys",
        &disable,
        Some((ADMIN, &session)),
    )
    .await;
    assert_eq!(status, 200);
    assert!(env.store().list_api_keys().await.unwrap()[0].disabled);
    assert_eq!(
        judge(&env, Some(&token), None).await["isAuthorized"],
        false,
        "a key disabled in the console still let its user tokens through the authorizer"
    );
}

/// Whoever signed in with the old password loses the user token when an administrator resets
/// it, as page sessions do.
#[tokio::test]
async fn a_password_reset_ends_the_users_tokens() {
    let env = TestEnv::new().await;
    let admin_key = env.admin_key().await;
    user_ada(&env).await;
    let api_key = env.api_key(ApiKeySettings::default()).await;
    let device = trusted_device(&env, &admin_key, &api_key, "kiosk").await;
    let signed_in = login(&env, &api_key, Some(&device), &password_body(), "10.6.0.1").await;
    let token = signed_in.str("access_token");
    assert_eq!(judge(&env, Some(&token), None).await["isAuthorized"], true);
    env.reset_password(&admin_key, "ada", "a brand new password")
        .await
        .assert_error(200, "", "reset");
    assert_eq!(judge(&env, Some(&token), None).await["isAuthorized"], false);
    let refreshed = env
        .token(
            &format!(
                "grant_type=refresh_token&client_id=api&client_secret={}&refresh_token={}",
                enc(&api_key),
                enc(&signed_in.str("refresh_token"))
            ),
            None,
        )
        .await;
    refreshed.assert_error(400, "invalid_grant", "refresh after the reset");
}
