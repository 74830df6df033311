//! The sample events (API Gateway's, and the `expiry` function's stream batch), their replay,
//! and `template.yaml` as JSON.

use devicegate::Deps;
use lambda_http::Request;
use serde_json::Value;

use crate::{Reply, dispatch};

/// `template.yaml` as JSON, CloudFormation's short tags written out as in its JSON form
/// (`!Ref X` is `{"Ref": "X"}`, `!GetAtt T.Arn` is `{"Fn::GetAtt": "T.Arn"}`).
/// The sample events in replay order with what each must answer: `tests/events.replay` (file,
/// status, error code or nothing; `#` starts a comment).
pub fn event_replay() -> Vec<(String, u16, String)> {
    include_str!("../events.replay")
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .map(|line| {
            let mut fields = line.split_whitespace();
            let file = fields.next().unwrap().to_owned();
            let status = fields.next().unwrap().parse().unwrap();
            let error = fields.next().unwrap_or("").to_owned();
            (file, status, error)
        })
        .collect()
}

/// Whether a sample event is an HTTP API authorizer event (`authorizer-*.json`) rather than a
/// request to a route.
pub fn is_authorizer_event(file: &str) -> bool {
    file.starts_with("authorizer-")
}

/// Whether a sample event is a DynamoDB stream batch for the `expiry` function
/// (`expiry-*.json`) rather than a request to a route.
pub fn is_stream_event(file: &str) -> bool {
    file.starts_with("expiry-")
}

/// Replays one sample event: a route's request through the routers, an authorizer event
/// through the authorizer, answered as API Gateway would (200 with the authorizer's context when
/// it allows, 403 when it refuses), or a stream batch through the `expiry` function (200 when
/// it reports no item failure, 500 when it does, the batch response as the body).
pub async fn replay_event(deps: &Deps, file: &str) -> Reply {
    if is_stream_event(file) {
        return replay_stream_event(deps, file).await;
    }
    if !is_authorizer_event(file) {
        return Reply::from(dispatch(deps, sample_event(file)).await);
    }
    let path = format!("{}/../events/{file}", env!("CARGO_MANIFEST_DIR"));
    let event: lambda_http::aws_lambda_events::apigw::ApiGatewayV2CustomAuthorizerV2Request =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap())
            .unwrap_or_else(|e| panic!("{file}: {e}"));
    let decision = devicegate::api::authorizer::handle(deps, &event)
        .await
        .unwrap();
    Reply {
        status: if decision.is_authorized { 200 } else { 403 },
        headers: Default::default(),
        json: serde_json::to_value(&decision).unwrap(),
    }
}

async fn replay_stream_event(deps: &Deps, file: &str) -> Reply {
    let path = format!("{}/../events/{file}", env!("CARGO_MANIFEST_DIR"));
    let event: aws_lambda_events::event::dynamodb::Event =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap())
            .unwrap_or_else(|e| panic!("{file}: {e}"));
    let (response, _) =
        devicegate::api::expiry::handle(&deps.store, &event, "replay", devicegate::http::now())
            .await;
    Reply {
        status: if response.batch_item_failures.is_empty() {
            200
        } else {
            500
        },
        headers: Default::default(),
        json: serde_json::to_value(&response).unwrap(),
    }
}

/// A sample event of `events/`, as API Gateway would deliver it.
pub fn sample_event(file: &str) -> Request {
    let path = format!("{}/../events/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap();
    lambda_http::request::from_str(&text).unwrap_or_else(|e| panic!("{file}: {e}"))
}

pub fn template_json() -> Value {
    fn convert(v: &serde_norway::Value) -> Value {
        match v {
            serde_norway::Value::Null => Value::Null,
            serde_norway::Value::Bool(b) => (*b).into(),
            serde_norway::Value::Number(n) => n
                .as_i64()
                .map(Into::into)
                .or_else(|| n.as_f64().map(Into::into))
                .unwrap_or(Value::Null),
            serde_norway::Value::String(s) => s.clone().into(),
            serde_norway::Value::Sequence(s) => s.iter().map(convert).collect(),
            serde_norway::Value::Mapping(m) => m
                .iter()
                .filter_map(|(k, v)| k.as_str().map(|k| (k.to_owned(), convert(v))))
                .collect::<serde_json::Map<_, _>>()
                .into(),
            serde_norway::Value::Tagged(t) => {
                let tag = t.tag.to_string();
                let tag = tag.trim_start_matches('!');
                let name = if tag == "Ref" {
                    "Ref".to_owned()
                } else {
                    format!("Fn::{tag}")
                };
                serde_json::json!({ name: convert(&t.value) })
            }
        }
    }
    convert(&serde_norway::from_str(devicegate::storage::schema::TEMPLATE).unwrap())
}
