//! The `token` Lambda function: the token endpoint of every dialect. Its routes are `devicegate::routes::TOKEN`; state is
//! built once per cold start.

use devicegate::{Deps, lambda, routes};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda::run(routes::TOKEN, Deps::from_env()).await
}
