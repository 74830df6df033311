//! Issuing, hashing and comparing secrets.
//!
//! Every secret (device code, token, API key, admin key) is drawn from the OS random generator at
//! the moment it is issued, shown to its owner once, and stored only as a SHA-256 hash. A 256-bit
//! random secret needs no slow hash: guessing it is hopeless, so a fast hash is enough to make a
//! leaked table useless.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::Error;

/// 256 bits, the floor docs/design.md sets for device codes and tokens.
pub const SECRET_BYTES: usize = 32;

/// What kind of secret; the prefix makes a leaked secret recognisable to secret scanners.
#[derive(Clone, Copy, Debug)]
pub enum SecretKind {
    DeviceCode,
    AccessToken,
    RefreshToken,
    ApiKey,
    AdminKey,
    ClientSecret,
    Session,
    /// RFC 7592: what a self-registered client presents to read, change or delete itself.
    RegistrationAccessToken,
    /// RFC 7591 §3: an administrator's permission to register a client.
    InitialAccessToken,
    /// RFC 6749 §4.1.2: what the browser carries back to the client.
    AuthorizationCode,
}

impl SecretKind {
    fn prefix(self) -> &'static str {
        match self {
            SecretKind::DeviceCode => "dgc_",
            SecretKind::AccessToken => "dga_",
            SecretKind::RefreshToken => "dgr_",
            SecretKind::ApiKey => "dgk_",
            SecretKind::AdminKey => "dgadmin_",
            SecretKind::ClientSecret => "dgs_",
            SecretKind::Session => "dgsess_",
            SecretKind::RegistrationAccessToken => "dgrat_",
            SecretKind::InitialAccessToken => "dgiat_",
            SecretKind::AuthorizationCode => "dgac_",
        }
    }
}

/// A secret just issued: its value goes to the caller once, its hash goes to storage.
pub struct IssuedSecret {
    value: String,
    hash: String,
}

impl IssuedSecret {
    pub fn value(&self) -> &str {
        &self.value
    }
    pub fn hash(&self) -> &str {
        &self.hash
    }
    pub fn into_value(self) -> String {
        self.value
    }
}

impl std::fmt::Debug for IssuedSecret {
    // Never print the value, even in a debug log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedSecret")
            .field("hash", &self.hash)
            .finish_non_exhaustive()
    }
}

/// Draws a new secret from the OS random generator.
pub fn issue(kind: SecretKind) -> Result<IssuedSecret, Error> {
    let mut bytes = [0u8; SECRET_BYTES];
    getrandom::fill(&mut bytes)
        .map_err(|e| Error::internal(format!("OS random generator: {e}")))?;
    let value = format!("{}{}", kind.prefix(), URL_SAFE_NO_PAD.encode(bytes));
    let hash = hash_secret(&value);
    Ok(IssuedSecret { value, hash })
}

/// Random bytes from the OS generator, for identifiers that must not be guessable.
/// Issues a user access token: `dgu_<locator>.<256 random bits>`. The whole value is what is
/// hashed and stored, so the locator cannot be altered without the token becoming unknown.
pub fn issue_located(locator: &TokenLocator) -> Result<IssuedSecret, Error> {
    let bytes = random_bytes::<SECRET_BYTES>()?;
    let value = format!(
        "{}{}.{}",
        TokenLocator::PREFIX,
        locator.encode(),
        URL_SAFE_NO_PAD.encode(bytes)
    );
    let hash = hash_secret(&value);
    Ok(IssuedSecret { value, hash })
}

/// Where a user access token's standing is kept, written into the token itself so that the
/// authorizer reads everything it needs in one batch: the token's family, the family of the
/// device token it was issued on, its API key's id (for the key's guard) and its user (for the
/// user's guard). None of these is secret; the random part is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenLocator {
    pub family_id: String,
    pub device_family_id: Option<String>,
    pub api_key_id: String,
    pub username: String,
}

impl TokenLocator {
    pub const PREFIX: &'static str = "dgu_";
    const NO_DEVICE: &'static str = "-";

    /// `<family>.<device family or ->.<API key id>.<username>`: a username may hold dots, so it
    /// comes last, before the random part (which holds none).
    fn encode(&self) -> String {
        format!(
            "{}.{}.{}.{}",
            self.family_id,
            self.device_family_id.as_deref().unwrap_or(Self::NO_DEVICE),
            self.api_key_id,
            self.username
        )
    }

