//! Paragon's `POST /api/v1/login` on a whole request (the `X-Api-Key` and `Authorization`
//! headers and a form or JSON body), and the user-token locator the authorizer reads from any
//! bearer token.
//!
//! Input layout: one flag byte, a header text up to the first `\n`, then the body. Flag bit 0:
//! send the text as `Authorization: Bearer <text>`; bit 1: send it as `X-Api-Key` instead of a
//! fixed key; bit 2: the body is JSON (else a form).
#![no_main]

use devicegate::dialect::paragon;
use devicegate::http;
use devicegate::secrets::TokenLocator;
use devicegate::usecases::user_tokens::Credentials;
use lambda_http::{Body, Request};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let (text, body) = match rest.iter().position(|&b| b == b'\n') {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, &[][..]),
    };
    if let Ok(token) = std::str::from_utf8(text)
        && let Some(locator) = TokenLocator::parse(token)
    {
        assert_eq!(locator.family_id.len(), 26);
        assert_eq!(locator.api_key_id.len(), 26);
        assert!(locator.device_family_id.as_ref().is_none_or(|d| d.len() == 26));
        assert!(devicegate::model::Username::parse(&locator.username).is_ok());
    }
    let content_type = if flags & 4 != 0 {
        "application/json"
    } else {
        "application/x-www-form-urlencoded"
    };
    let mut builder = lambda_http::http::Request::builder()
        .method("POST")
        .uri("https://gate.test/api/v1/login")
        .header("content-type", content_type);
    if flags & 1 != 0 {
        let mut value = b"Bearer ".to_vec();
        value.extend_from_slice(text);
        builder = builder.header("authorization", value);
    }
    builder = if flags & 2 != 0 {
        builder.header("x-api-key", text)
    } else {
        builder.header("x-api-key", "dgk_fuzz")
    };
    // Bytes no HTTP header may carry never reach a Lambda: nothing to test.
    let Ok(req): Result<Request, _> = builder.body(Body::Binary(body.to_vec())) else {
        return;
    };
    match paragon::parse_login(&req) {
        Ok(login) => {
            assert!(!login.api_key.is_empty() && login.api_key.len() <= 512);
            assert!(login.device_token.as_ref().is_none_or(|t| !t.is_empty() && t.len() <= 512));
            match &login.credentials {
                Credentials::Password { username, password } => {
                    assert!(!username.is_empty() && !password.is_empty());
                }
                Credentials::Username(username) => assert!(!username.is_empty()),
                Credentials::LoginId(_) => {}
            }
        }
        Err(e) => {
            let shape = http::ErrorShape::OAuth;
            assert!((400..500).contains(&shape.wire(&e).0), "{e:?} is not a 4xx");
            let _ = shape.render(&e, None);
        }
    }
});
