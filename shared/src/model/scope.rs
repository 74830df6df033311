//! Scopes (RFC 6749 §3.3): a sorted set of validated tokens.

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// A set of scope tokens (RFC 6749 §3.3): each 1..=128 characters of `NQCHAR`, at most 32,
/// kept sorted and without repeats so that equal scopes compare equal.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Scope(Vec<String>);

impl Scope {
    pub const MAX_TOKENS: usize = 32;
    pub const MAX_TOKEN_LEN: usize = 128;

    /// Parses a space-delimited scope string.
    pub fn parse(text: &str) -> Result<Scope, Error> {
        Scope::from_tokens(text.split(' ').filter(|t| !t.is_empty()))
    }

    pub fn from_tokens<'a>(tokens: impl IntoIterator<Item = &'a str>) -> Result<Scope, Error> {
        let mut out: Vec<String> = Vec::new();
        for token in tokens {
            let nqchar =
                |b: u8| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b);
            if token.is_empty() || token.len() > Self::MAX_TOKEN_LEN || !token.bytes().all(nqchar) {
                return Err(Error::InvalidScope(format!(
                    "scope tokens are 1 to {} printable characters without quotes or backslashes",
                    Self::MAX_TOKEN_LEN
                )));
            }
            out.push(token.to_owned());
        }
        out.sort();
        out.dedup();
        if out.len() > Self::MAX_TOKENS {
            return Err(Error::InvalidScope(format!(
                "at most {} scope tokens",
                Self::MAX_TOKENS
            )));
        }
        Ok(Scope(out))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn tokens(&self) -> &[String] {
        &self.0
    }

    pub fn is_subset_of(&self, other: &Scope) -> bool {
        self.0.iter().all(|t| other.0.contains(t))
    }

    /// The wire form: tokens joined by single spaces; `None` when empty.
    pub fn to_wire(&self) -> Option<String> {
        (!self.0.is_empty()).then(|| self.0.join(" "))
    }
}
