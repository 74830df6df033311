//! The `token` function: `POST /oauth/v1/token` (paragon); later dialects add their paths here.

use lambda_http::http::Method;
use lambda_http::{Body, Request, Response};

use crate::Deps;
use crate::dialect::paragon::{self, TokenRequest};
use crate::error::Error;
use crate::http::{Form, now, raw_body, single_header};
use crate::usecases::SignedRequest;
use crate::usecases::token::{TooFastPolls, poll_device_code, refresh};

pub async fn handle(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    if req.uri().path() != paragon::TOKEN_PATH {
        return Err(super::not_found(req.uri().path()));
    }
    super::require_method(&req, Method::POST)?;
    let form = Form::from_request(&req)?;
    let grant = paragon::parse_token(&form)?;
    let signed = single_header(&req, paragon::SIGNATURE_HEADER)?.map(|signature| SignedRequest {
        signature,
        body: raw_body(&req),
    });
    let tokens = match grant {
        TokenRequest::DeviceCode(grant) => {
            poll_device_code(
                &deps.store,
                &grant,
                signed,
                TooFastPolls::AnswerPending,
                now(),
            )
            .await?
        }
        TokenRequest::Refresh(grant) => refresh(&deps.store, &grant, signed, now()).await?,
    };
    Ok(paragon::token_response(&tokens))
}
