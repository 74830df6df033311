//! The admin console in a real browser: an administrator approves, denies and makes a key while
//! devices poll.

use super::*;

#[tokio::test]
async fn an_administrator_approves_denies_and_makes_a_key_in_the_console() {
    let mut env = TestEnv::new().await;
    env.deps.settings.secure_cookies = false; // plain HTTP on loopback
    let admin_key = env.admin_key().await;
    let api_key = env.api_key(ApiKeySettings::default()).await;
    let mut codes = Vec::new();
    for id in ["printer-yes", "printer-no", "printer-forged"] {
        codes.push(env.register_code(&register_body(id, &api_key)).await);
    }
    let pending = env.poll_due("printer-yes", &api_key, &codes[0]).await;
    assert_eq!(pending.error(), "authorization_pending");
    let base = server::serve(env.deps.clone()).await;

    let driver = start_driver().await;
    let (browser, profile) = start_browser(&driver).await;
    browser
        .goto(&format!("{base}/admin/console"))
        .await
        .unwrap();
    type_into(&browser, "admin_key", &admin_key).await;
    click(&browser, "button[type=submit]").await;

    // Pending devices come first, each with its type, key type and registration time.
    let item = wait_for(&browser, Locator::Id("pending-printer-yes")).await;
    let text = item.text().await.unwrap();
    assert!(
        text.contains("printer") && text.contains("registered"),
        "{text}"
    );
    assert!(
        !browser
            .current_url()
            .await
            .unwrap()
            .as_str()
            .contains(&admin_key)
    );
    let script_sees = browser
        .execute("return document.cookie", vec![])
        .await
        .unwrap();
    assert!(
        !script_sees.to_string().contains(&admin_key),
        "the cookie is HttpOnly"
    );
    assert_fits_a_phone(&browser).await;
    save_screenshot(&browser, "console-devices").await;

    // Approve one: its next poll gets its tokens.
    click(&browser, "#pending-printer-yes form.approve button").await;
    wait_for(&browser, Locator::Id("approved-printer-yes")).await;
    let tokens = env.poll_due("printer-yes", &api_key, &codes[0]).await;
    assert_eq!(tokens.status, 200, "{}", tokens.json);
    assert!(tokens.str("access_token").starts_with("dga_"));

    // Deny another: its next poll is refused.
    click(&browser, "#pending-printer-no form.deny button").await;
    browser
        .wait()
        .for_element(Locator::Css("form.confirm button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(&browser, Locator::Id("denied-printer-no")).await;
    let denied = env.poll_due("printer-no", &api_key, &codes[1]).await;
    assert_eq!((denied.status, denied.error()), (400, "access_denied"));

    // A form without its CSRF token, sent with the admin cookie, changes nothing.
    let before = env.snapshot().await;
    browser
        .execute(
            "document.querySelectorAll('#pending-printer-forged input[name=csrf]')\
             .forEach(e => e.remove())",
            vec![],
        )
        .await
        .unwrap();
    click(&browser, "#pending-printer-forged form.approve button").await;
    wait_for(
        &browser,
        Locator::XPath("//p[@role='alert'][contains(., 'expired')]"),
    )
    .await;
    assert_eq!(env.snapshot().await, before);
    assert_eq!(
        env.device("printer-forged").await.unwrap().status,
        DeviceStatus::Pending
    );

    // A new API key is shown once.
    click(&browser, "nav a[href='/admin/console/api-keys']").await;
    type_into(&browser, "name", "fleet 2027").await;
    click(&browser, "#auto_trust").await;
    click(&browser, "form.create button").await;
    let shown = wait_for(&browser, Locator::Id("new-api-key")).await;
    let new_key = shown.text().await.unwrap();
    assert!(new_key.starts_with("dgk_"), "{new_key}");
    let auto = env
        .register(&register_body("printer-auto", &new_key), None)
        .await;
    assert_eq!(auto.status, 200, "the new key works: {}", auto.json);
    assert_eq!(
        env.device("printer-auto").await.unwrap().status,
        DeviceStatus::Approved,
        "and trusts its devices as asked"
    );
    browser
        .goto(&format!("{base}/admin/console/api-keys"))
        .await
        .unwrap();
    // The list shows the key by name, and nothing shows its value.
    wait_for(
        &browser,
        Locator::XPath("//div[@class='item'][contains(., 'fleet 2027')]"),
    )
    .await;
    let source = browser.source().await.unwrap();
    assert!(!source.contains("new-api-key"), "{source}");
    assert!(!source.contains(&new_key), "the key is not shown again");

    // Signing out ends it: the console sends the browser back to sign in.
    click(&browser, "form.sign_out button").await;
    wait_for(&browser, Locator::Id("admin_key")).await;
    browser
        .goto(&format!("{base}/admin/console/devices"))
        .await
        .unwrap();
    wait_for(&browser, Locator::Id("admin_key")).await;
    browser.close().await.unwrap();
    let _ = std::fs::remove_dir_all(&profile);
    drop(driver);
}
