//! The `introspect` Lambda function: clients built once per cold start, each request handed to
//! [`devicegate::api::introspect::handle`].

use devicegate::{Deps, api, http, telemetry};
use lambda_http::{Error, Request, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let deps = Deps::from_env().await?;
    let deps = &deps;
    run(service_fn(move |req: Request| async move {
        http::serve(req, |req| api::introspect::handle(deps, req)).await
    }))
    .await
}
