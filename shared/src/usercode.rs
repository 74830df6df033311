//! User codes (RFC 8628 §6.1): 8 characters from a 20-letter alphabet with no vowels (so no
//! words) and no look-alike digits, shown as `XXXX-XXXX`. 20^8 ≈ 2.56e10 codes, about 34 bits;
//! the verification page's rate limits keep guessing hopeless (docs/security.md, "Limits on
//! guessing and flooding").
//!
//! Codes are stored only under an HMAC with the server secret: a leaked table does not reveal
//! live codes, and without the secret nobody can tell which codes are live.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::error::Error;
use crate::secrets::ServerSecret;
use crate::secrets::{random_bytes, to_hex};

pub const ALPHABET: &[u8; 20] = b"BCDFGHJKLMNPQRSTVWXZ";
pub const LENGTH: usize = 8;

/// A well-formed user code, normalised (upper case, no separators).
#[derive(Clone, PartialEq, Eq)]
pub struct UserCode(String);

impl std::fmt::Debug for UserCode {
    // A user code is a short-lived secret: keep it out of debug logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UserCode(..)")
    }
}

impl UserCode {
    /// Draws a new code from the OS random generator, uniformly over the alphabet (bytes of 240
    /// and above are redrawn so that no letter is likelier than another).
    pub fn generate() -> Result<UserCode, Error> {
        let mut code = String::with_capacity(LENGTH);
        while code.len() < LENGTH {
            for byte in random_bytes::<16>()? {
                if byte < 240 && code.len() < LENGTH {
                    code.push(char::from(ALPHABET[usize::from(byte % 20)]));
                }
            }
        }
        Ok(UserCode(code))
    }

    /// Reads what a person typed: case, spaces and dashes do not matter.
    pub fn parse(input: &str) -> Result<UserCode, Error> {
        let code: String = input
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .map(|c| c.to_ascii_uppercase())
            .collect();
        if code.len() != LENGTH || !code.bytes().all(|b| ALPHABET.contains(&b)) {
            return Err(Error::invalid_request(
                "a code is 8 letters, like BCDF-GHJK",
            ));
        }
        Ok(UserCode(code))
    }

    /// `XXXX-XXXX`.
    pub fn display(&self) -> String {
        let (a, b) = self.0.split_at(LENGTH / 2);
        format!("{a}-{b}")
    }

    /// The key it is stored under: hex HMAC-SHA256 under the server secret.
    pub fn hmac(&self, secret: &ServerSecret) -> String {
        keyed_hash(secret, "user-code", self.0.as_bytes())
    }
}

/// HMAC-SHA256 under the server secret, with a label so that one secret serves several purposes
/// without one hash standing in for another.
pub fn keyed_hash(secret: &ServerSecret, label: &str, data: &[u8]) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.bytes()) else {
        return String::new();
    };
    mac.update(label.as_bytes());
    mac.update(&[0]);
    mac.update(data);
    to_hex(&mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_codes_use_the_alphabet_and_differ() -> Result<(), Error> {
        let a = UserCode::generate()?;
        let b = UserCode::generate()?;
        assert_ne!(a, b);
        assert_eq!(a.0.len(), 8);
        assert!(a.0.bytes().all(|c| ALPHABET.contains(&c)));
        assert_eq!(UserCode::parse(&a.display())?, a);
        Ok(())
    }

    #[test]
    fn input_ignores_case_spaces_and_dashes() -> Result<(), Error> {
        let code = UserCode::parse(" bcdf - ghjk ")?;
        assert_eq!(code.display(), "BCDF-GHJK");
        assert!(UserCode::parse("BCDF-GHJ").is_err());
        assert!(
            UserCode::parse("ABCD-EFGH").is_err(),
            "vowels are not in the alphabet"
        );
        assert!(UserCode::parse("BCDF-GHJK-L").is_err());
        Ok(())
    }

    #[test]
    fn hmac_depends_on_the_secret() -> Result<(), Error> {
        let code = UserCode::parse("BCDFGHJK")?;
        let one = ServerSecret::from_bytes(vec![1; 32]);
        let two = ServerSecret::from_bytes(vec![2; 32]);
        assert_eq!(code.hmac(&one).len(), 64);
        assert_ne!(code.hmac(&one), code.hmac(&two));
        assert_ne!(code.hmac(&one), keyed_hash(&one, "csrf", b"BCDFGHJK"));
        Ok(())
    }

    #[test]
    fn letters_are_uniform_enough() -> Result<(), Error> {
        // 20 000 letters: each of the 20 should appear about 1000 times; a biased draw (byte % 20
        // without rejection) would still pass this, so it only guards against gross mistakes.
        let mut counts = [0u32; 20];
        for _ in 0..2500 {
            for b in UserCode::generate()?.0.bytes() {
                if let Some(i) = ALPHABET.iter().position(|a| *a == b) {
                    counts[i] += 1;
                }
            }
        }
        assert!(counts.iter().all(|c| (800..1200).contains(c)), "{counts:?}");
        Ok(())
    }
}
