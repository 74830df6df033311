//! Test harness: a real DynamoDB-compatible server (dynoxide, in-process, on an ephemeral
//! loopback port), fresh tables per test created from `template.yaml`, and a DynamoDB client
//! that records every call it makes so tests can count round trips.
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod audit;
pub mod browser;
pub mod faults;
pub mod logs;
pub mod oauth;
pub mod server;
pub mod upstream;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};

use aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Credentials, Intercept, Region, RuntimeComponents};
use aws_sdk_dynamodb::types::AttributeValue;
use aws_smithy_runtime_api::box_error::BoxError;
use devicegate::config::ServerSecret;
use devicegate::model::{ApiKeySettings, AuditEvent, AuditType, Device, DeviceCode, Origin, User};
use devicegate::storage::schema;
use devicegate::usecases::admin;
use devicegate::{Deps, Settings, Store, Tables, http, routes};
use lambda_http::{Body, Request, RequestExt};
use serde_json::Value;

/// Who the tests' own setup acts as in the audit trail.
pub fn origin() -> Origin {
    Origin::system("test")
}

/// The audit record a test's setup writes beside what it stores.
pub fn setup_record(kind: AuditType, subject: &str) -> AuditEvent {
    AuditEvent::success(kind, &origin(), subject)
}

/// Starts dynoxide once per test binary, on its own thread and runtime so that it outlives
/// every test's runtime.
pub fn dynamodb_server() -> SocketAddr {
    static SERVER: OnceLock<SocketAddr> = OnceLock::new();
    *SERVER.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("dynoxide".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                    .expect("dynoxide runtime");
                runtime.block_on(async move {
                    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                        .await
                        .expect("bind loopback");
                    tx.send(listener.local_addr().expect("local addr"))
                        .expect("report address");
                    let db = dynoxide::Database::memory().expect("dynoxide database");
                    dynoxide::server::serve_on(listener, db).await;
                });
            })
            .expect("spawn dynoxide");
        rx.recv().expect("dynoxide did not start")
    })
}

/// Records the DynamoDB operation of every request the client sends, and what each touches.
#[derive(Clone, Debug, Default)]
pub struct CallLog {
    operations: Arc<Mutex<Vec<String>>>,
    accesses: Arc<Mutex<Vec<Access>>>,
    write_units: Arc<Mutex<u32>>,
}

/// One IAM action on one table (or one of its indexes), as a policy must allow it: a
/// `TransactWriteItems` is a `PutItem`, `UpdateItem`, `DeleteItem` or `ConditionCheckItem` on
/// each item's table.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Access {
    pub action: String,
    /// The physical table name.
    pub table: String,
    pub index: Option<String>,
}

impl CallLog {
    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.operations.lock().unwrap())
    }

    pub fn take_accesses(&self) -> Vec<Access> {
        std::mem::take(&mut *self.accesses.lock().unwrap())
    }

    /// On-demand write request units the writes sent since the last call would be billed, for
    /// items under 1 KB (every item here is): 2 per item of a transaction, condition checks
    /// included (AWS bills a cancelled transaction too), 1 per plain write, refused or not.
    pub fn take_write_units(&self) -> u32 {
        std::mem::take(&mut *self.write_units.lock().unwrap())
    }
}

/// The write units of one request (see [`CallLog::take_write_units`]).
fn write_units(operation: &str, body: &Value) -> u32 {
    let count = |v: &Value| v.as_array().map_or(0, Vec::len) as u32;
    match operation {
        "TransactWriteItems" => 2 * count(&body["TransactItems"]),
        "PutItem" | "UpdateItem" | "DeleteItem" => 1,
        "BatchWriteItem" => body["RequestItems"]
            .as_object()
            .map_or(0, |tables| tables.values().map(count).sum()),
        _ => 0,
    }
}

/// The accesses of one request, read from its JSON body.
fn accesses(operation: &str, body: &Value) -> Vec<Access> {
    let access = |action: &str, table: &Value, index: &Value| Access {
        action: format!("dynamodb:{action}"),
        table: table.as_str().unwrap_or("?").to_owned(),
        index: index.as_str().map(str::to_owned),
    };
    match operation {
        "BatchGetItem" => body["RequestItems"]
            .as_object()
            .map(|tables| {
                tables
                    .keys()
                    .map(|t| access(operation, &Value::from(t.as_str()), &Value::Null))
                    .collect()
            })
            .unwrap_or_default(),
        "TransactWriteItems" => body["TransactItems"]
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .filter_map(|item| item.as_object()?.iter().next())
                    .map(|(kind, item)| {
                        let action = match kind.as_str() {
                            "Put" => "PutItem",
                            "Update" => "UpdateItem",
                            "Delete" => "DeleteItem",
                            _ => "ConditionCheckItem",
                        };
                        access(action, &item["TableName"], &Value::Null)
                    })
                    .collect()
            })
            .unwrap_or_default(),
        _ => vec![access(operation, &body["TableName"], &body["IndexName"])],
    }
}

