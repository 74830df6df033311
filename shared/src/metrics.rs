//! Metrics as CloudWatch Embedded Metric Format (EMF): the one line [`crate::http::serve`] logs
//! per request also carries `_aws` and the values it names, and CloudWatch Logs turns them into
//! metrics in the `devicegate` namespace, with no PutMetricData call and no second line
//! (docs/monitoring.md).
//!
//! The store's round trips are counted by [`StoreCalls`], an interceptor on the DynamoDB client,
//! into the counts of the request it runs in ([`counted`], a task-local scope).
//!
//! `METRICS=off` leaves the request line as it was (validated with the other settings at cold
//! start, [`parse`]); metrics are only written where the log is JSON (Lambda's
//! `AWS_LAMBDA_LOG_FORMAT=JSON`, `devicegate serve --log-format json`).

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use aws_sdk_dynamodb::config::interceptors::{
    BeforeTransmitInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::error::BoxError;
use serde_json::{Map, Value, json};

/// The CloudWatch namespace of every metric.
pub const NAMESPACE: &str = "devicegate";

/// The metrics a request line may carry, with their units (a count has none: CloudWatch's
/// `None`). `Requests`, `Latency` and `DynamoDbCalls` are on every line; the others only
/// when not 0, which costs no statistic but the line's bytes (a `Sum` is the same, and a rate
/// fills the missing periods with 0). `LimitsTripped` and `AwaitingApproval` count the audit
/// records of those events the request stored (`limit.tripped`; `device.registered` without a
/// reason: a registration that waits for an administrator), so a metric is a stored record.
pub const METRICS: [(&str, Option<&str>); 8] = [
    ("Requests", None),
    ("Latency", Some("Milliseconds")),
    ("DynamoDbCalls", None),
    ("Errors5xx", None),
    ("Refused4xx", None),
    ("DynamoDbThrottles", None),
    ("LimitsTripped", None),
    ("AwaitingApproval", None),
];

/// How many of [`METRICS`], from the first, every line carries.
pub const ALWAYS: usize = 3;

/// The dimension sets: per function, and none (the whole service, what the alarms watch).
/// `Route` is a property of the line, not a dimension: every (function, route) pair would be a
/// custom metric of its own, several times as many to pay for (Logs Insights groups by it).
pub const DIMENSIONS: &[&[&str]] = &[&["Function"], &[]];

static ENABLED: AtomicBool = AtomicBool::new(false);

/// `METRICS`: unset, empty or `on` writes metrics; `off` does not; anything else stops the start.
pub fn parse(value: Option<&str>) -> Result<bool, String> {
    match value.map(str::trim) {
        None | Some("" | "on") => Ok(true),
        Some("off") => Ok(false),
        Some(other) => Err(format!("METRICS is {other:?}; use on or off")),
    }
}

/// Turns the metrics of the request line on or off for the process (at cold start).
pub fn enable(on: bool) {
    ENABLED.store(on, Ordering::Relaxed);
}

pub fn enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

/// What the store did for one request.
#[derive(Debug, Default)]
struct Counts {
    calls: AtomicU32,
    throttles: AtomicU32,
    limits_tripped: AtomicU32,
    awaiting_approval: AtomicU32,
}

tokio::task_local! {
    static COUNTS: Arc<Counts>;
}

/// The store's round trips and throttled attempts while `work` ran.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StoreUse {
    pub calls: u32,
    pub throttles: u32,
    pub limits_tripped: u32,
    pub awaiting_approval: u32,
}

/// Runs `work`, counting the DynamoDB round trips [`StoreCalls`] sees in it.
pub async fn counted<F: Future>(work: F) -> (F::Output, StoreUse) {
    let counts = Arc::new(Counts::default());
    let output = COUNTS.scope(counts.clone(), work).await;
    let used = StoreUse {
        calls: counts.calls.load(Ordering::Relaxed),
        throttles: counts.throttles.load(Ordering::Relaxed),
        limits_tripped: counts.limits_tripped.load(Ordering::Relaxed),
        awaiting_approval: counts.awaiting_approval.load(Ordering::Relaxed),
    };
    (output, used)
}

/// Counts a stored audit record into the request's [`counted`] scope, if it is one a metric
/// follows.
pub fn note_record(event: &crate::model::AuditEvent) {
    use crate::model::AuditType;
    let counter: fn(&Counts) -> &AtomicU32 = match event.kind {
        AuditType::LimitTripped => |c: &Counts| &c.limits_tripped,
        AuditType::DeviceRegistered if event.reason.is_none() => |c: &Counts| &c.awaiting_approval,
        _ => return,
    };
    let _outside_a_request = COUNTS.try_with(|c| counter(c).fetch_add(1, Ordering::Relaxed));
}

/// The DynamoDB interceptor that counts each attempt sent (a retry is a round trip too) and
/// each one DynamoDB refused for throughput, into the request's [`counted`] scope.
#[derive(Clone, Copy, Debug, Default)]
pub struct StoreCalls;

