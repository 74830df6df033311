//! The `metadata` Lambda function: RFC 8414 metadata, computed from settings alone (no AWS
//! client, so its cold start is the runtime's).

use devicegate::{Settings, api, http, telemetry};
use lambda_http::{Error, Request, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let settings = Settings::from_env()?;
    let settings = &settings;
    run(service_fn(move |req: Request| async move {
        http::serve(req, |req| api::metadata::handle(settings, req)).await
    }))
    .await
}
