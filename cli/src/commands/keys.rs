//! The OpenID Connect signing keys: rotation and a listing of their public parts. The key set
//! lives in a file (local runs) or a Secrets Manager secret (deployed stacks), not in a table.

use std::path::PathBuf;

use clap::Subcommand;
use devicegate::Error;
use devicegate::oidc::key_storage;
use devicegate::oidc::{KeyState, SigningKeySet};
use devicegate::storage::{Store, Tables};
use devicegate::usecases::admin;

#[derive(Subcommand)]
pub enum KeysCommand {
    /// Rotate: each algorithm's next key (already published) starts signing, the active one
    /// retires but stays in the JWK Set for --keep-retired seconds, and a new next key is made.
    Rotate {
        #[command(flatten)]
        place: KeyPlace,
        /// How long a retired key keeps verifying: at least the longest lifetime of a token it
        /// signed (ID_TOKEN_TTL_SECONDS, 3600 by default).
        #[arg(long, default_value_t = 86_400)]
        keep_retired: i64,
    },
    /// List the keys (id, algorithm, state) as JSON lines; never a private part.
    List {
        #[command(flatten)]
        place: KeyPlace,
    },
}

/// Where the key set is kept.
#[derive(clap::Args)]
#[group(required = true, multiple = false)]
pub struct KeyPlace {
    /// A local key file (devicegate serve's is .local/signing-keys.json).
    #[arg(long)]
    file: Option<PathBuf>,
    /// The Secrets Manager secret of a deployed stack (its SigningKeysSecret output).
    #[arg(long)]
    secret_id: Option<String>,
}

pub async fn run(command: KeysCommand) -> Result<(), Error> {
    let now = devicegate::http::now();
    let storage = |e: key_storage::StorageError| Error::internal(e.to_string());
    let set = match command {
        KeysCommand::Rotate {
            place,
            keep_retired,
        } => {
            if keep_retired < 0 {
                return Err(Error::invalid_request(
                    "--keep-retired is a number of seconds",
                ));
            }
            rotate(place, now, keep_retired).await?
        }
        KeysCommand::List { place } => match (place.file, place.secret_id) {
            (Some(path), _) => {
                let text = std::fs::read_to_string(&path).map_err(|e| {
                    Error::invalid_request(format!("reading {}: {e}", path.display()))
                })?;
                SigningKeySet::from_json(&text).map_err(|e| Error::internal(e.to_string()))?
            }
            (None, Some(id)) => {
                let client = secrets_client().await;
                key_storage::load_or_create_secret(&client, &id, now)
                    .await
                    .map_err(storage)?
            }
            (None, None) => unreachable_place().map_err(storage)?,
        },
    };
    for key in set.keys() {
        let (state, until) = match key.state() {
            KeyState::Next => ("next", None),
            KeyState::Active => ("active", None),
            KeyState::Retired { until } => ("retired", Some(until)),
        };
        super::print_json(&serde_json::json!({
            "kid": key.kid(),
            "alg": key.alg().as_str(),
            "state": state,
            "verifies_until": until,
            "created_at": key.created_at(),
        }))?;
    }
    Ok(())
}

/// Rotates the key set where it is kept and records the rotation in the audit trail: always
/// for a stack's secret (in the tables the environment names, as every other command), and for
/// a key file when `AWS_ENDPOINT_URL_DYNAMODB` names the local store whose trail it belongs
/// to. A rotation that lost to a concurrent one records nothing (the winner does).
async fn rotate(place: KeyPlace, now: i64, keep_retired: i64) -> Result<SigningKeySet, Error> {
    let storage = |e: key_storage::StorageError| Error::internal(e.to_string());
    let (rotation, place, trail) = match (place.file, place.secret_id) {
        (Some(path), _) => {
            let set = key_storage::rotate_file(&path, now, keep_retired).map_err(storage)?;
            let trail = std::env::var("AWS_ENDPOINT_URL_DYNAMODB")
                .is_ok_and(|endpoint| !endpoint.trim().is_empty());
            let rotation = key_storage::Rotation { set, ours: true };
            // The trail names the file by its whole path, not as it was typed.
            let place = std::fs::canonicalize(&path).unwrap_or(path);
            (rotation, place.display().to_string(), trail)
        }
        (None, Some(id)) => {
            let client = secrets_client().await;
            let rotation = key_storage::rotate_secret(&client, &id, now, keep_retired)
                .await
                .map_err(storage)?;
            (rotation, id, true)
        }
        (None, None) => return unreachable_place().map_err(storage),
    };
    eprintln!("signing keys rotated; functions pick the new set up at their next cold start");
    if !rotation.ours {
        eprintln!(
            "(a concurrent rotation landed first: this is its key set, and it records itself)"
        );
    } else if trail {
        let store = Store::new(devicegate::dynamodb_client().await, Tables::from_env());
        admin::record_rotation(&store, &place, &rotation.set, &super::cli_origin())
            .await
            .map_err(|e| {
                Error::internal(format!(
                    "the keys were rotated, but the audit record was not written: {e}"
                ))
            })?;
    } else {
        eprintln!(
            "not recorded in the audit trail: set AWS_ENDPOINT_URL_DYNAMODB to the store of the \
             devicegate serve this key file belongs to"
        );
    }
    Ok(rotation.set)
}

/// clap's group makes one of --file and --secret-id required.
fn unreachable_place() -> Result<SigningKeySet, key_storage::StorageError> {
    Err(key_storage::StorageError::NoKeySet)
}

async fn secrets_client() -> aws_sdk_secretsmanager::Client {
    aws_sdk_secretsmanager::Client::new(&devicegate::sdk_config().await)
}
