//! What the `devicegate` command-line tool shares with the tests: the example credentials that
//! the sample events in `events/` use, and `devicegate serve` (every route in one local
//! process). They live here, in the operator's tool, and not in the library the Lambda functions
//! link.

pub mod examples;
#[cfg(test)]
mod layering;
#[cfg(feature = "serve")]
pub mod serve;
