//! Metrics: every request line of a flow is a valid CloudWatch Embedded Metric Format document
//! (docs/monitoring.md) with the request's counts, and carries no secret; `GET /health` answers
//! 200 while the store answers and 503 in the OAuth error shape when it cannot be reached.

use devicegate::metrics::{ALWAYS, DIMENSIONS, METRICS, NAMESPACE};
use devicegate::{Deps, Store};
use devicegate_tests::oauth::{Person, fixture_on};
use devicegate_tests::*;
use serde_json::Value;

async fn post(base: &str, path: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let response = oauth::http_client()
        .post(format!("{base}{path}"))
        .form(form)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn get(base: &str, path: &str) -> (u16, Value) {
    let response = oauth::http_client()
        .get(format!("{base}{path}"))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Asserts `line` is an EMF document: `_aws` with a millisecond timestamp and one directive in
/// the `devicegate` namespace, each dimension it names a string at the top level, each metric a
/// number there.
fn assert_emf(line: &Value) {
    let aws = &line["_aws"];
    assert!(
        aws["Timestamp"].as_u64().unwrap() > 1_600_000_000_000,
        "{line}"
    );
    let directives = aws["CloudWatchMetrics"].as_array().unwrap();
    assert_eq!(directives.len(), 1, "{line}");
    let directive = &directives[0];
    assert_eq!(directive["Namespace"], NAMESPACE);
    let sets = directive["Dimensions"].as_array().unwrap();
    assert_eq!(sets.len(), DIMENSIONS.len(), "{line}");
    for set in sets {
        for dimension in set.as_array().unwrap() {
            let name = dimension.as_str().unwrap();
            assert!(
                line[name].as_str().is_some_and(|v| !v.is_empty()),
                "{name}: {line}"
            );
        }
    }
    let metrics = directive["Metrics"].as_array().unwrap();
    let names: Vec<&str> = metrics
        .iter()
        .map(|m| m["Name"].as_str().unwrap())
        .collect();
    for (name, _) in &METRICS[..ALWAYS] {
        assert!(names.contains(name), "{name}: {line}");
    }
    for metric in metrics {
        let name = metric["Name"].as_str().unwrap();
        assert!(METRICS.iter().any(|(n, _)| *n == name), "{name}: {line}");
        assert!(line[name].is_number(), "{name}: {line}");
    }
    // A count left out is 0: only the counts that are not are named.
    for (name, _) in &METRICS[ALWAYS..] {
        assert_eq!(
            names.contains(name),
            line.get(*name).is_some(),
            "{name}: {line}"
        );
    }
    assert_eq!(line["Requests"], 1);
}

/// The request line of the one request to `route` that answered `status`, in `lines`.
fn line_of<'a>(lines: &'a [Value], route: &str, status: u16) -> &'a Value {
    let found: Vec<&Value> = lines
        .iter()
        .filter(|l| l["Route"] == route && l["fields"]["status"] == status)
        .collect();
    assert_eq!(found.len(), 1, "{route} {status}: {lines:?}");
    found[0]
}

