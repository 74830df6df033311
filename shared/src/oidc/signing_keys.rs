//! The provider's signing keys and their rotation.
//!
//! A set holds, per algorithm, one *active* key (the one that signs), one *next* key (already
//! published, so relying parties and sibling instances that cached the JWK Set know it before
//! it signs anything) and any *retired* keys that still verify tokens signed before the last
//! rotation. Private keys are PKCS#8 DER, base64 in JSON, and never in `Debug` output.

use jsonwebtoken::jwk::{CommonParameters, Jwk, JwkSet, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{DecodingKey, EncodingKey};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

pub use super::key_error::KeyError;
pub use super::key_material::RSA_BITS;
use super::key_material::{KeyMaterial, Pkcs8};
pub use super::signing_alg::SigningAlg;

/// Where a key is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum KeyState {
    /// Published, verifies, and becomes active at the next rotation.
    Next,
    /// Signs new tokens.
    Active,
    /// Published and verifies while `now < until`; dropped by the first rotation after.
    Retired { until: i64 },
}

/// One key: its id, algorithm, state and private key (with the public parts derived from it
/// once, when it is generated or loaded).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(try_from = "StoredKey", into = "StoredKey")]
pub struct SigningKey {
    kid: String,
    alg: SigningAlg,
    state: KeyState,
    created_at: i64,
    material: KeyMaterial,
}

/// The JSON form of a key.
#[derive(Serialize, Deserialize)]
struct StoredKey {
    kid: String,
    alg: SigningAlg,
    #[serde(flatten)]
    state: KeyState,
    created_at: i64,
    private_key: Pkcs8,
}

impl TryFrom<StoredKey> for SigningKey {
    type Error = KeyError;

    fn try_from(stored: StoredKey) -> Result<Self, KeyError> {
        let material = KeyMaterial::from_pkcs8(stored.alg, stored.private_key)?;
        if material.thumbprint() != stored.kid {
            return Err(KeyError::Malformed(format!(
                "key {} does not match its kid",
                stored.kid
            )));
        }
        Ok(SigningKey {
            kid: stored.kid,
            alg: stored.alg,
            state: stored.state,
            created_at: stored.created_at,
            material,
        })
    }
}

impl From<SigningKey> for StoredKey {
    fn from(key: SigningKey) -> Self {
        StoredKey {
            kid: key.kid,
            alg: key.alg,
            state: key.state,
            created_at: key.created_at,
            private_key: key.material.pkcs8,
        }
    }
}

impl SigningKey {
    /// A fresh key of `alg` in `state`.
    pub fn generate(alg: SigningAlg, state: KeyState, now: i64) -> Result<SigningKey, KeyError> {
        let material = KeyMaterial::generate(alg)?;
        Ok(SigningKey {
            kid: material.thumbprint(),
            alg,
            state,
            created_at: now,
            material,
        })
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    pub fn alg(&self) -> SigningAlg {
        self.alg
    }

    pub fn state(&self) -> KeyState {
        self.state
    }

    pub fn created_at(&self) -> i64 {
        self.created_at
    }

    /// Whether a token signed by this key may be accepted at `now`.
    pub fn verifies_at(&self, now: i64) -> bool {
        match self.state {
            KeyState::Next | KeyState::Active => true,
            KeyState::Retired { until } => now < until,
        }
    }

    /// The public JWK: `kty`, `crv`/`n`/`e`/`x`, `kid`, `alg` and `use: sig`.
    pub fn public_jwk(&self) -> Jwk {
        Jwk {
            common: CommonParameters {
                public_key_use: Some(PublicKeyUse::Signature),
                key_algorithm: Some(match self.alg {
                    SigningAlg::RS256 => KeyAlgorithm::RS256,
                    SigningAlg::EdDSA => KeyAlgorithm::EdDSA,
                }),
                key_id: Some(self.kid.clone()),
                ..CommonParameters::default()
            },
            algorithm: self.material.public.clone(),
        }
    }

    pub(crate) fn encoding_key(&self) -> &EncodingKey {
        &self.material.encoding
    }

    pub(crate) fn decoding_key(&self) -> &DecodingKey {
        &self.material.decoding
    }

    fn with_state(&self, state: KeyState) -> SigningKey {
        SigningKey {
            state,
            ..self.clone()
        }
    }
}

/// Every key the provider holds. Loaded sets are checked: unique kids, exactly one active key
/// per algorithm, and each kid the thumbprint of its key.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(try_from = "StoredSet")]
pub struct SigningKeySet {
    keys: Vec<SigningKey>,
}

#[derive(Deserialize)]
struct StoredSet {
    keys: Vec<SigningKey>,
}

impl TryFrom<StoredSet> for SigningKeySet {
    type Error = KeyError;

