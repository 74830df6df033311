//! Logs. `lambda_http`'s subscriber honours Lambda's advanced logging controls
//! (`AWS_LAMBDA_LOG_FORMAT=JSON`, which the template sets, and `AWS_LAMBDA_LOG_LEVEL`, else
//! `RUST_LOG`, else `info`). Every line inside a request carries the Lambda request id through
//! the `request` span that [`crate::http::serve`] opens.

/// Installs the subscriber once per cold start.
pub fn init() {
    lambda_http::tracing::init_default_subscriber();
}
