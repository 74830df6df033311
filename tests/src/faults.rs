//! DynamoDB fault injection: an SDK interceptor that makes chosen calls fail the way DynamoDB
//! can fail (throttling, a 500, a timeout, before or after the store acted), or rewrites the
//! cancellation reasons of a transaction (DynamoDB may report `TransactionConflict` for one item
//! while another fails its condition). Every test client carries one; it does nothing until a
//! test arms it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::config::interceptors::{
    BeforeDeserializationInterceptorContextMut, BeforeTransmitInterceptorContextMut,
    FinalizerInterceptorContextMut,
};
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::CancellationReason;
use aws_sdk_dynamodb::types::error::TransactionCanceledException;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::Error as ErasedError;
use aws_smithy_runtime_api::client::orchestrator::OrchestratorError;
use aws_smithy_types::body::SdkBody;

/// How an injected failure looks to the caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// `ThrottlingException` (HTTP 400): the store did nothing.
    Throttle,
    /// HTTP 500 `InternalServerError`: the store did nothing.
    ServerError,
    /// The request reached the store and was carried out, but its answer was lost (HTTP 500):
    /// the ambiguous failure, where a retry meets its own write.
    LostAnswer,
    /// The connection fails before the request reaches the store.
    Timeout,
}

type Rewrite = Arc<dyn Fn(&mut Vec<CancellationReason>) + Send + Sync>;

#[derive(Clone)]
enum Rule {
    Fail { call: usize, fault: Fault },
    RewriteCancellation { operation: String, rewrite: Rewrite },
}

#[derive(Default)]
struct State {
    rules: Vec<Rule>,
    /// Calls (attempts) seen since the faults were last armed.
    calls: usize,
    /// What was injected: (call number, operation, fault).
    injected: Vec<(usize, String, Fault)>,
    /// The attempt in flight that must fail after transmission.
    fail_after_send: Option<Fault>,
}

/// Shared between the test and the client's interceptor.
#[derive(Clone, Default)]
pub struct Faults(Arc<Mutex<State>>);

impl std::fmt::Debug for Faults {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Faults")
    }
}

impl Faults {
    /// Fails the `call`-th DynamoDB call (1-based, counting every attempt from now on).
    pub fn fail_call(&self, call: usize, fault: Fault) {
        let mut state = self.0.lock().unwrap();
        state.calls = 0;
        state.injected.clear();
        state.rules.push(Rule::Fail { call, fault });
    }

    /// Rewrites the cancellation reasons of the next cancelled `operation` (e.g.
    /// `TransactWriteItems`) the store answers.
    pub fn rewrite_next_cancellation(
        &self,
        operation: &str,
        rewrite: impl Fn(&mut Vec<CancellationReason>) + Send + Sync + 'static,
    ) {
        self.0
            .lock()
            .unwrap()
            .rules
            .push(Rule::RewriteCancellation {
                operation: operation.to_owned(),
                rewrite: Arc::new(rewrite),
            });
    }

    /// Disarms every rule; returns what was injected.
    pub fn clear(&self) -> Vec<(usize, String, Fault)> {
        let mut state = self.0.lock().unwrap();
        state.rules.clear();
        state.fail_after_send = None;
        std::mem::take(&mut state.injected)
    }

    /// Rules armed and not yet used.
    pub fn armed(&self) -> usize {
        self.0.lock().unwrap().rules.len()
    }

    /// Calls seen since the faults were last armed.
    pub fn calls(&self) -> usize {
        self.0.lock().unwrap().calls
    }
}

fn operation_of(headers: &aws_smithy_runtime_api::http::Headers) -> String {
    headers
        .get("x-amz-target")
        .unwrap_or("?")
        .trim_start_matches("DynamoDB_20120810.")
        .to_owned()
}

