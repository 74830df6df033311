//! The verification page in a real browser: sign in, enter the code and approve while the
//! `oauth2` crate polls.

use super::*;

#[tokio::test]
async fn a_browser_signs_in_and_approves_while_the_client_polls() {
    let mut f = fixture().await;
    f.env.deps.settings.secure_cookies = false; // plain HTTP on loopback
    let env = &f.env;
    let base = server::serve(env.deps.clone()).await;

    let client = crate_client(&f.cli_id, &base);
    let http = http_client();
    let details = start_device_flow(&client, &http, "write").await;
    let user_code = details.user_code().secret().clone();
    let complete = details
        .verification_uri_complete()
        .unwrap()
        .secret()
        .clone();

    // The CLI polls in the background while the person uses the browser.
    let polling = tokio::spawn(async move {
        client
            .exchange_device_access_token(&details)
            .request_async(&http, tokio::time::sleep, Some(Duration::from_secs(90)))
            .await
    });

    let driver = start_driver().await;
    let (browser, profile) = start_browser(&driver).await;

    // verification_uri_complete: sign in first, and the code comes along.
    browser.goto(&complete).await.unwrap();
    type_into(&browser, "username", "ada").await;
    type_into(&browser, "password", "correct horse battery").await;
    click(&browser, "button[type=submit]").await;

    // The code is filled in, but nothing happens without the person's click.
    let field = wait_for(&browser, Locator::Id("user_code")).await;
    assert_eq!(
        field.prop("value").await.unwrap().as_deref(),
        Some(user_code.as_str())
    );
    click(&browser, "form button[type=submit]").await;

    // The confirmation names the client and the scope; the person approves.
    wait_for(&browser, Locator::Css("button[value=approve]")).await;
    assert_eq!(text_of(&browser, "h1").await, "Approve this device?");
    let text = text_of(&browser, "main").await;
    assert!(text.contains("Acme CLI"), "{text}");
    assert!(text.contains("write"), "{text}");
    assert!(text.contains(&user_code), "{text}");
    // Phone-sized: the layout fits a 390 px viewport without sideways scrolling.
    assert_fits_a_phone(&browser).await;
    save_screenshot(&browser, "confirm-page").await;
    click(&browser, "button[value=approve]").await;
    wait_for(&browser, Locator::Css("p.ok")).await;
    assert_eq!(text_of(&browser, "h1").await, "Device connected");
    browser.close().await.unwrap();
    let _ = std::fs::remove_dir_all(&profile);

    let token = polling.await.unwrap().unwrap();
    assert!(token.access_token().secret().starts_with("dga_"));
    assert_eq!(
        token
            .scopes()
            .map(|s| s.iter().map(|s| s.to_string()).collect::<Vec<_>>()),
        Some(vec!["write".to_owned()])
    );
    drop(driver);
}
