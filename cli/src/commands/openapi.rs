//! `devicegate openapi`: the OpenAPI 3.1 documents ([`devicegate::openapi`]), printed or
//! written as `docs/openapi/` holds them.

use std::path::Path;

use devicegate::error::Error;
use devicegate::openapi::{Dialect, document_json};

pub fn run(dialect: Option<&str>, write: Option<&Path>) -> Result<(), Error> {
    match (dialect, write) {
        (_, Some(dir)) => {
            let dialects = match dialect {
                Some(name) => vec![parse(name)?],
                None => Dialect::ALL.to_vec(),
            };
            std::fs::create_dir_all(dir)
                .map_err(|e| Error::invalid_request(format!("{}: {e}", dir.display())))?;
            for d in dialects {
                let path = dir.join(format!("{}.json", d.name()));
                std::fs::write(&path, document_json(d))
                    .map_err(|e| Error::invalid_request(format!("{}: {e}", path.display())))?;
                println!("{}", path.display());
            }
            Ok(())
        }
        (Some(name), None) => {
            print!("{}", document_json(parse(name)?));
            Ok(())
        }
        (None, None) => Err(Error::invalid_request(format!(
            "name a dialect ({}), or --write DIR for all of them",
            names()
        ))),
    }
}

fn parse(name: &str) -> Result<Dialect, Error> {
    Dialect::from_name(name).ok_or_else(|| {
        Error::invalid_request(format!(
            "unknown dialect {:?}: one of {}",
            name.chars().take(64).collect::<String>(),
            names()
        ))
    })
}

fn names() -> String {
    Dialect::ALL.map(Dialect::name).join(", ")
}