impl Intercept for StoreCalls {
    fn name(&self) -> &'static str {
        "StoreCalls"
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let _outside_a_request = COUNTS.try_with(|c| c.calls.fetch_add(1, Ordering::Relaxed));
        Ok(())
    }

    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let throttled = context.response().is_some_and(|response| {
            response.status().as_u16() == 400 && response.body().bytes().is_some_and(is_throttling)
        });
        if throttled {
            let _outside_a_request =
                COUNTS.try_with(|c| c.throttles.fetch_add(1, Ordering::Relaxed));
        }
        Ok(())
    }
}

/// Whether a DynamoDB error body is a throughput refusal (`__type` ends in one of the codes the
/// SDK retries as throttling; a transaction cancelled for `ThrottlingError` counts too).
pub fn is_throttling(body: &[u8]) -> bool {
    const CODES: [&str; 3] = [
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
    ];
    let Ok(error) = serde_json::from_slice::<Value>(body) else {
        return false;
    };
    let code = error["__type"].as_str().unwrap_or("");
    let code = code.rsplit('#').next().unwrap_or(code);
    CODES.contains(&code)
        || error["CancellationReasons"]
            .as_array()
            .is_some_and(|reasons| reasons.iter().any(|r| r["Code"] == "ThrottlingError"))
}

/// One request as its metrics describe it.
#[derive(Clone, Debug)]
pub struct RequestMetrics<'a> {
    pub function: &'a str,
    pub route: &'a str,
    pub status: u16,
    pub latency_ms: f64,
    pub store: StoreUse,
}

impl RequestMetrics<'_> {
    /// [`RequestMetrics::members`] stamped now, as the object the request line's `emf` field
    /// carries ([`crate::telemetry::Emf`] lifts it to the top of the line).
    pub fn emf(&self) -> Value {
        Value::Object(self.members(timestamp_ms()))
    }

    /// The EMF members of the request line: `_aws` (timestamp in ms, namespace, dimension sets,
    /// metric names and units), the dimensions and every metric's value at the top level.
    pub fn members(&self, timestamp_ms: u64) -> Map<String, Value> {
        let values = [
            json!(1),
            json!(self.latency_ms),
            json!(self.store.calls),
            json!(u8::from(self.status >= 500)),
            json!(u8::from((400..500).contains(&self.status))),
            json!(self.store.throttles),
            json!(self.store.limits_tripped),
            json!(self.store.awaiting_approval),
        ];
        let mut members = Map::new();
        let mut declared = Vec::new();
        for (index, ((name, unit), value)) in METRICS.iter().zip(values).enumerate() {
            if index >= ALWAYS && value == 0 {
                continue;
            }
            declared.push(match unit {
                Some(unit) => json!({"Name": name, "Unit": unit}),
                None => json!({"Name": name}),
            });
            members.insert((*name).into(), value);
        }
        members.insert(
            "_aws".into(),
            json!({
                "Timestamp": timestamp_ms,
                "CloudWatchMetrics": [{
                    "Namespace": NAMESPACE,
                    "Dimensions": DIMENSIONS,
                    "Metrics": declared,
                }],
            }),
        );
        members.insert("Function".into(), json!(self.function));
        members.insert("Route".into(), json!(self.route));
        members
    }
}

/// Milliseconds since the Unix epoch, as EMF's `Timestamp`.
pub fn timestamp_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_is_on_unless_off() {
        assert_eq!(parse(None), Ok(true));
        assert_eq!(parse(Some(" ")), Ok(true));
        assert_eq!(parse(Some("on")), Ok(true));
        assert_eq!(parse(Some("off")), Ok(false));
        assert!(parse(Some("false")).is_err_and(|e| e.contains("METRICS")));
    }

    #[test]
    fn every_declared_metric_has_a_value_and_every_dimension_is_present() {
        let line = RequestMetrics {
            function: "token",
            route: "/oauth2/token",
            status: 400,
            latency_ms: 2.5,
            store: StoreUse {
                calls: 1,
                ..Default::default()
            },
        }
        .members(1_700_000_000_000);
        let directive = &line["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(directive["Namespace"], NAMESPACE);
        for metric in directive["Metrics"].as_array().into_iter().flatten() {
            let name = metric["Name"].as_str().unwrap_or_default();
            assert!(line[name].is_number(), "{name}");
        }
        for set in directive["Dimensions"].as_array().into_iter().flatten() {
            for dimension in set.as_array().into_iter().flatten() {
                let name = dimension.as_str().unwrap_or_default();
                assert!(line[name].is_string(), "{name}");
            }
        }
        assert_eq!(line["Refused4xx"], json!(1));
        assert!(line.get("Errors5xx").is_none() && line.get("DynamoDbThrottles").is_none());
    }

    #[test]
    fn throttling_is_read_from_the_error_type() {
        let body = br#"{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"x"}"#;
        assert!(is_throttling(body));
        assert!(!is_throttling(
            br#"{"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException"}"#
        ));
        assert!(is_throttling(
            br#"{"__type":"x#TransactionCanceledException","CancellationReasons":[{"Code":"None"},{"Code":"ThrottlingError"}]}"#
        ));
        assert!(!is_throttling(b"not json"));
    }
}