impl Intercept for CallLog {
    fn name(&self) -> &'static str {
        "CallLog"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let target = context
            .request()
            .headers()
            .get("x-amz-target")
            .unwrap_or("?")
            .trim_start_matches("DynamoDB_20120810.")
            .to_owned();
        let body: Value = context
            .request()
            .body()
            .bytes()
            .and_then(|b| serde_json::from_slice(b).ok())
            .unwrap_or(Value::Null);
        self.accesses
            .lock()
            .unwrap()
            .extend(accesses(&target, &body));
        *self.write_units.lock().unwrap() += write_units(&target, &body);
        self.operations.lock().unwrap().push(target);
        Ok(())
    }
}

/// The server secret every test environment uses.
pub const TEST_SERVER_SECRET: &[u8; 32] = b"devicegate-tests-server-secret!!";

pub struct TestEnv {
    pub deps: Deps,
    pub calls: CallLog,
    pub faults: faults::Faults,
}

impl TestEnv {
    /// A fresh set of tables on the shared server.
    pub async fn new() -> TestEnv {
        TestEnv::on(dynamodb_server()).await
    }

    /// A fresh set of tables on the DynamoDB-compatible server at `addr`.
    pub async fn on(addr: SocketAddr) -> TestEnv {
        let calls = CallLog::default();
        let faults = faults::Faults::default();
        let config = aws_sdk_dynamodb::Config::builder()
            .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
            .endpoint_url(format!("http://{addr}"))
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new(
                "test",
                "test",
                None,
                None,
                "devicegate-tests",
            ))
            .interceptor(calls.clone())
            .interceptor(faults.clone())
            .interceptor(devicegate::metrics::StoreCalls)
            .build();
        let client = aws_sdk_dynamodb::Client::from_conf(config);
        let prefix = format!("t{}", ulid::Ulid::new().to_string().to_lowercase());
        let tables = Tables::from_lookup(|var| {
            Tables::ENV
                .iter()
                .find(|(v, _)| *v == var)
                .map(|(_, d)| format!("{prefix}-{d}"))
        });
        schema::create_tables(&client, &tables)
            .await
            .expect("create tables");
        let mut settings = Settings {
            tables: tables.clone(),
            issuer: Some("https://gate.test".into()),
            ..Settings::with_secret(ServerSecret::from_bytes(TEST_SERVER_SECRET.to_vec()))
        };
        settings.oidc.keys = Some(signing_keys());
        // What the tests' self-registered clients ask for (the SDKs' usual scopes included).
        settings.registration.allowed_scopes =
            devicegate::model::Scope::parse("read write openid sso:account:access").expect("scope");
        let env = TestEnv {
            deps: Deps {
                store: Store::new(client, tables),
                settings,
            },
            calls,
            faults,
        };
        env.calls.take();
        env
    }

    pub fn store(&self) -> &Store {
        &self.deps.store
    }

    pub async fn api_key(&self, settings: ApiKeySettings) -> String {
        admin::create_api_key(
            self.store(),
            "test",
            settings,
            http::now(),
            &devicegate::model::Origin::system("test"),
        )
        .await
        .unwrap()
        .value
    }

    pub async fn admin_key(&self) -> String {
        admin::create_admin_key(self.store(), "test", http::now(), &origin())
            .await
            .unwrap()
    }

    pub async fn register(&self, body: &str, signature: Option<&str>) -> Reply {
        let req = form_request("/oauth/v1/register", body, signature);
        Reply::from(dispatch(&self.deps, req).await)
    }

    pub async fn token(&self, body: &str, signature: Option<&str>) -> Reply {
        let req = form_request("/oauth/v1/token", body, signature);
        Reply::from(dispatch(&self.deps, req).await)
    }

    /// A form POST to an oauth2 route, optionally with HTTP Basic client credentials, handled by
    /// the function `template.yaml` routes it to.
    pub async fn oauth2(&self, path: &str, body: &str, basic: Option<(&str, &str)>) -> Reply {
        use base64::Engine;
        let mut req = form_request(path, body, None);
        if let Some((id, secret)) = basic {
            let value = base64::engine::general_purpose::STANDARD.encode(format!(
                "{}:{}",
                enc(id),
                enc(secret)
            ));
            req.headers_mut()
                .insert("authorization", format!("Basic {value}").parse().unwrap());
        }
        Reply::from(dispatch(&self.deps, req).await)
    }

    pub async fn admin(
        &self,
        method: &str,
        path_and_query: &str,
        key: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let (path, query) = path_and_query
            .split_once('?')
            .unwrap_or((path_and_query, ""));
        let mut builder = lambda_http::http::Request::builder()
            .method(method)
            .uri(format!("https://gate.test{path}"));
        if let Some(key) = key {
            builder = builder.header("authorization", format!("Bearer {key}"));
        }
        let body = match body {
            Some(v) => {
                builder = builder.header("content-type", "application/json");
                Body::Text(v.to_string())
            }
            None => Body::Empty,
        };
        let params: HashMap<String, String> = query
            .split('&')
            .filter_map(|p| p.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        let req = builder
            .body(body)
            .unwrap()
            .with_query_string_parameters(params);
        Reply::from(dispatch(&self.deps, req).await)
    }

    /// Writes an enabled user straight to the store with a ready password hash (hashing a
    /// password costs tens of milliseconds; some tests never sign in).
    pub async fn put_user(&self, username: &str, password_hash: &str, now: i64) {
        self.store()
            .put_user(
                &User {
                    username: username.to_owned(),
                    password_hash: password_hash.to_owned(),
                    display_name: None,
                    email: None,
                    email_verified: false,
                    // As a user written before OpenID Connect: given a subject at its first ID token.
                    subject: None,
                    federation: None,
                    disabled: false,
                    created_at: now,
                    updated_at: now,
                    credentials_version: 0,
                    card_id_hmac: None,
                    short_id_hmac: None,
                    email_key: None,
                },
                &setup_record(AuditType::UserCreated, username),
            )
            .await
            .unwrap();
    }

    /// A fresh environment with an API key (default settings) and an admin key: where most
    /// device tests start. Returns (env, API key, admin key).
    pub async fn with_keys() -> (TestEnv, String, String) {
        let env = TestEnv::new().await;
        let api_key = env.api_key(ApiKeySettings::default()).await;
        let admin = env.admin_key().await;
        (env, api_key, admin)
    }

    /// An administrator's POST with `key`, and a JSON body if any.
    pub async fn admin_post(&self, key: &str, path: &str, body: Option<Value>) -> Reply {
        self.admin("POST", path, Some(key), body).await
    }

    /// An administrator's password reset for `username`.
    pub async fn reset_password(&self, admin: &str, username: &str, password: &str) -> Reply {
        let path = format!("/admin/users/{}/password", enc(username));
        let body = serde_json::json!({ "password": password });
        self.admin_post(admin, &path, Some(body)).await
    }

    /// An API key whose devices are approved as they register.
    pub async fn auto_trust_key(&self) -> String {
        self.api_key(ApiKeySettings {
            auto_trust: true,
            ..Default::default()
        })
        .await
    }

    /// Registers with `body` (unsigned); returns the device code it was given.
    pub async fn register_code(&self, body: &str) -> String {
        self.register(body, None).await.str("device_code")
    }

    /// An administrator's `action` (`approve`, `deny` or `revoke`) on a device.
    pub async fn device_action(&self, admin: &str, client_id: &str, action: &str) -> Reply {
        let path = format!("/admin/devices/{client_id}/{action}");
        self.admin_post(admin, &path, None).await
    }

    /// An unsigned poll for a device code.
    pub async fn poll(&self, client_id: &str, api_key: &str, code: &str) -> Reply {
        self.token(&poll_body(client_id, api_key, code), None).await
    }

    /// An unsigned refresh.
    pub async fn refresh(&self, client_id: &str, api_key: &str, refresh_token: &str) -> Reply {
        self.token(&refresh_body(client_id, api_key, refresh_token), None)
            .await
    }

    /// Polls for a device code (unsigned) once its interval has passed, without sleeping.
    pub async fn poll_due(&self, client_id: &str, api_key: &str, code: &str) -> Reply {
        self.force_poll_due(code).await;
        self.poll(client_id, api_key, code).await
    }

    /// A user's approval of an OAuth device code on the verification page, written through
    /// storage; whether it took.
    pub async fn approve_on_page(
        &self,
        device_code: &str,
        username: &str,
        scope: Option<&str>,
    ) -> bool {
        self.store()
            .decide_on_page(
                &devicegate::secrets::hash_secret(device_code),
                username,
                devicegate::storage::PageDecision::Approve,
                (scope, devicegate::model::Lifetimes::default()),
                http::now(),
                &setup_record(AuditType::DeviceCodeApproved, "test"),
            )
            .await
            .unwrap()
    }

    pub async fn device(&self, client_id: &str) -> Option<Device> {
        self.store().get_device(client_id).await.unwrap()
    }

    /// The device code a user code stands for (both must exist).
    pub async fn device_code_by_user_code(&self, user_code: &str) -> DeviceCode {
        let code = devicegate::usercode::UserCode::parse(user_code).unwrap();
        let secret = self.deps.settings.server_secret().unwrap();
        let record = self
            .store()
            .get_user_code(&code.hmac(secret))
            .await
            .unwrap();
        let hash = record.unwrap().device_code_hash;
        self.store().get_device_code(&hash).await.unwrap().unwrap()
    }

    pub async fn device_code(&self, code: &str) -> Option<DeviceCode> {
        self.store()
            .get_device_code(&devicegate::secrets::hash_secret(code))
            .await
            .unwrap()
    }

    /// Makes a code's next poll due without sleeping through its interval.
    pub async fn force_poll_due(&self, code: &str) {
        let hash = devicegate::secrets::hash_secret(code);
        let table = &self.store().tables().device_codes;
        self.edit_item(
            table,
            ("code_hash", &hash),
            "SET next_poll_at = :v",
            number(0),
        )
        .await;
        self.calls.take();
    }

    /// Changes a stored item behind the service's back, as time or another writer would:
    /// `update` (`SET …` or `ADD …`) with `:v` bound to `value`, on the item whose string key
    /// `key.0` is `key.1`.
    pub async fn edit_item(
        &self,
        table: &str,
        key: (&str, &str),
        update: &str,
        value: AttributeValue,
    ) {
        self.store()
            .client()
            .update_item()
            .table_name(table)
            .key(key.0, AttributeValue::S(key.1.to_owned()))
            .update_expression(update)
            .expression_attribute_values(":v", value)
            .send()
            .await
            .unwrap();
    }

    /// Introspects a token as a resource server would (a confidential client with the
    /// introspection permission, made on first use).
    pub async fn introspect(&self, token: &str) -> Reply {
        let grants = vec![devicegate::model::GrantType::RefreshToken];
        let (id, secret) = self
            .confidential_client("resource server", grants, true)
            .await;
        self.oauth2(
            "/oauth2/introspect",
            &format!("token={}", enc(token)),
            Some((&id, &secret)),
        )
        .await
    }

    /// Makes a confidential client with `grants`, a resource server if `introspection`;
    /// returns (client id, secret).
    pub async fn confidential_client(
        &self,
        name: &str,
        grants: Vec<devicegate::model::GrantType>,
        introspection: bool,
    ) -> (String, String) {
        use devicegate::model::OAuthClientType;
        let created = admin::create_client(
            self.store(),
            admin::NewClient {
                introspection,
                ..admin::NewClient::new(name, OAuthClientType::Confidential, grants)
            },
            http::now(),
            &origin(),
        )
        .await
        .unwrap();
        (created.client.client_id, created.secret.unwrap())
    }

    /// Every item in every table: for checking that a refused request stored nothing.
    pub async fn snapshot(&self) -> Vec<String> {
        let t = self.store().tables();
        let mut all = Vec::new();
        for table in Tables::ENV.iter().filter_map(|(var, _)| t.by_env(var)) {
            let out = self
                .store()
                .client()
                .scan()
                .table_name(table)
                .send()
                .await
                .unwrap();
            for item in out.items() {
                let json: Value = serde_dynamo::from_item(item.clone()).unwrap();
                all.push(format!("{table}: {}", canonical(&json)));
            }
        }
        all.sort();
        self.calls.take();
        all
    }
}

