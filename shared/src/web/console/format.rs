//! How the console writes times and grants for a person: "3 min ago" or "2026-12-07 11:30 UTC"
//! inside `<time>` (the exact time in its title, for hover), and "Device code" rather than
//! `urn:ietf:params:oauth:grant-type:device_code`.

use maud::{Markup, html};

use crate::api::admin::views::rfc3339;
use crate::model::GrantType;

/// The grant as a person names it.
pub fn grant_name(grant: GrantType) -> &'static str {
    match grant {
        GrantType::DeviceCode => "Device code",
        GrantType::RefreshToken => "Refresh token",
        GrantType::AuthorizationCode => "Authorization code",
    }
}

/// `epoch` to the minute, `2026-12-07 11:30 UTC` (or with seconds, for the exact title).
fn calendar(epoch: i64, seconds: bool) -> String {
    let format = if seconds {
        "%Y-%m-%d %H:%M:%S UTC"
    } else {
        "%Y-%m-%d %H:%M UTC"
    };
    match chrono::DateTime::from_timestamp(epoch, 0) {
        Some(time) => time.format(format).to_string(),
        None => epoch.to_string(),
    }
}

/// `epoch` relative to `now` when it is within a day ("just now", "3 min ago", "in 2 h"),
/// else the day and minute in UTC.
pub fn human_time(epoch: i64, now: i64) -> String {
    let past = now.saturating_sub(epoch);
    let (ago, ahead) = (past, past.saturating_neg());
    match (ago, ahead) {
        (0..60, _) => "just now".to_owned(),
        (60..3600, _) => format!("{} min ago", ago / 60),
        (3600..86400, _) => format!("{} h ago", ago / 3600),
        (_, 1..3600) => format!("in {} min", (ahead + 59) / 60),
        (_, 3600..86400) => format!("in {} h", ahead / 3600),
        _ => calendar(epoch, false),
    }
}

/// A time as the console shows it: the person's reading, the exact time on hover.
pub fn time(epoch: i64, now: i64) -> Markup {
    html! {
        time datetime=(rfc3339(epoch)) title=(calendar(epoch, true)) { (human_time(epoch, now)) }
    }
}

/// An optional time, or "never".
pub fn time_or_never(epoch: Option<i64>, now: i64) -> Markup {
    match epoch {
        Some(epoch) => time(epoch, now),
        None => html! { "never" },
    }
}

/// How long ago, in words, without "ago": "4 min", "2 h", "3 days".
pub fn age(epoch: i64, now: i64) -> String {
    let seconds = now.saturating_sub(epoch).max(0);
    match seconds {
        0..60 => "under a minute".to_owned(),
        60..3600 => format!("{} min", seconds / 60),
        3600..86400 => format!("{} h", seconds / 3600),
        _ => format!("{} days", seconds / 86400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_796_643_000; // 2026-12-07 11:30:00 UTC

    #[test]
    fn times_read_as_a_person_says_them() {
        assert_eq!(calendar(NOW, false), "2026-12-07 11:30 UTC");
        assert_eq!(human_time(NOW - 5, NOW), "just now");
        assert_eq!(human_time(NOW - 180, NOW), "3 min ago");
        assert_eq!(human_time(NOW - 7300, NOW), "2 h ago");
        assert_eq!(human_time(NOW - 2 * 86400, NOW), "2026-12-05 11:30 UTC");
        assert_eq!(human_time(NOW + 90, NOW), "in 2 min");
        assert_eq!(human_time(NOW + 30 * 86400, NOW), "2027-01-06 11:30 UTC");
        let html = time(NOW - 180, NOW).into_string();
        assert_eq!(
            html,
            "<time datetime=\"2026-12-07T11:27:00Z\" title=\"2026-12-07 11:27:00 UTC\">3 min ago</time>"
        );
        assert_eq!(age(NOW - 300, NOW), "5 min");
    }

    #[test]
    fn every_grant_has_a_readable_name() {
        for grant in GrantType::ALL {
            assert!(!grant_name(*grant).contains(':'));
        }
        assert_eq!(grant_name(GrantType::DeviceCode), "Device code");
    }
}
