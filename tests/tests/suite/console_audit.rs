//! The audit trail in the admin console (`/admin/console/audit`) with a real browser: decisions
//! taken in the console show up in the table, the filter form narrows it by subject and by
//! type, a device's "History" link shows that device's records only, the "Older" link pages
//! with the API's cursor and keeps the filters, a bad filter is a 400 page naming it, and the
//! page fits a phone.

use devicegate::model::{ApiKeySettings, Origin};
use devicegate::usecases::admin;
use devicegate_tests::browser::{start_browser, start_driver};
use devicegate_tests::{TestEnv, register_body, server};
use fantoccini::{Client as Browser, Locator};
use serde_json::Value;

/// One row of the audit table as the page shows it.
#[derive(Debug)]
struct Row {
    id: String,
    kind: String,
    actor: String,
    subject: String,
    outcome: String,
    dialect: String,
    time: String,
    exact: String,
}

/// Every row of the audit table on the page, top to bottom.
async fn rows(browser: &Browser) -> Vec<Row> {
    browser
        .wait()
        .for_element(Locator::Css("h1"))
        .await
        .unwrap();
    let script = "return [...document.querySelectorAll('table.audit tbody tr')].map(r => {\
        const cell = c => r.querySelector('td.' + c).textContent.trim();\
        const time = r.querySelector('td.time time');\
        return [r.id, cell('type'), cell('actor'), cell('subject'), cell('outcome'),\
                cell('dialect'), time.textContent.trim(), time.getAttribute('title')];\
    })";
    let found = browser.execute(script, vec![]).await.unwrap();
    let text = |row: &Value, i: usize| row[i].as_str().unwrap_or_default().to_owned();
    found
        .as_array()
        .unwrap()
        .iter()
        .map(|r| Row {
            id: text(r, 0),
            kind: text(r, 1),
            actor: text(r, 2),
            subject: text(r, 3),
            outcome: text(r, 4),
            dialect: text(r, 5),
            time: text(r, 6),
            exact: text(r, 7),
        })
        .collect()
}

fn kinds(rows: &[Row]) -> Vec<&str> {
    rows.iter().map(|r| r.kind.as_str()).collect()
}

