//! The `token` function: every grant, in every dialect (`POST /oauth/v1/token` is
//! `handle::<Paragon>`, `POST /oauth2/token` is `handle::<Rfc6749>`).

use lambda_http::{Body, Request, Response};

use crate::Deps;
use crate::dialect::TokenCodec;
use crate::error::Error;
use crate::http::now;
use crate::usecases::grants;

/// Parses the grant in the route's dialect, exchanges it, renders the tokens.
pub async fn handle<C: TokenCodec>(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    let request = C::parse(&req)?;
    let source = crate::http::source_address(&req);
    let tokens = grants::exchange(&deps.store, request, C::TOO_FAST, &source, now()).await?;
    Ok(C::render(&tokens))
}
