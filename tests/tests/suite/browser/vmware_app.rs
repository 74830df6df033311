//! VMware mobile registration in a real browser: registration, approval, activation and the
//! code redeemed.

use super::*;

/// VMware mobile registration with a real browser: the register URL with a real `user_device`,
/// sign-in and the approval page (which names the device and what it says about itself), the
/// approval's 302 to the app's private-use scheme captured (a browser hands such a URL to the
/// operating system, so the form is submitted with the browser's own session cookie and CSRF
/// token by a client that stops at the redirect), activation with the raw code, the code
/// exchanged by the `oauth2` crate with the instance's own credentials, and a refresh.
#[tokio::test]
async fn a_browser_registers_a_vmware_app_which_activates_and_redeems() {
    use oauth2::{AuthorizationCode, ClientId, ClientSecret, RedirectUrl, TokenUrl};

    let mut f = fixture().await;
    f.env.deps.settings.secure_cookies = false; // plain HTTP on loopback
    let admin_key = f.env.admin_key().await;
    let base = server::serve(f.env.deps.clone()).await;
    let redirect = "com.vmware.idm.samples.mobilesso://oauth2redirect";
    let created = reqwest::Client::new()
        .post(format!("{base}/admin/templates"))
        .bearer_auth(&admin_key)
        .json(&serde_json::json!({
            "template_id": "com.vmware.idm.samples",
            "redirect_uris": [redirect],
            "scopes": ["user"]
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let user_device = serde_json::json!({
        "deviceUdid": "0b1c2d3e-4f50-4a6b-8c7d-8e9f00112233",
        "deviceOS": "iOS",
        "deviceOSVersion": "18.1",
        "deviceModel": "iPhone15,2",
        "deviceName": "Ada's iPhone"
    })
    .to_string();
    let mut url = url::Url::parse(&format!("{base}/SAAS/auth/device/register")).unwrap();
    url.query_pairs_mut()
        .append_pair("app_product_id", "com.vmware.idm.samples")
        .append_pair("device_name", "Ada's iPhone")
        .append_pair("user_device", &user_device)
        .append_pair("response_type", "code")
        .append_pair("type", "register")
        .append_pair("redirect_uri", redirect)
        .append_pair("state", "st-vm")
        .append_pair("scope", "user");

    let driver = start_driver().await;
    let (browser, profile) = start_browser(&driver).await;
    browser.goto(url.as_str()).await.unwrap();
    type_into(&browser, "username", "ada").await;
    type_into(&browser, "password", "correct horse battery").await;
    click(&browser, "button[type=submit]").await;
    wait_for(&browser, Locator::Css("button[value=approve]")).await;
    assert_eq!(text_of(&browser, "h1").await, "Register this app?");
    let text = text_of(&browser, "main").await;
    assert!(
        text.contains("Ada's iPhone") && text.contains("iPhone15,2"),
        "{text}"
    );
    assert_fits_a_phone(&browser).await;
    save_screenshot(&browser, "vmware-register-page").await;

    // The Allow button's form, submitted with the browser's session, stopping at the 302.
    let field = |name: &'static str| {
        let browser = &browser;
        async move {
            browser
                .find(Locator::Css(&format!("form input[name={name}]")))
                .await
                .unwrap()
                .prop("value")
                .await
                .unwrap()
                .unwrap()
        }
    };
    let (csrf, request) = (field("csrf").await, field("request").await);
    let cookies = browser.get_all_cookies().await.unwrap();
    let cookie_header = cookies
        .iter()
        .map(|c| format!("{}={}", c.name(), c.value()))
        .collect::<Vec<_>>()
        .join("; ");
    browser.close().await.unwrap();
    let _ = std::fs::remove_dir_all(&profile);
    let approved = http_client()
        .post(format!("{base}/SAAS/auth/device/register"))
        .header("cookie", cookie_header)
        .form(&[
            ("action", "approve"),
            ("csrf", &csrf),
            ("request", &request),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(approved.status(), 302);
    let back = url::Url::parse(approved.headers()["location"].to_str().unwrap()).unwrap();
    assert_eq!(back.scheme(), "com.vmware.idm.samples.mobilesso");
    let param = |name: &str| {
        back.query_pairs()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.into_owned())
            .unwrap()
    };
    assert_eq!(param("state"), "st-vm");

    let activated: serde_json::Value = reqwest::Client::new()
        .post(format!("{base}/SAAS/API/1.0/REST/oauth2/activate"))
        .body(param("activation_code"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let instance = oauth2::basic::BasicClient::new(ClientId::new(
        activated["client_id"].as_str().unwrap().to_owned(),
    ))
    .set_client_secret(ClientSecret::new(
        activated["client_secret"].as_str().unwrap().to_owned(),
    ))
    .set_token_uri(TokenUrl::new(format!("{base}/SAAS/auth/oauthtoken")).unwrap())
    .set_redirect_uri(RedirectUrl::new(redirect.into()).unwrap());
    let http = http_client();
    let token = instance
        .exchange_code(AuthorizationCode::new(param("code")))
        .request_async(&http)
        .await
        .unwrap();
    instance
        .exchange_refresh_token(token.refresh_token().unwrap())
        .request_async(&http)
        .await
        .unwrap();
    drop(driver);
}
