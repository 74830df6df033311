//! Settings read once per cold start.

use crate::storage::Tables;

#[derive(Clone, Debug)]
pub struct Settings {
    pub tables: Tables,
    /// How long a registration waits for an administrator (DESIGN.md: 72 h by default).
    pub approval_window: i64,
    /// The minimum seconds between polls a device is told (RFC 8628's default, 5).
    pub poll_interval: i64,
}

pub const DEFAULT_APPROVAL_WINDOW: i64 = 72 * 3600;
pub const DEFAULT_POLL_INTERVAL: i64 = 5;

impl Settings {
    pub fn from_env() -> Settings {
        let lookup = |name: &str| std::env::var(name).ok();
        Settings {
            tables: Tables::from_lookup(lookup),
            approval_window: lookup("APPROVAL_WINDOW_SECONDS")
                .and_then(|v| v.parse().ok())
                .filter(|v| *v > 0)
                .unwrap_or(DEFAULT_APPROVAL_WINDOW),
            poll_interval: DEFAULT_POLL_INTERVAL,
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            tables: Tables::from_lookup(|_| None),
            approval_window: DEFAULT_APPROVAL_WINDOW,
            poll_interval: DEFAULT_POLL_INTERVAL,
        }
    }
}
