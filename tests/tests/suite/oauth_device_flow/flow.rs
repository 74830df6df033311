//! The flow end to end: the `oauth2` crate through `slow_down`, approval and refresh;
//! introspection and revocation; denied, expired and twice-redeemed codes.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use devicegate::model::CodeStatus;
use devicegate_tests::oauth::{Person, crate_client, fixture, http_client, start_device_flow};
use devicegate_tests::server;
use oauth2::{RefreshToken, TokenResponse};

use super::{
    approved_tokens, introspect, poll, post_form, post_form_json, refresh, start, stored_code,
};

#[tokio::test]
async fn the_oauth2_crate_runs_the_flow_through_slow_down_approval_and_refresh() {
    let f = fixture().await;
    let base = server::serve(f.env.deps.clone()).await;
    let client = crate_client(&f.cli_id, &base);
    let http = http_client();

    let details = start_device_flow(&client, &http, "read").await;
    let user_code = details.user_code().secret().clone();
    assert_eq!(user_code.len(), 9);
    assert_eq!(&user_code[4..5], "-");
    assert_eq!(
        details.verification_uri().as_str(),
        format!("{base}/device")
    );
    assert_eq!(
        details
            .verification_uri_complete()
            .map(|u| u.secret().clone()),
        Some(format!("{base}/device?user_code={user_code}"))
    );
    assert_eq!(details.interval(), Duration::from_secs(1));

    // The person approves once the client has polled a few times.
    let person = Person::new(&base);
    let approver = {
        let user_code = user_code.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(2500)).await;
            let (status, page) = person.sign_in("correct horse battery").await;
            assert_eq!(status, 200);
            assert!(page.contains("Signed in as <b>ada</b>"), "{page}");
            let (status, page) = person.decide(&user_code, "approve").await;
            assert_eq!(status, 200, "{page}");
            assert!(page.contains("Device connected"), "{page}");
        })
    };

    // The client's sleep function skips its first wait, so its second poll comes too early:
    // the server answers slow_down and the crate adds 5 s, as RFC 8628 §3.5 says.
    let waits = Arc::new(Mutex::new(Vec::new()));
    let sleep = {
        let waits = waits.clone();
        move |d: Duration| {
            let first = {
                let mut w = waits.lock().unwrap();
                w.push(d);
                w.len() == 1
            };
            async move {
                if !first {
                    tokio::time::sleep(d).await;
                }
            }
        }
    };
    let token = client
        .exchange_device_access_token(&details)
        .request_async(&http, sleep, Some(Duration::from_secs(60)))
        .await
        .unwrap();
    approver.await.unwrap();
    let waits = waits.lock().unwrap().clone();
    assert_eq!(waits.first(), Some(&Duration::from_secs(1)));
    assert!(
        waits.contains(&Duration::from_secs(6)),
        "slow_down must grow the interval by 5 s: {waits:?}"
    );
    assert_eq!(
        token
            .scopes()
            .map(|s| s.iter().map(|s| s.to_string()).collect::<Vec<_>>()),
        Some(vec!["read".to_owned()])
    );
    assert_eq!(token.expires_in(), Some(Duration::from_secs(600)));
    let refresh = token.refresh_token().unwrap().clone();

    // Refresh with rotation; the old refresh token is then refused and its family revoked.
    let refreshed = client
        .exchange_refresh_token(&refresh)
        .request_async(&http)
        .await
        .unwrap();
    assert_ne!(
        refreshed.access_token().secret(),
        token.access_token().secret()
    );
    let reused = client
        .exchange_refresh_token(&RefreshToken::new(refresh.secret().clone()))
        .request_async(&http)
        .await;
    assert!(
        format!("{reused:?}").contains("invalid_grant"),
        "{reused:?}"
    );

    // The reuse revoked the family: the rotated-in access token introspects inactive.
    let introspected = introspect(&base, &f, refreshed.access_token().secret()).await;
    assert_eq!(introspected["active"], false, "{introspected}");
}

