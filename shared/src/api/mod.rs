//! One handler per Lambda function. Each parses its request in the dialect of its path, calls one
//! use case, and renders the result; [`crate::http::serve`] wraps it with logging.

pub mod admin;
pub mod register;
pub mod token;

use lambda_http::{Request, http::Method};

use crate::error::Error;

/// Refuses a method the route does not serve (API Gateway routes by method too; this keeps
/// `cargo lambda watch` and direct invocations honest).
pub(crate) fn require_method(req: &Request, method: Method) -> Result<(), Error> {
    if req.method() == method {
        Ok(())
    } else {
        Err(Error::invalid_request(format!(
            "use {method} for this endpoint"
        )))
    }
}

pub(crate) fn not_found(path: &str) -> Error {
    Error::NotFound(format!("no route for {path}"))
}
