//! The devices section lists OAuth device flows waiting for a person (a user code not yet
//! typed): the client by name, when it started and expires, where from; a decided flow leaves
//! the list. At 1280 and 390 px.

use devicegate_tests::oauth::acme_clients;

use super::{Console, WIDTHS};

#[tokio::test]
async fn device_flows_waiting_for_a_person_are_listed_with_client_and_age() {
    for width in WIDTHS {
        let c = Console::open(width, &["printer-lobby"]).await;
        c.go("devices").await;
        assert!(
            c.text("body")
                .await
                .contains("No device is waiting for someone"),
            "nothing waits yet"
        );
        let (cli, _) = acme_clients(&c.env, devicegate::http::now()).await;
        let http = reqwest::Client::new();
        let started: serde_json::Value = http
            .post(format!("{}/oauth2/device_authorization", c.base))
            .form(&[
                ("client_id", cli.client.client_id.as_str()),
                ("scope", "read"),
            ])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(started["user_code"].is_string(), "{started}");

        c.go("devices").await;
        let item = c.text("div.item.waiting").await;
        for part in [
            "Acme CLI",
            &cli.client.client_id,
            "started just now",
            "from 127.0.0.1",
            "read",
        ] {
            assert!(item.contains(part), "{part:?} in {item:?}");
        }
        // The Paragon registration waits for an administrator, not in this list.
        assert!(!item.contains("printer-lobby"), "{item}");
        assert!(c.text("h2").await.contains("(1)"));
        c.assert_fits().await;
        c.shot("devices-waiting").await;

        // The search narrows it like every list.
        c.go("devices?q=nothing-like-this").await;
        assert!(
            c.text("body")
                .await
                .contains("No device is waiting for someone")
        );
        c.close().await;
    }
}
