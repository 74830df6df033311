//! One fault case and a step's faultless baseline; the known two-part steps and the test of the
//! administrator's retry after a failed revoke.

use super::*;

/// What one fault case saw.
#[derive(Debug)]
pub(super) struct CaseResult {
    pub(super) step: Step,
    pub(super) call: usize,
    pub(super) operation: String,
    pub(super) fault: Fault,
    pub(super) outcome: Outcome,
    /// Every way the case broke a rule (empty: it held).
    pub(super) problems: Vec<String>,
    /// A once-only step that happened but whose new family was revoked at once.
    pub(super) revoked_after_issue: bool,
}

/// Runs `step` (case `n`, in `base`'s tables) with call `call` failing as `fault`, and checks
/// the reply and the state.
pub(super) async fn fault_case(
    base: &TestEnv,
    n: usize,
    (step, call, fault): (Step, usize, Fault),
    normal: &Outcome,
    without_idempotency: bool,
) -> CaseResult {
    let c = setup_in(step, fast_env(base, without_idempotency), n).await;
    let before_snap = c.env.snapshot().await;
    c.env.faults.fail_call(call, fault);
    let outcome = run(step, &c).await;
    let injected = c.env.faults.clear();
    let after_snap = c.env.snapshot().await;
    let (before, after) = (world(&c.env, &before_snap), world(&c.env, &after_snap));
    let mut problems = Vec::new();
    let operation = match injected.as_slice() {
        [(n, op, f)] if *n == call && *f == fault => op.clone(),
        other => {
            problems.push(format!("expected one injected fault, got {other:?}"));
            String::new()
        }
    };
    if outcome.is_server_error() {
        if outcome.error != "server_error" {
            problems.push(format!("500 without server_error: {}", outcome.body));
        }
        if let Some(needle) = leaks(&outcome.body) {
            problems.push(format!(
                "server_error body leaks {needle:?}: {}",
                outcome.body
            ));
        }
    } else if !outcome.same_as(normal) {
        problems.push(format!(
            "answered {} {} ({}), neither the normal {} {} nor server_error",
            outcome.status, outcome.error, outcome.body, normal.status, normal.error
        ));
    }
    // Only what this case broke: earlier cases' leftovers were reported by those cases.
    let already = invariants(&before);
    problems.extend(
        invariants(&after)
            .into_iter()
            .filter(|v| !already.contains(v)),
    );
    let mut revoked_after_issue = false;
    if step.once() {
        let done = happened(step, &c, &before, &after);
        if outcome.is_server_error() {
            // Rate-limit counters may keep an attempt a failed request took.
            let strip = |snap: &[String]| -> Vec<String> {
                let rl = &c.env.store().tables().rate_limits;
                snap.iter()
                    .filter(|l| !l.starts_with(&format!("{rl}: ")))
                    .cloned()
                    .collect()
            };
            if done.is_none() && strip(&after_snap) != strip(&before_snap) {
                problems.push("server_error, and the step half happened".into());
            }
        } else if outcome.status < 300 && done.is_none() {
            problems.push("answered success but the step did not fully happen".into());
        }
        // The decision and its record: both or neither, and never twice (a retried write
        // meets its own first attempt).
        if let Some(kind) = step.record() {
            let new = after.records(kind) - before.records(kind).min(after.records(kind));
            let expected = usize::from(done.is_some());
            if new != expected {
                problems.push(format!(
                    "{new} new {kind} records, {expected} expected (the step {})",
                    if done.is_some() {
                        "happened"
                    } else {
                        "did not happen"
                    }
                ));
            }
        }
        revoked_after_issue = done == Some(true);
        if revoked_after_issue && outcome.status < 300 {
            problems.push("answered success but revoked what it issued".into());
        }
    }
    CaseResult {
        step,
        call,
        operation,
        fault,
        outcome,
        problems,
        revoked_after_issue,
    }
}

/// Runs a step once without faults: its normal answer and the DynamoDB calls it makes.
/// Case `n` in `base`'s tables, which no other task uses meanwhile (the call log is shared).
pub(super) async fn baseline(step: Step, base: &TestEnv, n: usize) -> (Outcome, Vec<String>) {
    let c = setup(step, base, n).await;
    c.env.calls.take();
    let outcome = run(step, &c).await;
    let calls = c.env.calls.take();
    let after = world(&c.env, &c.env.snapshot().await);
    let bad = invariants(&after);
    assert!(bad.is_empty(), "{step:?} without faults: {bad:?}");
    (outcome, calls)
}

/// Steps written in two parts (step, call, fault): after the fault the state is half-written,
/// and the retry the client is told to make finishes it (a test each, below).
pub(super) const KNOWN: &[(Step, usize, Fault, &str)] = &[
    (
        Step::AdminRevoke,
        4,
        Fault::Timeout,
        "admin_revoke_retried_after_a_fault_revokes_the_device_tokens",
    ),
    (
        Step::AdminRevoke,
        5,
        Fault::Timeout,
        "admin_revoke_retried_after_a_fault_revokes_the_device_tokens",
    ),
];

/// Revoking a device is two steps (the device, then each token family): when the family writes
/// fail, the administrator gets `server_error` with the device revoked and its families active.
/// Redemption, refresh and introspection all check the device, so the tokens are dead at once;
/// and revoking is idempotent, so the administrator's retry revokes the families and answers
/// 200. (Found by this file: the retry used to answer 409 and leave the families active.)
#[tokio::test]
async fn admin_revoke_retried_after_a_fault_revokes_the_device_tokens() {
    let base = TestEnv::new().await;
    for call in [4, 5] {
        let c = setup(Step::AdminRevoke, &base, call).await;
        c.env.faults.fail_call(call, Fault::Timeout);
        let first = run(Step::AdminRevoke, &c).await;
        c.env.faults.clear();
        assert_eq!((first.status, first.error.as_str()), (500, "server_error"));
        let retried = run(Step::AdminRevoke, &c).await;
        let after = world(&c.env, &c.env.snapshot().await);
        assert_eq!(
            invariants(&after),
            Vec::<String>::new(),
            "after the administrator's retry (answered {} {})",
            retried.status,
            retried.error
        );
        assert_eq!(retried.status, 200, "{}", retried.body);
    }
}
