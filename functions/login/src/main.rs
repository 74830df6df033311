//! The `login` Lambda function: Paragon's user login (`POST /api/v1/login`) and the sample
//! protected route `GET /api/v1/me`. Its routes are `devicegate::routes::LOGIN`; state is built
//! once per cold start.

use devicegate::{Deps, lambda, routes};

// Lambda hands an instance one invocation at a time: one thread, no cross-thread wake-ups.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    lambda::run(routes::LOGIN, Deps::from_env()).await
}
