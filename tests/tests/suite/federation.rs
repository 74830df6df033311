//! Federation against a real OpenID Provider nobody here wrote: node-oidc-provider as the
//! upstream (`devicegate_tests::upstream`), headless Chromium signing in through it on
//! `/device` while the `oauth2` crate polls, and the callback's refusals: another browser's
//! callback, a replayed one, an upstream that is down, a local user of the same name, a
//! missing required claim. Nothing is stored by a refusal.

use std::time::Duration;

use devicegate_tests::browser::{start_browser, start_driver};
use devicegate_tests::oauth::{crate_client, fixture, http_client, start_device_flow};
use devicegate_tests::upstream::{Upstream, UpstreamClient, sign_in_upstream};
use devicegate_tests::{TestEnv, server};
use fantoccini::{Client as Browser, Locator};
use oauth2::TokenResponse;
use serde_json::{Value, json};

pub(crate) const CLIENT_ID: &str = "devicegate";
pub(crate) const CLIENT_SECRET: &str = "upstream-client-secret-9f2c";

/// The upstream, with devicegate's callback at `base` registered.
pub(crate) async fn upstream_for(base: &str) -> Upstream {
    let callback = format!("{base}/signin/callback");
    Upstream::start(&[UpstreamClient::new(CLIENT_ID, CLIENT_SECRET, &callback)]).await
}

/// Adds the provider through the admin API; gives its id.
pub(crate) async fn add_provider(
    env: &TestEnv,
    admin: &str,
    upstream: &Upstream,
    extra: Value,
) -> String {
    let mut body = json!({
        "name": "Corp IdP",
        "issuer": upstream.issuer,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "scopes": ["openid", "email", "profile", "groups"],
    });
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    let created = env
        .admin_post(admin, "/admin/identity-providers", Some(body))
        .await;
    assert_eq!(created.status, 201, "{}", created.json);
    created.str("id")
}

pub(crate) fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The value of the `name` cookie a response sets.
pub(crate) fn set_cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .find_map(|pair| pair.strip_prefix(&format!("{name}=")).map(str::to_owned))
        .filter(|v| !v.is_empty())
}

