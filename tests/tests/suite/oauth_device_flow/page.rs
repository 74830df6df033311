//! The verification page: forged forms and wrong codes refused and limited, and each page
//! light (no scripts, nothing else loaded).

use devicegate::model::CodeStatus;
use devicegate::usecases::admin::{self, NewUser};
use devicegate_tests::oauth::{Person, csrf_of, fixture};
use devicegate_tests::server;

use super::{start, stored_code};

#[tokio::test]
async fn the_page_refuses_forged_forms_and_limits_wrong_codes() {
    let f = fixture().await;
    let base = server::serve(f.env.deps.clone()).await;
    let started = start(&f, &format!("client_id={}", f.cli_id)).await;
    let user_code = started.str("user_code");

    // Wrong password: 401, no session.
    let person = Person::new(&base);
    let (status, page) = person.sign_in("wrong password!").await;
    assert_eq!(status, 401);
    assert!(page.contains("Wrong username or password. Check them and try again."));

    // A forged approval (no CSRF token, or another session's) changes nothing.
    person.sign_in("correct horse battery").await;
    let (status, _) = person
        .post(&[("action", "approve"), ("user_code", &user_code)])
        .await;
    assert_eq!(status, 403);
    admin::create_user(
        f.env.store(),
        NewUser {
            username: "grace".into(),
            password: "hopper hopper".into(),
            display_name: None,
            email: None,
            email_verified: false,
        },
        devicegate::http::now(),
        &devicegate_tests::origin(),
    )
    .await
    .unwrap();
    let other = Person::new(&base);
    other.sign_in_as("grace", "hopper hopper").await;
    let (_, other_page) = other.get("/device").await;
    let (status, _) = person
        .post(&[
            ("action", "approve"),
            ("csrf", &csrf_of(&other_page)),
            ("user_code", &user_code),
        ])
        .await;
    assert_eq!(status, 403);
    let code = stored_code(&f, &started).await;
    assert_eq!(code.status, CodeStatus::Pending);

    // A GET with a live code fills the form in, says nothing is wrong, and asks nothing yet.
    let (status, page) = person.get(&format!("/device?user_code={user_code}")).await;
    assert_eq!(status, 200);
    assert!(page.contains(&format!("value=\"{user_code}\"")));
    assert!(!page.contains("Approve this device?"));
    assert!(!page.contains("role=\"alert\""), "{page}");

    // Wrong codes: 10 a day per user, then 429 even for the right code.
    for attempt in 0..10 {
        let (status, page) = person.decide("BBBB-BBBB", "approve").await;
        assert_eq!(status, 400, "attempt {attempt}: {page}");
        assert!(page.contains("not valid"));
    }
    let (status, page) = person.decide(&user_code, "approve").await;
    assert_eq!(status, 429, "{page}");
    assert!(page.contains("Too many failed attempts; try again in"));
    // Case, spaces and dashes are ignored for another user, who is not limited.
    let (status, page) = other
        .decide(&user_code.to_lowercase().replace('-', " "), "approve")
        .await;
    assert_eq!(status, 200, "{page}");
}

/// Page weight: each page is one self-contained HTML document (no scripts, images, fonts or
/// other requests). Bytes are stable, so they get a budget.
#[tokio::test]
async fn the_page_stays_light() {
    let f = fixture().await;
    let base = server::serve(f.env.deps.clone()).await;
    let started = start(&f, &format!("client_id={}&scope=read", f.cli_id)).await;
    let person = Person::new(&base);
    let (_, sign_in) = person.get("/device").await;
    let (_, enter) = person.sign_in("correct horse battery").await;
    let (_, confirm) = person
        .post(&[
            ("action", "find"),
            ("csrf", &csrf_of(&enter)),
            ("user_code", &started.str("user_code")),
        ])
        .await;
    assert!(confirm.contains("Approve this device?"));
    for (name, page) in [
        ("sign-in", &sign_in),
        ("enter code", &enter),
        ("confirm", &confirm),
    ] {
        eprintln!("page weight, {name}: {} bytes", page.len());
        assert!(page.len() < 5 * 1024, "{name} page is {} bytes", page.len());
        assert!(!page.contains("<script"), "{name} page has a script");
        assert!(
            !page.contains(" src="),
            "{name} page loads another resource"
        );
    }
}
