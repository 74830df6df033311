//! What goes wrong with signing keys: making one, reading one, or a set that breaks its rules.
//! Its own module because the key material below the set and the set itself both return it.

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("generating a signing key failed: {0}")]
    Generate(String),
    #[error("a signing key is malformed: {0}")]
    Malformed(String),
    #[error("the signing key set is not valid: {0}")]
    InvalidSet(String),
    #[error("the signing key set is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
}
