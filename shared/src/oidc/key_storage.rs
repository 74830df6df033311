//! Where the signing key set lives: a local JSON file (`devicegate serve`), or a Secrets
//! Manager secret in a deployed stack. Either is read once per cold start.
//!
//! The deployed secret is created by the template with a random placeholder; the first cold
//! start replaces it with a generated set. Every write names its version with a
//! `ClientRequestToken` derived from what it replaces, and Secrets Manager refuses a second,
//! different value under a token it has seen (`ResourceExistsException`), so writers that race
//! converge on the first one's set instead of each publishing its own.

use std::io::Write as _;
use std::path::Path;

use aws_sdk_secretsmanager::error::DisplayErrorContext;
use secrecy::{ExposeSecret as _, SecretString};
use sha2::Digest as _;

use super::signing_keys::{KeyError, SigningKeySet};

/// The version the first generated set is written as. Fixed, so that every cold start racing
/// on a new stack writes under the same token and all but the first are refused.
pub const INITIAL_VERSION_TOKEN: &str = "devicegate-initial-signing-keys-1";

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("the signing key file {path}: {error}")]
    File { path: String, error: String },
    #[error("the signing key secret: {0}")]
    SecretsManager(String),
    #[error("the signing key secret holds no key set yet")]
    NoKeySet,
    #[error(transparent)]
    Keys(#[from] KeyError),
}

/// What a stored secret holds.
#[derive(Debug)]
pub enum Stored {
    /// The template's random placeholder (any text that is not a JSON object): to be replaced.
    Placeholder,
    KeySet(SigningKeySet),
}

/// Tells a key set from the placeholder. Text that looks like JSON but is not a valid set is
/// an error, never a placeholder: overwriting it could throw away keys that still verify.
pub fn classify(text: &str) -> Result<Stored, KeyError> {
    if !text.trim_start().starts_with('{') {
        return Ok(Stored::Placeholder);
    }
    SigningKeySet::from_json(text).map(Stored::KeySet)
}

/// The `ClientRequestToken` for a rotation of the version `version_id`: the same for every
/// rotation that starts from that version, so only one of them can land. 52 characters
/// (Secrets Manager takes 32 to 64), whatever the length of `version_id`.
pub fn rotation_token(version_id: &str) -> String {
    let digest = sha2::Sha256::digest(version_id.as_bytes());
    format!("devicegate-rotation-{}", hex::encode(&digest[..16]))
}

/// Reads the key file at `path`, or generates a set and creates the file (mode 0600, and its
/// folder if missing). Two processes starting at once end with the same file: it is written
/// aside and linked into place, which fails if another got there first.
pub fn load_or_create_file(path: &Path, now: i64) -> Result<SigningKeySet, StorageError> {
    let file_error = |error: std::io::Error| StorageError::File {
        path: path.display().to_string(),
        error: error.to_string(),
    };
    match std::fs::read_to_string(path) {
        Ok(text) => return Ok(SigningKeySet::from_json(&text)?),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(file_error(e)),
    }
    let set = SigningKeySet::generate(now)?;
    let json = set.to_json()?;
    let aside = write_aside(path, &json).map_err(file_error)?;
    let linked = std::fs::hard_link(&aside, path);
    let _ = std::fs::remove_file(&aside);
    match linked {
        Ok(()) => Ok(set),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let text = std::fs::read_to_string(path).map_err(file_error)?;
            Ok(SigningKeySet::from_json(&text)?)
        }
        Err(e) => Err(file_error(e)),
    }
}

/// Rotates the key set in the file at `path` in place (written aside, then renamed over it),
/// holding an exclusive lock on `<path>.lock` meanwhile: a second rotation of the same file
/// while one runs is refused, rather than both reading the same set and one silently losing.
/// The lock is the operating system's (released when the process ends, however it ends).
pub fn rotate_file(
    path: &Path,
    now: i64,
    longest_token_lifetime: i64,
) -> Result<SigningKeySet, StorageError> {
    let file_error = |error: std::io::Error| StorageError::File {
        path: path.display().to_string(),
        error: error.to_string(),
    };
    let mut lock_name = path.file_name().unwrap_or_default().to_os_string();
    lock_name.push(".lock");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let lock = options
        .open(path.with_file_name(lock_name))
        .map_err(file_error)?;
    lock.try_lock().map_err(|_| StorageError::File {
        path: path.display().to_string(),
        error: "another rotation of this key file is under way; try again when it is done".into(),
    })?;
    let text = std::fs::read_to_string(path).map_err(file_error)?;
    let set = SigningKeySet::from_json(&text)?.rotate(now, longest_token_lifetime)?;
    let aside = write_aside(path, &set.to_json()?).map_err(file_error)?;
    std::fs::rename(&aside, path).map_err(file_error)?;
    Ok(set)
}

