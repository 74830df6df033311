//! The `revoke` Lambda function: RFC 7009 revocation. Its routes are `devicegate::routes::REVOKE`; state is
//! built once per cold start.

use devicegate::{Deps, lambda, routes};

// Lambda hands an instance one invocation at a time: one thread, no cross-thread wake-ups.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    lambda::run(routes::REVOKE, Deps::from_env()).await
}
