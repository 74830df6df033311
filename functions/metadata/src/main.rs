//! The `metadata` Lambda function: the RFC 8414 document. Its routes are
//! `devicegate::routes::METADATA`; it reads no table, so it builds no AWS client.

use devicegate::{Settings, lambda, routes};

// Lambda hands an instance one invocation at a time: one thread, no cross-thread wake-ups.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    lambda::run(routes::METADATA, async { Settings::from_env() }).await
}
