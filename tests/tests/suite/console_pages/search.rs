//! Every console list has a search box and pages: the text narrows the list (names, ids,
//! emails), "Next" and "Previous" page through it keeping the search, and a page that is not
//! a number is refused; at 1280 and 390 px.

use devicegate::model::{ApiKeySettings, Origin};
use devicegate::usecases::admin::{self, NewUser};

use super::{Console, WIDTHS};

#[tokio::test]
async fn every_list_is_searched_and_paged() {
    for width in WIDTHS {
        let c = Console::open(width, &["printer-lobby", "scanner-attic"]).await;
        let (store, now, origin) = (
            c.env.store(),
            devicegate::http::now(),
            Origin::system("test"),
        );
        for i in 0..30 {
            let name = format!("fleet {i:02}");
            admin::create_api_key(store, &name, ApiKeySettings::default(), now + i, &origin)
                .await
                .unwrap();
        }
        let grace = NewUser {
            username: "grace".into(),
            password: "correct horse battery".into(),
            display_name: None,
            email: Some("grace@lab.example".into()),
            email_verified: false,
        };
        admin::create_user(store, grace, now, &origin)
            .await
            .unwrap();

        // 31 keys: a page of 25, newest first, then the rest.
        c.go("api-keys").await;
        let count = "return document.querySelectorAll('div.item').length";
        assert_eq!(c.browser.execute(count, vec![]).await.unwrap(), 25);
        assert!(c.text("div.item b").await.contains("fleet 29"));
        c.shot("api-keys-paged").await;
        c.click("a.next").await;
        assert_eq!(c.browser.execute(count, vec![]).await.unwrap(), 6);
        c.wait("a.previous").await;

        // A search narrows, and says how many match; its pages keep it.
        c.type_into("q", "FLEET 1").await;
        c.click("form.search button").await;
        assert_eq!(c.browser.execute(count, vec![]).await.unwrap(), 10);
        assert!(c.text("p.found").await.starts_with("10 matches for"));
        assert_eq!(c.value("q").await, "FLEET 1");
        c.shot("api-keys-search").await;
        c.go("api-keys?q=fleet&per_page=20&page=2").await;
        assert_eq!(c.browser.execute(count, vec![]).await.unwrap(), 10);
        let previous = c.wait("a.previous").await.attr("href").await.unwrap();
        assert_eq!(
            previous.as_deref(),
            Some("/admin/console/api-keys?q=fleet&per_page=20&page=1")
        );

        // Users by email, devices by id.
        c.go("users?q=lab.example").await;
        assert_eq!(c.browser.execute(count, vec![]).await.unwrap(), 1);
        c.wait("#user-grace").await;
        c.go("devices?q=scanner").await;
        c.wait("#pending-scanner-attic").await;
        let source = c.browser.source().await.unwrap();
        assert!(!source.contains("pending-printer-lobby"));

        // A page that is not a number: refused, saying what to do.
        let reply = reqwest::Client::new()
            .get(format!("{}/admin/console/clients?page=x", c.base))
            .header("cookie", c.cookie().await)
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status().as_u16(), 400);
        let html = reply.text().await.unwrap();
        assert!(html.contains("Page must be a whole number"), "{html}");
        c.close().await;
    }
}
