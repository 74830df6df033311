//! The ID token checks, on tokens signed here with a known key set standing in for a
//! provider's JWK Set: each way a token can be wrong is refused (node-oidc-provider in the
//! integration suite cannot be made to send them).
#![allow(clippy::unwrap_used)]

use std::str::FromStr;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use openidconnect::core::{CoreIdToken, CoreJsonWebKeySet, CoreProviderMetadata};
use openidconnect::{ClaimsVerificationError, Nonce};
use serde_json::{Value, json};

use super::{check_issue_time, verify};
use crate::model::IdentityProvider;
use crate::oidc::jwt::{TokenType, sign};
use crate::oidc::test_keys::generated;
use crate::oidc::{SigningAlg, SigningKeySet};

const ISSUER: &str = "https://login.example.com";

fn provider() -> IdentityProvider {
    IdentityProvider {
        id: "idp_01JB0000000000000000000000".into(),
        name: "Corp".into(),
        issuer: ISSUER.into(),
        client_id: "devicegate".into(),
        client_secret_sealed: "v1.x".into(),
        scopes: vec!["openid".into()],
        username_claim: "preferred_username".into(),
        allowed_email_domains: vec![],
        required_claims: Default::default(),
        admin_claims: Default::default(),
        jit: true,
        enabled: true,
        created_at: 0,
        updated_at: 0,
    }
}

fn metadata(keys: &SigningKeySet, algs: &[&str]) -> CoreProviderMetadata {
    let document = json!({
        "issuer": ISSUER,
        "authorization_endpoint": format!("{ISSUER}/auth"),
        "token_endpoint": format!("{ISSUER}/token"),
        "jwks_uri": format!("{ISSUER}/jwks"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": algs,
    });
    let jwks: CoreJsonWebKeySet =
        serde_json::from_value(serde_json::to_value(keys.jwks()).unwrap()).unwrap();
    serde_json::from_value::<CoreProviderMetadata>(document)
        .unwrap()
        .set_jwks(jwks)
}

fn now() -> i64 {
    crate::http::now()
}

fn claims() -> Value {
    json!({
        "iss": ISSUER,
        "sub": "ada-7c1e",
        "aud": "devicegate",
        "exp": now() + 300,
        "iat": now(),
        "nonce": "n-0S6_WzA2Mj",
    })
}

fn signed(claims: &Value) -> String {
    sign(generated(), SigningAlg::RS256, claims, TokenType::IdToken).unwrap()
}

fn check(token: &str) -> Result<String, ClaimsVerificationError> {
    let token = CoreIdToken::from_str(token).unwrap();
    verify(
        &provider(),
        &metadata(generated(), &["RS256"]),
        &token,
        &Nonce::new("n-0S6_WzA2Mj".into()),
    )
}

fn with(change: impl FnOnce(&mut Value)) -> String {
    let mut c = claims();
    change(&mut c);
    signed(&c)
}

#[test]
fn a_good_token_gives_its_subject() {
    assert_eq!(check(&signed(&claims())).ok().as_deref(), Some("ada-7c1e"));
}

#[test]
fn a_token_for_another_client_or_issuer_or_sign_in_is_refused() {
    let cases = [
        ("aud", json!("someone-else")),
        ("aud", json!(["devicegate", "someone-else"])),
        ("iss", json!("https://evil.example")),
        ("nonce", json!("another-nonce")),
        ("exp", json!(now() - 600)),
        ("azp", json!("someone-else")),
    ];
    for (claim, value) in cases {
        let token = with(|c| c[claim] = value.clone());
        assert!(check(&token).is_err(), "{claim} = {value}");
    }
    let without_nonce = with(|c| {
        c.as_object_mut().unwrap().remove("nonce");
    });
    assert!(check(&without_nonce).is_err(), "no nonce");
}

#[test]
fn a_tampered_or_unsigned_or_symmetric_token_is_refused() {
    let token = signed(&claims());
    let parts: Vec<&str> = token.split('.').collect();
    // The payload changed after signing.
    let mut payload: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    payload["sub"] = json!("eve");
    let forged_payload = URL_SAFE_NO_PAD.encode(payload.to_string());
    let tampered = format!("{}.{forged_payload}.{}", parts[0], parts[2]);
    assert!(matches!(
        check(&tampered),
        Err(ClaimsVerificationError::SignatureVerification(_))
    ));
    // alg none, and HS256 keyed with something public (the client id).
    let none = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#),
        parts[1]
    );
    assert!(check(&none).is_err(), "alg none");
    let hs256 = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims(),
        &jsonwebtoken::EncodingKey::from_secret(b"devicegate"),
    )
    .unwrap();
    assert!(check(&hs256).is_err(), "HS256");
}

#[test]
fn a_key_the_provider_does_not_publish_or_an_alg_it_does_not_advertise_is_refused() {
    // Signed by another key set: no key of the JWK Set matches.
    let other = SigningKeySet::generate(now()).unwrap();
    let stranger = sign(&other, SigningAlg::RS256, &claims(), TokenType::IdToken).unwrap();
    assert!(matches!(
        check(&stranger),
        Err(ClaimsVerificationError::SignatureVerification(_))
    ));
    // EdDSA, well signed, but the provider advertises only RS256.
    let eddsa = sign(
        generated(),
        SigningAlg::EdDSA,
        &claims(),
        TokenType::IdToken,
    )
    .unwrap();
    assert!(check(&eddsa).is_err(), "an alg not advertised");
}

#[test]
fn an_issue_time_far_off_is_refused() {
    let p = provider();
    let at = |iat: i64| {
        let mut c = serde_json::Map::new();
        c.insert("iat".into(), json!(iat));
        check_issue_time(&p, &c, 1_800_000_000)
    };
    assert!(at(1_800_000_000).is_ok());
    assert!(at(1_800_000_000 + 61).is_err(), "in the future");
    assert!(at(1_800_000_000 - 601).is_err(), "too old");
    assert!(check_issue_time(&p, &serde_json::Map::new(), 1_800_000_000).is_err());
}
