//! Federation: people sign in on devicegate's pages with an upstream OpenID Provider
//! (docs/federation.md).
//!
//! - [`relying_party`]: discovery, the authorization request, the code exchange and the ID
//!   token's verification, through the `openidconnect` crate.
//! - [`sealing`]: the upstream client secret, sealed under the server secret.
//! - [`claims`]: what a provider's settings ask of the verified claims, and the username.
//!
//! The rules of a sign-in (who may, which user it is) are [`crate::usecases::federation`]'s.

pub mod claims;
pub mod relying_party;
pub mod sealing;