/// A DynamoDB number.
pub fn number(n: i64) -> AttributeValue {
    AttributeValue::N(n.to_string())
}

/// JSON text with object keys sorted, whatever map type serde_json was built with.
fn canonical(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            let mut fields: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{k:?}:{}", canonical(v)))
                .collect();
            fields.sort();
            format!("{{{}}}", fields.join(","))
        }
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(canonical).collect::<Vec<_>>().join(",")
        ),
        other => other.to_string(),
    }
}

/// Sends a request through the one route table, as API Gateway and the function's router would:
/// the route decides the handler; the handler sees the request as `lambda_http` delivers it.
pub async fn dispatch(deps: &Deps, req: Request) -> lambda_http::Response<Body> {
    use tower::ServiceExt as _;
    let (parts, body) = req.into_parts();
    let body = match body {
        Body::Text(text) => axum::body::Body::from(text),
        Body::Binary(bytes) => axum::body::Body::from(bytes),
        _ => axum::body::Body::empty(),
    };
    let router = routes::router_all(std::sync::Arc::new(deps.clone()));
    let response = match router
        .oneshot(lambda_http::http::Request::from_parts(parts, body))
        .await
    {
        Ok(response) => response,
        Err(never) => match never {},
    };
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap();
    lambda_http::Response::from_parts(parts, body_of(&bytes))
}

