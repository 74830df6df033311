//! DynamoDB fault injection over every flow. For each step of each flow, every DynamoDB call the
//! step makes is failed in turn, in each way DynamoDB can fail (throttling, a 500, a lost answer
//! after the store acted, a timeout before it did). Whatever happens, the reply is the step's
//! normal answer (the SDK's standard retry may hide a transient fault) or exactly the dialect's
//! `server_error` with nothing internal in it, and a scan of every table shows no half-written
//! state. A step that must happen once (redeem, rotate, approve, start an authorization) that
//! answers `server_error` has either not happened at all or fully happened.
//!
//! A few workers each own a set of tables and run cases one after another in them, each case
//! with its own identities (device, API key, clients, user, source address) and its own SDK
//! client: the standard retry (3 attempts) with millisecond backoff, so nothing sleeps through
//! real backoff. A case's effect is exactly the difference between the scans before and after
//! it, and the invariants must hold over everything every case left behind.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::config::retry::{RetryConfig, RetryPartition};
use devicegate::model::{Lifetimes, Session};
use devicegate::secrets::hash_secret;
use devicegate::storage::PageDecision;
use devicegate::usecases::admin::{self, DeviceAction};
use devicegate::usecases::{sign_in, verification};
use devicegate::{Deps, Error, Store, http};
use devicegate_tests::faults::{Fault, NoIdempotencyToken};
use devicegate_tests::*;
use serde_json::Value;

const FAULTS: [Fault; 4] = [
    Fault::Throttle,
    Fault::ServerError,
    Fault::LostAnswer,
    Fault::Timeout,
];
const PASSWORD: &str = "correct horse battery";
const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// A view of `base`'s tables whose SDK client keeps the standard retry (3 attempts) but backs
/// off for milliseconds, in a retry partition of its own (the retry token bucket is per
/// partition, so cases cannot drain each other's retry quota). It shares `base`'s call log and
/// fault injector.
///
/// `without_idempotency`: transactions go without their `ClientRequestToken`, so a retry after a
/// lost answer is carried out again instead of being answered from DynamoDB's idempotency cache.
pub fn fast_env(base: &TestEnv, without_idempotency: bool) -> TestEnv {
    let mut builder = base.store().client().config().to_builder();
    if without_idempotency {
        builder = builder.interceptor(NoIdempotencyToken);
    }
    let config = builder
        .retry_config(
            RetryConfig::standard()
                .with_initial_backoff(Duration::from_millis(1))
                .with_max_backoff(Duration::from_millis(5)),
        )
        .retry_partition(RetryPartition::new(format!("faults-{}", ulid::Ulid::new())))
        .build();
    TestEnv {
        deps: Deps {
            store: Store::new(
                aws_sdk_dynamodb::Client::from_conf(config),
                base.store().tables().clone(),
            ),
            settings: base.deps.settings.clone(),
        },
        calls: base.calls.clone(),
        faults: base.faults.clone(),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Step {
    ParagonRegister,
    ParagonPendingPoll,
    ParagonRedeem,
    ParagonRefresh,
    OAuthDeviceAuthorization,
    OAuthPendingPoll,
    OAuthRedeem,
    OAuthRefresh,
    OAuthRevoke,
    OAuthIntrospect,
    AdminApprove,
    AdminDeny,
    AdminRevoke,
    PageSignIn,
    PageApprove,
}

impl Step {
    const ALL: [Step; 15] = [
        Step::ParagonRegister,
        Step::ParagonPendingPoll,
        Step::ParagonRedeem,
        Step::ParagonRefresh,
        Step::OAuthDeviceAuthorization,
        Step::OAuthPendingPoll,
        Step::OAuthRedeem,
        Step::OAuthRefresh,
        Step::OAuthRevoke,
        Step::OAuthIntrospect,
        Step::AdminApprove,
        Step::AdminDeny,
        Step::AdminRevoke,
        Step::PageSignIn,
        Step::PageApprove,
    ];

    /// Steps that must happen exactly once: after a `server_error` the state is the one before,
    /// or the one where the step fully happened.
    fn once(self) -> bool {
        matches!(
            self,
            Step::ParagonRegister
                | Step::ParagonRedeem
                | Step::ParagonRefresh
                | Step::OAuthDeviceAuthorization
                | Step::OAuthRedeem
                | Step::OAuthRefresh
                | Step::AdminApprove
                | Step::AdminDeny
                | Step::PageApprove
        )
    }

    /// The audit record a once-only step leaves when it happens (docs/audit.md).
    fn record(self) -> Option<&'static str> {
        Some(match self {
            Step::ParagonRegister => "device.registered",
            Step::ParagonRedeem | Step::OAuthRedeem => "device_code.redeemed",
            Step::ParagonRefresh | Step::OAuthRefresh => "token.refreshed",
            Step::AdminApprove => "device.approved",
            Step::AdminDeny => "device.denied",
            Step::PageApprove => "device_code.approved",
            _ => return None,
        })
    }

    fn paragon(self) -> bool {
        matches!(
            self,
            Step::ParagonRegister
                | Step::ParagonPendingPoll
                | Step::ParagonRedeem
                | Step::ParagonRefresh
                | Step::AdminApprove
                | Step::AdminDeny
                | Step::AdminRevoke
        )
    }
}

/// A step's environment and the values its setup produced.
struct Ctx {
    env: TestEnv,
    /// The case's Paragon device, user, and source address.
    printer: String,
    username: String,
    source: String,
    api_key: String,
    admin: String,
    device_code: String,
    user_code: String,
    access: String,
    refresh: String,
    cli_id: String,
    rs_id: String,
    rs_secret: String,
    session: Option<Session>,
}

/// One argon2id hash for every case's user (hashing costs tens of milliseconds).
fn password_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| devicegate::password::hash(PASSWORD).unwrap())
}

