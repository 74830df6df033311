//! PKCE (RFC 7636, S256 only): the challenge an authorization request sends, and the verifier
//! that must match it when the code is redeemed. Its own module because the request and the
//! redemption each hold one half.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use crate::error::Error;
use crate::secrets::hashes_match;

use super::request::AuthorizationRequest;

/// The PKCE challenge of a request (RFC 7636 §4.3), `S256` only; `required` for public clients.
pub fn validate_pkce(
    request: &AuthorizationRequest,
    required: bool,
) -> Result<Option<String>, Error> {
    match (
        request.code_challenge.as_deref(),
        request.code_challenge_method.as_deref(),
    ) {
        (None, None) if required => Err(Error::invalid_request(
            "public clients must use PKCE: send code_challenge with code_challenge_method=S256",
        )),
        (None, None) => Ok(None),
        (Some(challenge), Some("S256")) if is_s256_challenge(challenge) => {
            Ok(Some(challenge.to_owned()))
        }
        (Some(_), Some("S256")) => Err(Error::invalid_request(
            "code_challenge must be BASE64URL(SHA-256(code_verifier)): 43 characters",
        )),
        (Some(_), Some("plain") | None) => Err(Error::invalid_request(
            "only code_challenge_method=S256 is supported",
        )),
        _ => Err(Error::invalid_request(
            "send code_challenge with code_challenge_method=S256",
        )),
    }
}

/// Whether a redemption's `code_verifier` matches the challenge its code was issued with
/// (RFC 7636 §4.6); a code issued without one takes no verifier.
pub(super) fn check_verifier(challenge: Option<&str>, verifier: Option<&str>) -> Result<(), Error> {
    let invalid = |why: &str| Error::InvalidGrant(why.into());
    match (challenge, verifier) {
        (Some(challenge), Some(verifier)) if is_verifier(verifier) => {
            let computed = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
            if !hashes_match(&computed, challenge) {
                return Err(invalid(
                    "the code_verifier does not match the code_challenge",
                ));
            }
        }
        (Some(_), _) => {
            return Err(invalid(
                "this code needs its code_verifier (43 to 128 characters)",
            ));
        }
        (None, Some(_)) => {
            return Err(invalid("the authorization request sent no code_challenge"));
        }
        (None, None) => {}
    }
    Ok(())
}

/// RFC 7636 §4.2: an S256 challenge is 32 bytes in unpadded base64url.
fn is_s256_challenge(challenge: &str) -> bool {
    challenge.len() == 43
        && URL_SAFE_NO_PAD
            .decode(challenge)
            .is_ok_and(|b| b.len() == 32)
}

/// RFC 7636 §4.1: 43 to 128 unreserved characters.
fn is_verifier(verifier: &str) -> bool {
    (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_shapes() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        // RFC 7636 Appendix B.
        assert_eq!(challenge, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
        assert!(is_s256_challenge(&challenge));
        assert!(!is_s256_challenge(verifier.get(..42).unwrap_or_default()));
        assert!(is_verifier(verifier));
        assert!(!is_verifier("short"));
        assert!(!is_verifier(&"a".repeat(129)));
        assert!(!is_verifier(&format!("{}+", &verifier[..43])));
    }
}