/// A body as `lambda_http` carries it: empty, text when it is UTF-8, binary otherwise.
pub(crate) fn body_of(bytes: &[u8]) -> Body {
    if bytes.is_empty() {
        Body::Empty
    } else {
        match String::from_utf8(bytes.to_vec()) {
            Ok(text) => Body::Text(text),
            Err(e) => Body::Binary(e.into_bytes()),
        }
    }
}

/// A form POST as API Gateway would deliver it.
pub fn form_request(path: &str, body: &str, signature: Option<&str>) -> Request {
    let mut builder = lambda_http::http::Request::builder()
        .method("POST")
        .uri(format!("https://gate.test{path}"))
        .header("content-type", "application/x-www-form-urlencoded");
    if let Some(sig) = signature {
        builder = builder.header("hcp-request-signature", sig);
    }
    builder.body(Body::Text(body.to_owned())).unwrap()
}

/// A response, its JSON body parsed.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: lambda_http::http::HeaderMap,
    pub json: Value,
}

impl Reply {
    pub fn error(&self) -> &str {
        self.json["error"].as_str().unwrap_or("")
    }
    /// Asserts the status and error code; `request` names what was sent, for the failure message.
    pub fn assert_error(&self, status: u16, error: &str, request: &str) {
        assert_eq!(
            (self.status, self.error()),
            (status, error),
            "{request}: {:?}",
            self.json
        );
    }