/// Sets up `step` for case `n` in `base`'s tables.
async fn setup(step: Step, base: &TestEnv, n: usize) -> Ctx {
    setup_in(step, fast_env(base, false), n).await
}

async fn setup_in(step: Step, env: TestEnv, n: usize) -> Ctx {
    let mut c = Ctx {
        env,
        printer: format!("printer-{n}"),
        username: format!("ada-{n}"),
        source: format!("10.{}.{}.{}", n / 65536 % 256, n / 256 % 256, n % 256),
        api_key: String::new(),
        admin: String::new(),
        device_code: String::new(),
        user_code: String::new(),
        access: String::new(),
        refresh: String::new(),
        cli_id: String::new(),
        rs_id: String::new(),
        rs_secret: String::new(),
        session: None,
    };
    let env = &c.env;
    let now = http::now();
    if step.paragon() {
        c.api_key = env.api_key(Default::default()).await;
        c.admin = env.admin_key().await;
        if step == Step::ParagonRegister {
            return c;
        }
        let reg = env
            .register(&register_body(&c.printer, &c.api_key), None)
            .await;
        assert_eq!(reg.status, 200, "{}", reg.json);
        c.device_code = reg.str("device_code");
        if matches!(
            step,
            Step::ParagonRedeem | Step::ParagonRefresh | Step::AdminRevoke
        ) {
            admin::act_on_device(
                env.store(),
                &c.printer,
                DeviceAction::Approve,
                now,
                &devicegate::model::Origin::system("test"),
            )
            .await
            .unwrap();
            env.force_poll_due(&c.device_code).await;
        }
        if matches!(step, Step::ParagonRefresh | Step::AdminRevoke) {
            let t = env.poll(&c.printer, &c.api_key, &c.device_code).await;
            assert_eq!(t.status, 200, "{}", t.json);
            c.access = t.str("access_token");
            c.refresh = t.str("refresh_token");
        }
        return c;
    }

    let (cli, rs) = devicegate_tests::oauth::acme_clients(env, now).await;
    env.put_user(&c.username, password_hash(), now).await;
    c.cli_id = cli.client.client_id;
    c.rs_id = rs.client.client_id;
    c.rs_secret = rs.secret.unwrap();
    if matches!(step, Step::OAuthDeviceAuthorization | Step::PageSignIn) {
        return c;
    }
    let start = env
        .oauth2(
            "/oauth2/device_authorization",
            &format!("client_id={}&scope=read", enc(&c.cli_id)),
            None,
        )
        .await;
    assert_eq!(start.status, 200, "{}", start.json);
    c.device_code = start.str("device_code");
    c.user_code = start.str("user_code");
    if step == Step::PageApprove {
        let signed_in = sign_in::sign_in(
            env.store(),
            &env.deps.settings,
            &c.username,
            PASSWORD,
            &devicegate_tests::origin_from(&c.source),
            now,
        )
        .await
        .unwrap();
        c.session = Some(signed_in.session);
        return c;
    }
    if step == Step::OAuthPendingPoll {
        return c;
    }
    assert!(
        env.store()
            .decide_on_page(
                &hash_secret(&c.device_code),
                &c.username,
                PageDecision::Approve,
                (Some("read"), Lifetimes::default()),
                now,
                &devicegate_tests::setup_record(
                    devicegate::model::AuditType::DeviceCodeApproved,
                    "test"
                ),
            )
            .await
            .unwrap()
    );
    env.force_poll_due(&c.device_code).await;
    if step == Step::OAuthRedeem {
        return c;
    }
    let t = env
        .oauth2("/oauth2/token", &oauth_poll_body(&c), None)
        .await;
    assert_eq!(t.status, 200, "{}", t.json);
    c.access = t.str("access_token");
    c.refresh = t.str("refresh_token");
    c
}

