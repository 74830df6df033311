//! The `token` function: every grant, in every dialect (`POST /oauth/v1/token` is
//! `handle::<Paragon>`, `POST /oauth2/token` is `handle::<Rfc6749>`).

use lambda_http::{Body, Request, Response};

use crate::Deps;
use crate::dialect::TokenCodec;
use crate::error::Error;
use crate::http::now;
use crate::usecases::{grants, openid};

/// Parses the grant in the route's dialect, exchanges it, renders the tokens.
pub async fn handle<C: TokenCodec>(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    let request = C::parse(&req)?;
    let origin = crate::api::audit_origin(&req, C::DIALECT);
    let now = now();
    let mut tokens = grants::exchange(&deps.store, request, C::TOO_FAST, &origin, now).await?;
    if tokens.authentication.is_some() {
        let issuer = crate::dialect::rfc6749::base_url(&req, &deps.settings)?;
        openid::add_id_token(&deps.store, &deps.settings, &issuer, &mut tokens, now).await?;
    }
    Ok(C::render(&tokens))
}
