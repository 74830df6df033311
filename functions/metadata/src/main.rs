//! The `metadata` Lambda function: the RFC 8414 document, OpenID Connect discovery and the JWK
//! Set. Its routes are `devicegate::routes::METADATA`; it reads no table.

use devicegate::{deps, lambda, routes};

// Lambda hands an instance one invocation at a time: one thread, no cross-thread wake-ups.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    lambda::run(routes::METADATA, deps::settings_with_signing_keys()).await
}
