//! The `metadata` function: `GET /.well-known/oauth-authorization-server` (RFC 8414). It reads
//! nothing from DynamoDB.

use lambda_http::{Body, Request, Response};

use crate::config::{RegistrationPolicy, Settings};
use crate::dialect::rfc6749;
use crate::error::Error;

pub async fn handle(settings: &Settings, req: Request) -> Result<Response<Body>, Error> {
    let registration_open = settings.registration.policy != RegistrationPolicy::Disabled;
    Ok(rfc6749::metadata_response(
        &rfc6749::base_url(&req, settings)?,
        registration_open,
    ))
}
