//! Admin keys: the bearer credential of the admin API and the console.

use crate::error::Error;
use crate::model::AdminKey;
use crate::secrets::{self, SecretKind, hash_secret, hashes_match};
use crate::storage::Store;

/// Checks an `Authorization: Bearer <admin key>` value. One round trip.
pub async fn authenticate(store: &Store, bearer: Option<&str>) -> Result<AdminKey, Error> {
    let presented = bearer.ok_or(Error::Unauthorized)?;
    authenticate_hash(store, &hash_secret(presented)).await
}

/// Checks an admin key already known by its hash (a console session): one round trip.
pub async fn authenticate_hash(store: &Store, key_hash: &str) -> Result<AdminKey, Error> {
    store
        .get_admin_key(key_hash)
        .await?
        .filter(|k| !k.disabled && hashes_match(&k.key_hash, key_hash))
        .ok_or(Error::Unauthorized)
}

/// Makes an admin key; the value is returned this once and stored only as a hash.
pub async fn create_admin_key(
    store: &Store,
    name: &str,
    now: i64,
    origin: &crate::model::Origin,
) -> Result<String, Error> {
    let secret = secrets::issue(SecretKind::AdminKey)?;
    let key = AdminKey {
        key_hash: secret.hash().to_owned(),
        id: ulid::Ulid::new().to_string(),
        name: name.to_owned(),
        disabled: false,
        created_at: now,
    };
    let audit = crate::model::AuditEvent::success(
        crate::model::AuditType::AdminKeyCreated,
        origin,
        &key.id,
    )
    .because(&format!("named {}", key.name));
    store.put_admin_key(&key, &audit).await?;
    Ok(secret.into_value())
}
