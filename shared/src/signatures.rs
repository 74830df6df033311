//! Device public keys and `HCP-Request-Signature` verification.
//!
//! Keys arrive as base64 of DER: `rsa` a SubjectPublicKeyInfo, `x509` a whole certificate (its
//! key is used), `ed25519` a SubjectPublicKeyInfo or the raw 32 bytes. Signatures are standard
//! base64 over the exact raw request bytes: Ed25519 (RFC 8032, strict), or RSA with SHA-256 as
//! PKCS#1 v1.5 or PSS.

use base64::Engine;
use base64::alphabet::STANDARD;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use ed25519_dalek::pkcs8::DecodePublicKey as _;
use rsa::RsaPublicKey;
use rsa::signature::Verifier as _;
use rsa::traits::PublicKeyParts as _;
use sha2::Sha256;
use spki::der::{Decode as _, Encode as _};

use crate::model::{KeyType, StoredKey};

/// Standard base64, padding optional: devices differ in whether they pad.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

pub const MIN_RSA_BITS: usize = 2048;
/// Keys larger than this cost too much to verify on every request.
pub const MAX_RSA_BITS: usize = 8192;
/// A generous cap on encoded keys and certificates, checked before decoding.
pub const MAX_ENCODED_KEY_LEN: usize = 16 * 1024;

const OID_RSA: spki::ObjectIdentifier = spki::ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const OID_ED25519: spki::ObjectIdentifier = spki::ObjectIdentifier::new_unwrap("1.3.101.112");

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    #[error("public_key is not valid base64")]
    NotBase64,
    #[error("public_key is too long")]
    TooLong,
    #[error("public_key is not a valid {0} key")]
    Malformed(&'static str),
    #[error("RSA keys must have at least 2048 bits")]
    RsaTooSmall,
    #[error("RSA keys must have at most 8192 bits")]
    RsaTooLarge,
    #[error("the certificate's key is neither RSA nor Ed25519")]
    UnsupportedCertificateKey,
    #[error("HCP-Request-Signature is not valid base64")]
    SignatureNotBase64,
    #[error("HCP-Request-Signature does not verify")]
    BadSignature,
}

/// A parsed key, ready to verify signatures.
#[derive(Clone, Debug)]
pub enum DevicePublicKey {
    Ed25519(ed25519_dalek::VerifyingKey),
    Rsa(RsaPublicKey),
}

impl DevicePublicKey {
    pub fn parse(key_type: KeyType, encoded: &str) -> Result<Self, KeyError> {
        if encoded.len() > MAX_ENCODED_KEY_LEN {
            return Err(KeyError::TooLong);
        }
        let der = BASE64
            .decode(encoded.trim())
            .map_err(|_| KeyError::NotBase64)?;
        match key_type {
            KeyType::Ed25519 => parse_ed25519(&der),
            KeyType::Rsa => parse_rsa_spki(&der),
            KeyType::X509 => parse_certificate(&der),
        }
    }

    /// `SHA256:` and the unpadded base64 of the SHA-256 of the key as registered (the DER bytes
    /// of the key or certificate), as OpenSSH prints fingerprints: enough for an administrator
    /// to tell two registrations' keys apart.
    pub fn fingerprint(key: &StoredKey) -> String {
        use base64::engine::general_purpose::STANDARD_NO_PAD;
        use sha2::Digest as _;
        let der = BASE64
            .decode(key.public_key.trim())
            .unwrap_or_else(|_| key.public_key.as_bytes().to_vec());
        format!("SHA256:{}", STANDARD_NO_PAD.encode(Sha256::digest(der)))
    }

    pub fn from_stored(key: &StoredKey) -> Result<Self, KeyError> {
        Self::parse(key.key_type, &key.public_key)
    }

    /// Verifies `HCP-Request-Signature` (base64) over `message`.
    pub fn verify(&self, message: &[u8], signature_b64: &str) -> Result<(), KeyError> {
        let signature = BASE64
            .decode(signature_b64.trim())
            .map_err(|_| KeyError::SignatureNotBase64)?;
        match self {
            DevicePublicKey::Ed25519(key) => {
                let sig = ed25519_dalek::Signature::from_slice(&signature)
                    .map_err(|_| KeyError::BadSignature)?;
                key.verify_strict(message, &sig)
                    .map_err(|_| KeyError::BadSignature)
            }
            DevicePublicKey::Rsa(key) => verify_rsa(key, message, &signature),
        }
    }
}

