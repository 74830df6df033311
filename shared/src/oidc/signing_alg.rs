//! The algorithms devicegate signs with. Its own module because everything that handles a key
//! (its material, the set, the JWTs, the discovery document) names one.

use jsonwebtoken::Algorithm;
use serde::{Deserialize, Serialize};

/// The algorithms devicegate signs with: RS256 because every relying party must support it
/// (OIDC Core §15.1), EdDSA (Ed25519, RFC 8037) because it is small and fast.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SigningAlg {
    RS256,
    EdDSA,
}

impl SigningAlg {
    pub const ALL: [SigningAlg; 2] = [SigningAlg::RS256, SigningAlg::EdDSA];

    /// The JWA name (`alg`).
    pub fn as_str(self) -> &'static str {
        match self {
            SigningAlg::RS256 => "RS256",
            SigningAlg::EdDSA => "EdDSA",
        }
    }

    pub fn jwt_algorithm(self) -> Algorithm {
        match self {
            SigningAlg::RS256 => Algorithm::RS256,
            SigningAlg::EdDSA => Algorithm::EdDSA,
        }
    }

    /// `None` for every algorithm devicegate does not sign with (HS256 and the rest).
    pub fn from_jwt_algorithm(alg: Algorithm) -> Option<SigningAlg> {
        match alg {
            Algorithm::RS256 => Some(SigningAlg::RS256),
            Algorithm::EdDSA => Some(SigningAlg::EdDSA),
            _ => None,
        }
    }
}
