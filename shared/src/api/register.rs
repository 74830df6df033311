//! The `register` function: `POST /oauth/v1/register` (paragon).

use lambda_http::http::Method;
use lambda_http::{Body, Request, Response};

use crate::Deps;
use crate::dialect::paragon;
use crate::error::Error;
use crate::http::{Form, now, raw_body, single_header};
use crate::usecases::SignedRequest;
use crate::usecases::register::register;

pub async fn handle(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    if req.uri().path() != paragon::REGISTER_PATH {
        return Err(super::not_found(req.uri().path()));
    }
    super::require_method(&req, Method::POST)?;
    let form = Form::from_request(&req)?;
    let request = paragon::parse_register(&form)?;
    let signed = single_header(&req, paragon::SIGNATURE_HEADER)?.map(|signature| SignedRequest {
        signature,
        body: raw_body(&req),
    });
    let registration = register(&deps.store, &deps.settings, request, signed, now()).await?;
    Ok(paragon::registration_response(&registration))
}
