//! Every sample event in `events/` replayed through its handler, in an order that tells a story
//! on a freshly seeded database; and every route of `template.yaml` has a sample event.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use devicegate::http;
use devicegate_cli::examples::seed_examples;
use devicegate_tests::*;

const EVENTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../events");

/// (file, expected status, expected error code or "")
const REPLAY: &[(&str, u16, &str)] = &[
    ("register.json", 200, ""),
    ("register-base64-body.json", 200, ""),
    ("register-signed.json", 200, ""),
    ("register-invalid-client-type.json", 400, "invalid_request"),
    ("register-unknown-api-key.json", 401, "invalid_client"),
    (
        "token-device-code-pending.json",
        400,
        "authorization_pending",
    ),
    ("token-unknown-device-code.json", 400, "invalid_grant"),
    (
        "token-unsupported-grant-type.json",
        400,
        "unsupported_grant_type",
    ),
    ("token-refresh-unknown.json", 400, "invalid_grant"),
    ("admin-unauthorized.json", 401, "unauthorized"),
    ("admin-list-devices.json", 200, ""),
    ("admin-approve-device.json", 200, ""),
    ("admin-approve-unknown-device.json", 404, "not_found"),
    ("admin-deny-device.json", 200, ""),
    ("admin-revoke-device.json", 200, ""),
    ("admin-create-api-key.json", 201, ""),
    ("admin-create-api-key-invalid.json", 400, "invalid_request"),
    ("admin-list-api-keys.json", 200, ""),
    ("admin-disable-api-key.json", 404, "not_found"),
    ("oauth2-device-authorization.json", 200, ""),
    (
        "oauth2-device-authorization-invalid-scope.json",
        400,
        "invalid_scope",
    ),
    (
        "oauth2-device-authorization-bad-secret.json",
        401,
        "invalid_client",
    ),
    (
        "oauth2-token-unknown-device-code.json",
        400,
        "invalid_grant",
    ),
    ("oauth2-token-refresh-unknown.json", 400, "invalid_grant"),
    (
        "oauth2-token-unsupported-grant-type.json",
        400,
        "unsupported_grant_type",
    ),
    ("oauth2-revoke.json", 200, ""),
    ("oauth2-introspect.json", 200, ""),
    (
        "oauth2-introspect-public-client.json",
        401,
        "invalid_client",
    ),
    ("metadata.json", 200, ""),
    ("device-page.json", 200, ""),
    ("device-page-forged-post.json", 403, ""),
    ("admin-list-clients.json", 200, ""),
    ("admin-create-client.json", 201, ""),
    ("admin-list-users.json", 200, ""),
    ("admin-create-user.json", 201, ""),
    (
        "admin-create-user-short-password.json",
        400,
        "invalid_request",
    ),
    ("admin-reset-password.json", 200, ""),
    ("admin-disable-user.json", 200, ""),
    ("oauth2-register.json", 201, ""),
    (
        "oauth2-register-bad-redirect-uri.json",
        400,
        "invalid_redirect_uri",
    ),
    (
        "oauth2-register-software-statement.json",
        400,
        "unapproved_software_statement",
    ),
    ("oauth2-register-read.json", 200, ""),
    ("oauth2-register-read-bad-token.json", 401, "invalid_token"),
    ("oauth2-register-update.json", 200, ""),
    ("oauth2-register-delete.json", 204, ""),
    ("admin-delete-client.json", 200, ""),
    ("huawei-register-client.json", 200, ""),
    (
        "huawei-register-client-confidential.json",
        400,
        "invalid_client_metadata",
    ),
    ("huawei-device-authorize.json", 200, ""),
    (
        "huawei-token-unknown-device-code.json",
        400,
        "invalid_grant",
    ),
    ("huawei-token-bad-secret.json", 401, "invalid_client"),
    ("aws-register-client.json", 200, ""),
    (
        "aws-register-client-bad-redirect-uri.json",
        400,
        "invalid_redirect_uri",
    ),
    ("aws-device-authorization.json", 200, ""),
    ("aws-token-unknown-device-code.json", 400, "invalid_grant"),
    ("admin-create-initial-access-token.json", 201, ""),
    ("admin-list-initial-access-tokens.json", 200, ""),
    (
        "admin-disable-initial-access-token-unknown.json",
        404,
        "not_found",
    ),
    ("admin-disable-client.json", 200, ""),
];

async fn replay(env: &TestEnv, file: &str) -> Reply {
    let text = std::fs::read_to_string(format!("{EVENTS}/{file}")).unwrap();
    let req = lambda_http::request::from_str(&text).unwrap_or_else(|e| panic!("{file}: {e}"));
    Reply::from(dispatch(&env.deps, req).await)
}

#[tokio::test]
async fn every_event_replays_with_its_expected_status() {
    let env = TestEnv::new().await;
    assert!(
        seed_examples(env.store(), &env.deps.settings, http::now())
            .await
            .unwrap()
    );
    assert!(
        !seed_examples(env.store(), &env.deps.settings, http::now())
            .await
            .unwrap(),
        "idempotent"
    );
    for (file, status, error) in REPLAY {
        let reply = replay(&env, file).await;
        assert_eq!(
            (reply.status, reply.error()),
            (*status, *error),
            "{file}: {}",
            reply.json
        );
    }
    let files: BTreeSet<String> = std::fs::read_dir(EVENTS)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let replayed: BTreeSet<String> = REPLAY.iter().map(|(f, _, _)| f.to_string()).collect();
    assert_eq!(files, replayed, "every event file is replayed");
}

#[test]
fn every_route_in_the_template_has_a_sample_event() {
    let template = template_json();
    let mut routes = BTreeSet::new();
    for (_, resource) in template["Resources"].as_object().unwrap() {
        if let Some(events) = resource["Properties"]["Events"].as_object() {
            for (_, event) in events {
                let p = &event["Properties"];
                routes.insert(format!(
                    "{} {}",
                    p["Method"].as_str().unwrap(),
                    p["Path"].as_str().unwrap()
                ));
            }
        }
    }
    assert!(routes.len() >= 7, "{routes:?}");
    let mut covered = BTreeSet::new();
    for entry in std::fs::read_dir(EVENTS).unwrap() {
        let event: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap()).unwrap();
        let method = event["requestContext"]["http"]["method"]
            .as_str()
            .unwrap()
            .to_owned();
        let path = event["rawPath"].as_str().unwrap().to_owned();
        for route in &routes {
            let (m, pattern) = route.split_once(' ').unwrap();
            if m == method && path_matches(pattern, &path) {
                covered.insert(route.clone());
            }
        }
    }
    assert_eq!(covered, routes);
}

fn path_matches(pattern: &str, path: &str) -> bool {
    let (p, q): (Vec<_>, Vec<_>) = (pattern.split('/').collect(), path.split('/').collect());
    p.len() == q.len() && p.iter().zip(&q).all(|(a, b)| a.starts_with('{') || a == b)
}
