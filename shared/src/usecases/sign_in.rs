//! Signing in on devicegate's pages: argon2id passwords, sessions, and failure limits counted
//! by conditional writes before an attempt is judged (per user and address, and per address).

use crate::error::Error;
use crate::model::*;
use crate::password;
use crate::secrets::{self, SecretKind, hash_secret};
use crate::storage::*;

/// How long a page session lasts.
pub const SESSION_TTL: i64 = 3600;

/// A limit on failed attempts: at most `max_failures` in a row, refilled steadily so that
/// `max_failures` more fit in each `window` in the long run (one every `window / max_failures`
/// seconds). Nobody waits for a calendar window to end: after a burst of failures, the next
/// attempt is one interval away.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit {
    pub max_failures: i64,
    pub window: i64,
}

impl Limit {
    /// Seconds between two attempts once the burst is spent.
    pub fn interval(self) -> i64 {
        (self.window / self.max_failures.max(1)).max(1)
    }
}

/// Wrong user codes per signed-in user: 10 a day (one every 2.4 hours after 10 in a row).
pub const CODE_LIMIT_PER_USER: Limit = Limit {
    max_failures: 10,
    window: 24 * 3600,
};

/// Wrong user codes per source address: 30 an hour.
pub const CODE_LIMIT_PER_SOURCE: Limit = Limit {
    max_failures: 30,
    window: 3600,
};

/// Failed sign-ins per username and source address: 10 in 15 minutes. Keyed by both, so that
/// nobody can lock a user out from their own address; a guesser is held back per address.
pub const SIGN_IN_LIMIT_PER_USER_AND_SOURCE: Limit = Limit {
    max_failures: 10,
    window: 900,
};

/// Failed sign-ins per source address, whatever the username: 30 in 15 minutes.
pub const SIGN_IN_LIMIT_PER_SOURCE: Limit = Limit {
    max_failures: 30,
    window: 900,
};

/// The counter of `subject`'s failures under `limit`; the trail names `subject` when it trips.
pub fn counter(kind: &str, subject: &str, limit: Limit) -> AttemptCounter {
    AttemptCounter {
        key: format!("{kind}#{subject}"),
        burst: limit.max_failures,
        interval: limit.interval(),
        shown: subject.to_owned(),
    }
}

/// The same counter, named `shown` in the trail (a username rather than username and source).
pub fn shown_as(mut counter: AttemptCounter, shown: &str) -> AttemptCounter {
    counter.shown = shown.to_owned();
    counter
}

/// The counters a typed user code takes from: the signed-in user's and the source's.
pub fn code_counters(username: &str, source: &str) -> [AttemptCounter; 2] {
    [
        counter("code-user", username, CODE_LIMIT_PER_USER),
        counter("code-source", source, CODE_LIMIT_PER_SOURCE),
    ]
}

/// The counters a sign-in takes from: the username's from this source, and the source's.
pub fn sign_in_counters(username: &str, source: &str) -> [AttemptCounter; 2] {
    [
        shown_as(
            counter(
                "signin-user-source",
                &format!("{username}#{source}"),
                SIGN_IN_LIMIT_PER_USER_AND_SOURCE,
            ),
            username,
        ),
        sign_in_source_counter(source),
    ]
}

/// The counter of a source's failed sign-ins, whatever the username (or none at all).
pub fn sign_in_source_counter(source: &str) -> AttemptCounter {
    counter("signin-source", source, SIGN_IN_LIMIT_PER_SOURCE)
}

/// Who a source address is for counting: an IPv4 address, or an IPv6 address's /64 (one
/// subscriber usually holds a whole /64, and could otherwise rotate through it).
pub fn source_subject(source: &str) -> String {
    match source.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                let prefix = std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0);
                format!("{prefix}/64")
            }
        },
        Ok(std::net::IpAddr::V4(v4)) => v4.to_string(),
        Err(_) => source.chars().take(64).collect(),
    }
}

/// Takes an attempt from every counter before the attempt is judged; refuses when one is full,
/// and the first refusal since the counter filled records `limit.tripped` (by `origin`).
pub(crate) async fn take_attempt(
    store: &Store,
    counters: &[AttemptCounter],
    origin: &Origin,
    now: i64,
) -> Result<(), Error> {
    let Some(full) = store.take_attempts(counters, now).await? else {
        return Ok(());
    };
    if let Some(counter) = counters.get(full.counter) {
        let limit = counter.key.split('#').next().unwrap_or_default();
        let audit = AuditEvent::failure(
            AuditType::LimitTripped,
            origin,
            &counter.shown,
            &format!(
                "{limit}: {} failures in a row; attempts refused for {} s, then one every {} s",
                counter.burst, full.wait, counter.interval
            ),
        );
        store.record_limit_trip(counter, &full, &audit).await?;
    }
    Err(Error::TooManyAttempts(full.wait))
}

/// A session just started: the cookie value goes to the browser, the session to storage.
pub struct SignedIn {
    pub cookie_value: String,
    pub session: Session,
}

