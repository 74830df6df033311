//! The `metadata` Lambda function: the RFC 8414 document. Its routes are
//! `devicegate::routes::METADATA`; it reads no table, so it builds no AWS client.

use devicegate::{Settings, lambda, routes};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda::run(routes::METADATA, async { Settings::from_env() }).await
}
