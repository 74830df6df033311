//! Least privilege, checked by exercising it: every DynamoDB call a function makes, at cold
//! start and while the sample events of its routes replay, is allowed by that function's own
//! policy in `template.yaml` (the action, on the table or index it touches). DynamoDB Local
//! enforces no IAM, so without this a missing grant shows up only in a deployed stack.

use std::collections::{BTreeMap, BTreeSet};

use devicegate::http;
use devicegate::routes::{self, Function};
use devicegate_cli::examples::seed_examples;
use devicegate_tests::*;
use serde_json::Value;

/// The authorizer function: invoked by API Gateway with authorizer events, it has no routes.
const AUTHORIZER: &str = "authorizer";
/// The expiry function: fed by the DeviceCodesTable's stream, it has no routes either.
const EXPIRY: &str = "expiry";

/// (action, logical table, index) a policy statement allows.
type Grant = (String, String, Option<String>);

/// Every grant of every function's policy, by binary name.
fn grants_by_function(template: &Value) -> BTreeMap<String, BTreeSet<Grant>> {
    let mut out = BTreeMap::new();
    for resource in template["Resources"].as_object().unwrap().values() {
        let Some(binary) = resource["Metadata"]["BuildProperties"]["Binary"].as_str() else {
            continue;
        };
        let mut grants = BTreeSet::new();
        for policy in resource["Properties"]["Policies"]
            .as_array()
            .into_iter()
            .flatten()
        {
            for statement in policy["Statement"].as_array().into_iter().flatten() {
                let resources = match &statement["Resource"] {
                    Value::Array(list) => list.clone(),
                    one => vec![one.clone()],
                };
                for action in statement["Action"].as_array().into_iter().flatten() {
                    for resource in &resources {
                        if let Some((table, index)) = table_of(resource) {
                            grants.insert((action.as_str().unwrap().to_owned(), table, index));
                        }
                    }
                }
            }
        }
        out.insert(binary.to_owned(), grants);
    }
    out
}

/// `!GetAtt X.Arn` -> (X, None); `!Sub "${X.Arn}/index/I"` -> (X, Some(I)).
fn table_of(resource: &Value) -> Option<(String, Option<String>)> {
    if let Some(arn) = resource["Fn::GetAtt"].as_str() {
        return Some((arn.strip_suffix(".Arn")?.to_owned(), None));
    }
    let sub = resource["Fn::Sub"].as_str()?;
    let (table, index) = sub.strip_prefix("${")?.split_once(".Arn}/index/")?;
    Some((table.to_owned(), Some(index.to_owned())))
}

/// Physical table name -> the template's logical id, through the functions' environment.
fn logical_tables(env: &TestEnv, template: &Value) -> BTreeMap<String, String> {
    let variables = &template["Globals"]["Function"]["Environment"]["Variables"];
    devicegate::Tables::ENV
        .iter()
        .map(|(var, _)| {
            let physical = env.store().tables().by_env(var).unwrap().to_owned();
            let logical = variables[*var]["Ref"].as_str().unwrap().to_owned();
            (physical, logical)
        })
        .collect()
}

fn function_of(method: &str, path: &str) -> Function {
    routes::table()
        .into_iter()
        .find(|(_, m, pattern)| {
            let (p, q): (Vec<_>, Vec<_>) =
                (pattern.split('/').collect(), path.split('/').collect());
            *m == method
                && p.len() == q.len()
                && p.iter().zip(&q).all(|(a, b)| a.starts_with('{') || a == b)
        })
        .map(|(f, _, _)| f)
        .unwrap_or_else(|| panic!("no route for {method} {path}"))
}

#[tokio::test]
async fn every_call_a_function_makes_is_allowed_by_its_own_policy() {
    let env = TestEnv::new().await;
    let template = template_json();
    let grants = grants_by_function(&template);
    let logical = logical_tables(&env, &template);
    seed_examples(env.store(), &env.deps.settings, http::now())
        .await
        .unwrap();
    let mut missing = BTreeSet::new();
    let mut check = |function: &str, during: &str| {
        let allowed = &grants[function];
        for access in env.calls.take_accesses() {
            let table = logical[&access.table].clone();
            let needed = (access.action.clone(), table, access.index.clone());
            if !allowed.contains(&needed) {
                missing.insert(format!("{function} needs {needed:?} ({during})"));
            }
        }
    };

    env.calls.take_accesses();
    let with_dynamodb = Function::ALL
        .into_iter()
        .filter(|f| f.uses_dynamodb())
        .map(Function::name)
        .chain([AUTHORIZER]);
    for function in with_dynamodb {
        env.store().warm_up().await;
        check(function, "cold start");
    }
    let mut exercised = BTreeSet::new();
    for (file, _, _) in event_replay() {
        let function = if is_authorizer_event(&file) {
            AUTHORIZER
        } else if is_stream_event(&file) {
            EXPIRY
        } else {
            let req = sample_event(&file);
            function_of(req.method().as_str(), req.uri().path()).name()
        };
        replay_event(&env.deps, &file).await;
        check(function, &file);
        exercised.insert(function);
    }
    assert!(missing.is_empty(), "{missing:#?}");
    assert_eq!(
        exercised.len(),
        Function::ALL.len() + 2,
        "every function (and the authorizer and the expiry function) was exercised"
    );
}