/// Writes `json` to a new file beside `path`, readable by the owner only.
fn write_aside(path: &Path, json: &SecretString) -> std::io::Result<std::path::PathBuf> {
    if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(folder)?;
    }
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".{}.tmp", ulid::Ulid::new()));
    let aside = path.with_file_name(name);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&aside)?;
    file.write_all(json.expose_secret().as_bytes())?;
    file.sync_all()?;
    Ok(aside)
}

/// Reads the key set from the secret `secret_id` (its `AWSCURRENT` version), or, while it
/// holds the template's placeholder, generates one and writes it as
/// [`INITIAL_VERSION_TOKEN`]. A cold start that loses that race reads the winner's version.
pub async fn load_or_create_secret(
    client: &aws_sdk_secretsmanager::Client,
    secret_id: &str,
    now: i64,
) -> Result<SigningKeySet, StorageError> {
    let (text, _) = read_secret(client, secret_id, None).await?;
    if let Stored::KeySet(set) = classify(text.expose_secret())? {
        return Ok(set);
    }
    let set = SigningKeySet::generate(now)?;
    match write_secret(client, secret_id, &set, INITIAL_VERSION_TOKEN).await? {
        Written::Ours => Ok(set),
        Written::Theirs => read_version(client, secret_id, INITIAL_VERSION_TOKEN).await,
    }
}

/// A rotated key set, and whether this rotation's write is the one that landed.
#[derive(Debug)]
pub struct Rotation {
    pub set: SigningKeySet,
    /// False when another rotation from the same version landed first: the set is its.
    pub ours: bool,
}

/// Rotates the key set in the secret `secret_id` and returns the new set. The write's token
/// is derived from the version read ([`rotation_token`]): of two rotations started from the
/// same version only one lands, and the other returns the set that did.
pub async fn rotate_secret(
    client: &aws_sdk_secretsmanager::Client,
    secret_id: &str,
    now: i64,
    longest_token_lifetime: i64,
) -> Result<Rotation, StorageError> {
    let (text, version_id) = read_secret(client, secret_id, None).await?;
    let Stored::KeySet(set) = classify(text.expose_secret())? else {
        return Err(StorageError::NoKeySet);
    };
    let version_id = version_id.ok_or_else(|| {
        StorageError::SecretsManager("GetSecretValue returned no VersionId".into())
    })?;
    let rotated = set.rotate(now, longest_token_lifetime)?;
    let token = rotation_token(&version_id);
    Ok(
        match write_secret(client, secret_id, &rotated, &token).await? {
            Written::Ours => Rotation {
                set: rotated,
                ours: true,
            },
            Written::Theirs => Rotation {
                set: read_version(client, secret_id, &token).await?,
                ours: false,
            },
        },
    )
}

enum Written {
    Ours,
    /// Another writer used the token first, with another set.
    Theirs,
}

async fn read_secret(
    client: &aws_sdk_secretsmanager::Client,
    secret_id: &str,
    version_id: Option<&str>,
) -> Result<(SecretString, Option<String>), StorageError> {
    // A version by its id, else the one labelled AWSCURRENT (named, though it is the default:
    // moto's server otherwise ignores where UpdateSecretVersionStage moved the label).
    let request = client.get_secret_value().secret_id(secret_id);
    let request = match version_id {
        Some(version_id) => request.version_id(version_id),
        None => request.version_stage("AWSCURRENT"),
    };
    let output = request
        .send()
        .await
        .map_err(|e| StorageError::SecretsManager(DisplayErrorContext(&e).to_string()))?;
    let text = output
        .secret_string()
        .ok_or_else(|| StorageError::SecretsManager("the secret has no SecretString".into()))?;
    Ok((
        SecretString::from(text.to_owned()),
        output.version_id().map(str::to_owned),
    ))
}

async fn read_version(
    client: &aws_sdk_secretsmanager::Client,
    secret_id: &str,
    version_id: &str,
) -> Result<SigningKeySet, StorageError> {
    let (text, _) = read_secret(client, secret_id, Some(version_id)).await?;
    match classify(text.expose_secret())? {
        Stored::KeySet(set) => Ok(set),
        Stored::Placeholder => Err(StorageError::NoKeySet),
    }
}

