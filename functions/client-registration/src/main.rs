//! The `client-registration` Lambda function: RFC 7591/7592 at `/oauth2/register`, huawei
//! `/v1/clients`, aws `/client/register`. Its routes are
//! `devicegate::routes::CLIENT_REGISTRATION`; state is built once per cold start.

use devicegate::{Deps, lambda, routes};

// Lambda hands an instance one invocation at a time: one thread, no cross-thread wake-ups.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    lambda::run(routes::CLIENT_REGISTRATION, Deps::from_env()).await
}