fn oauth_poll_body(c: &Ctx) -> String {
    format!(
        "grant_type={}&device_code={}&client_id={}",
        enc(DEVICE_GRANT),
        enc(&c.device_code),
        enc(&c.cli_id)
    )
}

/// What a step answered: status, error code (empty on success), the body as sent, and for
/// introspection whether the token was active.
#[derive(Clone, Debug)]
struct Outcome {
    status: u16,
    error: String,
    body: String,
    active: Option<bool>,
}

impl Outcome {
    fn of_reply(reply: Reply) -> Outcome {
        Outcome {
            status: reply.status,
            error: reply.error().to_owned(),
            body: reply.json.to_string(),
            active: reply.json.get("active").and_then(Value::as_bool),
        }
    }

    /// A use case's result as the page would answer it (its status and code, and only the
    /// description that may be sent).
    fn of_result(result: Result<(), Error>) -> Outcome {
        match result {
            Ok(()) => Outcome {
                status: 200,
                error: String::new(),
                body: String::new(),
                active: None,
            },
            Err(e) => {
                let (status, code) = devicegate::http::ErrorShape::OAuth.wire(&e);
                Outcome {
                    status,
                    error: code.to_owned(),
                    body: serde_json::json!({"error": code, "error_description": e.description()})
                        .to_string(),
                    active: None,
                }
            }
        }
    }

    fn is_server_error(&self) -> bool {
        self.status == 500
    }

    /// The same answer as the step gives without faults.
    fn same_as(&self, normal: &Outcome) -> bool {
        self.status == normal.status && self.error == normal.error && self.active == normal.active
    }
}

async fn run(step: Step, c: &Ctx) -> Outcome {
    let env = &c.env;
    let now = http::now();
    match step {
        Step::ParagonRegister => Outcome::of_reply(
            env.register(&register_body(&c.printer, &c.api_key), None)
                .await,
        ),
        Step::ParagonPendingPoll | Step::ParagonRedeem => {
            Outcome::of_reply(env.poll(&c.printer, &c.api_key, &c.device_code).await)
        }
        Step::ParagonRefresh => {
            Outcome::of_reply(env.refresh(&c.printer, &c.api_key, &c.refresh).await)
        }
        Step::OAuthDeviceAuthorization => Outcome::of_reply(
            env.oauth2(
                "/oauth2/device_authorization",
                &format!("client_id={}&scope=read", enc(&c.cli_id)),
                None,
            )
            .await,
        ),
        Step::OAuthPendingPoll | Step::OAuthRedeem => {
            Outcome::of_reply(env.oauth2("/oauth2/token", &oauth_poll_body(c), None).await)
        }
        Step::OAuthRefresh => Outcome::of_reply(
            env.oauth2(
                "/oauth2/token",
                &format!(
                    "grant_type=refresh_token&refresh_token={}&client_id={}",
                    enc(&c.refresh),
                    enc(&c.cli_id)
                ),
                None,
            )
            .await,
        ),
        Step::OAuthRevoke => Outcome::of_reply(
            env.oauth2(
                "/oauth2/revoke",
                &format!("token={}&client_id={}", enc(&c.refresh), enc(&c.cli_id)),
                None,
            )
            .await,
        ),
        Step::OAuthIntrospect => Outcome::of_reply(
            env.oauth2(
                "/oauth2/introspect",
                &format!("token={}", enc(&c.access)),
                Some((&c.rs_id, &c.rs_secret)),
            )
            .await,
        ),
        Step::AdminApprove | Step::AdminDeny | Step::AdminRevoke => {
            let action = match step {
                Step::AdminApprove => "approve",
                Step::AdminDeny => "deny",
                _ => "revoke",
            };
            Outcome::of_reply(
                env.admin_post(
                    &c.admin,
                    &format!("/admin/devices/{}/{action}", c.printer),
                    None,
                )
                .await,
            )
        }
        Step::PageSignIn => Outcome::of_result(
            sign_in::sign_in(
                env.store(),
                &env.deps.settings,
                &c.username,
                PASSWORD,
                &devicegate_tests::origin_from(&c.source),
                now,
            )
            .await
            .map(|_| ()),
        ),
        Step::PageApprove => {
            let session = c.session.as_ref().unwrap();
            let result = async {
                let request = verification::find_request(
                    env.store(),
                    &env.deps.settings,
                    session,
                    &c.user_code,
                    &c.source,
                    now,
                )
                .await?;
                verification::decide(
                    env.store(),
                    session,
                    &request,
                    PageDecision::Approve,
                    &devicegate_tests::origin(),
                    now,
                )
                .await
            }
            .await;
            Outcome::of_result(result)
        }
    }
}