/// The audit bus is fed by the AuditTable's stream through the pipe, never by a function: the
/// pipe's role may read exactly that stream and put events on exactly that bus, the pipe reads
/// new records only, and no function's policy names EventBridge at all.
#[test]
fn only_the_audit_pipe_publishes_and_only_to_the_audit_bus() {
    let template = template_json();
    let resources = &template["Resources"];
    assert_eq!(
        resources["AuditTable"]["Properties"]["StreamSpecification"]["StreamViewType"],
        "NEW_IMAGE"
    );
    let pipe = &resources["AuditPipe"]["Properties"];
    assert_eq!(pipe["Source"]["Fn::GetAtt"], "AuditTable.StreamArn");
    assert_eq!(pipe["Target"]["Fn::GetAtt"], "AuditBus.Arn");
    assert_eq!(pipe["RoleArn"]["Fn::GetAtt"], "AuditPipeRole.Arn");
    assert_eq!(
        pipe["TargetParameters"]["EventBridgeEventBusParameters"]["DetailType"],
        "$.dynamodb.NewImage.type.S"
    );
    let filter = pipe["SourceParameters"]["FilterCriteria"]["Filters"][0]["Pattern"]
        .as_str()
        .unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(filter).unwrap(),
        serde_json::json!({"eventName": ["INSERT"]})
    );

    let mut allowed = BTreeSet::new();
    for policy in resources["AuditPipeRole"]["Properties"]["Policies"]
        .as_array()
        .unwrap()
    {
        for statement in policy["PolicyDocument"]["Statement"].as_array().unwrap() {
            assert_eq!(statement["Effect"], "Allow");
            for action in statement["Action"].as_array().unwrap() {
                allowed.insert((
                    action.as_str().unwrap().to_owned(),
                    statement["Resource"]["Fn::GetAtt"]
                        .as_str()
                        .unwrap()
                        .to_owned(),
                ));
            }
        }
    }
    let stream = "AuditTable.StreamArn".to_owned();
    let expected: BTreeSet<(String, String)> = [
        ("dynamodb:DescribeStream", &stream),
        ("dynamodb:GetRecords", &stream),
        ("dynamodb:GetShardIterator", &stream),
        ("dynamodb:ListStreams", &stream),
        ("events:PutEvents", &"AuditBus.Arn".to_owned()),
    ]
    .into_iter()
    .map(|(a, r)| (a.to_owned(), r.clone()))
    .collect();
    assert_eq!(allowed, expected);

    for (name, resource) in resources.as_object().unwrap() {
        if resource["Type"] == "AWS::Serverless::Function" {
            let policies = resource["Properties"]["Policies"].to_string();
            assert!(
                !policies.contains("events:"),
                "{name} may call EventBridge: {policies}"
            );
        }
    }
}

/// The expiry function hears only TTL's deletions from the DeviceCodesTable's stream (old
/// images), reports failures per record, splits a failing batch, sends what keeps failing to
/// its dead letter queue, and may write only audit records (SAM adds the stream's read
/// permissions and the queue's send for the event source).
#[test]
fn the_expiry_function_hears_only_ttl_removals_and_writes_only_audit_records() {
    let template = template_json();
    let resources = &template["Resources"];
    assert_eq!(
        resources["DeviceCodesTable"]["Properties"]["StreamSpecification"]["StreamViewType"],
        "OLD_IMAGE"
    );
    let function = &resources["ExpiryFunction"];
    assert_eq!(function["Metadata"]["BuildProperties"]["Binary"], EXPIRY);
    let events = function["Properties"]["Events"].as_object().unwrap();
    assert_eq!(events.len(), 1, "{events:?}");
    let (_, source) = events.iter().next().unwrap();
    assert_eq!(source["Type"], "DynamoDB");
    let p = &source["Properties"];
    assert_eq!(p["Stream"]["Fn::GetAtt"], "DeviceCodesTable.StreamArn");
    assert_eq!(
        p["FunctionResponseTypes"],
        serde_json::json!(["ReportBatchItemFailures"])
    );
    assert_eq!(p["BisectBatchOnFunctionError"], true);
    assert!(p["MaximumRetryAttempts"].as_i64().is_some_and(|n| n > 0));
    let on_failure = &p["DestinationConfig"]["OnFailure"];
    assert_eq!(on_failure["Type"], "SQS");
    assert_eq!(
        on_failure["Destination"]["Fn::GetAtt"],
        "ExpiryDeadLetterQueue.Arn"
    );
    assert_eq!(
        resources["ExpiryDeadLetterQueue"]["Type"],
        "AWS::SQS::Queue"
    );
    let filters = p["FilterCriteria"]["Filters"].as_array().unwrap();
    assert_eq!(filters.len(), 1);
    assert_eq!(
        serde_json::from_str::<Value>(filters[0]["Pattern"].as_str().unwrap()).unwrap(),
        serde_json::json!({
            "eventName": ["REMOVE"],
            "userIdentity": {"type": ["Service"], "principalId": ["dynamodb.amazonaws.com"]}
        })
    );

    let grants = &grants_by_function(&template)[EXPIRY];
    let only: BTreeSet<Grant> = [("dynamodb:PutItem".to_owned(), "AuditTable".to_owned(), None)]
        .into_iter()
        .collect();
    assert_eq!(grants, &only);
    let policies = function["Properties"]["Policies"].to_string();
    assert_eq!(
        policies.matches("\"Action\"").count(),
        1,
        "one statement, no other action: {policies}"
    );
}