    /// Reads the locator of a presented token; `None` for anything not shaped like a user
    /// access token (ids are ULIDs: 26 characters of Crockford base32; a username as
    /// [`crate::model::Username`] allows).
    pub fn parse(token: &str) -> Option<TokenLocator> {
        let rest = token.strip_prefix(Self::PREFIX)?;
        let (located, secret) = rest.rsplit_once('.')?;
        let mut parts = located.splitn(4, '.');
        let (family, device, key, username) =
            (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        let is_id = |p: &str| p.len() == 26 && p.bytes().all(|b| b.is_ascii_alphanumeric());
        let is_secret = |p: &str| {
            p.len() == 43
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        };
        if crate::model::Username::parse(username).is_err()
            || !is_id(family)
            || !is_id(key)
            || !(device == Self::NO_DEVICE || is_id(device))
            // Never issued so (ids are distinct), and one key asked for twice fails the read.
            || device == family
            || !is_secret(secret)
        {
            return None;
        }
        Some(TokenLocator {
            family_id: family.to_owned(),
            device_family_id: (device != Self::NO_DEVICE).then(|| device.to_owned()),
            api_key_id: key.to_owned(),
            username: username.to_owned(),
        })
    }
}

pub fn random_bytes<const N: usize>() -> Result<[u8; N], Error> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes)
        .map_err(|e| Error::internal(format!("OS random generator: {e}")))?;
    Ok(bytes)
}

/// The stored form of a secret: lowercase hex SHA-256.
pub fn hash_secret(secret: &str) -> String {
    to_hex(&Sha256::digest(secret.as_bytes()))
}

/// Lowercase hex.
pub fn to_hex(bytes: &[u8]) -> String {
    hex::encode(bytes)
}

/// Compares two stored hashes without leaking where they differ.
pub fn hashes_match(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

/// The server's own secret: never printed (its `Debug` is redacted) and zeroed when dropped.
#[derive(Clone)]
pub struct ServerSecret(secrecy::SecretSlice<u8>);

impl std::fmt::Debug for ServerSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ServerSecret(..)")
    }
}

impl ServerSecret {
    pub const MIN_BYTES: usize = 32;

    pub fn from_bytes(bytes: Vec<u8>) -> ServerSecret {
        ServerSecret(bytes.into())
    }

    /// Reads `SERVER_SECRET`: any text of at least 32 bytes (the template generates 64 random
    /// letters and digits in Secrets Manager).
    pub fn from_text(text: &str) -> Result<ServerSecret, String> {
        let bytes = text.trim().as_bytes();
        if bytes.len() < Self::MIN_BYTES {
            return Err(format!(
                "SERVER_SECRET must be at least {} characters",
                Self::MIN_BYTES
            ));
        }
        Ok(ServerSecret::from_bytes(bytes.to_vec()))
    }

    pub fn bytes(&self) -> &[u8] {
        use secrecy::ExposeSecret as _;
        self.0.expose_secret()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_secrets_carry_256_bits_and_differ() -> Result<(), Error> {
        let a = issue(SecretKind::DeviceCode)?;
        let b = issue(SecretKind::DeviceCode)?;
        assert_ne!(a.value(), b.value());
        let encoded = a.value().trim_start_matches("dgc_");
        assert_eq!(
            URL_SAFE_NO_PAD.decode(encoded).map(|v| v.len()).ok(),
            Some(32)
        );
        assert_eq!(a.hash(), hash_secret(a.value()));
        assert!(!format!("{a:?}").contains(a.value()));
        Ok(())
    }

    #[test]
    fn user_access_tokens_carry_their_locator() -> Result<(), Error> {
        let locator = TokenLocator {
            family_id: ulid::Ulid::new().to_string(),
            device_family_id: Some(ulid::Ulid::new().to_string()),
            api_key_id: ulid::Ulid::new().to_string(),
            username: "ada.l@example.com".into(),
        };
        let token = issue_located(&locator)?;
        assert_eq!(TokenLocator::parse(token.value()), Some(locator.clone()));
        let without_device = TokenLocator {
            device_family_id: None,
            ..locator
        };
        let token = issue_located(&without_device)?;
        assert_eq!(TokenLocator::parse(token.value()), Some(without_device));
        for bad in [
            "",
            "dgu_",
            "dga_x",
            "dgu_a.b.c.d",
            "dgu_a.b.c.d.e",
            &format!("{}.extra", token.value()),
            &token.value().replace('.', ".."),
            &format!("dgu_{0}.{0}.{0}.ada.{1}", ulid::Ulid::new(), "A".repeat(43)),
            &format!("dgu_{0}.-.{0}.{1}", ulid::Ulid::new(), "A".repeat(43)),
            &format!("dgu_{0}.-.{0}.a b.{1}", ulid::Ulid::new(), "A".repeat(43)),
        ] {
            assert_eq!(TokenLocator::parse(bad), None, "{bad}");
        }
        Ok(())
    }

    #[test]
    fn hash_is_sha256_hex() {
        assert_eq!(
            hash_secret("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(hashes_match(&hash_secret("x"), &hash_secret("x")));
        assert!(!hashes_match(&hash_secret("x"), &hash_secret("y")));
        assert!(!hashes_match("ab", "abc"));
    }
}
