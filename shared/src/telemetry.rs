//! Logs, and what their levels mean. ERROR and WARN mean an operator should look (a 5xx and its
//! cause, a function that cannot start, DynamoDB or an identity provider out of reach); INFO is
//! what happened, refusals included: a wrong user code, a pending poll, a reused refresh token,
//! a conditional write the store refused by design are the protocol at work, not faults.
//!
//! The level is Lambda's (`AWS_LAMBDA_LOG_LEVEL`, the template's `LogLevel`), else a bare level
//! in `RUST_LOG`, else `info`; the format is Lambda's (`AWS_LAMBDA_LOG_FORMAT=JSON`, which the
//! template sets). At `info` and quieter, the libraries that report a refusal devicegate asked
//! for as a warning (the AWS SDK logs each 4xx it reads, the embedded store each error response
//! it sends) are held to ERROR; `RUST_LOG` directives come last and win for whatever they name
//! (`RUST_LOG=aws_smithy_runtime=debug`). Every line inside a request carries the Lambda request
//! id through the `request` span that [`crate::http::serve`] opens.

use std::str::FromStr;

use lambda_http::tracing::subscriber::EnvFilter;
use lambda_http::tracing::subscriber::filter::LevelFilter;
use lambda_http::tracing::subscriber::fmt::{self, FmtContext, FormatEvent, FormatFields};
use lambda_http::tracing::subscriber::registry::LookupSpan;

/// The targets (prefixes) held to ERROR at `info` and quieter: the AWS SDK and its HTTP stack,
/// and dynoxide, the store `devicegate serve` embeds.
pub const QUIETED: &[&str] = &[
    "aws_smithy",
    "aws_sdk",
    "aws_config",
    "aws_runtime",
    "aws_sigv4",
    "hyper",
    "h2",
    "rustls",
    "dynoxide",
];

/// The filter's directives: `lambda_level` is `AWS_LAMBDA_LOG_LEVEL`, `rust_log` is `RUST_LOG`.
pub fn directives(lambda_level: Option<&str>, rust_log: Option<&str>) -> String {
    let bare_level = |text: &str| LevelFilter::from_str(text.trim()).ok();
    let rust_log = rust_log.map(str::trim).filter(|r| !r.is_empty());
    let level = lambda_level
        .and_then(bare_level)
        .or_else(|| rust_log.and_then(|r| r.rsplit(',').find_map(bare_level)))
        .unwrap_or(LevelFilter::INFO);
    let mut directives = vec![level.to_string().to_lowercase()];
    if level <= LevelFilter::INFO {
        directives.extend(QUIETED.iter().map(|target| format!("{target}=error")));
    }
    directives.extend(rust_log.map(str::to_owned));
    directives.join(",")
}

/// The filter of [`directives`]; a directive that does not parse is skipped.
pub fn filter(lambda_level: Option<&str>, rust_log: Option<&str>) -> EnvFilter {
    EnvFilter::builder().parse_lossy(directives(lambda_level, rust_log))
}

/// The filter the environment asks for.
pub fn filter_from_env() -> EnvFilter {
    let var = |name: &str| std::env::var(name).ok();
    filter(
        var("AWS_LAMBDA_LOG_LEVEL").as_deref(),
        var("RUST_LOG").as_deref(),
    )
}

/// Installs the subscriber once per cold start: no timestamps (CloudWatch stamps each line),
/// JSON when Lambda's format says so, and then (unless `METRICS=off`) the request line carries
/// the request's metrics ([`crate::metrics`], [`Emf`]).
pub fn init() {
    let json = std::env::var("AWS_LAMBDA_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    let builder = lambda_http::tracing::subscriber::fmt()
        .with_target(false)
        .without_time()
        .with_env_filter(filter_from_env());
    let result = if json {
        enable_metrics_from_env();
        builder
            .json()
            .event_format(Emf(fmt::format().json().with_target(false).without_time()))
            .try_init()
    } else {
        builder.try_init()
    };
    if let Err(e) = result {
        eprintln!("logging is already set up: {e}");
    }
}

/// Turns metrics on unless `METRICS=off` (a value [`crate::metrics::parse`] refuses stops the
/// start when the settings are read).
pub fn enable_metrics_from_env() {
    let asked = std::env::var("METRICS").ok();
    crate::metrics::enable(crate::metrics::parse(asked.as_deref()).unwrap_or(true));
}

/// A JSON event format that lifts an event's `emf` field (a JSON object, as
/// [`crate::http::serve`] gives the request line) to the top level of its line, where
/// CloudWatch reads embedded metrics; every other line is the inner format's, unchanged.
pub struct Emf<F>(pub F);

impl<S, N, F> FormatEvent<S, N> for Emf<F>
where
    S: tracing::Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
    F: FormatEvent<S, N>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: fmt::format::Writer<'_>,
        event: &tracing::Event<'_>,
    ) -> std::fmt::Result {
        let mut found = EmfField(None);
        event.record(&mut found);
        let Some(emf) = found.0 else {
            return self.0.format_event(ctx, writer, event);
        };
        let mut line = String::new();
        self.0
            .format_event(ctx, fmt::format::Writer::new(&mut line), event)?;
        writeln!(writer, "{}", lifted(&line, &emf))
    }
}

struct EmfField(Option<String>);

impl tracing::field::Visit for EmfField {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if field.name() == "emf" {
            self.0 = Some(format!("{value:?}"));
        }
    }
}

