//! devicegate served over real HTTP on loopback, for clients nobody here wrote (the `oauth2`
//! and `openidconnect` crates, the AWS and Huawei SDKs, a browser): the very server of
//! `devicegate serve` (its API Gateway stand-in in front of every function's router), over the
//! test's store.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use devicegate::Deps;

/// Serves `deps` on an ephemeral loopback port until the test's runtime ends; returns the base
/// URL (`http://127.0.0.1:PORT`), which is also the issuer.
pub async fn serve(mut deps: Deps) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    deps.settings.issuer = Some(base.clone());
    tokio::spawn(devicegate_cli::serve::serve_http(
        listener,
        Arc::new(deps),
        std::future::pending(),
    ));
    base
}
