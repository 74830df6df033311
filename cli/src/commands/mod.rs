//! The administration commands, one module per resource. Each subcommand is one admin use case
//! ([`devicegate::usecases::admin`], the one the admin API and the console call), and each
//! listing prints the admin API's view of the resource ([`devicegate::api::admin::views`]), one
//! JSON object a line.

pub mod admin_keys;
pub mod api_keys;
pub mod audit;
pub mod clients;
pub mod devices;
pub mod identity_providers;
pub mod initial_access_tokens;
pub mod keys;
pub mod local;
pub mod openapi;
pub mod templates;
pub mod users;

use devicegate::Error;
use devicegate::model::{Actor, Origin};

/// Who a command acts as in the audit trail: `cli:<the account that ran it>` (the machine's
/// word for it, not a proof), from this host.
fn cli_origin() -> Origin {
    let account = std::env::var("USER").unwrap_or_else(|_| "unknown".into());
    Origin::system("cli").by(Actor::cli(&account))
}

/// Prints one JSON object on a line of its own, so that a listing pipes into `jq`.
fn print_json(value: &impl serde::Serialize) -> Result<(), Error> {
    let line = serde_json::to_string(value).map_err(|e| Error::internal(e.to_string()))?;
    println!("{line}");
    Ok(())
}

/// The first line of stdin: where passwords and login ids come from (never an argument, which
/// other users of the machine could see).
fn secret_from_stdin() -> Result<String, Error> {
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| Error::invalid_request(format!("reading the password from stdin: {e}")))?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}
