//! The `token` Lambda function: the token endpoint of every dialect. Its routes are `devicegate::routes::TOKEN`; state is
//! built once per cold start.

use devicegate::{Deps, lambda, routes};

// Lambda hands an instance one invocation at a time: one thread, no cross-thread wake-ups.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    lambda::run(routes::TOKEN, Deps::from_env()).await
}