/// `PutSecretValue` as a new `AWSCURRENT` version named `token`.
async fn write_secret(
    client: &aws_sdk_secretsmanager::Client,
    secret_id: &str,
    set: &SigningKeySet,
    token: &str,
) -> Result<Written, StorageError> {
    let json = set.to_json()?;
    let result = client
        .put_secret_value()
        .secret_id(secret_id)
        .client_request_token(token)
        .secret_string(json.expose_secret())
        .send()
        .await;
    match result {
        Ok(_) => Ok(Written::Ours),
        Err(e)
            if e.as_service_error()
                .is_some_and(|e| e.is_resource_exists_exception()) =>
        {
            Ok(Written::Theirs)
        }
        Err(e) => Err(StorageError::SecretsManager(
            DisplayErrorContext(&e).to_string(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oidc::signing_keys::SigningKey;
    use crate::oidc::test_keys::{NOW, generated};

    fn kids(set: &SigningKeySet) -> Vec<String> {
        set.keys()
            .iter()
            .map(|k| SigningKey::kid(k).to_owned())
            .collect()
    }

    #[test]
    fn the_templates_placeholder_is_told_from_a_key_set() -> Result<(), KeyError> {
        for placeholder in ["", "  ", "aZ3kP9qLmN0vXy7TbC2dE5fG8hJ1sR4w", "not json"] {
            assert!(
                matches!(classify(placeholder)?, Stored::Placeholder),
                "{placeholder:?}"
            );
        }
        let json = generated().to_json()?;
        let Stored::KeySet(set) = classify(json.expose_secret())? else {
            panic!("a key set read as a placeholder");
        };
        assert_eq!(kids(&set), kids(generated()));
        // JSON that is not a valid set is never taken for a placeholder to overwrite.
        for broken in ["{", "{}", r#"{"keys":[]}"#, " {\"keys\": 1}"] {
            assert!(classify(broken).is_err(), "{broken:?}");
        }
        Ok(())
    }

    #[test]
    fn rotation_tokens_are_per_version_and_within_the_apis_bounds() {
        let a = rotation_token("a1b2c3d4-5678-90ab-cdef-EXAMPLE11111");
        assert_eq!(a, rotation_token("a1b2c3d4-5678-90ab-cdef-EXAMPLE11111"));
        assert_ne!(a, rotation_token("a1b2c3d4-5678-90ab-cdef-EXAMPLE22222"));
        for version in ["", INITIAL_VERSION_TOKEN, &a, &"x".repeat(64)] {
            let token = rotation_token(version);
            assert!((32..=64).contains(&token.len()), "{token}");
            assert!(
                token
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            );
            assert_ne!(token, version);
        }
        assert!((32..=64).contains(&INITIAL_VERSION_TOKEN.len()));
    }

    #[test]
    fn the_key_file_is_created_private_then_read_back() -> Result<(), StorageError> {
        let folder = std::env::temp_dir().join(format!("devicegate-keys-{}", ulid::Ulid::new()));
        let path = folder.join("nested").join("signing-keys.json");
        let created = load_or_create_file(&path, NOW)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).map(|m| m.permissions().mode());
            assert_eq!(mode.ok().map(|m| m & 0o777), Some(0o600));
        }
        let again = load_or_create_file(&path, NOW + 10)?;
        assert_eq!(kids(&again), kids(&created));
        // Only the key file is left: nothing written aside.
        let entries = std::fs::read_dir(folder.join("nested")).map(|d| d.count());
        assert_eq!(entries.ok(), Some(1));

        // A rotation while another holds the file's lock is refused, and changes nothing.
        let mut lock_name = path.file_name().unwrap_or_default().to_os_string();
        lock_name.push(".lock");
        let held = std::fs::File::create(path.with_file_name(lock_name)).map_err(|e| {
            StorageError::File {
                path: "lock".into(),
                error: e.to_string(),
            }
        })?;
        held.lock().map_err(|e| StorageError::File {
            path: "lock".into(),
            error: e.to_string(),
        })?;
        let refused = rotate_file(&path, NOW + 15, 60);
        assert!(
            refused.is_err_and(|e| e.to_string().contains("another rotation")),
            "a held lock refuses"
        );
        assert_eq!(kids(&load_or_create_file(&path, NOW + 16)?), kids(&created));
        drop(held);

        let rotated = rotate_file(&path, NOW + 20, 60)?;
        let read = load_or_create_file(&path, NOW + 30)?;
        assert_eq!(kids(&read), kids(&rotated));
        assert_ne!(kids(&read), kids(&created));
        std::fs::write(&path, "{").map_err(|e| StorageError::File {
            path: "test".into(),
            error: e.to_string(),
        })?;
        assert!(load_or_create_file(&path, NOW).is_err());
        let _ = std::fs::remove_dir_all(&folder);
        Ok(())
    }
}
