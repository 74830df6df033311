//! Key sets shared by the tests: RSA key generation is slow, so two sets serve them all.

use std::sync::OnceLock;

use super::SigningKeySet;

pub const NOW: i64 = 1_800_000_000;

/// A set generated at [`NOW`].
pub fn generated() -> &'static SigningKeySet {
    static SET: OnceLock<SigningKeySet> = OnceLock::new();
    SET.get_or_init(|| {
        SigningKeySet::generate(NOW).unwrap_or_else(|e| panic!("generating keys: {e}"))
    })
}

/// [`generated`] rotated an hour later, its old active keys retired for another hour.
pub fn rotated() -> &'static SigningKeySet {
    static SET: OnceLock<SigningKeySet> = OnceLock::new();
    SET.get_or_init(|| {
        generated()
            .rotate(NOW + 3600, 3600)
            .unwrap_or_else(|e| panic!("rotating keys: {e}"))
    })
}