#[tokio::test]
async fn introspection_and_revocation() {
    let f = fixture().await;
    let base = server::serve(f.env.deps.clone()).await;
    let tokens = approved_tokens(&f, &base, "read write").await;
    let access = tokens["access_token"].as_str().unwrap();

    let active = introspect(&base, &f, access).await;
    assert_eq!(active["active"], true, "{active}");
    assert_eq!(active["username"], "ada");
    assert_eq!(active["client_id"], f.cli_id.as_str());
    assert_eq!(active["scope"], "read write");
    assert_eq!(active["token_type"], "Bearer");

    // client_secret_post works as well as HTTP Basic.
    let with_secret = [
        ("token", access),
        ("client_id", f.server_id.as_str()),
        ("client_secret", f.server_secret.as_str()),
    ];
    let posted = post_form_json(&base, "/oauth2/introspect", &with_secret, None).await;
    assert_eq!(posted["active"], true, "{posted}");

    // A public client may not introspect; a wrong secret is 401.
    let public = [("token", access), ("client_id", f.cli_id.as_str())];
    let refused = post_form(&base, "/oauth2/introspect", &public, None).await;
    assert_eq!(refused.status().as_u16(), 401);
    let wrong_secret = Some((f.server_id.as_str(), "dgs_wrong"));
    let refused = post_form(
        &base,
        "/oauth2/introspect",
        &[("token", access)],
        wrong_secret,
    )
    .await;
    assert_eq!(refused.status().as_u16(), 401);

    // Revoking an unknown token is 200 and changes nothing; revoking ours ends the family.
    for token in ["dga_unknown", tokens["refresh_token"].as_str().unwrap()] {
        let revoke = [
            ("token", token),
            ("token_type_hint", "refresh_token"),
            ("client_id", f.cli_id.as_str()),
        ];
        let r = post_form(&base, "/oauth2/revoke", &revoke, None).await;
        assert_eq!(r.status().as_u16(), 200);
    }
    assert_eq!(introspect(&base, &f, access).await["active"], false);

    // Disabling the user makes their tokens inactive too (checked on a fresh pair).
    let tokens = approved_tokens(&f, &base, "read").await;
    f.env
        .store()
        .disable_user(
            "ada",
            &devicegate_tests::setup_record(devicegate::model::AuditType::UserDisabled, "ada"),
        )
        .await
        .unwrap();
    let after = introspect(&base, &f, tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(after["active"], false);
}

#[tokio::test]
async fn denied_expired_and_twice_redeemed_codes() {
    let mut f = fixture().await;
    let base = server::serve(f.env.deps.clone()).await;
    let person = Person::new(&base);
    person.sign_in("correct horse battery").await;

    // Denied on the page: access_denied.
    let denied = start(&f, &format!("client_id={}", f.cli_id)).await;
    let (status, page) = person.decide(&denied.str("user_code"), "deny").await;
    assert_eq!(status, 200);
    assert!(page.contains("Request denied"));
    assert_eq!(
        poll(&f, &denied.str("device_code")).await.error(),
        "access_denied"
    );

    // Approved: one redemption, then a second presentation is refused and revokes the first.
    let approved = start(&f, &format!("client_id={}", f.cli_id)).await;
    person.decide(&approved.str("user_code"), "approve").await;
    let code = stored_code(&f, &approved).await;
    assert_eq!(code.status, CodeStatus::Approved);
    assert_eq!(code.owner.username(), Some("ada"));
    assert_eq!(
        code.scope.as_deref(),
        Some("read write"),
        "no scope asked: the client's"
    );
    let first = poll(&f, &approved.str("device_code")).await;
    assert_eq!(first.status, 200, "{:?}", first.json);
    let second = poll(&f, &approved.str("device_code")).await;
    assert_eq!(second.error(), "invalid_grant");
    let reused = refresh(&f, &first.str("refresh_token")).await;
    assert_eq!(reused.error(), "invalid_grant", "the family was revoked");

    // Expired (before any TTL sweep): expired_token, and the page refuses it too.
    f.env.deps.settings.device_code_ttl = 1;
    let expiring = start(&f, &format!("client_id={}", f.cli_id)).await;
    assert_eq!(expiring.json["expires_in"], 1);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(
        poll(&f, &expiring.str("device_code")).await.error(),
        "expired_token"
    );
    let (status, page) = person.decide(&expiring.str("user_code"), "approve").await;
    assert_eq!(status, 400, "{page}");
}
