//! OpenID Connect ID tokens (OIDC Core §2) and the `at_hash` that binds one to its access
//! token (§3.1.3.6).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use sha2::Digest as _;

use super::jwt::{self, Expected, JwtError, TokenType};
use super::signing_keys::{SigningAlg, SigningKeySet};

/// An ID token's claims. `aud` is the one client it was issued to, so `azp` is needed only
/// when a relying party asks for it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdTokenClaims {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    /// When the user authenticated, whenever it is known (always after a sign-in on the
    /// authorization page, so a `max_age` request is always answered).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_hash: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub azp: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_verified: Option<bool>,
}

impl IdTokenClaims {
    /// Signs these claims as an ID token (`typ: JWT`) with the active key of `alg`.
    pub fn sign(&self, keys: &SigningKeySet, alg: SigningAlg) -> Result<String, JwtError> {
        jwt::sign(keys, alg, self, TokenType::IdToken)
    }

    /// Verifies one of our ID tokens issued to `client_id` (an `id_token_hint`, say).
    pub fn verify(
        keys: &SigningKeySet,
        token: &str,
        issuer: &str,
        client_id: &str,
        now: i64,
    ) -> Result<IdTokenClaims, JwtError> {
        jwt::verify(
            keys,
            token,
            &Expected {
                issuer,
                audience: Some(client_id),
                typ: TokenType::IdToken,
                now,
            },
        )
    }
}

/// `at_hash`: base64url of the left-most half of the hash of the access token's ASCII octets,
/// the hash being the one of the ID token's `alg`: SHA-256 for RS256. For EdDSA with Ed25519
/// it is SHA-512, as the OpenID Connect Working Group decided (2019) and its "OpenID Connect
/// Token Hash Algorithms 1.0" implementer's guide records: Ed25519 hashes with SHA-512.
pub fn at_hash(access_token: &str, alg: SigningAlg) -> String {
    let digest = match alg {
        SigningAlg::RS256 => sha2::Sha256::digest(access_token.as_bytes()).to_vec(),
        SigningAlg::EdDSA => sha2::Sha512::digest(access_token.as_bytes()).to_vec(),
    };
    URL_SAFE_NO_PAD.encode(&digest[..digest.len() / 2])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oidc::test_keys::{NOW, generated};

    fn claims() -> IdTokenClaims {
        IdTokenClaims {
            iss: "https://id.example.com".into(),
            sub: "alice".into(),
            aud: "client-1".into(),
            exp: NOW + 300,
            iat: NOW,
            auth_time: Some(NOW - 10),
            nonce: None,
            at_hash: None,
            azp: None,
            sid: None,
            name: None,
            preferred_username: Some("alice".into()),
            email: None,
            email_verified: None,
        }
    }

    /// OIDC Core Appendix A's `id_token token` example (RS256), and the SHA-256 and Ed25519/SHA-512 vectors
    /// that the oidc-token-hash package (by an author of the implementer's guide) publishes.
    #[test]
    fn at_hash_matches_published_vectors() {
        assert_eq!(
            at_hash(
                "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y",
                SigningAlg::RS256
            ),
            "77QmUPtjPfzWtF2AnpK9RQ"
        );
        let token = "YmJiZTAwYmYtMzgyOC00NzhkLTkyOTItNjJjNDM3MGYzOWIy9sFhvH8K_x8UIHj1osisS57f5D\
                     duL-ar_qw5jl3lthwpMjm283aVMQXDmoqqqydDSqJfbhptzw8rUVwkuQbolw";
        assert_eq!(at_hash(token, SigningAlg::RS256), "x7vk7f6BvQj0jQHYFIk4ag");
        assert_eq!(
            at_hash(token, SigningAlg::EdDSA),
            "EGEAhGYyfuwDaVTifvrWSoD5MSy_5hZPy6I7Vm-7pTQ"
        );
    }

    #[test]
    fn absent_optional_claims_are_left_out() -> Result<(), serde_json::Error> {
        let json = serde_json::to_value(claims())?;
        let mut names: Vec<&str> = json
            .as_object()
            .map(|o| o.keys().map(String::as_str).collect())
            .unwrap_or_default();
        names.sort_unstable();
        assert_eq!(
            names,
            [
                "aud",
                "auth_time",
                "exp",
                "iat",
                "iss",
                "preferred_username",
                "sub"
            ]
        );
        let full = IdTokenClaims {
            nonce: Some("n-0S6_WzA2Mj".into()),
            at_hash: Some(at_hash("token", SigningAlg::EdDSA)),
            azp: Some("client-1".into()),
            sid: Some("session".into()),
            name: Some("Alice".into()),
            email: Some("alice@example.com".into()),
            email_verified: Some(true),
            ..claims()
        };
        let json = serde_json::to_value(&full)?;
        assert_eq!(json.as_object().map(|o| o.len()), Some(14));
        assert_eq!(json["email_verified"], true);
        assert_eq!(serde_json::from_value::<IdTokenClaims>(json)?, full);
        Ok(())
    }

    #[test]
    fn signed_id_tokens_verify_for_their_client_only() -> Result<(), JwtError> {
        let keys = generated();
        for alg in SigningAlg::ALL {
            let token = claims().sign(keys, alg)?;
            let back =
                IdTokenClaims::verify(keys, &token, "https://id.example.com", "client-1", NOW)?;
            assert_eq!(back, claims());
            assert_eq!(
                IdTokenClaims::verify(keys, &token, "https://id.example.com", "client-2", NOW),
                Err(JwtError::WrongAudience)
            );
        }
        Ok(())
    }
}
