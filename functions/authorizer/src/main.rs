//! The `authorizer` Lambda function: API Gateway's HTTP API Lambda authorizer (payload 2.0,
//! simple responses) for the routes a deployment puts behind devicegate. Not an HTTP router:
//! API Gateway invokes it with an authorizer event and reads `{"isAuthorized", "context"}`.

use std::sync::Arc;

use devicegate::Deps;
use devicegate::api::authorizer;
use lambda_http::aws_lambda_events::apigw::ApiGatewayV2CustomAuthorizerV2Request;
use lambda_http::{Error, LambdaEvent, lambda_runtime, service_fn};

// Lambda hands an instance one invocation at a time: one thread, no cross-thread wake-ups.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    devicegate::telemetry::init();
    let deps = Arc::new(Deps::from_env().await.map_err(|e| {
        tracing::error!(error = %e, "the function cannot start");
        Error::from(e)
    })?);
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<ApiGatewayV2CustomAuthorizerV2Request>| {
            let deps = deps.clone();
            async move {
                // A store failure is an error: API Gateway answers 500, never a guess.
                authorizer::handle(&deps, &event.payload)
                    .await
                    .map_err(|e| {
                        tracing::error!(error = %e, "authorizer failed");
                        Error::from(e.description())
                    })
            }
        },
    ))
    .await
}
