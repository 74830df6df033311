//! The `revoke` function: `POST /oauth2/revoke` (RFC 7009).

use lambda_http::{Body, Request, Response};

use crate::Deps;
use crate::dialect::oauth2;
use crate::error::Error;
use crate::http::now;
use crate::usecases::token_status;

pub async fn handle(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    let form = oauth2::read_form(&req)?;
    let (client, token, _hint) = oauth2::parse_token_lookup(&req, &form)?;
    token_status::revoke(&deps.store, &client, &token, now()).await?;
    Ok(oauth2::revoke_response())
}
