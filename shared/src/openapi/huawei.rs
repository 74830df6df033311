//! Huawei IAM Identity Center: register a client, start a device flow, create tokens.

use utoipa::openapi::path::HttpMethod::Post;

use super::builder::{Doc, json, json_body, op};
use crate::dialect::DeviceAuthorizationOut;
use crate::dialect::huawei::{
    CreateTokenIn, RegisterClientIn, RegisteredClientOut, StartDeviceAuthorizationIn, TokenInfoOut,
};
use crate::http::ErrorShape;

pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = Doc::new(ErrorShape::Huawei);
    let input = doc.schema::<RegisterClientIn>();
    let output = doc.schema::<RegisteredClientOut>();
    doc.add(
        Post,
        "/v1/clients",
        op("RegisterClient", "Registers a public client")
            .request_body(json_body(input))
            .response("200", json("The client, in client_info", output)),
    );
    let input = doc.schema::<StartDeviceAuthorizationIn>();
    let output = doc.schema::<DeviceAuthorizationOut>();
    doc.add(
        Post,
        "/v1/device/authorize",
        op("StartDeviceAuthorization", "Starts a device flow")
            .request_body(json_body(input))
            .response("200", json("The device and user codes", output)),
    );
    let input = doc.schema::<CreateTokenIn>();
    let output = doc.schema::<TokenInfoOut>();
    doc.add(
        Post,
        "/v1/tokens",
        op(
            "CreateToken",
            "Redeems a device code, authorization code or refresh token",
        )
        .request_body(json_body(input))
        .response("200", json("The tokens, in token_info", output)),
    );
    doc.build(
        "devicegate: Huawei IAM Identity Center",
        "snake_case JSON in and out; errors as {error_code, error_msg} with the OAuth pair.",
    )
}