/// The JSON `line` without `fields.emf`, and with the members of `emf` at its top level (the
/// line as it was when either is not a JSON object).
fn lifted(line: &str, emf: &str) -> String {
    use serde_json::Value;
    let line = line.trim_end();
    let (Ok(Value::Object(mut merged)), Ok(Value::Object(members))) =
        (serde_json::from_str(line), serde_json::from_str(emf))
    else {
        return line.to_owned();
    };
    if let Some(Value::Object(fields)) = merged.get_mut("fields") {
        fields.remove("emf");
    }
    merged.extend(members);
    Value::Object(merged).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[test]
    fn the_libraries_are_held_to_error_unless_asked() {
        let info = directives(None, None);
        assert!(info.starts_with("info,"), "{info}");
        assert!(info.contains("aws_smithy=error") && info.contains("dynoxide=error"));
        assert_eq!(directives(Some("DEBUG"), None), "debug");
        assert_eq!(directives(None, Some("trace")), "trace,trace");
        assert!(directives(Some("WARN"), None).contains("aws_sdk=error"));
        let named = directives(None, Some("dynoxide=debug"));
        assert!(named.ends_with(",dynoxide=debug"), "{named}");
        assert_eq!(directives(Some("nonsense"), Some(" ")), info);
    }

    /// What a subscriber with the filter writes for a few events.
    fn written(filter: EnvFilter) -> String {
        #[derive(Clone, Default)]
        struct Buffer(Arc<Mutex<Vec<u8>>>);
        impl std::io::Write for Buffer {
            fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
                if let Ok(mut b) = self.0.lock() {
                    b.extend_from_slice(bytes);
                }
                Ok(bytes.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let subscriber = lambda_http::tracing::subscriber::fmt()
            .with_ansi(false)
            .with_env_filter(filter)
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            tracing::warn!(target: "dynoxide::server", "error response");
            tracing::warn!(target: "aws_smithy_runtime::client", "smithy warning");
            tracing::error!(target: "aws_smithy_runtime::client", "smithy error");
            tracing::info!(target: "devicegate::http", "request");
            tracing::debug!(target: "devicegate::http", "detail");
        });
        let bytes = buffer.0.lock().map(|b| b.clone()).unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    }

    #[test]
    fn a_refusal_the_store_reports_is_not_a_warning() {
        let log = written(filter(None, None));
        assert!(
            !log.contains("error response") && !log.contains("smithy warning"),
            "{log}"
        );
        assert!(
            log.contains("smithy error") && log.contains("request"),
            "{log}"
        );
        assert!(!log.contains("detail"), "{log}");
        let asked = written(filter(None, Some("info,dynoxide=warn")));
        assert!(
            asked.contains("error response") && !asked.contains("smithy warning"),
            "{asked}"
        );
        let debug = written(filter(Some("DEBUG"), None));
        assert!(
            debug.contains("smithy warning") && debug.contains("detail"),
            "{debug}"
        );
    }

    /// The request line as Lambda's JSON format writes it, with or without metrics.
    fn request_line(metrics: bool) -> serde_json::Value {
        #[derive(Clone, Default)]
        struct Buffer(Arc<Mutex<Vec<u8>>>);
        impl std::io::Write for Buffer {
            fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
                if let Ok(mut b) = self.0.lock() {
                    b.extend_from_slice(bytes);
                }
                Ok(bytes.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let subscriber = lambda_http::tracing::subscriber::fmt()
            .with_target(false)
            .without_time()
            .json()
            .event_format(Emf(fmt::format().json().with_target(false).without_time()))
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            let span = tracing::info_span!(
                "request",
                request_id = "8c9a3f5e-0d1b-4a7e-9f57-3b2c1d0e9a84"
            );
            let _entered = span.enter();
            let (method, route, status, latency_ms) = ("POST", "/oauth2/token", 400u16, 2.5);
            if metrics {
                let emf = crate::metrics::RequestMetrics {
                    function: "token",
                    route,
                    status,
                    latency_ms,
                    store: crate::metrics::StoreUse {
                        calls: 1,
                        ..Default::default()
                    },
                }
                .emf();
                tracing::info!(method, route, status, latency_ms, emf = %emf, "request");
            } else {
                tracing::info!(method, route, status, latency_ms, "request");
            }
        });
        let bytes = buffer.0.lock().map(|b| b.clone()).unwrap_or_default();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        assert_eq!(text.lines().count(), 1, "{text}");
        eprintln!(
            "request line, metrics {metrics}: {} bytes",
            text.trim_end().len()
        );
        serde_json::from_str(text.trim_end()).unwrap_or_default()
    }

    #[test]
    fn the_metrics_are_lifted_to_the_top_of_the_request_line() {
        let plain = request_line(false);
        let with = request_line(true);
        assert!(plain.get("_aws").is_none(), "{plain}");
        assert_eq!(
            with["fields"], plain["fields"],
            "the fields are as they were"
        );
        assert_eq!(with["span"], plain["span"]);
        assert_eq!(
            with["_aws"]["CloudWatchMetrics"][0]["Namespace"],
            "devicegate"
        );
        assert_eq!(
            (with["Function"].as_str(), with["DynamoDbCalls"].as_u64()),
            (Some("token"), Some(1))
        );
        assert!(with["fields"].get("emf").is_none(), "{with}");
    }
}
