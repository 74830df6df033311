//! The `introspect` function: `POST /oauth2/introspect` (RFC 7662), for confidential clients.

use lambda_http::{Body, Request, Response};

use crate::Deps;
use crate::dialect::rfc6749;
use crate::error::Error;
use crate::http::now;
use crate::usecases::token_status;

pub async fn handle(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    let form = rfc6749::read_form(&req)?;
    let (client, token, hint) = rfc6749::parse_token_lookup(&req, &form)?;
    let issuer = rfc6749::base_url(&req, &deps.settings)?;
    let result = token_status::introspect(&deps.store, &client, &token, hint, now()).await?;
    Ok(rfc6749::introspection_response(&result, &issuer))
}
