//! The sweeps: every call of every flow failed in every way, and lost transaction answers
//! without idempotency tokens.

use super::*;

/// Cases run by this many workers, each in its own tables.
pub(super) const WORKERS: usize = 6;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_call_of_every_flow_fails_safely_in_every_way() {
    let started = Instant::now();
    let mut plan = Vec::new();
    let mut cases = std::collections::VecDeque::new();
    let mut normals = HashMap::new();
    let base = TestEnv::new().await;
    for (i, step) in Step::ALL.into_iter().enumerate() {
        let (normal, calls) = baseline(step, &base, 100_000 + i).await;
        assert!(
            normal.status < 500,
            "{step:?} fails without faults: {}",
            normal.body
        );
        for call in 1..=calls.len() {
            for fault in FAULTS {
                cases.push_back((cases.len() + 1, (step, call, fault)));
            }
        }
        plan.push((step, calls));
        normals.insert(step, normal);
    }
    let cases = Arc::new(std::sync::Mutex::new(cases));
    let normals = Arc::new(normals);
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..WORKERS {
        let (cases, normals) = (cases.clone(), normals.clone());
        workers.spawn(async move {
            let base = TestEnv::new().await;
            let mut results = Vec::new();
            loop {
                let next = cases.lock().unwrap().pop_front();
                let Some((n, case)) = next else { break };
                results.push(fault_case(&base, n, case, &normals[&case.0], false).await);
            }
            results
        });
    }
    let mut results = Vec::new();
    while let Some(done) = workers.join_next().await {
        results.extend(done.unwrap());
    }
    results.sort_by_key(|r| (Step::ALL.iter().position(|s| *s == r.step), r.call));

    let mut failures = Vec::new();
    let (mut ok, mut server_errors, mut revoked) = (0, 0, 0);
    for r in &results {
        if r.outcome.is_server_error() {
            server_errors += 1;
        } else {
            ok += 1;
        }
        if r.revoked_after_issue {
            revoked += 1;
            eprintln!(
                "note: {:?} call {} ({}) {:?}: issued, then revoked what it issued; answered {} {}",
                r.step, r.call, r.operation, r.fault, r.outcome.status, r.outcome.error
            );
        }
        let known = KNOWN
            .iter()
            .any(|(s, c, f, _)| *s == r.step && *c == r.call && *f == r.fault);
        if !r.problems.is_empty() && !known {
            failures.push(format!(
                "{:?} call {} ({}) {:?}: {}",
                r.step,
                r.call,
                r.operation,
                r.fault,
                r.problems.join("; ")
            ));
        }
    }
    for (step, calls) in &plan {
        let of: Vec<&CaseResult> = results.iter().filter(|r| r.step == *step).collect();
        eprintln!(
            "{step:?}: calls {calls:?}; {} cases, {} normal answer, {} server_error",
            of.len(),
            of.iter().filter(|r| !r.outcome.is_server_error()).count(),
            of.iter().filter(|r| r.outcome.is_server_error()).count(),
        );
    }
    eprintln!(
        "{} fault cases ({} steps): {ok} normal answer, {server_errors} server_error, \
         {revoked} revoked what they issued; {:.1} s",
        results.len(),
        Step::ALL.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// With idempotency tokens, a lost answer to a transaction is harmless: the SDK's retry carries
/// the same `ClientRequestToken` and DynamoDB answers it from its idempotency cache. Without
/// them (a retry that reaches DynamoDB as a new request, as when the first attempt is still in
/// progress and a later one is made), the retry meets its own committed write. Devices, codes,
/// families and tokens are then still never half-written, though the answers are wrong (a
/// redemption or rotation revokes what it just issued and answers `invalid_grant`; a decision
/// answers 409; an authorization leaves an orphan code behind) and a rate-limit counter given
/// back twice goes below zero. This prints what each answers and checks the rest.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_transaction_answers_without_idempotency_leave_nothing_half_written() {
    let base = TestEnv::new().await;
    let mut n = 10_000;
    let mut failures = Vec::new();
    for step in Step::ALL.into_iter().filter(|s| s.once()) {
        n += 1;
        let (normal, calls) = baseline(step, &base, n).await;
        for (i, op) in calls.iter().enumerate() {
            if op != "TransactWriteItems" {
                continue;
            }
            n += 1;
            let r = fault_case(&base, n, (step, i + 1, Fault::LostAnswer), &normal, true).await;
            eprintln!(
                "{step:?} call {} without idempotency: answered {} {}{}; problems: {:?}",
                i + 1,
                r.outcome.status,
                r.outcome.error,
                if r.revoked_after_issue {
                    " (issued, then revoked what it issued)"
                } else {
                    ""
                },
                r.problems
            );
            let unsafe_problems: Vec<&String> = r
                .problems
                .iter()
                .filter(|p| !p.starts_with("answered ") && !p.starts_with("counter "))
                .collect();
            if !unsafe_problems.is_empty() {
                failures.push(format!("{step:?} call {}: {unsafe_problems:?}", i + 1));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
