use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::Mac as _;
use jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::{Value, json};

use super::*;
use crate::oidc::signing_keys::{KeyState, SigningKey};
use crate::oidc::test_keys::{NOW, generated, rotated};

const ISSUER: &str = "https://id.example.com";

fn claims(exp: i64) -> Value {
    json!({ "iss": ISSUER, "sub": "alice", "aud": "client-1", "iat": NOW, "exp": exp })
}

fn expected(now: i64) -> Expected<'static> {
    Expected {
        issuer: ISSUER,
        audience: Some("client-1"),
        typ: TokenType::IdToken,
        now,
    }
}

fn signed(keys: &SigningKeySet, alg: SigningAlg) -> String {
    sign(keys, alg, &claims(NOW + 100_000), TokenType::IdToken)
        .unwrap_or_else(|e| panic!("signing: {e}"))
}

fn key(keys: &SigningKeySet, alg: SigningAlg, state: KeyState) -> &SigningKey {
    keys.keys()
        .iter()
        .find(|k| k.alg() == alg && k.state() == state)
        .unwrap_or_else(|| panic!("no {state:?} {alg:?} key"))
}

/// A token built by hand: header and claims as given, signed by `signature` over the
/// signing input.
fn forge(header: &Value, claims: &Value, signature: impl Fn(&[u8]) -> Vec<u8>) -> String {
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let signature = URL_SAFE_NO_PAD.encode(signature(input.as_bytes()));
    format!("{input}.{signature}")
}

fn ed25519_signature(key: &SigningKey) -> impl Fn(&[u8]) -> Vec<u8> + '_ {
    move |input| {
        let signature = jsonwebtoken::crypto::sign(input, key.encoding_key(), Algorithm::EdDSA)
            .unwrap_or_else(|e| panic!("signing: {e}"));
        URL_SAFE_NO_PAD.decode(signature).unwrap_or_default()
    }
}

#[test]
fn tokens_verify_with_their_kid_alg_and_typ_in_the_header() -> Result<(), JwtError> {
    let keys = generated();
    for alg in SigningAlg::ALL {
        let token = signed(keys, alg);
        let header = jsonwebtoken::decode_header(&token).map_err(|_| JwtError::Malformed)?;
        assert_eq!(header.alg, alg.jwt_algorithm());
        assert_eq!(header.typ.as_deref(), Some("JWT"));
        assert_eq!(header.kid.as_deref(), keys.active(alg).map(SigningKey::kid));
        let back: Value = verify(keys, &token, &expected(NOW))?;
        assert_eq!(back, claims(NOW + 100_000));
    }
    Ok(())
}

#[test]
fn access_tokens_carry_at_jwt_and_are_not_id_tokens() -> Result<(), JwtError> {
    let keys = generated();
    let token = sign(
        keys,
        SigningAlg::EdDSA,
        &claims(NOW + 60),
        TokenType::AccessToken,
    )?;
    let header = jsonwebtoken::decode_header(&token).map_err(|_| JwtError::Malformed)?;
    assert_eq!(header.typ.as_deref(), Some("at+jwt"));
    let as_access = Expected {
        typ: TokenType::AccessToken,
        ..expected(NOW)
    };
    assert!(verify::<Value>(keys, &token, &as_access).is_ok());
    assert_eq!(
        verify::<Value>(keys, &token, &expected(NOW)),
        Err(JwtError::WrongType)
    );
    let id_token = signed(keys, SigningAlg::EdDSA);
    assert_eq!(
        verify::<Value>(keys, &id_token, &as_access),
        Err(JwtError::WrongType)
    );
    Ok(())
}

#[test]
fn typ_is_compared_as_a_media_type() {
    assert!(TokenType::AccessToken.matches("application/at+jwt"));
    assert!(TokenType::AccessToken.matches("AT+JWT"));
    assert!(TokenType::IdToken.matches("jwt"));
    assert!(!TokenType::AccessToken.matches("jwt"));
    assert!(!TokenType::IdToken.matches("application/jwt+at"));
}

#[test]
fn a_sibling_instance_that_already_rotated_is_trusted() -> Result<(), JwtError> {
    // Signed by the rotated set's active key, which is the old set's next key.
    let token = signed(rotated(), SigningAlg::RS256);
    let _: Value = verify(generated(), &token, &expected(NOW))?;
    Ok(())
}

#[test]
fn retired_keys_verify_only_until_their_time() -> Result<(), JwtError> {
    let until = NOW + 3600 + 3600;
    for alg in SigningAlg::ALL {
        let token = signed(generated(), alg);
        let _: Value = verify(rotated(), &token, &expected(until - 1))?;
        assert_eq!(
            verify::<Value>(rotated(), &token, &expected(until)),
            Err(JwtError::UnknownKey)
        );
    }
    Ok(())
}

