//! Password hashing with argon2id (RFC 9106), the parameters OWASP recommends
//! (19 MiB, 2 passes, 1 lane: the `argon2` crate's defaults), salts from the OS generator.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::error::Error;
use crate::secrets::random_bytes;

pub const MIN_LEN: usize = 8;
pub const MAX_LEN: usize = 256;

fn hasher() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::default())
}

/// Checks a new password's length (NIST SP 800-63B: at least 8, allow long passphrases).
pub fn check_new(password: &str) -> Result<(), Error> {
    let chars = password.chars().count();
    if !(MIN_LEN..=MAX_LEN).contains(&chars) {
        return Err(Error::invalid_request(format!(
            "password must be {MIN_LEN} to {MAX_LEN} characters"
        )));
    }
    Ok(())
}

/// The PHC string to store.
pub fn hash(password: &str) -> Result<String, Error> {
    let salt = SaltString::encode_b64(&random_bytes::<16>()?)
        .map_err(|e| Error::internal(format!("salt: {e}")))?;
    hasher()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::internal(format!("argon2: {e}")))
}

/// Whether `password` matches the stored hash. With no stored hash (unknown user) it still
/// spends the time of one verification, so response time does not tell which usernames exist.
pub fn verify(password: &str, stored: Option<&str>) -> bool {
    // No user, or one without a password (a federated user): the same work as a wrong password.
    let stored = stored.filter(|s| !s.is_empty()).unwrap_or(DUMMY_HASH);
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    let ok = hasher()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok();
    ok && stored != DUMMY_HASH
}

/// argon2id of a random password nobody knows, with the same parameters.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0hIBbWXD0YlEvA6oRyQ/Dsk9rT9s2vI1x0PZlUXbj1M";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_differ_by_salt() -> Result<(), Error> {
        let a = hash("correct horse battery")?;
        let b = hash("correct horse battery")?;
        assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert_ne!(a, b);
        assert!(verify("correct horse battery", Some(&a)));
        assert!(!verify("correct horse battery!", Some(&a)));
        assert!(!verify("anything", None));
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
        Ok(())
    }

    #[test]
    fn new_passwords_are_bounded() {
        assert!(check_new("short").is_err());
        assert!(check_new("long enough").is_ok());
        assert!(check_new(&"x".repeat(257)).is_err());
    }
}
