//! `Form::parse` on arbitrary bytes, then the Paragon dialect's parsers on the Form, and
//! `paragon::read_request` (with `HCP-Request-Signature`, signed `timestamp`) on a request
//! carrying the same bytes.
#![no_main]

use devicegate::dialect::paragon::{self, TokenRequest};
use devicegate::http::{self, Form};
use devicegate::signatures::DevicePublicKey;
use devicegate::model::ClientId;
use devicegate::usecases::SignedRequest;
use lambda_http::{Body, Request};
use libfuzzer_sys::fuzz_target;

/// Errors from parsing a request are the client's fault: never a 5xx.
fn client_error(e: &devicegate::Error) {
    let shape = http::ErrorShape::OAuth;
    assert!((400..500).contains(&shape.wire(e).0), "{e:?} is not a 4xx");
    let _ = shape.render(e, None);
}

fn request(path: &str, body: &[u8], signature: Option<&str>) -> Option<Request> {
    let mut builder = lambda_http::http::Request::builder()
        .method("POST")
        .uri(format!("https://gate.test{path}"))
        .header("content-type", "application/x-www-form-urlencoded");
    if let Some(signature) = signature {
        builder = builder.header(paragon::SIGNATURE_HEADER, signature);
    }
    builder.body(Body::Binary(body.to_vec())).ok()
}

fuzz_target!(|data: &[u8]| {
    match Form::parse(data) {
        Err(e) => {
            client_error(&e);
            // A body that does not parse as a Form must not parse as a request either.
            if let Some(req) = request(paragon::TOKEN_PATH, data, None) {
                assert!(paragon::read_request(&req).is_err());
            }
        }
        Ok(form) => {
            match paragon::parse_register(&form) {
                Ok(r) => {
                    assert!(ClientId::parse(r.client_id.as_str()).is_ok());
                    assert!(r.api_key.len() <= paragon::MAX_API_KEY_LEN && !r.api_key.is_empty());
                    assert!(
                        r.state
                            .as_ref()
                            .is_none_or(|s| s.chars().count() <= paragon::MAX_STATE)
                    );
                    assert!(
                        r.client_description
                            .as_ref()
                            .is_none_or(|s| s.chars().count() <= paragon::MAX_DESCRIPTION)
                    );
                    if let Some(key) = &r.key {
                        // Stored as sent (trimmed): it must parse again when a token request comes.
                        assert!(DevicePublicKey::from_stored(key).is_ok());
                        let _ = DevicePublicKey::fingerprint(key);
                    }
                }
                Err(e) => client_error(&e),
            }
            match paragon::parse_token(&form) {
                Ok(TokenRequest::DeviceCode(g)) => {
                    assert!(ClientId::parse(&g.client_id).is_ok());
                    assert!(
                        !g.device_code.is_empty()
                            && g.device_code.len() <= paragon::MAX_API_KEY_LEN
                    );
                }
                Ok(TokenRequest::Refresh(g)) => {
                    assert!(ClientId::parse(&g.client_id).is_ok());
                    assert!(
                        !g.refresh_token.is_empty()
                            && g.refresh_token.len() <= paragon::MAX_API_KEY_LEN
                    );
                }
                Err(e) => client_error(&e),
            }
            // The whole Paragon request path, signed: the signature header's value is the
            // `client_secret` field when there is one (any printable value will do).
            let signature = form.optional("client_secret").unwrap_or("c2ln");
            for path in [paragon::REGISTER_PATH, paragon::TOKEN_PATH] {
                let Some(req) = request(path, data, Some(signature)) else {
                    continue;
                };
                match paragon::read_request(&req) {
                    Ok((_, signed)) => {
                        if let Some(signed) = signed {
                            let signed: SignedRequest<'_> = signed;
                            assert_eq!(signed.body, data);
                            let _ = signed.check_fresh(http::now());
                            assert_eq!(signed.replay_key().len(), 64);
                        }
                    }
                    Err(e) => client_error(&e),
                }
            }
        }
    }
});
