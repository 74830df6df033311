//! Wire formats. Each dialect only parses, names fields, wraps and shapes errors; the rules are
//! in [`crate::usecases`]. A dialect implements a codec for each operation it serves (dialects
//! serve different sets), and the handlers in [`crate::api`] are generic over the codec, so a
//! route is one line in [`crate::routes`]: `api::token::handle::<Rfc6749>`.

pub mod oauth2;
pub mod paragon;

use lambda_http::{Body, Request, Response};

use crate::error::Error;
use crate::model::TokenSet;
use crate::usecases::device_grant::TooFastPolls;
use crate::usecases::device_grant::{DeviceAuthorization, DeviceAuthorizationRequest};
use crate::usecases::grants::TokenRequest;

/// A dialect's token endpoint.
pub trait TokenCodec {
    /// How the dialect's clients expect a too-early poll to be answered.
    const TOO_FAST: TooFastPolls;

    /// Reads the grant and who presents it.
    fn parse(req: &Request) -> Result<TokenRequest<'_>, Error>;

    /// Writes the tokens.
    fn render(tokens: &TokenSet) -> Response<Body>;
}

/// A dialect's device authorization endpoint (RFC 8628 §3.1 and its relatives).
pub trait DeviceAuthorizationCodec {
    /// Reads the client and the scope it asks for.
    fn parse(req: &Request) -> Result<DeviceAuthorizationRequest, Error>;

    /// Writes the codes and where to enter them (`base_url` is the issuer).
    fn render(started: &DeviceAuthorization, base_url: &str) -> Response<Body>;
}

pub use oauth2::Rfc6749;
pub use paragon::Paragon;
