//! Every sample event in `events/` replayed through its handler, in an order that tells a story
//! on a freshly seeded database; and every route of `template.yaml` has a sample event.

use std::collections::BTreeSet;

use devicegate::http;
use devicegate_cli::examples::seed_examples;
use devicegate_tests::*;

const EVENTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../events");

async fn replay(env: &TestEnv, file: &str) -> Reply {
    replay_event(&env.deps, file).await
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
    let table = event_replay();
    for (file, status, error) in &table {
        let reply = replay(&env, file).await;
        assert_eq!(
            (reply.status, reply.error()),
            (*status, error.as_str()),
            "{file}: {}",
            reply.json
        );
    }
    let files: BTreeSet<String> = std::fs::read_dir(EVENTS)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let replayed: BTreeSet<String> = table.iter().map(|(f, _, _)| f.clone()).collect();
    assert_eq!(files, replayed, "every event file is replayed");
}

#[test]
fn every_route_in_the_template_has_a_sample_event() {
    let template = template_json();
    let mut routes = BTreeSet::new();
    for (_, resource) in template["Resources"].as_object().unwrap() {
        if let Some(events) = resource["Properties"]["Events"].as_object() {
            for (_, event) in events.iter().filter(|(_, e)| e["Type"] == "HttpApi") {
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
        let entry = entry.unwrap();
        if is_stream_event(&entry.file_name().to_string_lossy()) {
            continue;
        }
        let event: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(entry.path()).unwrap()).unwrap();
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
