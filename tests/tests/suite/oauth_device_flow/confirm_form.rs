//! The confirm form's reference to what its session found: good only for that session, code
//! and client, worthless once tampered with or stale, and never granting what the page did
//! not show.

use devicegate::model::CodeStatus;
use devicegate_tests::oauth::{Person, csrf_of, fixture};
use devicegate_tests::server;

use super::start;

/// The confirm form's reference to what its session found lets the decision skip the counted
/// lookup, but only for that session, that code and that client: anything else is looked up
/// again the counted way.
#[tokio::test]
async fn a_confirmation_is_good_only_for_its_own_session_and_code() {
    let f = fixture().await;
    let env = &f.env;
    let base = server::serve(env.deps.clone()).await;
    let (alice, other) = (Person::new(&base), Person::new(&base));
    alice.sign_in("correct horse battery").await;
    other.sign_in("correct horse battery").await;
    let units = || env.calls.take_write_units();
    let start_one = || async {
        let started = start(&f, &format!("client_id={}", f.cli_id)).await;
        assert_eq!(started.status, 200, "{:?}", started.json);
        started.str("user_code")
    };

    // Another session's confirmation: counted again (8 units), then decided.
    let code = start_one().await;
    let (_, confirm) = alice.find(&code).await;
    let reference = devicegate_tests::oauth::hidden_of(&confirm, "request");
    let (_, own_form) = other.find(&code).await;
    units();
    let (status, page) = other
        .post(&[
            ("action", "deny"),
            ("csrf", &csrf_of(&own_form)),
            ("user_code", &code),
            ("request", &reference),
        ])
        .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(
        units(),
        4 + 4,
        "another session's confirmation was taken (the decision and its audit record: a 2-item transaction)"
    );

    // Its own confirmation, altered to name another code, or sent with another typed code:
    // counted again; a wrong typed code is a wrong code.
    let (first, second) = (start_one().await, start_one().await);
    let (_, confirm) = alice.find(&first).await;
    let reference = devicegate_tests::oauth::hidden_of(&confirm, "request");
    let (mac, rest) = reference.split_once('.').unwrap();
    let altered = format!("{mac}.{}{}", "0".repeat(64), &rest[64..]);
    units();
    let (status, _) = alice
        .post(&[
            ("action", "approve"),
            ("csrf", &csrf_of(&confirm)),
            ("user_code", &second),
            ("request", &altered),
        ])
        .await;
    assert_eq!(status, 200);
    assert_eq!(units(), 4 + 4, "an altered confirmation was taken");
    assert_eq!(
        env.device_code_by_user_code(&second).await.status,
        CodeStatus::Approved
    );
    assert_eq!(
        env.device_code_by_user_code(&first).await.status,
        CodeStatus::Pending,
        "the confirmation's own code was decided"
    );
    let (status, page) = alice
        .post(&[
            ("action", "approve"),
            ("csrf", &csrf_of(&confirm)),
            ("user_code", "BCDF-GHJK"),
            ("request", &reference),
        ])
        .await;
    assert_eq!(status, 400, "{page}");
    assert_eq!(
        units(),
        4,
        "a wrong code takes an attempt from each counter and leaves its user_code.rejected record"
    );

    // Untouched, for its own code: one conditional write.
    let (status, page) = alice
        .post(&[
            ("action", "approve"),
            ("csrf", &csrf_of(&confirm)),
            ("user_code", &first),
            ("request", &reference),
        ])
        .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(units(), 4, "the decision and its audit record");
}

