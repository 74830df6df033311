//! Sessions of the verification pages and the admin console: page cookies are host-prefixed for
//! the whole site; a page session ends when its user's password is reset or the user is
//! disabled, even one the index missed; signing out of the console ends the session on the
//! server.

use super::{console, cookie_value};
use devicegate_tests::*;

#[tokio::test]
async fn page_sessions_end_when_the_password_is_reset_or_the_user_disabled() {
    let f = devicegate_tests::oauth::fixture().await;
    let admin = f.env.admin_key().await;
    let base = server::serve(f.env.deps.clone()).await;
    let person = devicegate_tests::oauth::Person::new(&base);
    assert_eq!(person.sign_in("correct horse battery").await.0, 200);
    assert!(person.get("/device").await.1.contains("Enter the code"));

    let reset = f
        .env
        .reset_password(&admin, "ada", "a new long passphrase")
        .await;
    assert_eq!(reset.status, 200);
    let page = person.get("/device").await.1;
    assert!(page.contains("Sign in"), "the session ended: {page}");
    assert!(!page.contains("Enter the code"));

    assert_eq!(person.sign_in("a new long passphrase").await.0, 200);
    assert!(person.get("/device").await.1.contains("Enter the code"));
    f.env
        .admin_post(&admin, "/admin/users/ada/disable", None)
        .await;
    assert!(!person.get("/device").await.1.contains("Enter the code"));
}

/// The verification page's answer to a plain GET, through its handler.
async fn get_page(env: &TestEnv) -> lambda_http::Response<lambda_http::Body> {
    let req = lambda_http::http::Request::builder()
        .method("GET")
        .uri("https://gate.test/device")
        .body(lambda_http::Body::Empty)
        .unwrap();
    dispatch(&env.deps, req).await
}

#[tokio::test]
async fn page_cookies_are_host_prefixed_for_the_whole_site() {
    let mut env = TestEnv::new().await;
    env.deps.settings.secure_cookies = true;
    let response = get_page(&env).await;
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cookie.starts_with("__Host-"), "{cookie}");
    assert!(
        cookie.contains("; Path=/;") || cookie.ends_with("; Path=/"),
        "{cookie}"
    );
    assert!(
        cookie.contains("Secure") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    assert!(!cookie.contains("Domain"), "{cookie}");

    // Plain HTTP on loopback (local runs) cannot carry a __Host- cookie: no prefix there.
    env.deps.settings.secure_cookies = false;
    let local = get_page(&env).await;
    let cookie = local.headers()["set-cookie"].to_str().unwrap();
    assert!(
        !cookie.starts_with("__Host-") && !cookie.contains("Secure"),
        "{cookie}"
    );
}

/// A session the `by_username` index missed (eventually consistent), or one begun by a sign-in
/// racing the reset, still ends: every page view checks the user's credentials version.
#[tokio::test]
async fn a_session_missed_when_a_password_was_reset_still_ends_on_its_next_use() {
    let f = devicegate_tests::oauth::fixture().await;
    let base = server::serve(f.env.deps.clone()).await;
    let person = devicegate_tests::oauth::Person::new(&base);
    assert_eq!(person.sign_in("correct horse battery").await.0, 200);
    assert!(person.get("/device").await.1.contains("Enter the code"));
    // The password is reset, but the session was not found to be deleted.
    let store = f.env.store();
    let bump = "ADD credentials_version :v";
    f.env
        .edit_item(&store.tables().users, ("username", "ada"), bump, number(1))
        .await;
    let page = person.get("/device").await.1;
    assert!(!page.contains("Enter the code"), "{page}");
    assert!(page.contains("Sign in"));
}

/// Signing out of the console ends the session where it is kept: a copy of the cookie taken
/// before signing out opens nothing afterwards.
#[tokio::test]
async fn signing_out_of_the_console_ends_the_session_on_the_server() {
    const ADMIN: &str = "__Host-dg_admin";
    const PRE: &str = "__Host-dg_pre";
    let env = TestEnv::new().await;
    let admin_key = env.admin_key().await;
    let (_, set, page) = console(&env, None, &[]).await;
    let pre = cookie_value(&set, PRE).unwrap();
    let csrf = devicegate_tests::oauth::csrf_of(&page);
    let body = format!(
        "csrf={}&action=sign_in&admin_key={}",
        enc(&csrf),
        enc(&admin_key)
    );
    let (status, set, _) = console(&env, Some(&body), &[(PRE, &pre)]).await;
    assert_eq!(status, 303);
    let session = cookie_value(&set, ADMIN).unwrap();
    let copy = session.clone();
    let (status, _, page) = console(&env, None, &[(ADMIN, &session)]).await;
    assert_eq!(status, 200);
    assert!(page.contains("value=\"sign_out\""), "signed in: {page}");

    let csrf = devicegate_tests::oauth::csrf_of(&page);
    let body = format!("csrf={}&action=sign_out", enc(&csrf));
    let (status, set, _) = console(&env, Some(&body), &[(ADMIN, &session)]).await;
    assert_eq!(status, 303);
    assert_eq!(
        cookie_value(&set, ADMIN).as_deref(),
        Some(""),
        "the cookie is cleared"
    );

    let (_, _, page) = console(&env, None, &[(ADMIN, &copy)]).await;
    assert!(
        !page.contains("value=\"sign_out\""),
        "the copy opens nothing: {page}"
    );
    assert!(page.contains("name=\"admin_key\""), "{page}");
    let body = format!("csrf={}&action=disable&id=x", enc(&csrf));
    let (_, _, page) = console(&env, Some(&body), &[(ADMIN, &copy)]).await;
    assert!(page.contains("name=\"admin_key\""), "nor acts: {page}");
}