pub(crate) async fn page_text(browser: &Browser) -> String {
    browser
        .find(Locator::Css("main"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

pub(crate) async fn users(env: &TestEnv, admin: &str) -> Vec<Value> {
    let listed = env.admin("GET", "/admin/users", Some(admin), None).await;
    listed.json["users"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn a_person_signs_in_upstream_on_the_device_page_once_linked_while_the_cli_polls() {
    let mut f = fixture().await;
    f.env.deps.settings.secure_cookies = false; // plain HTTP on loopback
    let base = server::serve(f.env.deps.clone()).await;
    f.env.deps.settings.issuer = Some(base.clone());
    let env = &f.env;
    let admin = env.admin_key().await;
    let upstream = upstream_for(&base).await;
    let id = add_provider(
        env,
        &admin,
        &upstream,
        json!({"required_claims": {"groups": "fleet-approvers"}}),
    )
    .await;

    // The admin API shows where to register devicegate at the provider, and never the secret;
    // the store holds it sealed.
    let shown = env
        .admin(
            "GET",
            &format!("/admin/identity-providers/{id}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(shown.str("redirect_uri"), format!("{base}/signin/callback"));
    assert!(
        !shown.json.to_string().contains(CLIENT_SECRET),
        "{}",
        shown.json
    );
    assert!(shown.json.get("client_secret").is_none());
    let stored = env.snapshot().await.join("\n");
    assert!(
        !stored.contains(CLIENT_SECRET),
        "the secret is stored sealed"
    );
    // Its creation is on the trail, by the admin, without the secret.
    let records = devicegate_tests::audit::trail(env, &admin, &format!("subject={id}")).await;
    assert_eq!(
        devicegate_tests::audit::types(&records),
        ["identity_provider.created"]
    );
    assert!(
        !serde_json::to_string(&records)
            .unwrap()
            .contains(CLIENT_SECRET)
    );

    let client = crate_client(&f.cli_id, &base);
    let http = http_client();
    let details = start_device_flow(&client, &http, "write").await;
    let user_code = details.user_code().secret().clone();
    let complete = details
        .verification_uri_complete()
        .unwrap()
        .secret()
        .clone();
    let polling = tokio::spawn(async move {
        client
            .exchange_device_access_token(&details)
            .request_async(&http, tokio::time::sleep, Some(Duration::from_secs(120)))
            .await
    });

    let driver = start_driver().await;
    let (browser, profile) = start_browser(&driver).await;
    browser.goto(&complete).await.unwrap();
    let button = browser
        .wait()
        .for_element(Locator::LinkText("Sign in with Corp IdP"))
        .await
        .unwrap();
    button.click().await.unwrap();
    sign_in_upstream(&browser, "ada").await;

    // A local ada exists and is not linked to the upstream ada: refused, nothing signed in.
    let refused = page_text(&browser).await;
    assert!(
        refused.contains("already exists here and is not linked"),
        "{refused}"
    );
    let before = users(env, &admin).await;
    assert_eq!(before.len(), 1, "no second ada: {before:?}");
    assert!(before[0].get("identity_provider").is_none());

    // An administrator links them; the same sign-in now lands on the code, filled in.
    let linked = env
        .admin_post(
            &admin,
            "/admin/users/ada/link",
            Some(json!({"identity_provider": id, "subject": "ada-7c1e"})),
        )
        .await;
    assert_eq!(linked.status, 200, "{}", linked.json);
    assert_eq!(linked.str("identity_provider"), id);
    let again = env
        .admin_post(
            &admin,
            "/admin/users/ada/link",
            Some(json!({"identity_provider": id, "subject": "ada-7c1e"})),
        )
        .await;
    assert_eq!(again.status, 409, "linked once");
    let changes = devicegate_tests::audit::trail(env, &admin, "type=user.changed").await;
    assert_eq!(
        changes.len(),
        1,
        "the refused second link writes nothing: {changes:?}"
    );
    assert_eq!(changes[0]["subject"], "ada");
    assert_eq!(
        changes[0]["reason"],
        format!("linked to the account ada-7c1e at the identity provider {id}").as_str()
    );

    browser.goto(&complete).await.unwrap();
    browser
        .wait()
        .for_element(Locator::LinkText("Sign in with Corp IdP"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // The upstream may remember ada (straight back) or ask again.
    let upstream_origin = upstream.issuer.clone();
    for _ in 0..100 {
        let url = browser.current_url().await.unwrap().to_string();
        if url.starts_with(&upstream_origin) {
            sign_in_upstream(&browser, "ada").await;
            break;
        }
        if browser.find(Locator::Id("user_code")).await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let field = browser
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Id("user_code"))
        .await
        .unwrap();
    assert_eq!(
        field.prop("value").await.unwrap().as_deref(),
        Some(user_code.as_str())
    );
    let signed_in = page_text(&browser).await;
    assert!(signed_in.contains("ada (through Corp IdP)"), "{signed_in}");
    browser
        .find(Locator::Css("form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Css("button[value=approve]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Css("p.ok"))
        .await
        .unwrap();
    browser.close().await.unwrap();
    let _ = std::fs::remove_dir_all(&profile);

    let token = polling.await.unwrap().unwrap();
    assert!(token.access_token().secret().starts_with("dga_"));
    drop(driver);
}

#[tokio::test]
async fn a_first_sign_in_creates_the_user_unless_a_required_claim_is_missing() {
    let mut env = TestEnv::new().await;
    env.deps.settings.secure_cookies = false;
    let base = server::serve(env.deps.clone()).await;
    env.deps.settings.issuer = Some(base.clone());
    let admin = env.admin_key().await;
    let upstream = upstream_for(&base).await;
    let id = add_provider(
        &env,
        &admin,
        &upstream,
        json!({"required_claims": {"groups": "fleet-approvers"}}),
    )
    .await;
    let driver = start_driver().await;

    // bob is not in the group: refused, and no user is made.
    let (browser, profile) = start_browser(&driver).await;
    browser.goto(&format!("{base}/device")).await.unwrap();
    browser
        .wait()
        .for_element(Locator::LinkText("Sign in with Corp IdP"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    sign_in_upstream(&browser, "bob").await;
    let refused = page_text(&browser).await;
    assert!(
        refused.contains("lacks groups = fleet-approvers"),
        "{refused}"
    );
    assert!(users(&env, &admin).await.is_empty());
    browser.close().await.unwrap();
    let _ = std::fs::remove_dir_all(&profile);

    // ada is: her user is made on the spot, marked with the provider and her upstream sub.
    let (browser, profile) = start_browser(&driver).await;
    browser.goto(&format!("{base}/device")).await.unwrap();
    browser
        .wait()
        .for_element(Locator::LinkText("Sign in with Corp IdP"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    sign_in_upstream(&browser, "ada").await;
    browser
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Id("user_code"))
        .await
        .unwrap();
    assert!(page_text(&browser).await.contains("ada (through Corp IdP)"));
    browser.close().await.unwrap();
    let _ = std::fs::remove_dir_all(&profile);
    let made = users(&env, &admin).await;
    assert_eq!(made.len(), 1, "{made:?}");
    assert_eq!(made[0]["username"], "ada");
    assert_eq!(made[0]["email"], "ada@example.com");
    assert_eq!(made[0]["identity_provider"], id.as_str());
    assert_eq!(made[0]["upstream_subject"], "ada-7c1e");

    // Disabled, the provider's button goes and its sign-ins stop at once.
    let disabled = env
        .admin(
            "PATCH",
            &format!("/admin/identity-providers/{id}"),
            Some(&admin),
            Some(json!({"enabled": false})),
        )
        .await;
    assert_eq!(disabled.status, 200, "{}", disabled.json);
    let page = reqwest::get(format!("{base}/device")).await.unwrap();
    assert!(!page.text().await.unwrap().contains("Corp IdP"));
    let start = no_redirects()
        .get(format!("{base}/signin/{id}?return_to=%2Fdevice"))
        .send()
        .await
        .unwrap();
    assert_eq!(start.status(), 404);
    drop(driver);
}

#[tokio::test]
async fn a_callback_counts_only_in_the_browser_that_started_it_once_and_with_the_upstream_up() {
    let mut env = TestEnv::new().await;
    env.deps.settings.secure_cookies = false;
    let base = server::serve(env.deps.clone()).await;
    env.deps.settings.issuer = Some(base.clone());
    let admin = env.admin_key().await;
    let mut upstream = upstream_for(&base).await;
    let id = add_provider(&env, &admin, &upstream, json!({})).await;
    let http = no_redirects();
    let driver = start_driver().await;

    // Started by one client (here: reqwest, holding the binding cookie), finished at the
    // upstream by a browser that does not hold it: the browser's callback is refused.
    let start = |return_to: &'static str| {
        let http = http.clone();
        let url = format!("{base}/signin/{id}?return_to={return_to}");
        async move {
            let started = http.get(url).send().await.unwrap();
            assert_eq!(started.status(), 303);
            let cookie = set_cookie(&started, "dg_federation").unwrap();
            let location = started.headers()["location"].to_str().unwrap().to_owned();
            (location, cookie)
        }
    };
    let (location, cookie) = start("%2Fdevice%3Fuser_code%3DBCDF-GHJK").await;
    assert!(location.starts_with(&upstream.issuer), "{location}");
    for needed in [
        "code_challenge_method=S256",
        "nonce=",
        "state=",
        "scope=openid",
    ] {
        assert!(location.contains(needed), "{needed}: {location}");
    }
    let (browser, profile) = start_browser(&driver).await;
    browser.goto(&location).await.unwrap();
    sign_in_upstream(&browser, "grace").await;
    let callback = browser.current_url().await.unwrap().to_string();
    assert!(
        callback.starts_with(&format!("{base}/signin/callback?")),
        "{callback}"
    );
    let elsewhere = page_text(&browser).await;
    assert!(
        elsewhere.contains("not started in this browser"),
        "{elsewhere}"
    );
    assert!(users(&env, &admin).await.is_empty());

    // The browser that started it finishes it: a session, back where it was going.
    let with_cookie = |url: &str| {
        http.get(url)
            .header("cookie", format!("dg_federation={cookie}"))
            .send()
    };
    let finished = with_cookie(&callback).await.unwrap();
    assert_eq!(finished.status(), 303);
    assert_eq!(
        finished.headers()["location"],
        "/device?user_code=BCDF-GHJK"
    );
    assert!(set_cookie(&finished, "dg_session").is_some());
    assert_eq!(
        users(&env, &admin).await.len(),
        1,
        "grace, made just in time"
    );

    // The same callback again: used up.
    let replayed = with_cookie(&callback).await.unwrap();
    assert_eq!(replayed.status(), 400);
    assert!(set_cookie(&replayed, "dg_session").is_none());
    assert!(replayed.text().await.unwrap().contains("already used"));

    // Sent to the upstream, which then stops: a clear page, nothing stored.
    let (location, cookie) = start("%2Fdevice").await;
    browser.close().await.unwrap();
    let _ = std::fs::remove_dir_all(&profile);
    // A fresh browser: the upstream would remember grace in the first.
    let (browser, profile) = start_browser(&driver).await;
    browser.goto(&location).await.unwrap();
    sign_in_upstream(&browser, "heidi").await;
    let callback = browser.current_url().await.unwrap().to_string();
    browser.close().await.unwrap();
    let _ = std::fs::remove_dir_all(&profile);
    upstream.stop();
    let down = http
        .get(&callback)
        .header("cookie", format!("dg_federation={cookie}"))
        .send()
        .await
        .unwrap();
    assert_eq!(down.status(), 502);
    assert!(set_cookie(&down, "dg_session").is_none());
    assert!(down.text().await.unwrap().contains("could not be reached"));
    let names: Vec<Value> = users(&env, &admin)
        .await
        .iter()
        .map(|u| u["username"].clone())
        .collect();
    assert_eq!(names, vec![json!("grace")]);
    drop(driver);
}

#[tokio::test]
async fn with_local_passwords_disabled_only_the_providers_sign_people_in() {
    let mut env = TestEnv::new().await;
    env.deps.settings.secure_cookies = false;
    env.deps.settings.local_passwords = false;
    let base = server::serve(env.deps.clone()).await;
    let page = reqwest::get(format!("{base}/device"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains("type=\"password\""), "{page}");
    assert!(
        page.contains("No way to sign in is set up here yet"),
        "{page}"
    );

    // A password form posted anyway (with a good CSRF token) is refused, whatever the password.
    let jar = no_redirects();
    let first = jar.get(format!("{base}/device")).send().await.unwrap();
    let pre = set_cookie(&first, "dg_pre").unwrap();
    let csrf = devicegate::web::csrf_for(env.deps.settings.server_secret().unwrap(), &pre);
    let posted = jar
        .post(format!("{base}/device"))
        .header("cookie", format!("dg_pre={pre}"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("action", "sign_in"),
            ("username", "ada"),
            ("password", "correct horse battery"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), 401);
    assert!(
        posted
            .text()
            .await
            .unwrap()
            .contains("Password sign-in is turned off here; sign in with your identity provider")
    );
}
