//! The `revoke` Lambda function: RFC 7009 revocation. Its routes are `devicegate::routes::REVOKE`; state is
//! built once per cold start.

use devicegate::{Deps, lambda, routes};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda::run(routes::REVOKE, Deps::from_env()).await
}
