//! Secrets devicegate must use again (an upstream client secret), sealed with AES-256-GCM
//! under a key derived from the server secret. The record holds only `v1.` and the base64url
//! of nonce and ciphertext; the associated data binds it to its record, so a sealed value
//! copied onto another provider does not open there.

use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes256Gcm, KeyInit, Nonce};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use secrecy::SecretString;

use crate::error::Error;
use crate::secrets::{ServerSecret, random_bytes};

const VERSION: &str = "v1.";
/// What the key is for: another use of the server secret derives another key.
const KEY_PURPOSE: &[u8] = b"devicegate/upstream-client-secret/v1";

fn cipher(secret: &ServerSecret) -> Result<Aes256Gcm, Error> {
    let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(secret.bytes())
        .map_err(|_| Error::internal("the server secret cannot key an HMAC"))?;
    mac.update(KEY_PURPOSE);
    let key = mac.finalize().into_bytes();
    Aes256Gcm::new_from_slice(&key).map_err(|_| Error::internal("an AES-256 key of 32 bytes"))
}

/// Seals `plaintext` for the record named `context`.
pub fn seal(secret: &ServerSecret, context: &str, plaintext: &str) -> Result<String, Error> {
    let nonce_bytes = random_bytes::<12>()?;
    let sealed = cipher(secret)?
        .encrypt(
            Nonce::from_slice(&nonce_bytes),
            Payload {
                msg: plaintext.as_bytes(),
                aad: context.as_bytes(),
            },
        )
        .map_err(|_| Error::internal("sealing a secret"))?;
    let mut bytes = nonce_bytes.to_vec();
    bytes.extend_from_slice(&sealed);
    Ok(format!("{VERSION}{}", URL_SAFE_NO_PAD.encode(bytes)))
}

/// Opens a value [`seal`] made for `context`. A wrong server secret, another record's value or
/// a tampered one is an internal error (the operator's to fix, nothing a request can cause).
pub fn open(secret: &ServerSecret, context: &str, sealed: &str) -> Result<SecretString, Error> {
    let refused = || Error::internal(format!("the sealed secret of {context} does not open"));
    let bytes = sealed
        .strip_prefix(VERSION)
        .and_then(|b| URL_SAFE_NO_PAD.decode(b).ok())
        .filter(|b| b.len() > 12)
        .ok_or_else(refused)?;
    let (nonce, ciphertext) = bytes.split_at(12);
    let plain = cipher(secret)?
        .decrypt(
            Nonce::from_slice(nonce),
            Payload {
                msg: ciphertext,
                aad: context.as_bytes(),
            },
        )
        .map_err(|_| refused())?;
    let text = String::from_utf8(plain).map_err(|_| refused())?;
    Ok(SecretString::from(text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    fn server_secret(byte: u8) -> ServerSecret {
        ServerSecret::from_bytes(vec![byte; 32])
    }

    #[test]
    fn a_sealed_secret_opens_only_for_its_record_and_key() -> Result<(), Error> {
        let key = server_secret(7);
        let sealed = seal(&key, "idp_A", "s3cret")?;
        assert!(!sealed.contains("s3cret"));
        assert_ne!(
            sealed,
            seal(&key, "idp_A", "s3cret")?,
            "a fresh nonce each time"
        );
        assert_eq!(open(&key, "idp_A", &sealed)?.expose_secret(), "s3cret");
        assert!(open(&key, "idp_B", &sealed).is_err());
        assert!(open(&server_secret(8), "idp_A", &sealed).is_err());
        let mut tampered = sealed.clone().into_bytes();
        let last = tampered.len() - 1;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(tampered).map_err(|e| Error::internal(e.to_string()))?;
        assert!(open(&key, "idp_A", &tampered).is_err());
        assert!(open(&key, "idp_A", "v1.").is_err());
        assert!(open(&key, "idp_A", "s3cret").is_err());
        Ok(())
    }
}
