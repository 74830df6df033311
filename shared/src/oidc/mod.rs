//! devicegate's JOSE, for its OpenID Connect provider: the keys it signs with, the JWK Set it
//! publishes, the JWTs it issues (ID tokens, RFC 9068 access tokens) and verifies, and the
//! OpenID Provider Metadata document.
//!
//! - [`signing_keys`]: a [`SigningKeySet`] of RS256 and EdDSA keys, each next, active or
//!   retired, with its rotation rules and public [`SigningKeySet::jwks`].
//! - [`key_storage`]: where the set lives (a local file, or a Secrets Manager secret).
//! - [`jwt`]: signing with the active key, and verifying our own tokens strictly.
//! - [`id_token`], [`access_token_jwt`]: the claims of each token kind.
//! - [`discovery`]: the `/.well-known/openid-configuration` document.
//!
//! Signing happens in-process with keys read once per cold start: an RS256 signature costs
//! about a millisecond of CPU and an EdDSA one a few tens of microseconds, while a KMS `Sign`
//! call per token would add a network round trip and cost more than the rest of the flow.
//! The private keys are held as `secrecy` values, never printed, and stored only in the key
//! file or secret.

pub mod access_token_jwt;
pub mod discovery;
pub mod id_token;
pub mod jwt;
mod key_error;
mod key_material;
pub mod key_storage;
mod signing_alg;
pub mod signing_keys;

pub use jwt::{Expected, JwtError, TokenType};
pub use signing_keys::{KeyError, KeyState, SigningAlg, SigningKey, SigningKeySet};

#[cfg(test)]
pub(crate) mod test_keys;
