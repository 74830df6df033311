//! The state as raw items, the invariants every case must leave holding, whether a once-only
//! step happened, and what a reply must never leak.

use super::*;

/// Every item of the tables the flows write, by table, keyed by each table's key.
#[derive(Debug, Default)]
pub(super) struct World {
    pub(super) devices: HashMap<String, Value>,
    pub(super) codes: HashMap<String, Value>,
    pub(super) tokens: HashMap<String, Value>,
    pub(super) families: HashMap<String, Value>,
    pub(super) user_codes: HashMap<String, Value>,
    pub(super) users: HashMap<String, Value>,
    pub(super) sessions: HashMap<String, Value>,
    pub(super) rate_limits: HashMap<String, Value>,
    pub(super) audit: HashMap<String, Value>,
}

impl World {
    /// How many audit records of `kind` there are.
    pub(super) fn records(&self, kind: &str) -> usize {
        self.audit
            .values()
            .filter(|r| s(r, "type") == Some(kind))
            .count()
    }
}

pub(super) fn world(env: &TestEnv, snapshot: &[String]) -> World {
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

pub(super) fn s<'a>(item: &'a Value, field: &str) -> Option<&'a str> {
    item.get(field).and_then(Value::as_str)
}

/// Whatever any flow did or failed to do, these hold over the raw items. Returns every
/// violation found.
pub(super) fn invariants(w: &World) -> Vec<String> {
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
pub(super) fn happened(step: Step, c: &Ctx, before: &World, after: &World) -> Option<bool> {
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
pub(super) fn leaks(body: &str) -> Option<&'static str> {
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
