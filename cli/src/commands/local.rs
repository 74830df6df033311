//! `devicegate tables create` and `devicegate seed-examples`: a local store made ready.

use devicegate::http::now;
use devicegate::storage::schema;
use devicegate::{Error, Store};

/// Creates the tables of template.yaml that do not exist yet.
pub async fn create_tables(store: &Store) -> Result<(), Error> {
    let created = schema::create_tables_of(store).await?;
    eprintln!("created {} table(s): {}", created.len(), created.join(", "));
    Ok(())
}

/// Writes the example credentials the sample events use: well-known keys, so only into a
/// store on loopback.
pub async fn seed_examples(store: &Store) -> Result<(), Error> {
    let endpoint = std::env::var("AWS_ENDPOINT_URL_DYNAMODB").unwrap_or_default();
    if !(endpoint.contains("://127.0.0.1") || endpoint.contains("://localhost")) {
        return Err(Error::invalid_request(
            "seed-examples writes well-known keys: it runs only with AWS_ENDPOINT_URL_DYNAMODB on loopback",
        ));
    }
    let settings = devicegate::Settings::from_env().map_err(Error::invalid_request)?;
    let seeded = devicegate_cli::examples::seed_examples(store, &settings, now()).await?;
    eprintln!(
        "{}",
        if seeded {
            "example credentials written"
        } else {
            "example credentials already present"
        }
    );
    Ok(())
}
