//! `devicegate bootstrap`: the first admin key.

use devicegate::http::now;
use devicegate::usecases::admin;
use devicegate::{Error, Store};

/// Makes an admin key and prints it alone on stdout (shown this once).
pub async fn bootstrap(store: &Store, name: &str) -> Result<(), Error> {
    println!(
        "{}",
        admin::create_admin_key(store, name, now(), &super::cli_origin()).await?
    );
    Ok(())
}
