//! The OAuth 2.0 dialect on a whole `lambda_http::Request`: an optional `Authorization` header
//! and a form body, both taken from the input.
//!
//! Input layout: one flag byte, the Authorization header up to the first `\n`, then the body.
//! Flag bit 0: send the header; bit 1: wrap the header text as `Basic base64(text)` (so that the
//! fuzzer reaches the credentials decoder without having to discover base64); bits 2-3: which
//! path the request goes to; bit 4: send the header text as `Host` too (for `base_url`).
#![no_main]

use base64::Engine as _;
use devicegate::Settings;
use devicegate::config::ServerSecret;
use devicegate::dialect::rfc6749::{self, TokenRequest};
use devicegate::http;
use devicegate::usecases::client_auth::ClientCredentials;
use lambda_http::{Body, Request};
use libfuzzer_sys::fuzz_target;

const PATHS: [&str; 4] = [
    rfc6749::TOKEN_PATH,
    rfc6749::DEVICE_AUTHORIZATION_PATH,
    rfc6749::REVOKE_PATH,
    rfc6749::INTROSPECT_PATH,
];

fn client_error(e: &devicegate::Error) {
    let shape = http::ErrorShape::OAuth;
    assert!((400..500).contains(&shape.wire(e).0), "{e:?} is not a 4xx");
    let _ = shape.render(e, None);
}

fn check_client(c: &ClientCredentials) {
    assert!(!c.client_id.is_empty() && c.client_id.len() <= 512);
    assert!(c.secret.as_ref().is_none_or(|s| s.len() <= 512));
}

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let (header, body) = match rest.iter().position(|&b| b == b'\n') {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, &[][..]),
    };
    let path = PATHS[usize::from((flags >> 2) & 3)];
    let mut builder = lambda_http::http::Request::builder()
        .method("POST")
        .uri(format!("https://gate.test{path}"))
        .header("content-type", "application/x-www-form-urlencoded");
    if flags & 1 != 0 {
        let value = if flags & 2 != 0 {
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(header)
            )
            .into_bytes()
        } else {
            header.to_vec()
        };
        builder = builder.header("authorization", value);
    }
    if flags & 16 != 0 {
        builder = builder.header("host", header);
    }
    // Bytes no HTTP header may carry never reach a Lambda: nothing to test.
    let Ok(req): Result<Request, _> = builder.body(Body::Binary(body.to_vec())) else {
        return;
    };

    if flags & 16 != 0 {
        let settings = Settings::with_secret(ServerSecret::from_bytes(vec![7; 32]));
        if let Ok(base) = rfc6749::base_url(&req, &settings) {
            assert!(base.starts_with("http://"));
            let _ = rfc6749::metadata_response(&base, flags & 32 != 0);
        }
    }

    let form = match rfc6749::read_form(&req) {
        Ok(form) => form,
        Err(e) => {
            client_error(&e);
            return;
        }
    };
    match rfc6749::client_credentials(&req, &form) {
        Ok(c) => check_client(&c),
        Err(e) => client_error(&e),
    }
    match rfc6749::parse_token(&req, &form) {
        Ok(TokenRequest::DeviceCode {
            client,
            device_code,
        }) => {
            check_client(&client);
            assert!(!device_code.is_empty() && device_code.len() <= 512);
        }
        Ok(TokenRequest::Refresh {
            client,
            refresh_token,
            scope,
        }) => {
            check_client(&client);
            assert!(!refresh_token.is_empty() && refresh_token.len() <= 512);
            let _ = scope;
        }
        Ok(TokenRequest::AuthorizationCode { client, grant }) => {
            check_client(&client);
            assert!(!grant.code.is_empty() && grant.code.len() <= 512);
            assert!(grant.redirect_uri.as_ref().is_none_or(|u| u.len() <= 2048));
            assert!(grant.code_verifier.as_ref().is_none_or(|v| v.len() <= 2048));
        }
        Err(e) => client_error(&e),
    }
    match rfc6749::parse_device_authorization(&req, &form) {
        Ok(r) => {
            check_client(&r.client);
            let wire = r.scope.to_wire().unwrap_or_default();
            assert_eq!(devicegate::model::Scope::parse(&wire).ok(), Some(r.scope));
        }
        Err(e) => client_error(&e),
    }
    match rfc6749::parse_token_lookup(&req, &form) {
        Ok((client, token, _hint)) => {
            check_client(&client);
            assert!(!token.is_empty() && token.len() <= 512);
        }
        Err(e) => client_error(&e),
    }
});
