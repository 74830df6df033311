//! The `register` Lambda function: device registration (paragon) and device authorization (oauth2). Its routes are `devicegate::routes::REGISTER`; state is
//! built once per cold start.

use devicegate::{Deps, lambda, routes};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda::run(routes::REGISTER, Deps::from_env_with_secret()).await
}
