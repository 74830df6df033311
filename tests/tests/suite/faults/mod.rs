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

mod cases;
mod outcomes;
mod steps;
mod sweep;
mod world;

use cases::*;
use outcomes::*;
use steps::*;
use world::*;

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
