//! Test harness: a real DynamoDB-compatible server (dynoxide, in-process, on an ephemeral
//! loopback port), fresh tables per test created from `template.yaml`, and a DynamoDB client
//! that records every call it makes so tests can count round trips.
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod audit;
pub mod browser;
pub mod faults;
pub mod logs;
pub mod oauth;
pub mod server;
pub mod upstream;

mod dynamodb;
mod env;
mod events;
mod requests;
mod storage;

pub use dynamodb::*;
pub use env::*;
pub use events::*;
pub use requests::*;
pub use storage::*;

use devicegate::http;
use devicegate::model::{AuditEvent, AuditType, Origin};

/// Who the tests' own setup acts as in the audit trail.
pub fn origin() -> Origin {
    Origin::system("test")
}

/// The audit record a test's setup writes beside what it stores.
pub fn setup_record(kind: AuditType, subject: &str) -> AuditEvent {
    AuditEvent::success(kind, &origin(), subject)
}

/// One signing key set per test binary: generating an RSA key takes a while.
pub fn signing_keys() -> std::sync::Arc<devicegate::oidc::SigningKeySet> {
    static KEYS: std::sync::OnceLock<std::sync::Arc<devicegate::oidc::SigningKeySet>> =
        std::sync::OnceLock::new();
    KEYS.get_or_init(|| {
        std::sync::Arc::new(
            devicegate::oidc::SigningKeySet::generate(http::now()).expect("signing keys"),
        )
    })
    .clone()
}

/// The tests' origin, from `source` (an address the guessing limits count by).
pub fn origin_from(source: &str) -> Origin {
    Origin {
        source_ip: source.to_owned(),
        ..origin()
    }
}
