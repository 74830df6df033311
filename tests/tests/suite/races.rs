//! Races at scale against the local store: many concurrent redemptions of each approved device
//! code (Paragon and OAuth 2.0) and many concurrent rotations of each refresh token. Exactly one
//! attempt wins per code and per token; every other attempt is refused, counted by error code.
//!
//! `small_races` runs in CI (20 codes or tokens × 10 attempts each, per race). The big one,
//! `ten_thousand_races` (1,000 × 10 per race), is ignored and run by `scripts/races` in release.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use devicegate::http;
use devicegate::model::{ApiKeySettings, Lifetimes};
use devicegate::secrets::hash_secret;
use devicegate::storage::PageDecision;
use devicegate::usecases::admin::{self, DeviceAction};
use devicegate_tests::*;
use tokio::sync::Semaphore;

const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
const PARAGON_TOKEN: &str = "/oauth/v1/token";
const OAUTH2_TOKEN: &str = "/oauth2/token";

/// At most this many requests in flight at once (each holds a client and a server socket on
/// loopback); every attempt is a task launched at the start, and the attempts on one code or
/// token are launched side by side, so they always contend with each other.
const IN_FLIGHT: usize = 2000;
/// Setup writes in flight at once.
const SETUP_IN_FLIGHT: usize = 64;

/// How one race went.
#[derive(Debug)]
struct Race {
    name: &'static str,
    keys: usize,
    attempts: usize,
    /// Winners per code or token.
    winners: Vec<usize>,
    /// Refused attempts by (status, error code).
    losers: BTreeMap<String, usize>,
    wall: Duration,
}

impl Race {
    fn report(&self) {
        let exactly_one = self.winners.iter().filter(|w| **w == 1).count();
        let total: usize = self.winners.iter().sum();
        println!(
            "{}: {} keys x {} attempts = {} attempts in {:.2} s ({:.0} attempts/s); {} winners, \
             {} keys with exactly one winner; losers: {:?}",
            self.name,
            self.keys,
            self.attempts / self.keys.max(1),
            self.attempts,
            self.wall.as_secs_f64(),
            self.attempts as f64 / self.wall.as_secs_f64(),
            total,
            exactly_one,
            self.losers
        );
    }

    fn assert_one_winner_each(&self) {
        let bad: Vec<(usize, usize)> = self
            .winners
            .iter()
            .copied()
            .enumerate()
            .filter(|(_, w)| *w != 1)
            .collect();
        assert!(
            bad.is_empty(),
            "{}: keys without exactly one winner (key, winners): {bad:?}",
            self.name
        );
        assert!(
            !self.losers.keys().any(|k| k.starts_with('5')),
            "{}: server errors: {:?}",
            self.name,
            self.losers
        );
    }
}

/// Spawns `fut`, which starts once `limit` grants it a permit; its output comes back tagged `i`.
fn spawn_limited<T, Fut>(
    tasks: &mut tokio::task::JoinSet<(usize, T)>,
    limit: &Arc<Semaphore>,
    i: usize,
    fut: Fut,
) where
    T: Send + 'static,
    Fut: std::future::Future<Output = T> + Send + 'static,
{
    let limit = limit.clone();
    tasks.spawn(async move {
        let _permit = limit.acquire_owned().await.unwrap();
        (i, fut.await)
    });
}

