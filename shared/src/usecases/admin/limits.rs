//! Guessing limits as an administrator sees and lifts them: a user's wrong-code limit, and,
//! given a source address, the user's sign-in and login limits from it and that address's own.

use serde::Serialize;

use crate::error::Error;
use crate::model::{AuditEvent, AuditType, Origin, Username};
use crate::storage::{AttemptCounter, Store};
use crate::usecases::sign_in::{code_counters, sign_in_counters, source_subject};
use crate::usecases::user_tokens::login_counters;

/// One limit's state now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct LimitState {
    /// What it counts: `wrong_codes`, `sign_ins`, `logins` (the user's), or the same with
    /// `_from_source` (the address's, whoever signs in).
    pub limit: &'static str,
    /// Failures it admits in a row now.
    pub remaining: i64,
    /// The most it admits in a row, and how often one more comes back once they are spent.
    pub burst: i64,
    pub interval_seconds: i64,
    /// Seconds until it admits the next attempt: 0 unless `remaining` is 0.
    pub retry_after_seconds: i64,
}

fn counters(username: &Username, source: Option<&str>) -> Vec<(&'static str, AttemptCounter)> {
    let user = username.as_str();
    let [code_user, _] = code_counters(user, "");
    let mut all = vec![("wrong_codes", code_user)];
    if let Some(source) = source {
        let source = source_subject(source);
        let [_, code_source] = code_counters(user, &source);
        let [sign_in_user, sign_in_source] = sign_in_counters(user, &source);
        let [login_user, login_source] = login_counters(&format!("user#{user}"), user, &source);
        all.extend([
            ("sign_ins", sign_in_user),
            ("logins", login_user),
            ("wrong_codes_from_source", code_source),
            ("sign_ins_from_source", sign_in_source),
            ("logins_from_source", login_source),
        ]);
    }
    all
}

fn state(limit: &'static str, counter: &AttemptCounter, tat: Option<i64>, now: i64) -> LimitState {
    let busy = tat.map_or(0, |t| (t - now).max(0));
    // Each failure in the counter holds it `interval` longer; a part-spent one counts whole.
    let held = (busy + counter.interval - 1) / counter.interval;
    LimitState {
        limit,
        remaining: (counter.burst - held).max(0),
        burst: counter.burst,
        interval_seconds: counter.interval,
        retry_after_seconds: counter.wait(tat, now),
    }
}

/// The user's limits (and, with `source`, those from that address), as they stand at `now`.
pub async fn user_limits(
    store: &Store,
    username: &str,
    source: Option<&str>,
    now: i64,
) -> Result<Vec<LimitState>, Error> {
    let username = parse(username, source)?;
    if store.get_user(username.as_str()).await?.is_none() {
        return Err(Error::NotFound("no such user".into()));
    }
    let counters = counters(&username, source);
    let list: Vec<AttemptCounter> = counters.iter().map(|(_, c)| c.clone()).collect();
    let tats = store.attempt_counter_tats(&list).await?;
    Ok(counters
        .iter()
        .zip(tats)
        .map(|((limit, counter), tat)| state(limit, counter, tat, now))
        .collect())
}

/// The wrong-code limits of these users that hold recent failures, by username (one round trip
/// per hundred users): what the console shows beside each user.
pub async fn wrong_code_limits(
    store: &Store,
    usernames: &[&str],
    now: i64,
) -> Result<std::collections::HashMap<String, LimitState>, Error> {
    let counters: Vec<AttemptCounter> = usernames
        .iter()
        .map(|u| code_counters(u, "")[0].clone())
        .collect();
    let tats = store.attempt_counter_tats(&counters).await?;
    Ok(usernames
        .iter()
        .zip(counters.iter().zip(tats))
        .map(|(u, (c, tat))| ((*u).to_owned(), state("wrong_codes", c, tat, now)))
        .filter(|(_, state)| state.remaining < state.burst)
        .collect())
}

/// Lifts the user's limits (and, with `source`, those from that address): they admit a whole
/// burst again at once. One transaction empties them and records `limit.lifted`.
pub async fn lift_user_limits(
    store: &Store,
    username: &str,
    source: Option<&str>,
    now: i64,
    origin: &Origin,
) -> Result<Vec<LimitState>, Error> {
    let username = parse(username, source)?;
    // An unknown user is a 404 before anything is lifted or recorded.
    store
        .get_user(username.as_str())
        .await?
        .ok_or_else(|| Error::NotFound("no such user".into()))?;
    let counters: Vec<AttemptCounter> = counters(&username, source)
        .into_iter()
        .map(|(_, counter)| counter)
        .collect();
    let audit = AuditEvent::success(AuditType::LimitLifted, origin, username.as_str()).because(
        &match source {
            Some(source) => format!("the user's limits and those of {source}"),
            None => "the user's wrong-code limit".to_owned(),
        },
    );
    store.clear_attempt_counters(&counters, &audit).await?;
    tracing::info!(username = %username.as_str(), source = ?source, "guessing limits lifted");
    user_limits(store, username.as_str(), source, now).await
}

fn parse(username: &str, source: Option<&str>) -> Result<Username, Error> {
    if source.is_some_and(|s| s.parse::<std::net::IpAddr>().is_err()) {
        return Err(Error::invalid_request(
            "source must be an IPv4 or IPv6 address",
        ));
    }
    Username::parse(username).map_err(|_| Error::NotFound("no such user".into()))
}
