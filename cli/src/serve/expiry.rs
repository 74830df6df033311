//! `devicegate serve` has no TTL and no stream: where a deployment's DynamoDB TTL deletes an
//! expired device code and its stream hands the deletion to the `expiry` function, serve sweeps
//! its device codes table (every [`SWEEP_EVERY`], or `EXPIRY_SWEEP_SECONDS`), records each
//! expired code through the same use case ([`record_expired`]), and then deletes it as TTL would.

use std::time::Duration;

use devicegate::model::Origin;
use devicegate::usecases::expiry::{Expiry, record_expired};
use devicegate::{Error, Store};

/// How often serve sweeps, unless `EXPIRY_SWEEP_SECONDS` says otherwise.
pub const SWEEP_EVERY: Duration = Duration::from_secs(30);

/// What one sweep did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Swept {
    /// Expired codes recorded now, or found recorded already (a sweep cut short before its
    /// delete).
    pub recorded: usize,
    pub already: usize,
    /// Expired codes deleted without a record (denied, redeemed).
    pub unrecorded: usize,
}

/// One sweep at `now`: each expired code is recorded, then deleted. A code whose record could
/// not be written stays for the next sweep, so none goes unrecorded.
pub async fn sweep(store: &Store, now: i64) -> Result<Swept, Error> {
    let origin = Origin::system("serve");
    let mut swept = Swept::default();
    for code in store.expired_device_codes(now).await? {
        match record_expired(store, &code, &origin, now).await? {
            Expiry::Recorded => swept.recorded += 1,
            Expiry::AlreadyRecorded => swept.already += 1,
            Expiry::NotDue => swept.unrecorded += 1,
        }
        store
            .delete_expired_device_code(&code.code_hash, now)
            .await?;
    }
    Ok(swept)
}

/// The sweep's period: `EXPIRY_SWEEP_SECONDS` (a whole number of seconds, at least 1), else
/// [`SWEEP_EVERY`].
pub fn period_from_env() -> Result<Duration, String> {
    match std::env::var("EXPIRY_SWEEP_SECONDS") {
        Err(_) => Ok(SWEEP_EVERY),
        Ok(text) if text.trim().is_empty() => Ok(SWEEP_EVERY),
        Ok(text) => match text.trim().parse::<u64>() {
            Ok(seconds) if seconds >= 1 => Ok(Duration::from_secs(seconds)),
            _ => Err(format!(
                "EXPIRY_SWEEP_SECONDS is {text:?}; use a whole number of seconds, 1 or more"
            )),
        },
    }
}

/// Sweeps at once and then every `period`, until the task is aborted (serve's shutdown).
pub async fn run(store: Store, period: Duration) {
    let mut ticks = tokio::time::interval(period);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match sweep(&store, devicegate::http::now()).await {
            Ok(swept) if swept != Swept::default() => {
                tracing::info!(?swept, "expired device codes swept");
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "the expiry sweep failed; it runs again"),
        }
    }
}