// ----- the state, as raw items -----

/// Every item of the tables the flows write, by table, keyed by each table's key.
#[derive(Debug, Default)]
struct World {
    devices: HashMap<String, Value>,
    codes: HashMap<String, Value>,
    tokens: HashMap<String, Value>,
    families: HashMap<String, Value>,
    user_codes: HashMap<String, Value>,
    users: HashMap<String, Value>,
    sessions: HashMap<String, Value>,
    rate_limits: HashMap<String, Value>,
    audit: HashMap<String, Value>,
}

impl World {
    /// How many audit records of `kind` there are.
    fn records(&self, kind: &str) -> usize {
        self.audit
            .values()
            .filter(|r| s(r, "type") == Some(kind))
            .count()
    }
}

fn world(env: &TestEnv, snapshot: &[String]) -> World {
    let t = env.store().tables();
    let mut w = World::default();
    for line in snapshot {
        let (table, json) = line.split_once(": ").unwrap();
        let item: Value = serde_json::from_str(json).unwrap();
        let (map, key) = if table == t.devices {
            (&mut w.devices, "client_id")
        } else if table == t.device_codes {
            (&mut w.codes, "code_hash")
        } else if table == t.tokens {
            (&mut w.tokens, "token_hash")
        } else if table == t.families {
            (&mut w.families, "family_id")
        } else if table == t.user_codes {
            (&mut w.user_codes, "code_hmac")
        } else if table == t.users {
            (&mut w.users, "username")
        } else if table == t.sessions {
            (&mut w.sessions, "session_hash")
        } else if table == t.rate_limits {
            (&mut w.rate_limits, "counter_key")
        } else if table == t.audit {
            (&mut w.audit, "id")
        } else {
            continue;
        };
        map.insert(item[key].as_str().unwrap().to_owned(), item);
    }
    w
}

fn s<'a>(item: &'a Value, field: &str) -> Option<&'a str> {
    item.get(field).and_then(Value::as_str)
}

