//! The `revoke` Lambda function: clients built once per cold start, each request handed to
//! [`devicegate::api::revoke::handle`].

use devicegate::{Deps, api, http, telemetry};
use lambda_http::{Error, Request, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let deps = Deps::from_env().await?;
    let deps = &deps;
    run(service_fn(move |req: Request| async move {
        http::serve(req, |req| api::revoke::handle(deps, req)).await
    }))
    .await
}
