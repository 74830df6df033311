//! Signing devicegate's JWTs with its active keys, and verifying them strictly: only RS256 and
//! EdDSA, only a key of the set named by `kid` and of the token's `alg`, only the expected
//! `typ`, issuer and audience, and never after `exp`.

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Header, Validation};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::signing_keys::{SigningAlg, SigningKeySet};

/// Longer tokens are refused before they are parsed.
pub const MAX_TOKEN_LEN: usize = 16 * 1024;

/// No leeway on `exp`: these tokens are issued and checked by the same service's clocks, and
/// an expired token is expired.
pub const EXP_LEEWAY_SECONDS: i64 = 0;

/// The token kinds, told apart by the header's `typ` so that one is never accepted as another.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenType {
    /// An OpenID Connect ID token: `typ: JWT`.
    IdToken,
    /// An RFC 9068 access token: `typ: at+jwt`.
    AccessToken,
}

impl TokenType {
    pub fn typ(self) -> &'static str {
        match self {
            TokenType::IdToken => "JWT",
            TokenType::AccessToken => "at+jwt",
        }
    }

    /// RFC 7515 §4.1.9: `typ` is a media type, compared without case, and `application/` may
    /// be left out.
    fn matches(self, typ: &str) -> bool {
        let lower = typ.to_ascii_lowercase();
        let short = lower.strip_prefix("application/").unwrap_or(&lower);
        short == self.typ().to_ascii_lowercase()
    }
}

/// What a token must say to be accepted.
#[derive(Clone, Copy, Debug)]
pub struct Expected<'a> {
    pub issuer: &'a str,
    /// The audience the token must name; `None` accepts any (or none).
    pub audience: Option<&'a str>,
    pub typ: TokenType,
    pub now: i64,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum JwtError {
    #[error("there is no active {0} signing key")]
    NoActiveKey(&'static str),
    #[error("signing failed: {0}")]
    Sign(String),
    #[error("the token is too long")]
    TooLong,
    #[error("the token is malformed")]
    Malformed,
    #[error("the token's algorithm is not accepted")]
    UnsupportedAlgorithm,
    #[error("the token's key is unknown or retired")]
    UnknownKey,
    #[error("the token's algorithm does not match its key")]
    AlgorithmMismatch,
    #[error("the token has the wrong typ")]
    WrongType,
    #[error("the token's signature does not verify")]
    BadSignature,
    #[error("the token has expired")]
    Expired,
    #[error("the token has the wrong issuer")]
    WrongIssuer,
    #[error("the token has the wrong audience")]
    WrongAudience,
    #[error("the token lacks the {0} claim")]
    MissingClaim(String),
    #[error("the token's claims are not as expected")]
    Claims,
}

/// Signs `claims` with the active key of `alg`, naming it by `kid`.
pub fn sign<C: Serialize>(
    keys: &SigningKeySet,
    alg: SigningAlg,
    claims: &C,
    typ: TokenType,
) -> Result<String, JwtError> {
    let key = keys
        .active(alg)
        .ok_or(JwtError::NoActiveKey(alg.as_str()))?;
    let mut header = Header::new(alg.jwt_algorithm());
    header.typ = Some(typ.typ().to_owned());
    header.kid = Some(key.kid().to_owned());
    jsonwebtoken::encode(&header, claims, key.encoding_key())
        .map_err(|e| JwtError::Sign(e.to_string()))
}

/// Verifies one of devicegate's own tokens and returns its claims.
pub fn verify<C: DeserializeOwned>(
    keys: &SigningKeySet,
    token: &str,
    expected: &Expected<'_>,
) -> Result<C, JwtError> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(JwtError::TooLong);
    }
    // `alg: none` and unknown algorithms fail here: jsonwebtoken has no such algorithm.
    let header = jsonwebtoken::decode_header(token).map_err(|_| JwtError::Malformed)?;
    let alg = SigningAlg::from_jwt_algorithm(header.alg).ok_or(JwtError::UnsupportedAlgorithm)?;
    // We set no critical extensions, so none can be understood (RFC 7515 §4.1.11).
    if header.crit.is_some() {
        return Err(JwtError::Malformed);
    }
    if !header
        .typ
        .as_deref()
        .is_some_and(|t| expected.typ.matches(t))
    {
        return Err(JwtError::WrongType);
    }
    let key = header
        .kid
        .as_deref()
        .and_then(|kid| keys.verifying_key(kid, expected.now))
        .ok_or(JwtError::UnknownKey)?;
    if key.alg() != alg {
        return Err(JwtError::AlgorithmMismatch);
    }

    let mut validation = Validation::new(alg.jwt_algorithm());
    // jsonwebtoken reads the system clock; `exp` is checked below against `expected.now`.
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.set_issuer(&[expected.issuer]);
    let mut required = vec!["exp", "iss"];
    match expected.audience {
        Some(audience) => {
            validation.set_audience(&[audience]);
            required.push("aud");
        }
        None => validation.validate_aud = false,
    }
    validation.set_required_spec_claims(&required);

    let data = jsonwebtoken::decode::<serde_json::Value>(token, key.decoding_key(), &validation)
        .map_err(|e| match e.kind() {
            ErrorKind::InvalidSignature => JwtError::BadSignature,
            ErrorKind::InvalidIssuer => JwtError::WrongIssuer,
            ErrorKind::InvalidAudience => JwtError::WrongAudience,
            ErrorKind::MissingRequiredClaim(claim) => JwtError::MissingClaim(claim.clone()),
            ErrorKind::InvalidAlgorithm => JwtError::AlgorithmMismatch,
            _ => JwtError::Malformed,
        })?;
    let exp = data
        .claims
        .get("exp")
        .and_then(serde_json::Value::as_i64)
        .ok_or_else(|| JwtError::MissingClaim("exp".into()))?;
    if expected.now >= exp.saturating_add(EXP_LEEWAY_SECONDS) {
        return Err(JwtError::Expired);
    }
    serde_json::from_value(data.claims).map_err(|_| JwtError::Claims)
}

#[cfg(test)]
mod tests;