/// Whatever any flow did or failed to do, these hold over the raw items. Returns every
/// violation found.
fn invariants(w: &World) -> Vec<String> {
    let mut bad = Vec::new();
    // Tokens belong to an existing family of the same client.
    for (hash, t) in &w.tokens {
        match s(t, "family_id").and_then(|f| w.families.get(f)) {
            None => bad.push(format!("token {hash} has no family")),
            Some(f) if s(f, "client_id") != s(t, "client_id") => bad.push(format!(
                "token {hash} and its family name different clients"
            )),
            Some(_) => {}
        }
    }
    // Each family was issued by exactly one redeemed code, and holds one access and one
    // refresh token per issue: exactly one refresh token not rotated out.
    for (id, f) in &w.families {
        let of: Vec<&Value> = w
            .tokens
            .values()
            .filter(|t| s(t, "family_id") == Some(id))
            .collect();
        let access = of.iter().filter(|t| s(t, "kind") == Some("access")).count();
        let refresh = of
            .iter()
            .filter(|t| s(t, "kind") == Some("refresh"))
            .count();
        let live_refresh = of
            .iter()
            .filter(|t| s(t, "kind") == Some("refresh") && t.get("rotated_at").is_none())
            .count();
        if access != refresh || refresh == 0 || live_refresh != 1 {
            bad.push(format!(
                "family {id}: {access} access, {refresh} refresh ({live_refresh} not rotated)"
            ));
        }
        let issuers = w
            .codes
            .values()
            .filter(|c| s(c, "family_id") == Some(id) && s(c, "status") == Some("redeemed"))
            .count();
        if issuers != 1 {
            bad.push(format!(
                "family {id} was issued by {issuers} redeemed codes"
            ));
        }
        // A revoked device's families are revoked.
        if let Some(owner) = s(f, "owner").and_then(|o| o.strip_prefix("device#"))
            && w.devices.get(owner).and_then(|d| s(d, "status")) == Some("revoked")
            && s(f, "status") != Some("revoked")
        {
            bad.push(format!(
                "family {id} is active but its device {owner} is revoked"
            ));
        }
    }
    for (hash, c) in &w.codes {
        let status = s(c, "status").unwrap_or("?");
        // Redeemed if and only if it names a family, which exists.
        match (status == "redeemed", s(c, "family_id")) {
            (true, Some(f)) if !w.families.contains_key(f) => {
                bad.push(format!("code {hash} is redeemed into missing family {f}"))
            }
            (true, None) => bad.push(format!("code {hash} is redeemed without a family")),
            (false, Some(_)) => bad.push(format!("code {hash} is {status} yet names a family")),
            _ => {}
        }
        let client_id = s(c, "client_id").unwrap_or("?");
        let owner = c.get("owner");
        if owner.and_then(|o| s(o, "kind")) == Some("device") {
            // A Paragon code: its device exists; a pending code is the device's waiting one,
            // a decided one is not.
            let Some(device) = w.devices.get(client_id) else {
                bad.push(format!("code {hash} names missing device {client_id}"));
                continue;
            };
            let waiting = device
                .get("pending")
                .and_then(|p| s(p, "code_hash"))
                .is_some_and(|h| h == hash);
            if (status == "pending") != waiting {
                bad.push(format!(
                    "code {hash} is {status} but the device's waiting registration {}",
                    if waiting { "is it" } else { "is not it" }
                ));
            }
        } else {
            // An OAuth code: its user code points back at it; a decided one names its user.
            match s(c, "user_code_hmac") {
                Some(hmac) => match w.user_codes.get(hmac) {
                    Some(u) if s(u, "device_code_hash") == Some(hash) => {}
                    _ => bad.push(format!("code {hash} has no user code pointing at it")),
                },
                None => bad.push(format!("OAuth code {hash} has no user code")),
            }
            let username = owner.and_then(|o| s(o, "username"));
            if status != "pending" && !username.is_some_and(|u| w.users.contains_key(u)) {
                bad.push(format!("code {hash} is {status} without an existing user"));
            }
        }
    }
    for (hmac, u) in &w.user_codes {
        if !s(u, "device_code_hash").is_some_and(|h| w.codes.contains_key(h)) {
            bad.push(format!("user code {hmac} points at no device code"));
        }
    }
    for (id, d) in &w.devices {
        let queued = s(d, "queue");
        let pending = d.get("pending");
        match (queued, pending) {
            (None, None) => {}
            (Some("pending"), Some(p)) => match s(p, "code_hash").and_then(|h| w.codes.get(h)) {
                Some(code) if s(code, "status") == Some("pending") => {}
                Some(code) => bad.push(format!(
                    "device {id} waits on a code that is {}",
                    s(code, "status").unwrap_or("?")
                )),
                None => bad.push(format!("device {id} waits on a missing code")),
            },
            _ => bad.push(format!(
                "device {id}: queue {queued:?} and pending disagree"
            )),
        }
    }
    for (hash, session) in &w.sessions {
        if !s(session, "username").is_some_and(|u| w.users.contains_key(u)) {
            bad.push(format!("session {hash} names no user"));
        }
    }
    // A guessing counter holds when it is empty again (`tat`); a fixed-window one, its count.
    for (key, counter) in &w.rate_limits {
        let guessing = counter["tat"].as_i64().is_some() && counter.get("count").is_none();
        let window = counter["count"].as_i64().is_some_and(|n| n >= 0);
        if !(guessing || window) {
            bad.push(format!("counter {key} is {counter}"));
        }
    }
    bad
}

