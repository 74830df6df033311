//! The upstream identity provider harness (`devicegate_tests::upstream`) on its own, before
//! devicegate federates with it: node-oidc-provider answers discovery for the issuer it was
//! given, stops when told, and a headless browser signs in there while the `openidconnect`
//! crate, as the relying party, sends it with PKCE and a nonce, exchanges the code and verifies
//! the ID token, whose claims (the groups among them) are the account's.

use std::time::Duration;

use base64::Engine;
use devicegate_tests::browser::{start_browser, start_driver};
use devicegate_tests::upstream::{Upstream, UpstreamClient, sign_in_upstream};
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

fn http_client() -> openidconnect::reqwest::Client {
    openidconnect::reqwest::Client::builder()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

#[tokio::test]
async fn the_upstream_answers_discovery_for_its_issuer_until_stopped() {
    let client = UpstreamClient::new("rp", "rp-secret", "http://127.0.0.1:9/callback");
    let mut upstream = Upstream::start(&[client]).await;
    let discovery = format!("{}/.well-known/openid-configuration", upstream.issuer);
    let http = http_client();
    let metadata: serde_json::Value = http
        .get(&discovery)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(metadata["issuer"], upstream.issuer.as_str());
    let algs = metadata["id_token_signing_alg_values_supported"]
        .as_array()
        .unwrap();
    assert!(algs.iter().any(|a| a == "RS256"), "{metadata}");
    assert_eq!(
        metadata["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    let scopes = metadata["scopes_supported"].as_array().unwrap();
    for scope in ["openid", "email", "profile", "groups"] {
        assert!(scopes.iter().any(|s| s == scope), "{scope}: {metadata}");
    }

    upstream.stop();
    // A new client: the old one's pooled connection would fail otherwise, not by refusal.
    let down = http_client().get(&discovery).send().await;
    assert!(down.unwrap_err().is_connect(), "still answering after stop");
}

/// A redirect URI: a loopback listener that answers every request 200 "ok" and sends the
/// request target of each to `targets`.
async fn redirect_listener() -> (String, mpsc::UnboundedReceiver<String>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let tx = tx.clone();
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buf = [0u8; 4096];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let request = String::from_utf8_lossy(&request);
                let target = request.split_whitespace().nth(1).unwrap_or("").to_owned();
                let _ = tx.send(target);
                let reply = "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 2\r\n\
                             connection: close\r\n\r\nok";
                let _ = stream.write_all(reply.as_bytes()).await;
            });
        }
    });
    (base, rx)
}

/// The payload of a compact JWS, parsed (the signature is the verifier's business).
fn jwt_payload(jwt: &str) -> serde_json::Value {
    let payload = jwt.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

#[tokio::test]
async fn a_browser_signs_in_upstream_and_the_relying_party_verifies_the_id_token() {
    let (base, mut targets) = redirect_listener().await;
    let redirect_uri = format!("{base}/signin/callback");
    let upstream =
        Upstream::start(&[UpstreamClient::new("devicegate", "s3cret", &redirect_uri)]).await;

    let http = http_client();
    let metadata = CoreProviderMetadata::discover_async(
        IssuerUrl::new(upstream.issuer.clone()).unwrap(),
        &http,
    )
    .await
    .unwrap();
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new("devicegate".into()),
        Some(ClientSecret::new("s3cret".into())),
    )
    .set_redirect_uri(RedirectUrl::new(redirect_uri.clone()).unwrap());
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (auth_url, state, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scopes(["email", "profile", "groups"].map(|s| Scope::new(s.into())))
        .set_pkce_challenge(challenge)
        .url();

    let driver = start_driver().await;
    let (browser, profile) = start_browser(&driver).await;
    browser.goto(auth_url.as_str()).await.unwrap();
    sign_in_upstream(&browser, "ada").await;
    let landed = browser.current_url().await.unwrap();
    browser.close().await.unwrap();
    let _ = std::fs::remove_dir_all(&profile);
    drop(driver);
    assert!(landed.as_str().starts_with(&redirect_uri), "{landed}");

    // The redirect the listener saw: the code, the state sent, and the issuer (RFC 9207).
    let target = loop {
        let target = tokio::time::timeout(Duration::from_secs(10), targets.recv())
            .await
            .expect("no redirect reached the listener")
            .unwrap();
        if target.starts_with("/signin/callback") {
            break target;
        }
    };
    let callback = url::Url::parse(&format!("{base}{target}")).unwrap();
    let param = |name: &str| {
        callback
            .query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
            .unwrap_or_else(|| panic!("no {name} in {callback}"))
    };
    assert_eq!(param("state"), *state.secret());
    assert_eq!(param("iss"), upstream.issuer);

    let verifier_again = PkceCodeVerifier::new(verifier.secret().clone());
    let tokens = client
        .exchange_code(AuthorizationCode::new(param("code")))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .unwrap();
    let id_token = tokens.id_token().expect("an ID token");
    let claims = id_token
        .claims(&client.id_token_verifier(), &nonce)
        .unwrap();
    assert_eq!(claims.issuer().as_str(), upstream.issuer);
    assert_eq!(claims.subject().as_str(), "ada-7c1e");
    assert_eq!(claims.email().map(|e| e.as_str()), Some("ada@example.com"));
    assert_eq!(claims.email_verified(), Some(true));
    assert_eq!(claims.preferred_username().map(|u| u.as_str()), Some("ada"));
    // The groups are in the ID token itself, not only behind UserInfo.
    let payload = jwt_payload(&id_token.to_string());
    assert_eq!(
        payload["groups"],
        serde_json::json!(["fleet-approvers"]),
        "{payload}"
    );
    assert_eq!(payload["name"], "Ada Lovelace", "{payload}");

    // A code is good once, its verifier notwithstanding.
    let again = client
        .exchange_code(AuthorizationCode::new(param("code")))
        .unwrap()
        .set_pkce_verifier(verifier_again)
        .request_async(&http)
        .await;
    assert!(again.is_err(), "a code was exchanged twice");
}
