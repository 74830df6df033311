use jsonwebtoken::jwk::{
    AlgorithmParameters, EllipticCurve, OctetKeyPairParameters, OctetKeyPairType, RSAKeyParameters,
    RSAKeyType,
};
use secrecy::ExposeSecret as _;

use super::*;
use crate::oidc::key_material::KeyMaterial;
use crate::oidc::test_keys::{NOW, generated, rotated};

#[test]
fn a_new_set_has_an_active_and_a_next_key_per_algorithm() {
    let set = generated();
    for alg in SigningAlg::ALL {
        let states: Vec<KeyState> = set
            .keys()
            .iter()
            .filter(|k| k.alg() == alg)
            .map(SigningKey::state)
            .collect();
        assert_eq!(states, [KeyState::Active, KeyState::Next], "{alg:?}");
    }
    assert!(set.keys().iter().all(|k| k.created_at() == NOW));
}

#[test]
fn the_json_form_round_trips_and_keeps_states() -> Result<(), KeyError> {
    let set = rotated();
    let json = set.to_json()?;
    let back = SigningKeySet::from_json(json.expose_secret())?;
    let summary = |s: &SigningKeySet| {
        s.keys()
            .iter()
            .map(|k| (k.kid().to_owned(), k.alg(), k.state(), k.public_jwk()))
            .collect::<Vec<_>>()
    };
    assert_eq!(summary(&back), summary(set));
    let value: serde_json::Value = serde_json::from_str(json.expose_secret())?;
    let retired = value["keys"]
        .as_array()
        .and_then(|keys| keys.iter().find(|k| k["state"] == "retired"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(retired["until"], NOW + 3600 + 3600);
    assert!(
        retired["private_key"]
            .as_str()
            .is_some_and(|k| k.len() > 100)
    );
    Ok(())
}

#[test]
fn debug_output_holds_no_private_key() -> Result<(), KeyError> {
    let set = generated();
    let debug = format!("{set:?}");
    let json = set.to_json()?;
    let value: serde_json::Value = serde_json::from_str(json.expose_secret())?;
    for key in value["keys"].as_array().into_iter().flatten() {
        let private = key["private_key"].as_str().unwrap_or_default();
        assert!(private.len() > 40);
        // Neither the base64 nor any long piece of it.
        assert!(!debug.contains(&private[..40]));
    }
    assert!(debug.contains(set.keys()[0].kid()));
    assert!(!format!("{json:?}").contains("private_key"));
    Ok(())
}

#[test]
fn rotation_promotes_next_retires_active_and_adds_next() {
    let before = generated();
    let after = rotated();
    for alg in SigningAlg::ALL {
        let old_active = before.active(alg).map(SigningKey::kid);
        let old_next = before
            .keys()
            .iter()
            .find(|k| k.alg() == alg && k.state() == KeyState::Next)
            .map(SigningKey::kid);
        assert_eq!(after.active(alg).map(SigningKey::kid), old_next);
        let retired = after.keys().iter().find(|k| Some(k.kid()) == old_active);
        assert_eq!(
            retired.map(SigningKey::state),
            Some(KeyState::Retired {
                until: NOW + 3600 + 3600
            })
        );
        let next: Vec<&SigningKey> = after
            .keys()
            .iter()
            .filter(|k| k.alg() == alg && k.state() == KeyState::Next)
            .collect();
        assert_eq!(next.len(), 1);
        assert!(before.keys().iter().all(|k| k.kid() != next[0].kid()));
    }
    assert_eq!(after.keys().len(), 6);
}

#[test]
fn retired_keys_verify_until_their_time_and_are_then_dropped() -> Result<(), KeyError> {
    let set = rotated();
    let retired = set
        .keys()
        .iter()
        .find(|k| matches!(k.state(), KeyState::Retired { .. }))
        .map(|k| k.kid().to_owned())
        .unwrap_or_default();
    let until = NOW + 3600 + 3600;
    assert!(set.verifying_key(&retired, until - 1).is_some());
    assert!(set.verifying_key(&retired, until).is_none());
    // Rotating again past `until` (reusing the RSA keys would not be cheaper).
    let later = set.rotate(until, 3600)?;
    assert!(later.keys().iter().all(|k| k.kid() != retired));
    assert_eq!(later.keys().len(), 6);
    Ok(())
}

#[test]
fn the_jwks_publishes_public_parts_of_every_key() -> Result<(), KeyError> {
    let set = rotated();
    let jwks = serde_json::to_value(set.jwks())?;
    let keys = jwks["keys"].as_array().cloned().unwrap_or_default();
    assert_eq!(keys.len(), set.keys().len());
    for (jwk, key) in keys.iter().zip(set.keys()) {
        assert_eq!(jwk["kid"], key.kid());
        assert_eq!(jwk["use"], "sig");
        assert_eq!(jwk["alg"], key.alg().as_str());
        let mut names: Vec<&str> = jwk
            .as_object()
            .map(|o| o.keys().map(String::as_str).collect())
            .unwrap_or_default();
        names.sort_unstable();
        match key.alg() {
            SigningAlg::RS256 => {
                assert_eq!(names, ["alg", "e", "kid", "kty", "n", "use"]);
                assert_eq!(jwk["kty"], "RSA");
                assert_eq!(jwk["e"], "AQAB");
                // 2048 bits, base64url without padding.
                assert_eq!(jwk["n"].as_str().map(str::len), Some(342));
            }
            SigningAlg::EdDSA => {
                assert_eq!(names, ["alg", "crv", "kid", "kty", "use", "x"]);
                assert_eq!(jwk["kty"], "OKP");
                assert_eq!(jwk["crv"], "Ed25519");
                assert_eq!(jwk["x"].as_str().map(str::len), Some(43));
            }
        }
    }
    Ok(())
}

/// RFC 7638 §3.1's RSA example and RFC 8037 Appendix A.3's Ed25519 example.
#[test]
fn kids_are_rfc7638_thumbprints() {
    let rsa = KeyMaterial {
        public: AlgorithmParameters::RSA(RSAKeyParameters {
            key_type: RSAKeyType::RSA,
            n: "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFx\
                uhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN\
                5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5h\
                ajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIq\
                bw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
                .into(),
            e: "AQAB".into(),
        }),
        ..generated().keys()[0].material.clone()
    };
    assert_eq!(
        rsa.thumbprint(),
        "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
    );
    let ed = KeyMaterial {
        public: AlgorithmParameters::OctetKeyPair(OctetKeyPairParameters {
            key_type: OctetKeyPairType::OctetKeyPair,
            curve: EllipticCurve::Ed25519,
            x: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo".into(),
        }),
        ..generated().keys()[0].material.clone()
    };
    assert_eq!(
        ed.thumbprint(),
        "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
    );
}

#[test]
fn damaged_sets_are_refused() -> Result<(), KeyError> {
    let json = generated().to_json()?;
    let value: serde_json::Value = serde_json::from_str(json.expose_secret())?;
    let edit = |f: &dyn Fn(&mut serde_json::Value)| {
        let mut v = value.clone();
        f(&mut v);
        SigningKeySet::from_json(&v.to_string())
    };
    // A kid that is not the key's thumbprint.
    assert!(matches!(
        edit(&|v| v["keys"][0]["kid"] = "other".into()),
        Err(KeyError::Json(_))
    ));
    // Two active RS256 keys.
    assert!(edit(&|v| v["keys"][1]["state"] = "active".into()).is_err());
    // An Ed25519 key declared RS256.
    assert!(edit(&|v| v["keys"][2]["alg"] = "RS256".into()).is_err());
    // Not base64.
    assert!(edit(&|v| v["keys"][0]["private_key"] = "%%%".into()).is_err());
    assert!(edit(&|v| v["keys"][0]["alg"] = "HS256".into()).is_err());
    assert!(edit(&|_| {}).is_ok());
    Ok(())
}