/// Whether a once-only step fully happened between `before` and `after`. `Some(revoked)`:
/// it happened (and whether the family it issued was revoked straight after); `None`: not.
fn happened(step: Step, c: &Ctx, before: &World, after: &World) -> Option<bool> {
    let code = || after.codes.get(&hash_secret(&c.device_code));
    match step {
        Step::ParagonRegister => {
            let device = after.devices.get(&c.printer)?;
            let waiting = device.get("pending").and_then(|p| s(p, "code_hash"))?;
            (after.codes.get(waiting).and_then(|c| s(c, "status")) == Some("pending"))
                .then_some(false)
        }
        Step::ParagonRedeem | Step::OAuthRedeem => {
            let code = code()?;
            let family_id = s(code, "family_id")?;
            let family = after.families.get(family_id)?;
            let tokens = after
                .tokens
                .values()
                .filter(|t| s(t, "family_id") == Some(family_id))
                .count();
            (s(code, "status") == Some("redeemed") && tokens == 2)
                .then_some(s(family, "status") == Some("revoked"))
        }
        Step::ParagonRefresh | Step::OAuthRefresh => {
            let old = after.tokens.get(&hash_secret(&c.refresh))?;
            let family_id = s(old, "family_id")?;
            let count = |w: &World| {
                w.tokens
                    .values()
                    .filter(|t| s(t, "family_id") == Some(family_id))
                    .count()
            };
            (old.get("rotated_at").is_some() && count(after) == count(before) + 2).then_some(
                after.families.get(family_id).and_then(|f| s(f, "status")) == Some("revoked"),
            )
        }
        Step::OAuthDeviceAuthorization => (after.codes.len() == before.codes.len() + 1
            && after.user_codes.len() == before.user_codes.len() + 1)
            .then_some(false),
        Step::AdminApprove | Step::AdminDeny => {
            let (device_status, code_status) = if step == Step::AdminApprove {
                ("approved", "approved")
            } else {
                ("denied", "denied")
            };
            let device = after.devices.get(&c.printer)?;
            (s(device, "status") == Some(device_status)
                && device.get("pending").is_none()
                && s(code()?, "status") == Some(code_status))
            .then_some(false)
        }
        Step::PageApprove => {
            let code = code()?;
            (s(code, "status") == Some("approved")
                && code.get("owner").and_then(|o| s(o, "username")) == Some(c.username.as_str()))
            .then_some(false)
        }
        _ => Some(false),
    }
}

/// Nothing internal in a server error's body: no table, no SDK or DynamoDB text.
fn leaks(body: &str) -> Option<&'static str> {
    [
        "devicegate-",
        "DynamoDB",
        "dynamodb",
        "TransactWriteItems",
        "UpdateItem",
        "GetItem",
        "PutItem",
        "Query",
        "Throttl",
        "InternalServerError",
        "dispatch",
        "timed out",
        "injected",
        "cancelled",
        "service error",
    ]
    .into_iter()
    .find(|needle| body.contains(needle))
}

/// What one fault case saw.
#[derive(Debug)]
struct CaseResult {
    step: Step,
    call: usize,
    operation: String,
    fault: Fault,
    outcome: Outcome,
    /// Every way the case broke a rule (empty: it held).
    problems: Vec<String>,
    /// A once-only step that happened but whose new family was revoked at once.
    revoked_after_issue: bool,
}