/// Runs `per_key` concurrent attempts on each of `keys` keys, all launched at once, and counts
/// winners (HTTP 200) per key and losers by status and error code.
async fn race<F, Fut>(name: &'static str, keys: usize, per_key: usize, attempt: F) -> Race
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = Reply> + Send + 'static,
{
    let limit = Arc::new(Semaphore::new(IN_FLIGHT));
    let mut tasks = tokio::task::JoinSet::new();
    let started = Instant::now();
    for key in 0..keys {
        for _ in 0..per_key {
            spawn_limited(&mut tasks, &limit, key, attempt(key));
        }
    }
    let mut winners = vec![0; keys];
    let mut losers = BTreeMap::new();
    while let Some(done) = tasks.join_next().await {
        let (key, reply) = done.unwrap();
        if reply.status == 200 {
            winners[key] += 1;
        } else {
            *losers
                .entry(format!("{} {}", reply.status, reply.error()))
                .or_insert(0) += 1;
        }
    }
    Race {
        name,
        keys,
        attempts: keys * per_key,
        winners,
        losers,
        wall: started.elapsed(),
    }
}

/// Races `per_key` identical form POSTs of each body to `path`: one key per body.
async fn race_posts(
    name: &'static str,
    env: &Arc<TestEnv>,
    path: &'static str,
    bodies: &[String],
    per_key: usize,
) -> Race {
    race(name, bodies.len(), per_key, |k| {
        let (env, body) = (env.clone(), bodies[k].clone());
        async move { post_form(&env, path, &body).await }
    })
    .await
}

async fn post_form(env: &TestEnv, path: &str, body: &str) -> Reply {
    Reply::from(dispatch(&env.deps, form_request(path, body, None)).await)
}

/// Redeems each body at `path` once, uncontended; returns the refresh tokens, in order.
async fn refresh_tokens(
    env: &Arc<TestEnv>,
    path: &'static str,
    bodies: Vec<String>,
) -> Vec<String> {
    in_parallel(bodies.len(), |i| {
        let (env, body) = (env.clone(), bodies[i].clone());
        async move {
            let t = post_form(&env, path, &body).await;
            assert_eq!(t.status, 200, "{}", t.json);
            t.str("refresh_token")
        }
    })
    .await
}

/// Runs `make(i)` for i in 0..n, `SETUP_IN_FLIGHT` at a time, in order of i.
async fn in_parallel<T, F, Fut>(n: usize, make: F) -> Vec<T>
where
    T: Send + 'static,
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = T> + Send + 'static,
{
    let limit = Arc::new(Semaphore::new(SETUP_IN_FLIGHT));
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..n {
        spawn_limited(&mut tasks, &limit, i, make(i));
    }
    let mut out: Vec<(usize, T)> = Vec::with_capacity(n);
    while let Some(done) = tasks.join_next().await {
        out.push(done.unwrap());
    }
    out.sort_by_key(|(i, _)| *i);
    out.into_iter().map(|(_, t)| t).collect()
}

/// `n` Paragon devices registered and approved by an administrator: (client_id, device code).
async fn approved_paragon_codes(
    env: &Arc<TestEnv>,
    api_key: &str,
    prefix: &str,
    n: usize,
) -> Vec<(String, String)> {
    in_parallel(n, |i| {
        let (env, api_key) = (env.clone(), api_key.to_owned());
        let client_id = format!("{prefix}-{i}");
        async move {
            let reg = env
                .register(&register_body(&client_id, &api_key), None)
                .await;
            assert_eq!(reg.status, 200, "{}", reg.json);
            let code = reg.str("device_code");
            admin::act_on_device(
                env.store(),
                &client_id,
                DeviceAction::Approve,
                http::now(),
                &devicegate::model::Origin::system("test"),
            )
            .await
            .unwrap();
            env.force_poll_due(&code).await;
            (client_id, code)
        }
    })
    .await
}

/// `n` OAuth device codes approved by a user on the verification page.
async fn approved_oauth_codes(
    env: &Arc<TestEnv>,
    cli_id: &str,
    username: &str,
    n: usize,
) -> Vec<String> {
    in_parallel(n, |_| {
        let (env, cli_id, username) = (env.clone(), cli_id.to_owned(), username.to_owned());
        async move {
            let start = env
                .oauth2(
                    "/oauth2/device_authorization",
                    &format!("client_id={}&scope=read", enc(&cli_id)),
                    None,
                )
                .await;
            assert_eq!(start.status, 200, "{}", start.json);
            let code = start.str("device_code");
            assert!(
                env.store()
                    .decide_on_page(
                        &hash_secret(&code),
                        &username,
                        PageDecision::Approve,
                        (Some("read"), Lifetimes::default()),
                        http::now(),
                        &devicegate_tests::setup_record(
                            devicegate::model::AuditType::DeviceCodeApproved,
                            "test"
                        ),
                    )
                    .await
                    .unwrap()
            );
            env.force_poll_due(&code).await;
            code
        }
    })
    .await
}

async fn oauth_client_and_user(env: &TestEnv) -> (String, String) {
    let now = http::now();
    let cli = admin::create_client(
        env.store(),
        oauth::public_cli_client("Race CLI"),
        now,
        &devicegate_tests::origin(),
    )
    .await
    .unwrap();
    // The page decision only checks that the user is enabled: no password is needed.
    env.put_user("racer", "unused", now).await;
    (cli.client.client_id, "racer".into())
}

fn oauth_poll(cli_id: &str, code: &str) -> String {
    format!(
        "grant_type={}&device_code={}&client_id={}",
        enc(DEVICE_GRANT),
        enc(code),
        enc(cli_id)
    )
}

/// Counts the items of a table, every page; `revoked_only`: only items whose status is revoked.
async fn count_items(env: &TestEnv, table: &str, revoked_only: bool) -> usize {
    let mut scan = env
        .store()
        .client()
        .scan()
        .table_name(table)
        .select(aws_sdk_dynamodb::types::Select::Count);
    if revoked_only {
        scan = scan
            .filter_expression("#s = :r")
            .expression_attribute_names("#s", "status")
            .expression_attribute_values(
                ":r",
                aws_sdk_dynamodb::types::AttributeValue::S("revoked".into()),
            );
    }
    let mut pages = scan.into_paginator().send();
    let mut n = 0;
    while let Some(page) = pages.next().await {
        n += page.unwrap().count() as usize;
    }
    n
}

/// The four races: Paragon redemptions, OAuth redemptions, Paragon rotations, OAuth rotations,
/// each `keys` × `per_key` attempts.
async fn races(keys: usize, per_key: usize) {
    let total = Instant::now();
    let env = Arc::new(TestEnv::new().await);
    let api_key = env.api_key(ApiKeySettings::default()).await;
    let (cli_id, username) = oauth_client_and_user(&env).await;

    let setup = Instant::now();
    let paragon = approved_paragon_codes(&env, &api_key, "race", keys).await;
    let oauth = approved_oauth_codes(&env, &cli_id, &username, keys).await;
    // Codes redeemed once, uncontended, for their refresh tokens.
    let paragon_rotations: Vec<String> = {
        let fresh = approved_paragon_codes(&env, &api_key, "rotate", keys).await;
        let polls = fresh
            .iter()
            .map(|(client_id, code)| poll_body(client_id, &api_key, code))
            .collect();
        let tokens = refresh_tokens(&env, PARAGON_TOKEN, polls).await;
        fresh
            .iter()
            .zip(tokens)
            .map(|((client_id, _), token)| refresh_body(client_id, &api_key, &token))
            .collect()
    };
    let oauth_rotations: Vec<String> = {
        let fresh = approved_oauth_codes(&env, &cli_id, &username, keys).await;
        let polls = fresh.iter().map(|code| oauth_poll(&cli_id, code)).collect();
        let tokens = refresh_tokens(&env, OAUTH2_TOKEN, polls).await;
        tokens
            .iter()
            .map(|token| {
                format!(
                    "grant_type=refresh_token&refresh_token={}&client_id={}",
                    enc(token),
                    enc(&cli_id)
                )
            })
            .collect()
    };
    let paragon_redemptions: Vec<String> = paragon
        .iter()
        .map(|(client_id, code)| poll_body(client_id, &api_key, code))
        .collect();
    let oauth_redemptions: Vec<String> =
        oauth.iter().map(|code| oauth_poll(&cli_id, code)).collect();
    println!(
        "setup: {} approved Paragon and {} approved OAuth codes ({keys} + {keys} of them redeemed \
         once for refresh tokens) in {:.2} s",
        2 * keys,
        2 * keys,
        setup.elapsed().as_secs_f64()
    );

    let races = [
        ("paragon redemptions", PARAGON_TOKEN, &paragon_redemptions),
        ("oauth2 redemptions", OAUTH2_TOKEN, &oauth_redemptions),
        ("paragon rotations", PARAGON_TOKEN, &paragon_rotations),
        ("oauth2 rotations", OAUTH2_TOKEN, &oauth_rotations),
    ];
    let mut results = Vec::new();
    for (name, path, bodies) in races {
        results.push(race_posts(name, &env, path, bodies, per_key).await);
    }
    for r in &results {
        r.report();
    }

    // What the store holds agrees: one family per redeemed code (the contended redemptions'
    // and the uncontended ones made for rotation), and per family one pair per issue: 2 tokens
    // for a contended redemption, 4 for a redemption plus its one winning rotation.
    let tables = env.store().tables();
    let families = count_items(&env, &tables.families, false).await;
    let revoked = count_items(&env, &tables.families, true).await;
    let tokens = count_items(&env, &tables.tokens, false).await;
    // Every loser that comes after the winner presents a spent code or token, which revokes
    // the winner's family (RFC 6749 §4.1.2, §10.4): so with 10 attempts each, expect all.
    println!(
        "store: {families} token families ({revoked} revoked by the losers' reuse), {tokens} \
         tokens; total {:.2} s",
        total.elapsed().as_secs_f64()
    );
    for r in &results {
        r.assert_one_winner_each();
    }
    assert_eq!(families, 4 * keys);
    assert_eq!(tokens, 2 * 2 * keys + 2 * 4 * keys);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn small_races() {
    races(20, 10).await;
}

/// 1,000 codes or tokens × 10 attempts, for each of the four races: 40,000 attempts.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "10,000 attempts per race; run by scripts/races in release"]
async fn ten_thousand_races() {
    races(1000, 10).await;
}