fn parse_ed25519(der: &[u8]) -> Result<DevicePublicKey, KeyError> {
    let malformed = |_| KeyError::Malformed("ed25519");
    let key = match <&[u8; 32]>::try_from(der) {
        Ok(raw) => ed25519_dalek::VerifyingKey::from_bytes(raw).map_err(malformed)?,
        Err(_) => ed25519_dalek::VerifyingKey::from_public_key_der(der)
            .map_err(|_| KeyError::Malformed("ed25519"))?,
    };
    // A weak (small-order) key would let anyone forge signatures that verify under it.
    if key.is_weak() {
        return Err(KeyError::Malformed("ed25519"));
    }
    Ok(DevicePublicKey::Ed25519(key))
}

fn parse_rsa_spki(der: &[u8]) -> Result<DevicePublicKey, KeyError> {
    let key = RsaPublicKey::from_public_key_der(der).map_err(|_| KeyError::Malformed("rsa"))?;
    check_rsa_size(key)
}

fn check_rsa_size(key: RsaPublicKey) -> Result<DevicePublicKey, KeyError> {
    let bits = key.n().bits();
    if bits < MIN_RSA_BITS {
        return Err(KeyError::RsaTooSmall);
    }
    if bits > MAX_RSA_BITS {
        return Err(KeyError::RsaTooLarge);
    }
    Ok(DevicePublicKey::Rsa(key))
}

fn parse_certificate(der: &[u8]) -> Result<DevicePublicKey, KeyError> {
    let cert = x509_cert::Certificate::from_der(der).map_err(|_| KeyError::Malformed("x509"))?;
    let spki = &cert.tbs_certificate.subject_public_key_info;
    let spki_der = spki.to_der().map_err(|_| KeyError::Malformed("x509"))?;
    if spki.algorithm.oid == OID_RSA {
        parse_rsa_spki(&spki_der)
    } else if spki.algorithm.oid == OID_ED25519 {
        parse_ed25519(&spki_der)
    } else {
        Err(KeyError::UnsupportedCertificateKey)
    }
}