/// Runs `step` (case `n`, in `base`'s tables) with call `call` failing as `fault`, and checks
/// the reply and the state.
async fn fault_case(
    base: &TestEnv,
    n: usize,
    (step, call, fault): (Step, usize, Fault),
    normal: &Outcome,
    without_idempotency: bool,
) -> CaseResult {
    let c = setup_in(step, fast_env(base, without_idempotency), n).await;
    let before_snap = c.env.snapshot().await;
    c.env.faults.fail_call(call, fault);
    let outcome = run(step, &c).await;
    let injected = c.env.faults.clear();
    let after_snap = c.env.snapshot().await;
    let (before, after) = (world(&c.env, &before_snap), world(&c.env, &after_snap));
    let mut problems = Vec::new();
    let operation = match injected.as_slice() {
        [(n, op, f)] if *n == call && *f == fault => op.clone(),
        other => {
            problems.push(format!("expected one injected fault, got {other:?}"));
            String::new()
        }
    };
    if outcome.is_server_error() {
        if outcome.error != "server_error" {
            problems.push(format!("500 without server_error: {}", outcome.body));
        }
        if let Some(needle) = leaks(&outcome.body) {
            problems.push(format!(
                "server_error body leaks {needle:?}: {}",
                outcome.body
            ));
        }
    } else if !outcome.same_as(normal) {
        problems.push(format!(
            "answered {} {} ({}), neither the normal {} {} nor server_error",
            outcome.status, outcome.error, outcome.body, normal.status, normal.error
        ));
    }
    // Only what this case broke: earlier cases' leftovers were reported by those cases.
    let already = invariants(&before);
    problems.extend(
        invariants(&after)
            .into_iter()
            .filter(|v| !already.contains(v)),
    );
    let mut revoked_after_issue = false;
    if step.once() {
        let done = happened(step, &c, &before, &after);
        if outcome.is_server_error() {
            // Rate-limit counters may keep an attempt a failed request took.
            let strip = |snap: &[String]| -> Vec<String> {
                let rl = &c.env.store().tables().rate_limits;
                snap.iter()
                    .filter(|l| !l.starts_with(&format!("{rl}: ")))
                    .cloned()
                    .collect()
            };
            if done.is_none() && strip(&after_snap) != strip(&before_snap) {
                problems.push("server_error, and the step half happened".into());
            }
        } else if outcome.status < 300 && done.is_none() {
            problems.push("answered success but the step did not fully happen".into());
        }
        // The decision and its record: both or neither, and never twice (a retried write
        // meets its own first attempt).
        if let Some(kind) = step.record() {
            let new = after.records(kind) - before.records(kind).min(after.records(kind));
            let expected = usize::from(done.is_some());
            if new != expected {
                problems.push(format!(
                    "{new} new {kind} records, {expected} expected (the step {})",
                    if done.is_some() {
                        "happened"
                    } else {
                        "did not happen"
                    }
                ));
            }
        }
        revoked_after_issue = done == Some(true);
        if revoked_after_issue && outcome.status < 300 {
            problems.push("answered success but revoked what it issued".into());
        }
    }
    CaseResult {
        step,
        call,
        operation,
        fault,
        outcome,
        problems,
        revoked_after_issue,
    }
}

/// Runs a step once without faults: its normal answer and the DynamoDB calls it makes.
/// Case `n` in `base`'s tables, which no other task uses meanwhile (the call log is shared).
async fn baseline(step: Step, base: &TestEnv, n: usize) -> (Outcome, Vec<String>) {
    let c = setup(step, base, n).await;
    c.env.calls.take();
    let outcome = run(step, &c).await;
    let calls = c.env.calls.take();
    let after = world(&c.env, &c.env.snapshot().await);
    let bad = invariants(&after);
    assert!(bad.is_empty(), "{step:?} without faults: {bad:?}");
    (outcome, calls)
}

/// Steps written in two parts (step, call, fault): after the fault the state is half-written,
/// and the retry the client is told to make finishes it (a test each, below).
const KNOWN: &[(Step, usize, Fault, &str)] = &[
    (
        Step::AdminRevoke,
        4,
        Fault::Timeout,
        "admin_revoke_retried_after_a_fault_revokes_the_device_tokens",
    ),
    (
        Step::AdminRevoke,
        5,
        Fault::Timeout,
        "admin_revoke_retried_after_a_fault_revokes_the_device_tokens",
    ),
];

/// Revoking a device is two steps (the device, then each token family): when the family writes
/// fail, the administrator gets `server_error` with the device revoked and its families active.
/// Redemption, refresh and introspection all check the device, so the tokens are dead at once;
/// and revoking is idempotent, so the administrator's retry revokes the families and answers
/// 200. (Found by this file: the retry used to answer 409 and leave the families active.)
#[tokio::test]
async fn admin_revoke_retried_after_a_fault_revokes_the_device_tokens() {
    let base = TestEnv::new().await;
    for call in [4, 5] {
        let c = setup(Step::AdminRevoke, &base, call).await;
        c.env.faults.fail_call(call, Fault::Timeout);
        let first = run(Step::AdminRevoke, &c).await;
        c.env.faults.clear();
        assert_eq!((first.status, first.error.as_str()), (500, "server_error"));
        let retried = run(Step::AdminRevoke, &c).await;
        let after = world(&c.env, &c.env.snapshot().await);
        assert_eq!(
            invariants(&after),
            Vec::<String>::new(),
            "after the administrator's retry (answered {} {})",
            retried.status,
            retried.error
        );
        assert_eq!(retried.status, 200, "{}", retried.body);
    }
}

