//! The `register` Lambda function: device registration (paragon) and device authorization (oauth2). Its routes are `devicegate::routes::REGISTER`; state is
//! built once per cold start.

use devicegate::{Deps, lambda, routes};

// Lambda hands an instance one invocation at a time: one thread, no cross-thread wake-ups.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    lambda::run(routes::REGISTER, Deps::from_env_with_secret()).await
}
