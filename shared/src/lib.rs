//! devicegate's shared library. The layers, from the outside in:
//!
//! - [`api`]: one handler per function: parse the request in its dialect, call one use case,
//!   render the result. Handlers only translate.
//! - [`dialect`]: wire formats (field names, response and error shapes) of each dialect.
//! - [`usecases`]: the rules of every flow, the same for every dialect.
//! - [`storage`]: DynamoDB, with conditional writes and transactions for every once-only change.
//! - [`model`], [`signatures`], [`secrets`], [`error`]: the types the layers share.
//!
//! Beside them: [`routes`] (every function's route table), [`config`] (settings, read once at
//! cold start), [`aws`] (the SDK configuration and HTTPS client) and [`Deps`] (what a function
//! holds for its lifetime).

pub mod api;
pub mod aws;
pub mod config;
pub mod deps;
pub mod dialect;
pub mod error;
pub mod federation;
pub mod http;
pub mod lambda;
pub mod metrics;
pub mod model;
pub mod oidc;
pub mod openapi;
pub mod password;
pub mod routes;
pub mod secrets;
pub mod signatures;
pub mod storage;
pub mod telemetry;
pub mod usecases;
pub mod usercode;
pub mod web;

pub use aws::{dynamodb_client, https_client, sdk_config};
pub use config::Settings;
pub use deps::Deps;
pub use error::Error;
pub use storage::{Store, Tables};

/// mimalloc for every binary that turns on the `mimalloc` feature (the functions, the CLI): a
/// request allocates and frees a few hundred small blocks (the SDK's builders and config
/// layers, header maps, JSON), where glibc's malloc took about a tenth of the CPU
/// (docs/performance.md, "Where a request's CPU goes").
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