#[test]
fn unknown_or_missing_kids_are_refused() {
    let keys = generated();
    let ed = key(keys, SigningAlg::EdDSA, KeyState::Active);
    for header in [
        json!({ "alg": "EdDSA", "typ": "JWT", "kid": "someone-else" }),
        json!({ "alg": "EdDSA", "typ": "JWT" }),
    ] {
        let token = forge(&header, &claims(NOW + 60), ed25519_signature(ed));
        assert_eq!(
            verify::<Value>(keys, &token, &expected(NOW)),
            Err(JwtError::UnknownKey)
        );
    }
}

#[test]
fn alg_none_is_refused() {
    let keys = generated();
    let kid = key(keys, SigningAlg::EdDSA, KeyState::Active).kid();
    for alg in ["none", "None", "NONE"] {
        let token = forge(
            &json!({ "alg": alg, "typ": "JWT", "kid": kid }),
            &claims(NOW + 60),
            |_| Vec::new(),
        );
        assert!(token.ends_with('.'));
        assert_eq!(
            verify::<Value>(keys, &token, &expected(NOW)),
            Err(JwtError::Malformed)
        );
    }
}

/// The classic confusion: HS256 keyed with the RSA public key, in each form an attacker can
/// take it from the JWK Set.
#[test]
fn hs256_keyed_with_the_public_key_is_refused() {
    use rsa::pkcs1::EncodeRsaPublicKey as _;
    use rsa::pkcs8::EncodePublicKey as _;
    let keys = generated();
    let rsa_key = key(keys, SigningAlg::RS256, KeyState::Active);
    let jwk = serde_json::to_value(rsa_key.public_jwk()).unwrap_or_default();
    let n = URL_SAFE_NO_PAD
        .decode(jwk["n"].as_str().unwrap_or_default())
        .unwrap_or_default();
    let public = rsa::RsaPublicKey::new(
        rsa::BigUint::from_bytes_be(&n),
        rsa::BigUint::from(65537u32),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let secrets: Vec<Vec<u8>> = vec![
        public
            .to_pkcs1_der()
            .map(|d| d.into_vec())
            .unwrap_or_default(),
        public
            .to_public_key_der()
            .map(|d| d.into_vec())
            .unwrap_or_default(),
        public
            .to_public_key_pem(rsa::pkcs8::LineEnding::LF)
            .unwrap_or_default()
            .into_bytes(),
        jwk.to_string().into_bytes(),
        n,
    ];
    for secret in secrets {
        assert!(!secret.is_empty());
        let token = forge(
            &json!({ "alg": "HS256", "typ": "JWT", "kid": rsa_key.kid() }),
            &claims(NOW + 60),
            |input| {
                let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&secret)
                    .unwrap_or_else(|e| panic!("{e}"));
                mac.update(input);
                mac.finalize().into_bytes().to_vec()
            },
        );
        assert_eq!(
            verify::<Value>(keys, &token, &expected(NOW)),
            Err(JwtError::UnsupportedAlgorithm)
        );
    }
    // And through jsonwebtoken itself, for good measure.
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some(rsa_key.kid().to_owned());
    let token = jsonwebtoken::encode(&header, &claims(NOW + 60), &EncodingKey::from_secret(b"k"))
        .unwrap_or_default();
    assert_eq!(
        verify::<Value>(keys, &token, &expected(NOW)),
        Err(JwtError::UnsupportedAlgorithm)
    );
}

#[test]
fn an_alg_that_does_not_match_the_kids_key_is_refused() {
    let keys = generated();
    let rsa_key = key(keys, SigningAlg::RS256, KeyState::Active);
    let ed = key(keys, SigningAlg::EdDSA, KeyState::Active);
    // A valid Ed25519 signature, presented under the RSA key's kid.
    let token = forge(
        &json!({ "alg": "EdDSA", "typ": "JWT", "kid": rsa_key.kid() }),
        &claims(NOW + 60),
        ed25519_signature(ed),
    );
    assert_eq!(
        verify::<Value>(keys, &token, &expected(NOW)),
        Err(JwtError::AlgorithmMismatch)
    );
    // RS256 under the Ed25519 key's kid.
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(ed.kid().to_owned());
    let token = jsonwebtoken::encode(&header, &claims(NOW + 60), rsa_key.encoding_key())
        .unwrap_or_default();
    assert_eq!(
        verify::<Value>(keys, &token, &expected(NOW)),
        Err(JwtError::AlgorithmMismatch)
    );
}

#[test]
fn altered_tokens_and_other_keys_signatures_are_refused() {
    let keys = generated();
    for alg in SigningAlg::ALL {
        let token = signed(keys, alg);
        let parts: Vec<&str> = token.split('.').collect();
        let other_claims = URL_SAFE_NO_PAD.encode(
            json!({ "iss": ISSUER, "sub": "mallory", "aud": "client-1", "exp": NOW + 100_000 })
                .to_string(),
        );
        let altered = format!("{}.{other_claims}.{}", parts[0], parts[2]);
        assert_eq!(
            verify::<Value>(keys, &altered, &expected(NOW)),
            Err(JwtError::BadSignature),
            "{alg:?}"
        );
    }
    // Signed by the next Ed25519 key while naming the active one.
    let active = key(keys, SigningAlg::EdDSA, KeyState::Active);
    let next = key(keys, SigningAlg::EdDSA, KeyState::Next);
    let token = forge(
        &json!({ "alg": "EdDSA", "typ": "JWT", "kid": active.kid() }),
        &claims(NOW + 60),
        ed25519_signature(next),
    );
    assert_eq!(
        verify::<Value>(keys, &token, &expected(NOW)),
        Err(JwtError::BadSignature)
    );
}