#[tokio::test]
async fn every_request_line_is_emf_with_its_counts_and_no_secret() {
    let (log, _guard) = logs::capture(None);
    let f = fixture_on(TestEnv::on(logs::own_store().await).await).await;
    let base = server::serve(f.env.deps.clone()).await;
    let cli = f.cli_id.as_str();

    let (status, started) = post(
        &base,
        "/oauth2/device_authorization",
        &[("client_id", cli), ("scope", "read")],
    )
    .await;
    assert_eq!(status, 200, "{started}");
    let device_code = started["device_code"].as_str().unwrap();
    let user_code = started["user_code"].as_str().unwrap();
    let redeem = [
        ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
        ("device_code", device_code),
        ("client_id", cli),
    ];
    f.env.force_poll_due(device_code).await;
    f.env.calls.take();
    let (status, pending) = post(&base, "/oauth2/token", &redeem).await;
    assert_eq!(
        (status, pending["error"].as_str()),
        (400, Some("authorization_pending"))
    );
    let pending_calls = f.env.calls.take().len();

    let password = "correct horse battery";
    let person = Person::new(&base);
    assert_eq!(person.sign_in(password).await.0, 200);
    let (status, page) = person.decide(user_code, "approve").await;
    assert_eq!(status, 200, "{page}");
    f.env.force_poll_due(device_code).await;
    let (status, tokens) = post(&base, "/oauth2/token", &redeem).await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(get(&base, "/health").await.0, 200);

    let lines = log.saying("request");
    assert!(lines.len() >= 8, "every request logged: {lines:?}");
    for line in &lines {
        assert_emf(line);
        let status = line["fields"]["status"].as_u64().unwrap();
        let count = |name: &str| line.get(name).map_or(0, |v| v.as_u64().unwrap());
        assert_eq!(
            count("Refused4xx"),
            u64::from((400..500).contains(&status)),
            "{line}"
        );
        assert_eq!(count("Errors5xx"), u64::from(status >= 500), "{line}");
        assert_eq!(count("DynamoDbThrottles"), 0, "{line}");
    }

    let poll = line_of(&lines, "/oauth2/token", 400);
    assert_eq!(poll["Function"], "token");
    assert_eq!(pending_calls, 1, "a pending poll is one round trip");
    assert_eq!(poll["DynamoDbCalls"], 1, "{poll}");
    assert_eq!(poll["Refused4xx"], 1, "{poll}");
    assert!(
        poll.get("Errors5xx").is_none(),
        "a refusal is not a 5xx: {poll}"
    );
    let redeemed = line_of(&lines, "/oauth2/token", 200);
    assert!(
        redeemed["DynamoDbCalls"].as_u64().unwrap() >= 1,
        "{redeemed}"
    );
    let started_line = line_of(&lines, "/oauth2/device_authorization", 200);
    assert_eq!(started_line["Function"], "register");
    let health = line_of(&lines, "/health", 200);
    assert_eq!(
        (health["Function"].clone(), health["DynamoDbCalls"].clone()),
        ("serve".into(), 1.into())
    );

    let text: String = log.lines().iter().map(|l| format!("{l}\n")).collect();
    let secrets = [
        device_code,
        user_code,
        password,
        tokens["access_token"].as_str().unwrap(),
        tokens["refresh_token"].as_str().unwrap(),
    ];
    for secret in secrets {
        assert!(!text.contains(secret), "a secret is in the log");
    }

    // What the metrics add to a request line: each line's bytes, with and without them.
    let bytes = |l: &Value| l.to_string().len();
    let without = |l: &Value| {
        let mut l = l.clone();
        if let Some(members) = l.as_object_mut() {
            members.retain(|k, _| matches!(k.as_str(), "level" | "fields" | "span" | "spans"));
        }
        l
    };
    let after: usize = lines.iter().map(bytes).sum::<usize>() / lines.len();
    let before: usize = lines.iter().map(|l| bytes(&without(l))).sum::<usize>() / lines.len();
    eprintln!("bytes per request line: {before} without metrics, {after} with");
}

#[tokio::test]
async fn health_answers_200_while_the_store_answers_and_503_when_it_cannot_be_reached() {
    let (log, _guard) = logs::capture(None);
    let env = TestEnv::new().await;
    let base = server::serve(env.deps.clone()).await;
    let (status, body) = get(&base, "/health").await;
    assert_eq!((status, body), (200, serde_json::json!({"status": "ok"})));

    // A store nobody listens on.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
        .endpoint_url(format!("http://{closed}"))
        .region(aws_sdk_dynamodb::config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "test", "test", None, None, "tests",
        ))
        .interceptor(devicegate::metrics::StoreCalls)
        .build();
    let unreachable = Deps {
        store: Store::new(
            aws_sdk_dynamodb::Client::from_conf(config),
            env.store().tables().clone(),
        ),
        settings: env.deps.settings.clone(),
    };
    let base = server::serve(unreachable).await;
    let (status, body) = get(&base, "/health").await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"], "temporarily_unavailable");
    assert!(body["error_description"].is_string(), "{body}");

    let lines = log.saying("request");
    let failed = line_of(&lines, "/health", 503);
    assert_emf(failed);
    assert_eq!(failed["Errors5xx"], 1, "{failed}");
    assert!(failed.get("Refused4xx").is_none(), "{failed}");
    assert!(failed["DynamoDbCalls"].as_u64().unwrap() >= 1, "{failed}");
}

/// The quoted terms of the token-reuse metric filter in `template.yaml`.
fn reuse_filter_terms() -> Vec<String> {
    let template = template_json();
    let pattern = template["Resources"]["TokenReuseMetricFilter"]["Properties"]["FilterPattern"]
        .as_str()
        .unwrap()
        .to_owned();
    let terms: Vec<String> = pattern
        .split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect();
    assert_eq!(terms.len(), 3, "{pattern}");
    terms
}

