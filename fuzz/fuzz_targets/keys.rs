//! Device public keys and `HCP-Request-Signature` verification.
//!
//! Input layout: the key text up to the first `\n`, the signature up to the next `\n`, then the
//! message. The key is tried as every `KeyType`.
#![no_main]

use devicegate::signatures::DevicePublicKey;
use devicegate::model::{KeyType, StoredKey};
use libfuzzer_sys::fuzz_target;

fn split_line(data: &[u8]) -> (&[u8], &[u8]) {
    match data.iter().position(|&b| b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[]),
    }
}

fuzz_target!(|data: &[u8]| {
    let (key, rest) = split_line(data);
    let (signature, message) = split_line(rest);
    let key = String::from_utf8_lossy(key);
    let signature = String::from_utf8_lossy(signature);
    for &key_type in KeyType::ALL {
        let stored = StoredKey {
            key_type,
            public_key: key.to_string(),
        };
        let fingerprint = DevicePublicKey::fingerprint(&stored);
        // "SHA256:" and 43 characters of unpadded base64.
        assert_eq!(fingerprint.len(), 7 + 43, "{fingerprint}");
        assert!(fingerprint.starts_with("SHA256:"));
        match DevicePublicKey::parse(key_type, &key) {
            Ok(parsed) => {
                // What registration stores (the trimmed text) parses the same way later.
                let trimmed = StoredKey {
                    key_type,
                    public_key: key.trim().to_owned(),
                };
                assert!(DevicePublicKey::from_stored(&trimmed).is_ok());
                assert_eq!(DevicePublicKey::fingerprint(&trimmed), fingerprint);
                let first = parsed.verify(message, &signature);
                // Verification is deterministic.
                assert_eq!(parsed.verify(message, &signature), first);
            }
            Err(e) => {
                let _ = e.to_string();
            }
        }
    }
});