impl Intercept for Faults {
    fn name(&self) -> &'static str {
        "Faults"
    }

    fn modify_before_transmit(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let operation = operation_of(context.request().headers());
        let mut state = self.0.lock().unwrap();
        state.calls += 1;
        let call = state.calls;
        let due = state
            .rules
            .iter()
            .position(|r| matches!(r, Rule::Fail { call: c, .. } if *c == call));
        let Some(index) = due else { return Ok(()) };
        let Rule::Fail { fault, .. } = state.rules.remove(index) else {
            return Ok(());
        };
        state.injected.push((call, operation, fault));
        if fault == Fault::Timeout {
            return Err("injected fault: the connection timed out".into());
        }
        if fault != Fault::LostAnswer {
            // The store must not act on a throttled or failed request: send it nothing it would
            // carry out (an empty request is refused as invalid), and answer for it below.
            let request = context.request_mut();
            *request.body_mut() = SdkBody::from("{}");
            request.headers_mut().insert("content-length", "2");
        }
        state.fail_after_send = Some(fault);
        Ok(())
    }

    fn modify_before_deserialization(
        &self,
        context: &mut BeforeDeserializationInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(fault) = self.0.lock().unwrap().fail_after_send.take() else {
            return Ok(());
        };
        let response = context.response_mut();
        let (status, body) = match fault {
            Fault::Throttle => (
                400,
                r#"{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException","message":"Rate of requests exceeds the allowed throughput."}"#,
            ),
            _ => (
                500,
                r#"{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"Internal server error"}"#,
            ),
        };
        *response.status_mut() = aws_smithy_runtime_api::http::StatusCode::try_from(status)?;
        *response.body_mut() = SdkBody::from(body);
        Ok(())
    }

    fn modify_before_attempt_completion(
        &self,
        context: &mut FinalizerInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        // The request is gone by now; the operation's metadata stays in the config bag.
        let operation = cfg
            .load::<aws_smithy_runtime_api::client::orchestrator::Metadata>()
            .map(|m| m.name().to_owned())
            .unwrap_or_default();
        let cancelled = matches!(
            context.output_or_error(),
            Some(Err(e)) if e
                .as_operation_error()
                .and_then(|e| e.downcast_ref::<TransactWriteItemsError>())
                .is_some_and(|e| matches!(e, TransactWriteItemsError::TransactionCanceledException(_)))
        );
        if !cancelled {
            return Ok(());
        }
        let rewrite = {
            let mut state = self.0.lock().unwrap();
            let index = state.rules.iter().position(
                |r| matches!(r, Rule::RewriteCancellation { operation: o, .. } if *o == operation),
            );
            match index.map(|i| state.rules.remove(i)) {
                Some(Rule::RewriteCancellation { rewrite, .. }) => rewrite,
                _ => return Ok(()),
            }
        };
        let Some(result) = context.output_or_error_mut() else {
            return Ok(());
        };
        let taken = std::mem::replace(result, Err(OrchestratorError::other("fault injector")));
        *result = taken.map_err(|error| {
            error.map_operation_error(|erased: ErasedError| {
                match erased.downcast::<TransactWriteItemsError>() {
                    Ok(TransactWriteItemsError::TransactionCanceledException(cancelled)) => {
                        let mut reasons = cancelled.cancellation_reasons().to_vec();
                        rewrite(&mut reasons);
                        ErasedError::erase(TransactWriteItemsError::TransactionCanceledException(
                            TransactionCanceledException::builder()
                                .set_message(cancelled.message().map(str::to_owned))
                                .set_cancellation_reasons(Some(reasons))
                                .build(),
                        ))
                    }
                    Ok(other) => ErasedError::erase(other),
                    Err(erased) => erased,
                }
            })
        });
        Ok(())
    }
}

/// Removes `ClientRequestToken` from every request that carries one (after signing; the local
/// store checks no signatures).
/// Like a client whose transactions were retried after a lost answer without their
/// idempotency cache: the store carries the retry out again. (`devicegate serve` strips the
/// token for its embedded store too, for speed.)
pub use devicegate_cli::serve::NoIdempotencyToken;
