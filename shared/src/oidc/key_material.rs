//! A signing key's private half (PKCS#8 DER) and what is derived from it once: jsonwebtoken's
//! signing and verifying keys, the public JWK parameters and the RFC 7638 thumbprint.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::jwk::{
    AlgorithmParameters, CommonParameters, EllipticCurve, Jwk, OctetKeyPairParameters,
    OctetKeyPairType, RSAKeyParameters, RSAKeyType, ThumbprintHash,
};
use jsonwebtoken::{DecodingKey, EncodingKey};
use rsa::pkcs1::EncodeRsaPrivateKey as _;
use rsa::pkcs8::{DecodePrivateKey as _, EncodePrivateKey as _};
use rsa::traits::PublicKeyParts as _;
use secrecy::{ExposeSecret as _, SecretSlice, SecretString};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::key_error::KeyError;
use super::signing_alg::SigningAlg;

/// RSA keys are generated at this size (RFC 7518 §3.3 asks at least 2048 bits) and refused
/// below it when loaded.
pub const RSA_BITS: usize = 2048;

/// PKCS#8 DER, base64 in JSON.
#[derive(Clone)]
pub(crate) struct Pkcs8(SecretSlice<u8>);

impl Serialize for Pkcs8 {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&STANDARD.encode(self.0.expose_secret()))
    }
}

impl<'de> Deserialize<'de> for Pkcs8 {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = SecretString::from(String::deserialize(deserializer)?);
        STANDARD
            .decode(text.expose_secret())
            .map(|der| Pkcs8(der.into()))
            .map_err(|_| serde::de::Error::custom("private_key is not base64"))
    }
}

/// The private key and what is derived from it: jsonwebtoken's signing and verifying keys
/// and the public JWK parameters.
#[derive(Clone)]
pub(crate) struct KeyMaterial {
    pub(crate) pkcs8: Pkcs8,
    pub(crate) encoding: EncodingKey,
    pub(crate) decoding: DecodingKey,
    pub(crate) public: AlgorithmParameters,
}

impl std::fmt::Debug for KeyMaterial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyMaterial")
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}

impl KeyMaterial {
    pub(crate) fn generate(alg: SigningAlg) -> Result<KeyMaterial, KeyError> {
        let der = match alg {
            SigningAlg::RS256 => {
                let key = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, RSA_BITS)
                    .map_err(|e| KeyError::Generate(e.to_string()))?;
                key.to_pkcs8_der()
                    .map_err(|e| KeyError::Generate(e.to_string()))?
                    .as_bytes()
                    .to_vec()
            }
            SigningAlg::EdDSA => {
                let mut seed = [0u8; ed25519_dalek::SECRET_KEY_LENGTH];
                getrandom::fill(&mut seed).map_err(|e| KeyError::Generate(e.to_string()))?;
                let key = ed25519_dalek::SigningKey::from_bytes(&seed);
                seed.fill(0);
                ed25519_dalek::pkcs8::EncodePrivateKey::to_pkcs8_der(&key)
                    .map_err(|e| KeyError::Generate(e.to_string()))?
                    .as_bytes()
                    .to_vec()
            }
        };
        KeyMaterial::from_pkcs8(alg, Pkcs8(der.into()))
    }

    pub(crate) fn from_pkcs8(alg: SigningAlg, pkcs8: Pkcs8) -> Result<KeyMaterial, KeyError> {
        let der = pkcs8.0.expose_secret();
        let (encoding, decoding, public) = match alg {
            SigningAlg::RS256 => {
                let key = rsa::RsaPrivateKey::from_pkcs8_der(der)
                    .map_err(|e| KeyError::Malformed(format!("not an RSA PKCS#8 key: {e}")))?;
                if key.size() * 8 < RSA_BITS {
                    return Err(KeyError::Malformed(format!(
                        "the RSA key has fewer than {RSA_BITS} bits"
                    )));
                }
                // jsonwebtoken's RustCrypto backend signs with PKCS#1 DER.
                let pkcs1 = key
                    .to_pkcs1_der()
                    .map_err(|e| KeyError::Malformed(e.to_string()))?;
                let (n, e) = (key.n().to_bytes_be(), key.e().to_bytes_be());
                (
                    EncodingKey::from_rsa_der(pkcs1.as_bytes()),
                    DecodingKey::from_rsa_raw_components(&n, &e),
                    AlgorithmParameters::RSA(RSAKeyParameters {
                        key_type: RSAKeyType::RSA,
                        n: URL_SAFE_NO_PAD.encode(n),
                        e: URL_SAFE_NO_PAD.encode(e),
                    }),
                )
            }
            SigningAlg::EdDSA => {
                let key = <ed25519_dalek::SigningKey as ed25519_dalek::pkcs8::DecodePrivateKey>::from_pkcs8_der(der)
                    .map_err(|e| KeyError::Malformed(format!("not an Ed25519 PKCS#8 key: {e}")))?;
                let public = key.verifying_key().to_bytes();
                (
                    EncodingKey::from_ed_der(der),
                    // The raw 32-byte public key, as jsonwebtoken's EdDSA verifier reads it.
                    DecodingKey::from_ed_der(&public),
                    AlgorithmParameters::OctetKeyPair(OctetKeyPairParameters {
                        key_type: OctetKeyPairType::OctetKeyPair,
                        curve: EllipticCurve::Ed25519,
                        x: URL_SAFE_NO_PAD.encode(public),
                    }),
                )
            }
        };
        Ok(KeyMaterial {
            pkcs8,
            encoding,
            decoding,
            public,
        })
    }

    /// The RFC 7638 JWK thumbprint (SHA-256, base64url): the key's id, stable because it
    /// depends only on the public key.
    pub(crate) fn thumbprint(&self) -> String {
        Jwk {
            common: CommonParameters::default(),
            algorithm: self.public.clone(),
        }
        .thumbprint(ThumbprintHash::SHA256)
    }
}