#[test]
fn expired_is_expired_at_exp() -> Result<(), JwtError> {
    let keys = generated();
    let token = sign(
        keys,
        SigningAlg::EdDSA,
        &claims(NOW + 60),
        TokenType::IdToken,
    )?;
    let _: Value = verify(keys, &token, &expected(NOW + 59))?;
    assert_eq!(
        verify::<Value>(keys, &token, &expected(NOW + 60)),
        Err(JwtError::Expired)
    );
    let mut no_exp = claims(0);
    no_exp.as_object_mut().map(|o| o.remove("exp"));
    let token = sign(keys, SigningAlg::EdDSA, &no_exp, TokenType::IdToken)?;
    assert_eq!(
        verify::<Value>(keys, &token, &expected(NOW)),
        Err(JwtError::MissingClaim("exp".into()))
    );
    let mut text_exp = claims(0);
    text_exp["exp"] = json!("1900000000");
    let token = sign(keys, SigningAlg::EdDSA, &text_exp, TokenType::IdToken)?;
    assert!(verify::<Value>(keys, &token, &expected(NOW)).is_err());
    Ok(())
}

#[test]
fn issuer_and_audience_must_match() -> Result<(), JwtError> {
    let keys = generated();
    let token = signed(keys, SigningAlg::EdDSA);
    let wrong_issuer = Expected {
        issuer: "https://other.example.com",
        ..expected(NOW)
    };
    assert_eq!(
        verify::<Value>(keys, &token, &wrong_issuer),
        Err(JwtError::WrongIssuer)
    );
    let wrong_audience = Expected {
        audience: Some("client-2"),
        ..expected(NOW)
    };
    assert_eq!(
        verify::<Value>(keys, &token, &wrong_audience),
        Err(JwtError::WrongAudience)
    );
    let any_audience = Expected {
        audience: None,
        ..expected(NOW)
    };
    let _: Value = verify(keys, &token, &any_audience)?;

    let mut no_aud = claims(NOW + 60);
    no_aud.as_object_mut().map(|o| o.remove("aud"));
    let token = sign(keys, SigningAlg::EdDSA, &no_aud, TokenType::IdToken)?;
    assert_eq!(
        verify::<Value>(keys, &token, &expected(NOW)),
        Err(JwtError::MissingClaim("aud".into()))
    );
    let mut no_iss = claims(NOW + 60);
    no_iss.as_object_mut().map(|o| o.remove("iss"));
    let token = sign(keys, SigningAlg::EdDSA, &no_iss, TokenType::IdToken)?;
    assert_eq!(
        verify::<Value>(keys, &token, &any_audience),
        Err(JwtError::MissingClaim("iss".into()))
    );
    Ok(())
}

#[test]
fn critical_headers_and_oversized_tokens_are_refused() {
    let keys = generated();
    let ed = key(keys, SigningAlg::EdDSA, KeyState::Active);
    let token = forge(
        &json!({ "alg": "EdDSA", "typ": "JWT", "kid": ed.kid(), "crit": ["exp"] }),
        &claims(NOW + 60),
        ed25519_signature(ed),
    );
    assert_eq!(
        verify::<Value>(keys, &token, &expected(NOW)),
        Err(JwtError::Malformed)
    );
    let mut big = claims(NOW + 60);
    big["pad"] = json!("x".repeat(MAX_TOKEN_LEN));
    let token = forge(
        &json!({ "alg": "EdDSA", "typ": "JWT", "kid": ed.kid() }),
        &big,
        ed25519_signature(ed),
    );
    assert_eq!(
        verify::<Value>(keys, &token, &expected(NOW)),
        Err(JwtError::TooLong)
    );
    for garbage in ["", "a.b", "a.b.c.d", "...", "eyJ9.e30.x"] {
        assert_eq!(
            verify::<Value>(keys, garbage, &expected(NOW)),
            Err(JwtError::Malformed),
            "{garbage:?}"
        );
    }
}

#[test]
fn claims_of_the_wrong_shape_are_refused() -> Result<(), JwtError> {
    #[derive(serde::Deserialize, Debug)]
    struct NeedsNonce {
        #[allow(dead_code)]
        nonce: String,
    }
    let keys = generated();
    let token = signed(keys, SigningAlg::EdDSA);
    assert_eq!(
        verify::<NeedsNonce>(keys, &token, &expected(NOW)).map(|_| ()),
        Err(JwtError::Claims)
    );
    Ok(())
}