#[tokio::test]
async fn the_reuse_alarm_counts_the_lines_the_token_function_writes_on_reuse() {
    let (log, _guard) = logs::capture(None);
    let f = fixture_on(TestEnv::on(logs::own_store().await).await).await;
    let base = server::serve(f.env.deps.clone()).await;
    let cli = f.cli_id.as_str();
    let (_, started) = post(
        &base,
        "/oauth2/device_authorization",
        &[("client_id", cli), ("scope", "read")],
    )
    .await;
    let device_code = started["device_code"].as_str().unwrap();
    let person = Person::new(&base);
    assert_eq!(person.sign_in("correct horse battery").await.0, 200);
    let user_code = started["user_code"].as_str().unwrap();
    assert_eq!(person.decide(user_code, "approve").await.0, 200);
    let redeem = [
        ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
        ("device_code", device_code),
        ("client_id", cli),
    ];
    f.env.force_poll_due(device_code).await;
    let (status, tokens) = post(&base, "/oauth2/token", &redeem).await;
    assert_eq!(status, 200, "{tokens}");
    let refresh = [
        ("grant_type", "refresh_token"),
        ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
        ("client_id", cli),
    ];
    let before = log.lines().len();
    assert_eq!(post(&base, "/oauth2/token", &refresh).await.0, 200);
    let rotated = log.lines().len();
    assert_eq!(post(&base, "/oauth2/token", &refresh).await.0, 400);
    let reused = log.lines().len();
    assert_eq!(post(&base, "/oauth2/token", &redeem).await.0, 400);

    // What CloudWatch's filter matches: the term anywhere in the line as written.
    let matching = |from: usize, to: usize| -> Vec<String> {
        let lines = log.lines();
        reuse_filter_terms()
            .into_iter()
            .filter(|term| lines[from..to].iter().any(|l| l.to_string().contains(term)))
            .collect()
    };
    let terms = reuse_filter_terms();
    assert_eq!(
        matching(before, rotated),
        Vec::<String>::new(),
        "a rotation is no reuse"
    );
    assert_eq!(
        matching(rotated, reused),
        terms[..1].to_vec(),
        "the refresh token reused"
    );
    let again = matching(reused, log.lines().len());
    assert_eq!(
        again,
        terms[1..2].to_vec(),
        "the device code presented again"
    );
    // An authorization code used twice, in the code that logs it.
    let source = include_str!("../../../shared/src/usecases/authorization_code/redemption.rs");
    let line = format!("\"{}; its tokens revoked\"", terms[2]);
    assert!(source.contains(&line), "{line}");
}

#[tokio::test]
async fn a_throttled_call_is_counted_with_its_retry() {
    let (log, _guard) = logs::capture(None);
    let f = fixture_on(TestEnv::on(logs::own_store().await).await).await;
    let base = server::serve(f.env.deps.clone()).await;
    let cli = f.cli_id.as_str();
    let (_, started) = post(
        &base,
        "/oauth2/device_authorization",
        &[("client_id", cli), ("scope", "read")],
    )
    .await;
    let device_code = started["device_code"].as_str().unwrap();
    f.env.force_poll_due(device_code).await;
    f.env.faults.fail_call(1, faults::Fault::Throttle);
    let redeem = [
        ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
        ("device_code", device_code),
        ("client_id", cli),
    ];
    let (status, pending) = post(&base, "/oauth2/token", &redeem).await;
    assert_eq!(
        (status, pending["error"].as_str()),
        (400, Some("authorization_pending")),
        "the SDK's retry answers for the throttled call"
    );
    assert_eq!(f.env.faults.clear().len(), 1);

    let lines = log.saying("request");
    let poll = line_of(&lines, "/oauth2/token", 400);
    assert_emf(poll);
    assert_eq!(poll["DynamoDbThrottles"], 1, "{poll}");
    assert_eq!(
        poll["DynamoDbCalls"], 2,
        "the throttled attempt and its retry: {poll}"
    );
}

/// The two counts that follow the trail: a registration put in the approval queue carries
/// `AwaitingApproval` 1 (one trusted at once does not), and the request that trips a guessing
/// limit carries `LimitsTripped` 1 (the refusals after it do not).
#[tokio::test]
async fn a_registration_that_waits_and_a_tripped_limit_are_counted_once() {
    let (log, _guard) = logs::capture(None);
    let f = fixture_on(TestEnv::on(logs::own_store().await).await).await;
    let base = server::serve(f.env.deps.clone()).await;
    let api_key = f.env.api_key(Default::default()).await;
    let trusted = f.env.auto_trust_key().await;
    let register = |id: &str, key: &str| {
        let body = register_body(id, key);
        let base = base.clone();
        async move {
            oauth::http_client()
                .post(format!("{base}/oauth/v1/register"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(register("printer-waits", &api_key).await, 200);
    assert_eq!(register("printer-trusted", &trusted).await, 200);

    let person = Person::new(&base);
    assert_eq!(person.sign_in("correct horse battery").await.0, 200);
    let statuses: Vec<u16> = {
        let mut all = Vec::new();
        for _ in 0..12 {
            all.push(person.find("BCDF-GHJK").await.0);
        }
        all
    };
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        2,
        "{statuses:?}"
    );

    let lines = log.saying("request");
    let count = |route: &str, name: &str| -> Vec<u64> {
        lines
            .iter()
            .filter(|l| l["Route"] == route)
            .map(|l| l.get(name).map_or(0, |v| v.as_u64().unwrap()))
            .collect()
    };
    for line in &lines {
        assert_emf(line);
    }
    assert_eq!(count("/oauth/v1/register", "AwaitingApproval"), [1, 0]);
    let tripped: u64 = count("/device", "LimitsTripped").iter().sum();
    assert_eq!(tripped, 1, "{lines:?}");
}
