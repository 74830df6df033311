//! The `introspect` function: `POST /oauth2/introspect` (RFC 7662), for confidential clients.

use lambda_http::{Body, Request, Response};

use crate::Deps;
use crate::dialect::oauth2;
use crate::error::Error;
use crate::http::now;
use crate::usecases::token_status;

pub async fn handle(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    let form = oauth2::read_form(&req)?;
    let (client, token, hint) = oauth2::parse_token_lookup(&req, &form)?;
    let issuer = oauth2::base_url(&req, &deps.settings)?;
    let result = token_status::introspect(&deps.store, &client, &token, hint, now()).await?;
    Ok(oauth2::introspection_response(&result, &issuer))
}
