//! The `register` function: `POST /oauth/v1/register` (paragon).

use lambda_http::{Body, Request, Response};

use crate::Deps;
use crate::dialect::paragon;
use crate::error::Error;
use crate::http::now;
use crate::usecases::register::register;

pub async fn handle(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    let (form, signed) = paragon::read_request(&req, paragon::REGISTER_PATH)?;
    let request = paragon::parse_register(&form)?;
    let registration = register(&deps.store, &deps.settings, request, signed, now()).await?;
    Ok(paragon::registration_response(&registration))
}