/// Review probes of the confirm form's reference: malformed values never fail the page and
/// are looked up the counted way; a reference dies with its session; a code that changed after
/// it was found (client disabled, expired, decided elsewhere) is refused as the lookup would.
#[tokio::test]
async fn a_confirmation_survives_no_tampering_sign_out_or_change() {
    let f = fixture().await;
    let env = &f.env;
    let base = server::serve(env.deps.clone()).await;
    let alice = Person::new(&base);
    alice.sign_in("correct horse battery").await;
    let units = || env.calls.take_write_units();
    let start_one = || async {
        let started = start(&f, &format!("client_id={}", f.cli_id)).await;
        assert_eq!(started.status, 200, "{:?}", started.json);
        started.str("user_code")
    };

    // Malformed references, sent with a code already decided: never a 500, always the counted
    // lookup (an attempt taken and given back), the code's own refusal.
    let decided = start_one().await;
    let (_, confirm) = alice.find(&decided).await;
    let reference = devicegate_tests::oauth::hidden_of(&confirm, "request");
    let (status, _) = alice.decide(&decided, "deny").await;
    assert_eq!(status, 200);
    let (mac, rest) = reference.split_once('.').unwrap();
    let (hash, client) = rest.split_once('.').unwrap();
    let huge = "9".repeat(5_000);
    let malformed = [
        ".".to_owned(),
        "..".into(),
        "...".into(),
        "a.b".into(),
        mac.to_owned(),
        format!("{mac}.{hash}"),
        format!("{mac}.{hash}."),
        format!(".{hash}.{client}"),
        format!("{mac}..{client}"),
        format!("{mac}.{hash}.{client}."),
        format!("{mac}.{hash}.{client}\0"),
        format!("{mac}.{hash}\0.{client}"),
        format!("{}.{hash}.{client}", mac.to_uppercase()),
        format!("{}.{hash}.{client}", &mac[..63]),
        format!("é{}.{hash}.{client}", &mac[2..]),
        format!("{mac}.{huge}.{client}"),
        format!("{huge}.{huge}.{huge}"),
        "\u{fffd}.\u{1f600}.\u{0}".into(),
    ];
    for bad in &malformed {
        units();
        let (status, page) = alice
            .post(&[
                ("action", "approve"),
                ("csrf", &csrf_of(&confirm)),
                ("user_code", &decided),
                ("request", bad),
            ])
            .await;
        assert_eq!(status, 409, "{bad:.80}: {page}");
        assert_eq!(units(), 4, "{bad:.80}: counted");
    }

    // Signed out: the reference is worth nothing, and signed in again, it is another session's.
    let code = start_one().await;
    let (_, confirm) = alice.find(&code).await;
    let reference = devicegate_tests::oauth::hidden_of(&confirm, "request");
    let (status, _) = alice
        .post(&[("action", "sign_out"), ("csrf", &csrf_of(&confirm))])
        .await;
    assert_eq!(status, 200);
    let replay = [
        ("action", "approve"),
        ("csrf", &csrf_of(&confirm)),
        ("user_code", &code),
        ("request", &reference),
    ];
    let (status, page) = alice.post(&replay).await;
    assert_eq!(status, 403, "{page}");
    assert_eq!(
        env.device_code_by_user_code(&code).await.status,
        CodeStatus::Pending
    );
    let (_, page) = alice.sign_in("correct horse battery").await;
    units();
    let (status, page) = alice
        .post(&[
            ("action", "deny"),
            ("csrf", &csrf_of(&page)),
            ("user_code", &code),
            ("request", &reference),
        ])
        .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(
        units(),
        4 + 4,
        "the old session's reference was counted again"
    );

    // Changed after it was found: the client disabled, the code expired or decided elsewhere.
    let clients = env.store().tables().clients.clone();
    let codes = env.store().tables().device_codes.clone();
    let code = start_one().await;
    let (_, confirm) = alice.find(&code).await;
    let decide = |action: &'static str| {
        let confirm = confirm.clone();
        let code = code.clone();
        let alice = &alice;
        async move {
            alice
                .post(&[
                    ("action", action),
                    ("csrf", &csrf_of(&confirm)),
                    ("user_code", &code),
                    (
                        "request",
                        &devicegate_tests::oauth::hidden_of(&confirm, "request"),
                    ),
                ])
                .await
        }
    };
    let hash = env.device_code_by_user_code(&code).await.code_hash;
    env.edit_item(
        &clients,
        ("client_id", &f.cli_id),
        "SET disabled = :v",
        aws_sdk_dynamodb::types::AttributeValue::Bool(true),
    )
    .await;
    let (status, page) = decide("approve").await;
    assert_eq!(status, 400, "{page}");
    assert!(
        page.contains("This application has been disabled. Ask your administrator."),
        "{page}"
    );
    env.edit_item(
        &clients,
        ("client_id", &f.cli_id),
        "SET disabled = :v",
        aws_sdk_dynamodb::types::AttributeValue::Bool(false),
    )
    .await;
    env.edit_item(
        &codes,
        ("code_hash", &hash),
        "SET expires_at = :v",
        devicegate_tests::number(devicegate::http::now() - 1),
    )
    .await;
    let (status, page) = decide("approve").await;
    assert_eq!(status, 400, "{page}");
    assert!(page.contains("expired"), "{page}");
    env.edit_item(
        &codes,
        ("code_hash", &hash),
        "SET expires_at = :v",
        devicegate_tests::number(devicegate::http::now() + 600),
    )
    .await;
    let bob = Person::new(&base);
    bob.sign_in("correct horse battery").await;
    assert_eq!(bob.decide(&code, "deny").await.0, 200);
    let (status, page) = decide("approve").await;
    assert_eq!(status, 409, "{page}");
    assert_eq!(
        env.device_code_by_user_code(&code).await.status,
        CodeStatus::Denied
    );
}

