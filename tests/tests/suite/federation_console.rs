//! The admin console signed in through an upstream identity provider, in headless Chromium
//! against node-oidc-provider: only a provider with `admin_claims` offers the console's
//! button; a person without those claims is refused; one with them reaches the console (and
//! no devicegate user is made for them); disabling the provider signs that console out.

use devicegate_tests::browser::{start_browser, start_driver};
use devicegate_tests::upstream::sign_in_upstream;
use devicegate_tests::{TestEnv, server};
use fantoccini::Locator;
use serde_json::json;

use super::federation::{add_provider, no_redirects, page_text, upstream_for, users};

const CONSOLE_NAV: &str = "nav a[href='/admin/console/identity-providers']";

#[tokio::test]
async fn an_administrator_signs_in_to_the_console_through_an_admin_provider() {
    let mut env = TestEnv::new().await;
    env.deps.settings.secure_cookies = false;
    let base = server::serve(env.deps.clone()).await;
    env.deps.settings.issuer = Some(base.clone());
    let admin = env.admin_key().await;
    let upstream = upstream_for(&base).await;
    let id = add_provider(&env, &admin, &upstream, json!({})).await;
    let console_page = async || {
        reqwest::get(format!("{base}/admin/console"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    };

    // A provider that does not sign in administrators: no button, and no way in by the link.
    assert!(!console_page().await.contains("Sign in with Corp IdP"));
    let forced = no_redirects()
        .get(format!("{base}/signin/{id}?return_to=%2Fadmin%2Fconsole"))
        .send()
        .await
        .unwrap();
    assert_eq!(forced.status(), 400);
    assert!(
        forced
            .text()
            .await
            .unwrap()
            .contains("does not sign in administrators")
    );

    let changed = env
        .admin(
            "PATCH",
            &format!("/admin/identity-providers/{id}"),
            Some(&admin),
            Some(json!({"admin_claims": {"groups": "fleet-approvers"}})),
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.json);
    assert_eq!(
        changed.json["admin_claims"],
        json!({"groups": "fleet-approvers"})
    );
    assert!(console_page().await.contains("Sign in with Corp IdP"));

    let driver = start_driver().await;
    let through_provider = async |login: &str| {
        let (browser, profile) = start_browser(&driver).await;
        browser
            .goto(&format!("{base}/admin/console"))
            .await
            .unwrap();
        browser
            .wait()
            .for_element(Locator::LinkText("Sign in with Corp IdP"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        sign_in_upstream(&browser, login).await;
        (browser, profile)
    };

    // bob lacks the group: refused, with the reason.
    let (browser, profile) = through_provider("bob").await;
    let refused = page_text(&browser).await;
    assert!(
        refused.contains("may not administer devicegate")
            && refused.contains("lacks groups = fleet-approvers"),
        "{refused}"
    );
    browser.close().await.unwrap();
    let _ = std::fs::remove_dir_all(&profile);

    // ada has it: the console, and no devicegate user was made for her.
    let (browser, profile) = through_provider("ada").await;
    browser
        .wait()
        .for_element(Locator::Css(CONSOLE_NAV))
        .await
        .unwrap();
    assert!(page_text(&browser).await.contains("Devices"));
    assert!(users(&env, &admin).await.is_empty());

    // Disabling the provider signs her console out at the next page.
    let disabled = env
        .admin(
            "PATCH",
            &format!("/admin/identity-providers/{id}"),
            Some(&admin),
            Some(json!({"enabled": false})),
        )
        .await;
    assert_eq!(disabled.status, 200, "{}", disabled.json);
    browser
        .goto(&format!("{base}/admin/console/devices"))
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Id("admin_key"))
        .await
        .unwrap();
    assert!(browser.find(Locator::Css(CONSOLE_NAV)).await.is_err());
    browser.close().await.unwrap();
    let _ = std::fs::remove_dir_all(&profile);
    drop(driver);
}
