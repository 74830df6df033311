//! The OpenID Connect signing keys' place in the trail. The key set lives in a file or a
//! Secrets Manager secret, not in a table, so its rotation cannot share a transaction with its
//! record: the record follows the write that landed (a rotation that lost to a concurrent one
//! records nothing; the winner does).

use crate::error::Error;
use crate::model::{AuditEvent, AuditType, Origin};
use crate::oidc::{KeyState, SigningKeySet};
use crate::storage::Store;

/// Records `signing_key.rotated` on `place` (the key file's path or the secret's id), naming
/// the keys that sign from now on (ids and algorithms only: never a key).
pub async fn record_rotation(
    store: &Store,
    place: &str,
    rotated: &SigningKeySet,
    origin: &Origin,
) -> Result<(), Error> {
    let signing: Vec<String> = rotated
        .keys()
        .iter()
        .filter(|k| k.state() == KeyState::Active)
        .map(|k| format!("{} ({})", k.kid(), k.alg().as_str()))
        .collect();
    let audit = AuditEvent::success(AuditType::SigningKeyRotated, origin, place)
        .because(&format!("now signing: {}", signing.join(", ")));
    store.record(&[audit]).await
}
