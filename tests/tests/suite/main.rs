//! The integration suite, one test binary: each module holds the tests of one capability or one
//! client, all sharing the harness in `tests/src` (one dynoxide server for the whole binary,
//! fresh tables per test). Run one module with a filter, e.g.
//! `cargo test -p devicegate-tests --test suite -- security::`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod audit;
mod audit_flows;
mod audit_guards;
mod authorization_code;
mod aws_sdk;
mod browser;
mod client_registration;
mod console;
mod console_audit;
mod console_pages;
mod device_page_context;
mod events;
mod expiry;
mod faults;
mod federation;
mod federation_console;
mod federation_pages;
mod huawei_sdk;
mod logs;
mod metrics;
mod oauth_device_flow;
mod openapi;
mod openid_connect;
mod openidconnect;
mod paragon_flow;
mod permissions;
mod races;
mod recipes;
mod routing;
mod schema;
mod security;
mod signatures;
mod signing_key_secret;
mod smoke;
mod upstream_harness;
mod user_tokens;
mod vmware;