    /// As `assert_error`, and the error also says what was wrong (`error_description`).
    pub fn assert_described_error(&self, status: u16, error: &str, request: &str) {
        self.assert_error(status, error, request);
        let description = self.json["error_description"].as_str().unwrap_or("");
        assert!(!description.is_empty(), "{request}: {:?}", self.json);
    }

    pub fn str(&self, field: &str) -> String {
        self.json[field]
            .as_str()
            .unwrap_or_else(|| panic!("no {field} in {}", self.json))
            .to_owned()
    }
}

impl From<lambda_http::Response<Body>> for Reply {
    fn from(response: lambda_http::Response<Body>) -> Reply {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let json = match response.body() {
            Body::Text(t) => serde_json::from_str(t).unwrap_or(Value::Null),
            Body::Binary(b) => serde_json::from_slice(b).unwrap_or(Value::Null),
            _ => Value::Null,
        };
        Reply {
            status,
            headers,
            json,
        }
    }
}

/// Percent-encodes a form value.
pub fn enc(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A registration body for a printer.
pub fn register_body(client_id: &str, api_key: &str) -> String {
    format!(
        "client_id={}&client_secret={}&client_type=printer&response_type=device_code",
        enc(client_id),
        enc(api_key)
    )
}

pub fn poll_body(client_id: &str, api_key: &str, device_code: &str) -> String {
    format!(
        "client_id={}&client_secret={}&grant_type=device_code&device_code={}",
        enc(client_id),
        enc(api_key),
        enc(device_code)
    )
}

pub fn refresh_body(client_id: &str, api_key: &str, refresh_token: &str) -> String {
    format!(
        "client_id={}&client_secret={}&grant_type=refresh_token&refresh_token={}",
        enc(client_id),
        enc(api_key),
        enc(refresh_token)
    )
}

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

/// Replays one sample event: a route's request through the routers, or an authorizer event
/// through the authorizer, answered as API Gateway would (200 with the authorizer's context when
/// it allows, 403 when it refuses).
pub async fn replay_event(deps: &Deps, file: &str) -> Reply {
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

/// One signing key set per test binary: generating an RSA key takes a while.
pub fn signing_keys() -> std::sync::Arc<devicegate::oidc::SigningKeySet> {
    static KEYS: std::sync::OnceLock<std::sync::Arc<devicegate::oidc::SigningKeySet>> =
        std::sync::OnceLock::new();
    KEYS.get_or_init(|| {
        std::sync::Arc::new(
            devicegate::oidc::SigningKeySet::generate(http::now()).expect("signing keys"),
        )
    })
    .clone()
}

/// The tests' origin, from `source` (an address the guessing limits count by).
pub fn origin_from(source: &str) -> Origin {
    Origin {
        source_ip: source.to_owned(),
        ..origin()
    }
}
