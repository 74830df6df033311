//! JWT access tokens (RFC 9068): what a resource server can check without calling back.

use serde::{Deserialize, Serialize};

use super::jwt::{self, Expected, JwtError, TokenType};
use super::signing_keys::{SigningAlg, SigningKeySet};

/// RFC 9068 §2.2's claims. `sub` is the user, or the client itself for a token no user
/// granted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessTokenClaims {
    pub iss: String,
    pub sub: String,
    /// The resource the token is for.
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    /// Unique per token, so one can be revoked or refused on replay.
    pub jti: String,
    pub client_id: String,
    /// Space-separated, as in the token response; left out when nothing was granted.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub scope: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<i64>,
}

impl AccessTokenClaims {
    /// Signs these claims as an `at+jwt` with the active key of `alg`. RFC 9068 §2.1 asks
    /// for RS256 support; EdDSA serves resource servers that accept it.
    pub fn sign(&self, keys: &SigningKeySet, alg: SigningAlg) -> Result<String, JwtError> {
        jwt::sign(keys, alg, self, TokenType::AccessToken)
    }

    /// Verifies an `at+jwt` for `audience` (RFC 9068 §4).
    pub fn verify(
        keys: &SigningKeySet,
        token: &str,
        issuer: &str,
        audience: &str,
        now: i64,
    ) -> Result<AccessTokenClaims, JwtError> {
        jwt::verify(
            keys,
            token,
            &Expected {
                issuer,
                audience: Some(audience),
                typ: TokenType::AccessToken,
                now,
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oidc::id_token::IdTokenClaims;
    use crate::oidc::test_keys::{NOW, generated};

    const ISSUER: &str = "https://id.example.com";

    fn claims() -> AccessTokenClaims {
        AccessTokenClaims {
            iss: ISSUER.into(),
            sub: "alice".into(),
            aud: "https://api.example.com".into(),
            exp: NOW + 600,
            iat: NOW,
            jti: "01J0000000000000000000000".into(),
            client_id: "client-1".into(),
            scope: "openid profile".into(),
            auth_time: None,
        }
    }

    #[test]
    fn access_tokens_round_trip_with_the_rfc9068_claims() -> Result<(), JwtError> {
        let keys = generated();
        let token = claims().sign(keys, SigningAlg::RS256)?;
        let header = jsonwebtoken::decode_header(&token).map_err(|_| JwtError::Malformed)?;
        assert_eq!(header.typ.as_deref(), Some("at+jwt"));
        let back = AccessTokenClaims::verify(keys, &token, ISSUER, "https://api.example.com", NOW)?;
        assert_eq!(back, claims());
        let json = serde_json::to_value(claims()).map_err(|_| JwtError::Claims)?;
        let mut names: Vec<&str> = json
            .as_object()
            .map(|o| o.keys().map(String::as_str).collect())
            .unwrap_or_default();
        names.sort_unstable();
        assert_eq!(
            names,
            [
                "aud",
                "client_id",
                "exp",
                "iat",
                "iss",
                "jti",
                "scope",
                "sub"
            ]
        );
        Ok(())
    }

    #[test]
    fn an_access_token_is_no_id_token_and_the_reverse() -> Result<(), JwtError> {
        let keys = generated();
        // Same issuer and audience, so only `typ` tells them apart.
        let access = AccessTokenClaims {
            aud: "client-1".into(),
            ..claims()
        };
        let token = access.sign(keys, SigningAlg::EdDSA)?;
        assert_eq!(
            IdTokenClaims::verify(keys, &token, ISSUER, "client-1", NOW),
            Err(JwtError::WrongType)
        );
        let id = IdTokenClaims {
            iss: ISSUER.into(),
            sub: "alice".into(),
            aud: "client-1".into(),
            exp: NOW + 600,
            iat: NOW,
            auth_time: Some(NOW),
            nonce: None,
            at_hash: None,
            azp: None,
            sid: None,
            name: None,
            preferred_username: None,
            email: None,
            email_verified: None,
        };
        let token = id.sign(keys, SigningAlg::EdDSA)?;
        assert_eq!(
            AccessTokenClaims::verify(keys, &token, ISSUER, "client-1", NOW),
            Err(JwtError::WrongType)
        );
        Ok(())
    }
}
