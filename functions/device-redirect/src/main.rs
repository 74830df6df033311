//! The `device-redirect` Lambda function: the verification page. Its routes are `devicegate::routes::DEVICE_REDIRECT`; state is
//! built once per cold start.

use devicegate::{Deps, lambda, routes};

// Lambda hands an instance one invocation at a time: one thread, no cross-thread wake-ups.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    lambda::run(routes::DEVICE_REDIRECT, Deps::from_env_with_secret()).await
}
