//! The `revoke` function: `POST /oauth2/revoke` (RFC 7009).

use lambda_http::{Body, Request, Response};

use crate::Deps;
use crate::dialect::rfc6749;
use crate::error::Error;
use crate::http::now;
use crate::usecases::token_status;

pub async fn handle(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    let form = rfc6749::read_form(&req)?;
    let (client, token, _hint) = rfc6749::parse_token_lookup(&req, &form)?;
    token_status::revoke(
        &deps.store,
        &client,
        &token,
        &crate::api::audit_origin(&req, "oauth2"),
        now(),
    )
    .await?;
    Ok(rfc6749::revoke_response())
}
