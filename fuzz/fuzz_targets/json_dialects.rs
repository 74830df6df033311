//! The JSON dialects (aws, huawei, RFC 7591) on a whole request: each codec's parser for client
//! registration, device authorization and the token endpoint, then the metadata rules. Whatever
//! the body, a parser either reads it or refuses it with a 4xx in its dialect's error shape, and
//! accepted metadata is only what the rules allow.
//!
//! Input layout: one selector byte (which codec and operation), then the JSON body.
#![no_main]

use devicegate::dialect::{
    Aws, ClientRegistrationCodec, DeviceAuthorizationCodec, Huawei, Rfc7591, TokenCodec,
};
use devicegate::http::ErrorShape;
use devicegate::model::OAuthClient;
use devicegate::usecases::client_registration::{ClientMetadata, MAX_REDIRECT_URIS};
use lambda_http::{Body, Request};
use libfuzzer_sys::fuzz_target;

fn refused(shape: ErrorShape, e: &devicegate::Error) {
    let (status, _) = shape.wire(e);
    assert!((400..500).contains(&status), "{e:?} is not a 4xx");
    let _ = shape.render(e, None);
}

fn register<C: ClientRegistrationCodec>(shape: ErrorShape, req: &Request) {
    match C::parse(req).and_then(|m| ClientMetadata::new(m, &C::DEFAULTS)) {
        Ok(metadata) => {
            let name = metadata.client_name.chars().count();
            assert!((1..=OAuthClient::MAX_NAME).contains(&name));
            assert!(!metadata.client_name.contains(['"', '\n', '\u{202e}']));
            assert!(metadata.redirect_uris.len() <= MAX_REDIRECT_URIS);
            assert!(!metadata.grant_types.is_empty());
            assert!(C::DEFAULTS.auth_methods.contains(&metadata.auth_method));
        }
        Err(e) => refused(shape, &e),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let Ok(req): Result<Request, _> = lambda_http::http::Request::builder()
        .method("POST")
        .uri("https://gate.test/fuzz")
        .header("content-type", "application/json")
        .body(Body::Binary(body.to_vec()))
    else {
        return;
    };
    match selector % 7 {
        0 => register::<Rfc7591>(ErrorShape::OAuth, &req),
        1 => register::<Huawei>(ErrorShape::Huawei, &req),
        2 => register::<Aws>(ErrorShape::Aws, &req),
        3 => {
            if let Err(e) = <Huawei as DeviceAuthorizationCodec>::parse(&req) {
                refused(ErrorShape::Huawei, &e);
            }
        }
        4 => {
            if let Err(e) = <Aws as DeviceAuthorizationCodec>::parse(&req) {
                refused(ErrorShape::Aws, &e);
            }
        }
        5 => {
            if let Err(e) = <Huawei as TokenCodec>::parse(&req) {
                refused(ErrorShape::Huawei, &e);
            }
        }
        _ => {
            if let Err(e) = <Aws as TokenCodec>::parse(&req) {
                refused(ErrorShape::Aws, &e);
            }
        }
    }
});
