//! One handler per Lambda function. Each parses its request in the dialect of its path, calls one
//! use case, and renders the result; [`crate::http::serve`] wraps it with logging.

pub mod admin;
pub mod device_page;
pub mod introspect;
pub mod metadata;
pub mod register;
pub mod revoke;
pub mod token;

use crate::error::Error;

pub(crate) fn not_found(path: &str) -> Error {
    Error::NotFound(format!("no route for {path}"))
}