    fn try_from(stored: StoredSet) -> Result<Self, KeyError> {
        SigningKeySet::new(stored.keys)
    }
}

impl SigningKeySet {
    /// A set from its keys, if they make a valid one.
    pub fn new(keys: Vec<SigningKey>) -> Result<SigningKeySet, KeyError> {
        for (i, key) in keys.iter().enumerate() {
            if keys[..i].iter().any(|other| other.kid == key.kid) {
                return Err(KeyError::InvalidSet(format!(
                    "kid {} appears twice",
                    key.kid
                )));
            }
        }
        for alg in SigningAlg::ALL {
            let active = keys
                .iter()
                .filter(|k| k.alg == alg && k.state == KeyState::Active)
                .count();
            if active != 1 {
                return Err(KeyError::InvalidSet(format!(
                    "{} has {active} active keys instead of one",
                    alg.as_str()
                )));
            }
        }
        Ok(SigningKeySet { keys })
    }

    /// A new set: for each algorithm an active key and a next one.
    pub fn generate(now: i64) -> Result<SigningKeySet, KeyError> {
        let mut keys = Vec::with_capacity(4);
        for alg in SigningAlg::ALL {
            keys.push(SigningKey::generate(alg, KeyState::Active, now)?);
            keys.push(SigningKey::generate(alg, KeyState::Next, now)?);
        }
        SigningKeySet::new(keys)
    }

    /// The set after one rotation at `now`: each next key becomes active, each active key is
    /// retired until `now + longest_token_lifetime`, a new next key is made per algorithm, and
    /// retired keys whose time is over are dropped.
    ///
    /// `longest_token_lifetime` must cover the longest-lived token the old key may have signed,
    /// plus how long an instance keeps a set it loaded (it signs with the old key until it
    /// reloads).
    pub fn rotate(&self, now: i64, longest_token_lifetime: i64) -> Result<SigningKeySet, KeyError> {
        let until = now.saturating_add(longest_token_lifetime.max(0));
        let mut keys: Vec<SigningKey> = self
            .keys
            .iter()
            .filter_map(|key| match key.state {
                KeyState::Next => Some(key.with_state(KeyState::Active)),
                KeyState::Active => Some(key.with_state(KeyState::Retired { until })),
                KeyState::Retired { until } if now < until => Some(key.clone()),
                KeyState::Retired { .. } => None,
            })
            .collect();
        for alg in SigningAlg::ALL {
            // A set without a next key (edited by hand) still rotates to an active one.
            if !keys
                .iter()
                .any(|k| k.alg == alg && k.state == KeyState::Active)
            {
                keys.push(SigningKey::generate(alg, KeyState::Active, now)?);
            }
            keys.push(SigningKey::generate(alg, KeyState::Next, now)?);
        }
        SigningKeySet::new(keys)
    }

    pub fn keys(&self) -> &[SigningKey] {
        &self.keys
    }

    /// The key that signs new tokens of `alg`.
    pub fn active(&self, alg: SigningAlg) -> Option<&SigningKey> {
        self.keys
            .iter()
            .find(|k| k.alg == alg && k.state == KeyState::Active)
    }

    /// The key a token's `kid` names, if it may be accepted at `now`.
    pub fn verifying_key(&self, kid: &str, now: i64) -> Option<&SigningKey> {
        self.keys
            .iter()
            .find(|k| k.kid == kid && k.verifies_at(now))
    }

    /// The public JWK Set (`jwks_uri`): every next, active and retired key. Retired keys stay
    /// until a rotation drops them, so a relying party can still verify what they signed.
    pub fn jwks(&self) -> JwkSet {
        JwkSet {
            keys: self.keys.iter().map(SigningKey::public_jwk).collect(),
        }
    }

    pub fn from_json(text: &str) -> Result<SigningKeySet, KeyError> {
        Ok(serde_json::from_str(text)?)
    }

    /// The stored form, private keys included: kept as a secret so it is not printed by
    /// accident.
    pub fn to_json(&self) -> Result<SecretString, KeyError> {
        Ok(serde_json::to_string(self)?.into())
    }
}

#[cfg(test)]
mod tests;