/// Signs a user in. Wrong password, unknown user and disabled user get the same answer and take
/// the same time (an argon2id verification each).
pub async fn sign_in(
    store: &Store,
    settings: &crate::config::Settings,
    username: &str,
    password_text: &str,
    origin: &Origin,
    now: i64,
) -> Result<SignedIn, Error> {
    if !settings.local_passwords {
        return Err(Error::AccessDenied(
            "password sign-in is turned off here; sign in with your identity provider".into(),
        ));
    }
    let refused = || Error::AccessDenied("wrong username or password".into());
    let failed = |subject: &str| {
        AuditEvent::failure(
            AuditType::SigninFailed,
            origin,
            subject,
            "wrong username or password, or the user is disabled",
        )
    };
    let source = source_subject(&origin.source_ip);
    // Text that is no username counts against the address like any failure, and takes the
    // same argon2id work, so it is neither a way round the limit nor a faster answer.
    let Ok(username) = Username::parse(username) else {
        take_attempt(store, &[sign_in_source_counter(&source)], origin, now).await?;
        password::verify(password_text, None);
        store.record(&[failed("(not a username)")]).await?;
        return Err(refused());
    };
    let counters = sign_in_counters(username.as_str(), &source);
    take_attempt(store, &counters, origin, now).await?;
    let user: Option<User> = store.get_user(username.as_str()).await?;
    let known = user.is_some();
    let matches = password::verify(
        password_text,
        user.as_ref().map(|u| u.password_hash.as_str()),
    );
    let Some(user) = user.filter(|u| matches && !u.disabled) else {
        // The attempt taken stays taken: it was a failure. The trail names a username only
        // when such a user exists: what was typed for one that does not may be a password.
        tracing::info!(%source, "failed sign-in on the verification page");
        let subject = if known {
            username.as_str()
        } else {
            "(unknown user)"
        };
        store.record(&[failed(subject)]).await?;
        return Err(refused());
    };
    start_session(store, user, None, &counters, origin, now).await
}

/// Starts a page session for `user` (signed in by password, or through the provider `via`)
/// and gives back the attempts the sign-in took, in one transaction.
pub(crate) async fn start_session(
    store: &Store,
    user: User,
    via: Option<&IdentityProvider>,
    counters: &[AttemptCounter],
    origin: &Origin,
    now: i64,
) -> Result<SignedIn, Error> {
    let cookie = secrets::issue(SecretKind::Session)?;
    let audit = AuditEvent::success(
        AuditType::SigninSucceeded,
        &origin.by(Actor::user(&user.username)),
        &user.username,
    )
    .because(&match via {
        Some(provider) => format!("through the identity provider {}", provider.id),
        None => "with a password".to_owned(),
    });
    let session = Session {
        session_hash: cookie.hash().to_owned(),
        credentials_version: user.credentials_version,
        username: user.username,
        created_at: now,
        expires_at: now + SESSION_TTL,
        ttl: now + SESSION_TTL,
        via: via.map(|p| p.name.clone()),
        provider_id: via.map(|p| p.id.clone()),
    };
    store.start_session(&session, counters, &audit).await?;
    Ok(SignedIn {
        cookie_value: cookie.into_value(),
        session,
    })
}

/// The session behind a cookie, if it is live and its user's password has not been reset nor
/// the user disabled since it began (two reads: the session, then its user), nor the provider
/// it came through disabled.
pub async fn session_of(
    store: &Store,
    cookie_value: &str,
    now: i64,
) -> Result<Option<Session>, Error> {
    let Some(session) = store
        .get_live_session(&hash_secret(cookie_value), now)
        .await?
    else {
        return Ok(None);
    };
    let user = store.get_user(&session.username).await?;
    let current =
        user.is_some_and(|u| !u.disabled && u.credentials_version == session.credentials_version);
    if !current {
        return Ok(None);
    }
    // A federated session lasts only while its provider is enabled (a third read).
    if let Some(id) = &session.provider_id {
        let provider = store.get_identity_provider(id).await?;
        if !provider.is_some_and(|p| p.enabled) {
            return Ok(None);
        }
    }
    Ok(Some(session))
}

pub async fn sign_out(store: &Store, cookie_value: &str) -> Result<(), Error> {
    store.delete_session(&hash_secret(cookie_value)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_limit_refills_one_attempt_per_interval() {
        let c = counter("code-user", "ada", CODE_LIMIT_PER_USER);
        assert_eq!(c.key, "code-user#ada");
        assert_eq!((c.burst, c.interval), (10, 8_640));
        let now = 1_800_000_000;
        // Empty, or empty again: no wait.
        assert_eq!(c.wait(None, now), 0);
        assert_eq!(c.wait(Some(now - 1), now), 0);
        // Ten failures in a row leave the counter full for one interval, not for a day.
        assert_eq!(c.wait(Some(now + 9 * 8_640), now), 0);
        assert_eq!(c.wait(Some(now + 10 * 8_640), now), 8_640);
        assert_eq!(c.wait(Some(now + 10 * 8_640), now + 8_640), 0);
    }

    #[test]
    fn ipv6_sources_count_by_their_64() {
        assert_eq!(source_subject("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
        assert_eq!(
            source_subject("2001:db8:1:2:ffff:ffff:ffff:ffff"),
            source_subject("2001:db8:1:2::7")
        );
        assert_ne!(
            source_subject("2001:db8:1:3::1"),
            source_subject("2001:db8:1:2::1")
        );
        assert_eq!(source_subject("::ffff:192.0.2.1"), "192.0.2.1");
        assert_eq!(source_subject("192.0.2.1"), "192.0.2.1");
        assert_eq!(source_subject("unknown"), "unknown");
    }
}
