//! The DynamoDB-compatible server the test binary shares, and the call log that records what
//! each request touches.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};

use aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_smithy_runtime_api::box_error::BoxError;
use serde_json::Value;

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
