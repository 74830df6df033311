//! The `token` function: `POST /oauth/v1/token` (paragon); later dialects add their paths here.

use lambda_http::{Body, Request, Response};

use crate::Deps;
use crate::dialect::paragon::{self, TokenRequest};
use crate::error::Error;
use crate::http::now;
use crate::usecases::token::{TooFastPolls, poll_device_code, refresh};

pub async fn handle(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    let (form, signed) = paragon::read_request(&req, paragon::TOKEN_PATH)?;
    let tokens = match paragon::parse_token(&form)? {
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