async fn click(browser: &Browser, css: &str) {
    browser
        .find(Locator::Css(css))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

/// Clicks what leads to another page and waits until the browser is there.
async fn follow(browser: &Browser, css: &str) -> String {
    let before = browser.current_url().await.unwrap();
    click(browser, css).await;
    for _ in 0..100 {
        let now = browser.current_url().await.unwrap();
        if now != before {
            browser
                .wait()
                .for_element(Locator::Css("h1"))
                .await
                .unwrap();
            return now.to_string();
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("{css} led nowhere from {before}");
}

async fn href_of(browser: &Browser, css: &str) -> String {
    let link = browser.find(Locator::Css(css)).await.unwrap();
    link.attr("href").await.unwrap().unwrap_or_default()
}

/// The page fits a 390 px window: the table scrolls inside its box, the page does not.
async fn assert_fits_a_phone(browser: &Browser) {
    let widths = browser
        .execute(
            "return [window.innerWidth, document.documentElement.scrollWidth]",
            vec![],
        )
        .await
        .unwrap();
    let (viewport, content) = (widths[0].as_f64().unwrap(), widths[1].as_f64().unwrap());
    assert!(viewport <= 400.0, "not phone-sized: {viewport}px");
    assert!(
        content <= viewport,
        "the page overflows a phone-sized window: {content}px in {viewport}px"
    );
}

#[tokio::test]
async fn the_console_shows_filters_and_pages_the_audit_trail() {
    let mut env = TestEnv::new().await;
    env.deps.settings.secure_cookies = false; // plain HTTP on loopback
    let admin_key = env.admin_key().await;
    let api_key = env.api_key(ApiKeySettings::default()).await;
    let retired = admin::create_api_key(
        env.store(),
        "retired",
        ApiKeySettings::default(),
        devicegate::http::now(),
        &Origin::system("test"),
    )
    .await
    .unwrap()
    .key
    .id;
    for id in ["printer-yes", "printer-no", "printer-other"] {
        env.register_code(&register_body(id, &api_key)).await;
    }
    let base = server::serve(env.deps.clone()).await;
    let driver = start_driver().await;
    let (browser, profile) = start_browser(&driver).await;
    browser
        .goto(&format!("{base}/admin/console"))
        .await
        .unwrap();
    browser
        .find(Locator::Id("admin_key"))
        .await
        .unwrap()
        .send_keys(&admin_key)
        .await
        .unwrap();
    click(&browser, "button[type=submit]").await;

    // Decisions taken in the console: approve one device, deny another, disable a key.
    browser
        .wait()
        .for_element(Locator::Id("pending-printer-yes"))
        .await
        .unwrap();
    click(&browser, "#pending-printer-yes form.approve button").await;
    browser
        .wait()
        .for_element(Locator::Id("approved-printer-yes"))
        .await
        .unwrap();
    click(&browser, "#pending-printer-no form.deny button").await;
    browser
        .wait()
        .for_element(Locator::Css("form.confirm button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Id("denied-printer-no"))
        .await
        .unwrap();
    follow(&browser, "nav a[href='/admin/console/api-keys']").await;
    let key_row = format!("#api-key-{retired}");
    assert_eq!(
        href_of(&browser, &format!("{key_row} a.history")).await,
        format!("/admin/console/audit?subject={retired}")
    );
    click(&browser, &format!("{key_row} form.disable button")).await;
    browser
        .wait()
        .for_element(Locator::Css("form.confirm button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::XPath(
            "//p[@role='alert'][contains(., 'Disabled API key retired')]",
        ))
        .await
        .unwrap();

    // The whole trail, newest first: the three decisions, the registrations, the keys made
    // (API keys and the admin key).
    follow(&browser, "nav a[href='/admin/console/audit']").await;
    let all = rows(&browser).await;
    assert_eq!(
        kinds(&all),
        [
            "api_key.disabled",
            "device.denied",
            "device.approved",
            "device.registered",
            "device.registered",
            "device.registered",
            "api_key.created",
            "api_key.created",
            "admin_key.created",
        ],
        "{all:?}"
    );
    assert_eq!(all[0].subject, retired);
    let approved = &all[2];
    assert_eq!(approved.subject, "printer-yes");
    assert!(approved.actor.starts_with("admin:"), "{approved:?}");
    assert_eq!(
        (approved.outcome.as_str(), approved.dialect.as_str()),
        ("success", "console")
    );
    // A person reads the time; the exact RFC 3339 time is its title.
    assert!(approved.time.ends_with(" UTC"), "{approved:?}");
    assert!(
        approved.exact.contains('T') && approved.exact.ends_with('Z'),
        "{approved:?}"
    );
    assert!(
        approved
            .exact
            .get(11..19)
            .is_some_and(|t| approved.time.contains(t)),
        "{approved:?}"
    );
    assert_fits_a_phone(&browser).await;
    if let Ok(png) = browser.screenshot().await {
        let _ = std::fs::write(
            std::env::temp_dir().join("devicegate-console-audit.png"),
            png,
        );
    }

    // By subject, through the form.
    browser
        .find(Locator::Id("subject"))
        .await
        .unwrap()
        .send_keys("printer-no")
        .await
        .unwrap();
    follow(&browser, "form.filters button").await;
    let found = rows(&browser).await;
    assert_eq!(kinds(&found), ["device.denied", "device.registered"]);
    assert!(found.iter().all(|r| r.subject == "printer-no"), "{found:?}");

    // By type, through the form's closed list.
    follow(&browser, "a[href='/admin/console/audit']").await;
    browser
        .find(Locator::Id("type"))
        .await
        .unwrap()
        .select_by_value("device.registered")
        .await
        .unwrap();
    follow(&browser, "form.filters button").await;
    let found = rows(&browser).await;
    assert_eq!(kinds(&found), ["device.registered"; 3]);

    // A device's History: that device's records and no other.
    follow(&browser, "nav a[href='/admin/console/devices']").await;
    follow(&browser, "#approved-printer-yes a.history").await;
    let found = rows(&browser).await;
    assert_eq!(kinds(&found), ["device.approved", "device.registered"]);
    assert!(
        found.iter().all(|r| r.subject == "printer-yes"),
        "{found:?}"
    );
    let subject = browser.find(Locator::Id("subject")).await.unwrap();
    assert_eq!(
        subject.prop("value").await.unwrap().as_deref(),
        Some("printer-yes")
    );

    // Pages of two, following "Older" to the end: every record once, in the same order.
    browser
        .goto(&format!("{base}/admin/console/audit?limit=2"))
        .await
        .unwrap();
    let mut paged = rows(&browser).await;
    assert_eq!(paged.len(), 2);
    while browser.find(Locator::Css("a.older")).await.is_ok() {
        let older = href_of(&browser, "a.older").await;
        assert!(
            older.contains("limit=2") && older.contains("cursor="),
            "{older}"
        );
        follow(&browser, "a.older").await;
        let page = rows(&browser).await;
        // A page may come back short, even empty, and still carry a cursor (as the API's).
        assert!(page.len() <= 2, "{page:?}");
        paged.extend(page);
    }
    let ids = |rows: &[Row]| rows.iter().map(|r| r.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&paged), ids(&all));

    // The cursor keeps the filters: the second page of registrations is registrations.
    browser
        .goto(&format!(
            "{base}/admin/console/audit?type=device.registered&limit=2"
        ))
        .await
        .unwrap();
    assert_eq!(rows(&browser).await.len(), 2);
    follow(&browser, "a.older").await;
    assert_eq!(kinds(&rows(&browser).await), ["device.registered"]);
    let chosen = browser.find(Locator::Css("#type option:checked")).await;
    assert_eq!(
        chosen.unwrap().attr("value").await.unwrap().as_deref(),
        Some("device.registered")
    );
    assert_fits_a_phone(&browser).await;

    // A filter that is wrong: the console's notice names it, 400, nothing stored.
    browser
        .goto(&format!("{base}/admin/console/audit?since=yesterday"))
        .await
        .unwrap();
    let alert = browser
        .wait()
        .for_element(Locator::Css("p[role=alert]"))
        .await
        .unwrap();
    let text = alert.text().await.unwrap();
    assert!(text.starts_with("Since must be"), "{text}");
    assert!(rows(&browser).await.is_empty());
    let cookie = browser.get_named_cookie("dg_admin").await.unwrap();
    let before = env.snapshot().await;
    for query in [
        "since=yesterday",
        "type=device.exploded",
        "limit=0",
        "cursor=x",
    ] {
        let reply = reqwest::Client::new()
            .get(format!("{base}/admin/console/audit?{query}"))
            .header("cookie", format!("dg_admin={}", cookie.value()))
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status().as_u16(), 400, "{query}");
        let name = query.split('=').next().unwrap_or_default();
        let html = reply.text().await.unwrap();
        let named = format!("{}{}", name[..1].to_uppercase(), &name[1..]);
        assert!(
            html.contains(&format!("role=\"alert\">{named}")),
            "{query}: {html}"
        );
    }
    assert_eq!(env.snapshot().await, before);

    browser.close().await.unwrap();
    let _ = std::fs::remove_dir_all(&profile);
    drop(driver);
}