fn verify_rsa(key: &RsaPublicKey, message: &[u8], signature: &[u8]) -> Result<(), KeyError> {
    let pkcs1 = rsa::pkcs1v15::VerifyingKey::<Sha256>::new(key.clone());
    if let Ok(sig) = rsa::pkcs1v15::Signature::try_from(signature)
        && pkcs1.verify(message, &sig).is_ok()
    {
        return Ok(());
    }
    // PSS: signers commonly use a salt as long as the hash (32) or the longest that fits.
    let sig = rsa::pss::Signature::try_from(signature).map_err(|_| KeyError::BadSignature)?;
    let longest_salt = key.size().saturating_sub(32 + 2);
    for salt_len in [32, longest_salt] {
        let pss = rsa::pss::VerifyingKey::<Sha256>::new_with_salt_len(key.clone(), salt_len);
        if pss.verify(message, &sig).is_ok() {
            return Ok(());
        }
    }
    Err(KeyError::BadSignature)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::STANDARD as B64;
    use rsa::pkcs8::EncodePublicKey as _;
    use rsa::signature::{RandomizedSigner as _, SignatureEncoding as _, Signer as _};

    // docs/design.md's vector, from the vendor's published example.
    const RAW_KEY: &str = "HUUtnCdtG1x9oiSI4ODtvIEmI/qp7lFknsu1lpVk8T8=";
    const SPKI_KEY: &str = "MCowBQYDK2VwAyEAHUUtnCdtG1x9oiSI4ODtvIEmI/qp7lFknsu1lpVk8T8=";
    const BODY: &str = "client_id=0966a26c-a5fc-4276-9c6b-587d02aceb91&client_secret=mykey&grant_type=device_code&device_code=wVgzOcLwemGJPfY_d01E3PA8H3k";
    const SIGNATURE: &str =
        "MKS1dCmgp4rLbZ2oaQeFb9pultWjI0zU7si5lb3oLCJWH8t8jgps4LLz/isPSa5OWfQAtFB3NAu04axirmF9CA==";

    #[test]
    fn vendor_vector_verifies_with_raw_and_spki_keys() -> Result<(), KeyError> {
        for encoded in [RAW_KEY, SPKI_KEY] {
            let key = DevicePublicKey::parse(KeyType::Ed25519, encoded)?;
            key.verify(BODY.as_bytes(), SIGNATURE)?;
            key.verify(BODY.as_bytes(), SIGNATURE.trim_end_matches('='))?;
        }
        Ok(())
    }

    #[test]
    fn vendor_vector_rejects_any_change() -> Result<(), KeyError> {
        let key = DevicePublicKey::parse(KeyType::Ed25519, RAW_KEY)?;
        let tampered = BODY.replace("mykey", "mykez");
        assert_eq!(
            key.verify(tampered.as_bytes(), SIGNATURE),
            Err(KeyError::BadSignature)
        );
        let mut sig = B64.decode(SIGNATURE).map_err(|_| KeyError::NotBase64)?;
        sig[10] ^= 1;
        assert_eq!(
            key.verify(BODY.as_bytes(), &B64.encode(&sig)),
            Err(KeyError::BadSignature)
        );
        assert_eq!(
            key.verify(BODY.as_bytes(), "not base64!"),
            Err(KeyError::SignatureNotBase64)
        );
        assert_eq!(
            key.verify(BODY.as_bytes(), &B64.encode([0u8; 10])),
            Err(KeyError::BadSignature)
        );
        Ok(())
    }

    #[test]
    fn ed25519_rejects_malformed_and_weak_keys() {
        assert_eq!(
            DevicePublicKey::parse(KeyType::Ed25519, "%%%").err(),
            Some(KeyError::NotBase64)
        );
        assert_eq!(
            DevicePublicKey::parse(KeyType::Ed25519, &B64.encode([1u8; 31])).err(),
            Some(KeyError::Malformed("ed25519"))
        );
        // The identity point is a small-order key.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert_eq!(
            DevicePublicKey::parse(KeyType::Ed25519, &B64.encode(identity)).err(),
            Some(KeyError::Malformed("ed25519"))
        );
        assert_eq!(
            DevicePublicKey::parse(KeyType::Ed25519, &"A".repeat(MAX_ENCODED_KEY_LEN + 1)).err(),
            Some(KeyError::TooLong)
        );
    }

    fn rsa_key(bits: usize) -> rsa::RsaPrivateKey {
        let mut rng = rand::thread_rng();
        rsa::RsaPrivateKey::new(&mut rng, bits).unwrap_or_else(|e| panic!("rsa keygen: {e}"))
    }

    fn spki_b64(key: &rsa::RsaPrivateKey) -> String {
        let der = key
            .to_public_key()
            .to_public_key_der()
            .unwrap_or_else(|e| panic!("spki: {e}"));
        B64.encode(der.as_bytes())
    }

    #[test]
    fn rsa_pkcs1v15_and_pss_signatures_verify() -> Result<(), KeyError> {
        let private = rsa_key(2048);
        let key = DevicePublicKey::parse(KeyType::Rsa, &spki_b64(&private))?;
        let body = b"client_id=printer-1&grant_type=device_code";

        let pkcs1 = rsa::pkcs1v15::SigningKey::<Sha256>::new(private.clone()).sign(body);
        key.verify(body, &B64.encode(pkcs1.to_bytes()))?;

        let mut rng = rand::thread_rng();
        let pss =
            rsa::pss::SigningKey::<Sha256>::new(private.clone()).sign_with_rng(&mut rng, body);
        key.verify(body, &B64.encode(pss.to_bytes()))?;

        let longest = private.size() - 32 - 2;
        let pss_max = rsa::pss::SigningKey::<Sha256>::new_with_salt_len(private.clone(), longest)
            .sign_with_rng(&mut rng, body);
        key.verify(body, &B64.encode(pss_max.to_bytes()))?;

        assert_eq!(
            key.verify(b"other body", &B64.encode(pkcs1.to_bytes())),
            Err(KeyError::BadSignature)
        );
        // Only SHA-256 is accepted: a PKCS#1 v1.5 signature over SHA-512 is refused.
        let other_hash = rsa::pkcs1v15::SigningKey::<sha2::Sha512>::new(private).sign(body);
        assert_eq!(
            key.verify(body, &B64.encode(other_hash.to_bytes())),
            Err(KeyError::BadSignature)
        );
        Ok(())
    }

    #[test]
    fn rsa_below_2048_bits_is_refused() {
        let small = rsa_key(1024);
        assert_eq!(
            DevicePublicKey::parse(KeyType::Rsa, &spki_b64(&small)).err(),
            Some(KeyError::RsaTooSmall)
        );
    }

    #[test]
    fn rsa_garbage_is_malformed() {
        assert_eq!(
            DevicePublicKey::parse(KeyType::Rsa, &B64.encode(b"not der")).err(),
            Some(KeyError::Malformed("rsa"))
        );
        // An Ed25519 SPKI is not an RSA key.
        assert_eq!(
            DevicePublicKey::parse(KeyType::Rsa, SPKI_KEY).err(),
            Some(KeyError::Malformed("rsa"))
        );
        assert_eq!(
            DevicePublicKey::parse(KeyType::X509, SPKI_KEY).err(),
            Some(KeyError::Malformed("x509"))
        );
    }
}