/// A request that asked for no scope grants the client's whole scope, fixed when the person
/// approves. If an administrator changes the client's scope between the page showing it and the
/// person pressing Approve, the page shows the request again instead of granting what the
/// person never saw; only a second Approve, on what is shown now, decides.
#[tokio::test]
async fn an_approval_grants_what_the_page_showed_or_shows_it_again() {
    use aws_sdk_dynamodb::types::AttributeValue;
    let f = fixture().await;
    let env = &f.env;
    let base = server::serve(env.deps.clone()).await;
    let alice = Person::new(&base);
    alice.sign_in("correct horse battery").await;
    let started = start(&f, &format!("client_id={}", f.cli_id)).await;
    let user_code = started.str("user_code");
    let (_, confirm) = alice.find(&user_code).await;
    assert!(confirm.contains("<code>write</code>"), "{confirm}");
    assert!(!confirm.contains("<code>admin</code>"), "{confirm}");

    let clients = env.store().tables().clients.clone();
    let widened = ["admin", "read", "write"].map(|s| AttributeValue::S(s.into()));
    env.edit_item(
        &clients,
        ("client_id", &f.cli_id),
        "SET scopes = :v",
        AttributeValue::L(widened.to_vec()),
    )
    .await;
    let approve = |page: String| {
        let user_code = user_code.clone();
        let alice = &alice;
        async move {
            alice
                .post(&[
                    ("action", "approve"),
                    ("csrf", &csrf_of(&page)),
                    ("user_code", &user_code),
                    (
                        "request",
                        &devicegate_tests::oauth::hidden_of(&page, "request"),
                    ),
                ])
                .await
        }
    };
    let (status, again) = approve(confirm).await;
    assert_eq!(status, 200, "{again}");
    assert!(again.contains("has changed since you saw it"), "{again}");
    assert!(again.contains("<code>admin</code>"), "{again}");
    assert_eq!(
        env.device_code_by_user_code(&user_code).await.status,
        CodeStatus::Pending,
        "approved what the page never showed"
    );

    let (status, done) = approve(again).await;
    assert_eq!(status, 200, "{done}");
    let code = env.device_code_by_user_code(&user_code).await;
    assert_eq!(code.status, CodeStatus::Approved);
    assert_eq!(code.scope.as_deref(), Some("admin read write"));
}
