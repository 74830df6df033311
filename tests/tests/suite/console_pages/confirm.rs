//! Deny, Revoke, Disable and Delete ask first, without script: the button answers a page that
//! says what will happen to what, Cancel changes nothing, and only Confirm acts. Times read as
//! a person says them (the exact time on hover), grants by name; at 1280 and 390 px.

use devicegate::model::{DeviceStatus, GrantType, OAuthClientType, Origin};
use devicegate::usecases::admin::{self, NewClient};

use super::{Console, WIDTHS};

#[tokio::test]
async fn destructive_actions_ask_first_and_cancel_changes_nothing() {
    for width in WIDTHS {
        let c = Console::open(width, &["printer-no", "printer-kept"]).await;
        c.wait("#pending-printer-no").await;

        // Deny asks: the page names the device and says what happens; nothing changed yet.
        let before = c.env.snapshot().await;
        c.click("#pending-printer-no form.deny button").await;
        c.wait("form.confirm").await;
        assert_eq!(c.text("h1").await, "Deny this device?");
        assert_eq!(c.text("#confirm-target").await, "printer-no");
        let warning = c.alert("next poll").await;
        assert!(warning.contains("Confirm to go ahead"), "{warning}");
        assert_eq!(c.env.snapshot().await, before, "asking stores nothing");
        c.shot("confirm").await;

        // Cancel: back to the list, still waiting.
        c.click("a.cancel").await;
        c.wait("#pending-printer-no").await;
        assert_eq!(c.env.snapshot().await, before);
        let status = c.env.device("printer-no").await.unwrap().status;
        assert_eq!(status, DeviceStatus::Pending);

        // Confirm: denied, and the device's next poll hears so.
        c.click("#pending-printer-no form.deny button").await;
        c.click("form.confirm button").await;
        c.wait("#denied-printer-no").await;
        c.alert("Device is now denied").await;
        let status = c.env.device("printer-no").await.unwrap().status;
        assert_eq!(status, DeviceStatus::Denied);

        // Revoke asks too, and so does disabling an API key.
        c.click("#denied-printer-no form.revoke button").await;
        assert_eq!(c.text("h1").await, "Revoke this device?");
        c.click("form.confirm button").await;
        c.wait("#revoked-printer-no").await;
        c.go("api-keys").await;
        c.click("form.disable button").await;
        assert_eq!(c.text("h1").await, "Disable this API key?");
        c.click("a.cancel").await;
        c.wait("form.create").await;
        let keys = c.env.store().list_api_keys().await.unwrap();
        assert!(keys.iter().all(|k| !k.disabled), "cancelled");
        c.close().await;
    }
}

#[tokio::test]
async fn times_read_as_a_person_says_them_and_grants_by_name() {
    for width in WIDTHS {
        let c = Console::open(width, &["printer-new"]).await;
        let new = NewClient::new(
            "Acme CLI",
            OAuthClientType::Public,
            vec![GrantType::DeviceCode, GrantType::RefreshToken],
        );
        let origin = Origin::system("test");
        admin::create_client(c.env.store(), new, devicegate::http::now(), &origin)
            .await
            .unwrap();

        // The device registered a moment ago: "just now", the exact time its title.
        c.go("devices").await;
        let time = c.wait("#pending-printer-new time").await;
        assert_eq!(time.text().await.unwrap(), "just now");
        let exact = time.attr("title").await.unwrap().unwrap_or_default();
        let iso = time.attr("datetime").await.unwrap().unwrap_or_default();
        assert!(exact.ends_with(" UTC") && exact.len() == 23, "{exact}");
        assert!(iso.ends_with('Z') && iso.contains('T'), "{iso}");
        assert_eq!(iso.get(..10), exact.get(..10), "the same day");
        c.shot("devices").await;

        c.go("clients").await;
        let grants = c.text("span.grants").await;
        assert_eq!(grants, "Device code, Refresh token");
        let page = c.text("main").await;
        assert!(!page.contains("urn:ietf"), "{page}");
        let raw =
            "return /\\d{4}-\\d\\d-\\d\\dT\\d/.test(document.querySelector('main').innerText)";
        let raw = c.browser.execute(raw, vec![]).await.unwrap();
        assert_eq!(
            raw,
            serde_json::Value::Bool(false),
            "no raw ISO time: {page}"
        );
        c.shot("clients").await;
        c.close().await;
    }
}
