//! The `token` function: every grant, at `POST /oauth/v1/token` (paragon) and
//! `POST /oauth2/token` (oauth2).

use lambda_http::{Body, Request, Response};

use crate::Deps;
use crate::dialect::{oauth2, paragon};
use crate::error::Error;
use crate::http::now;
use crate::usecases::oauth;
use crate::usecases::token::{TooFastPolls, poll_device_code, refresh};

/// `POST /oauth/v1/token`: Paragon devices, under their API key, signed when they hold a key.
pub async fn paragon(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    let (form, signed) = paragon::read_request(&req)?;
    let tokens = match paragon::parse_token(&form)? {
        paragon::TokenRequest::DeviceCode(grant) => {
            poll_device_code(
                &deps.store,
                &grant,
                signed,
                TooFastPolls::AnswerPending,
                now(),
            )
            .await?
        }
        paragon::TokenRequest::Refresh(grant) => {
            refresh(&deps.store, &grant, signed, now()).await?
        }
    };
    Ok(paragon::token_response(&tokens))
}

/// `POST /oauth2/token` (RFC 6749 §3.2, RFC 8628 §3.4).
pub async fn oauth2(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    let form = oauth2::read_form(&req)?;
    let tokens = match oauth2::parse_token(&req, &form)? {
        oauth2::TokenRequest::DeviceCode {
            client,
            device_code,
        } => oauth::poll_device_code(&deps.store, &client, &device_code, now()).await?,
        oauth2::TokenRequest::Refresh {
            client,
            refresh_token,
            scope,
        } => oauth::refresh(&deps.store, &client, &refresh_token, scope.as_ref(), now()).await?,
    };
    Ok(oauth2::token_response(&tokens))
}
