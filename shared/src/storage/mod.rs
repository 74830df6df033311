//! DynamoDB storage, one file per area. Every method is one round trip unless its doc says
//! otherwise; every state change that must happen once is a conditional write or a
//! transaction, so a failure leaves nothing half-written. Expiry is checked in the conditions
//! too, because TTL deletion is late.
//!
//! - [`tables`]: the physical table names, declared once.
//! - [`dynamo`]: reads, transactions and item encoding every area shares.
//! - [`standing`]: the rule of good standing, as condition checks and as a judgement in Rust.
//! - [`checks`]: the other condition checks that ride inside other writes.
//! - [`audit`]: the audit trail, written inside the decisions' transactions.
//! - [`devices`], [`device_codes`], [`tokens`], [`user_tokens`], [`api_keys`], [`admin_keys`],
//!   [`initial_access_tokens`], [`clients`], [`users`], [`sessions`], [`attempts`],
//!   [`authorization_codes`], [`vmware`], [`identity_providers`]: the areas.
//! - [`expired_codes`]: device codes past their expiry, for `devicegate serve` (no TTL there).

pub mod admin_keys;
pub mod api_keys;
pub mod attempts;
pub mod audit;
pub mod authorization_codes;
pub mod checks;
pub mod clients;
pub mod device_codes;
pub mod devices;
pub mod dynamo;
pub mod expired_codes;
pub mod identity_providers;
pub mod initial_access_tokens;
pub mod schema;
pub mod sessions;
pub mod standing;
pub mod tables;
pub mod tokens;
pub mod user_tokens;
pub mod users;
pub mod vmware;

pub use attempts::{AttemptCounter, Full, WindowCounter};
pub use audit::{AuditPage, AuditQuery, AuditSink, Recorded, bus_event};
pub use authorization_codes::CodeRedemption;
pub use checks::ClientProof;
pub use clients::RegistrationWrite;
pub use device_codes::{PageDecision, PollPresenter, PollWrite, RedeemOutcome, StartOutcome};
pub use devices::Decision;
pub use identity_providers::FirstSignIn;
pub use standing::{Inactive, Standing, lapse};
pub use tables::Tables;
pub use tokens::{NewPair, RotateOutcome};
pub use user_tokens::{AuthorizerKeys, AuthorizerRead, LoginRead};

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::DisplayErrorContext;

use dynamo::s;

#[derive(Clone, Debug)]
pub struct Store {
    client: Client,
    tables: Tables,
    /// How far each use moves a self-registered client's idle expiry.
    client_idle_ttl: i64,
    /// How long an audit record is kept, in seconds.
    audit_retention: i64,
    /// Where each stored record is also sent (`devicegate serve`'s events log).
    audit_sink: Option<audit::AuditSink>,
}

impl Store {
    pub fn new(client: Client, tables: Tables) -> Store {
        Store {
            client,
            tables,
            client_idle_ttl: crate::model::OAuthClient::DEFAULT_IDLE_TTL,
            audit_retention: audit::DEFAULT_AUDIT_RETENTION_DAYS * 86_400,
            audit_sink: None,
        }
    }

    /// Sets how long a self-registered client may go unused (`CLIENT_IDLE_TTL_SECONDS`).
    pub fn with_client_idle_ttl(mut self, seconds: i64) -> Store {
        self.client_idle_ttl = seconds;
        self
    }

    /// Sets how long audit records are kept (`AUDIT_RETENTION_DAYS`).
    pub fn with_audit_retention_days(mut self, days: i64) -> Store {
        self.audit_retention = days.saturating_mul(86_400);
        self
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn tables(&self) -> &Tables {
        &self.tables
    }

    /// Opens the TLS connection to DynamoDB during init so the first request does not pay for
    /// it. A miss is harmless: the read is of a key that never exists.
    pub async fn warm_up(&self) {
        let result = self
            .client
            .get_item()
            .table_name(&self.tables.api_keys)
            .key("key_hash", s("warm-up"))
            .send()
            .await;
        if let Err(e) = result {
            tracing::warn!(error = %DisplayErrorContext(&e), "warm-up read failed");
        }
    }
}
