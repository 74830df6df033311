//! The authorization code grant (RFC 6749 §4.1) with PKCE (RFC 7636, S256 only) and the
//! authorization server issuer identifier (RFC 9207): which requests the authorization endpoint
//! answers with a page and which with a redirect, what a code is bound to, and its redemption
//! at every token endpoint.
//!
//! - [`request`]: what the endpoint was asked, as sent.
//! - [`validation`]: whether it answers with a page, a redirect with an error, or the consent
//!   page.
//! - [`redirect_uri`]: which redirect URIs match a client's registered ones.
//! - [`pkce`]: the S256 challenge a request sends and the verifier its redemption shows.
//! - [`approval`]: the code issued once the signed-in person approves.
//! - [`redemption`]: the code traded for tokens at the token endpoint.

mod approval;
mod pkce;
mod redemption;
mod redirect_uri;
mod request;
mod validation;

pub use approval::{CODE_TTL, approve, check_offered_to};
pub use pkce::validate_pkce;
pub use redemption::{CodeGrant, redeem};
pub use redirect_uri::redirect_uri_registered;
pub use request::AuthorizationRequest;
pub use validation::{Prompt, Refusal, ValidRequest, validate};