/// Cases run by this many workers, each in its own tables.
const WORKERS: usize = 6;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_call_of_every_flow_fails_safely_in_every_way() {
    let started = Instant::now();
    let mut plan = Vec::new();
    let mut cases = std::collections::VecDeque::new();
    let mut normals = HashMap::new();
    let base = TestEnv::new().await;
    for (i, step) in Step::ALL.into_iter().enumerate() {
        let (normal, calls) = baseline(step, &base, 100_000 + i).await;
        assert!(
            normal.status < 500,
            "{step:?} fails without faults: {}",
            normal.body
        );
        for call in 1..=calls.len() {
            for fault in FAULTS {
                cases.push_back((cases.len() + 1, (step, call, fault)));
            }
        }
        plan.push((step, calls));
        normals.insert(step, normal);
    }
    let cases = Arc::new(std::sync::Mutex::new(cases));
    let normals = Arc::new(normals);
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..WORKERS {
        let (cases, normals) = (cases.clone(), normals.clone());
        workers.spawn(async move {
            let base = TestEnv::new().await;
            let mut results = Vec::new();
            loop {
                let next = cases.lock().unwrap().pop_front();
                let Some((n, case)) = next else { break };
                results.push(fault_case(&base, n, case, &normals[&case.0], false).await);
            }
            results
        });
    }
    let mut results = Vec::new();
    while let Some(done) = workers.join_next().await {
        results.extend(done.unwrap());
    }
    results.sort_by_key(|r| (Step::ALL.iter().position(|s| *s == r.step), r.call));

    let mut failures = Vec::new();
    let (mut ok, mut server_errors, mut revoked) = (0, 0, 0);
    for r in &results {
        if r.outcome.is_server_error() {
            server_errors += 1;
        } else {
            ok += 1;
        }
        if r.revoked_after_issue {
            revoked += 1;
            eprintln!(
                "note: {:?} call {} ({}) {:?}: issued, then revoked what it issued; answered {} {}",
                r.step, r.call, r.operation, r.fault, r.outcome.status, r.outcome.error
            );
        }
        let known = KNOWN
            .iter()
            .any(|(s, c, f, _)| *s == r.step && *c == r.call && *f == r.fault);
        if !r.problems.is_empty() && !known {
            failures.push(format!(
                "{:?} call {} ({}) {:?}: {}",
                r.step,
                r.call,
                r.operation,
                r.fault,
                r.problems.join("; ")
            ));
        }
    }
    for (step, calls) in &plan {
        let of: Vec<&CaseResult> = results.iter().filter(|r| r.step == *step).collect();
        eprintln!(
            "{step:?}: calls {calls:?}; {} cases, {} normal answer, {} server_error",
            of.len(),
            of.iter().filter(|r| !r.outcome.is_server_error()).count(),
            of.iter().filter(|r| r.outcome.is_server_error()).count(),
        );
    }
    eprintln!(
        "{} fault cases ({} steps): {ok} normal answer, {server_errors} server_error, \
         {revoked} revoked what they issued; {:.1} s",
        results.len(),
        Step::ALL.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// With idempotency tokens, a lost answer to a transaction is harmless: the SDK's retry carries
/// the same `ClientRequestToken` and DynamoDB answers it from its idempotency cache. Without
/// them (a retry that reaches DynamoDB as a new request, as when the first attempt is still in
/// progress and a later one is made), the retry meets its own committed write. Devices, codes,
/// families and tokens are then still never half-written, though the answers are wrong (a
/// redemption or rotation revokes what it just issued and answers `invalid_grant`; a decision
/// answers 409; an authorization leaves an orphan code behind) and a rate-limit counter given
/// back twice goes below zero. This prints what each answers and checks the rest.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_transaction_answers_without_idempotency_leave_nothing_half_written() {
    let base = TestEnv::new().await;
    let mut n = 10_000;
    let mut failures = Vec::new();
    for step in Step::ALL.into_iter().filter(|s| s.once()) {
        n += 1;
        let (normal, calls) = baseline(step, &base, n).await;
        for (i, op) in calls.iter().enumerate() {
            if op != "TransactWriteItems" {
                continue;
            }
            n += 1;
            let r = fault_case(&base, n, (step, i + 1, Fault::LostAnswer), &normal, true).await;
            eprintln!(
                "{step:?} call {} without idempotency: answered {} {}{}; problems: {:?}",
                i + 1,
                r.outcome.status,
                r.outcome.error,
                if r.revoked_after_issue {
                    " (issued, then revoked what it issued)"
                } else {
                    ""
                },
                r.problems
            );
            let unsafe_problems: Vec<&String> = r
                .problems
                .iter()
                .filter(|p| !p.starts_with("answered ") && !p.starts_with("counter "))
                .collect();
            if !unsafe_problems.is_empty() {
                failures.push(format!("{step:?} call {}: {unsafe_problems:?}", i + 1));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
