//! The rules of every flow, independent of any dialect. A dialect parses into these requests
//! and renders their results; nothing about a flow's rules lives anywhere else.

pub mod admin;
pub mod oauth;
pub mod register;
pub mod token;
pub mod verification;

/// A request's `HCP-Request-Signature` and the exact bytes it signs.
#[derive(Clone, Copy, Debug)]
pub struct SignedRequest<'a> {
    pub signature: &'a str,
    pub body: &'a [u8],
}
