//! AWS IAM Identity Center OIDC (`sso-oidc`, rest-json): RegisterClient, StartDeviceAuthorization,
//! CreateToken, and the authorization page `aws sso login` opens.

use utoipa::openapi::path::HttpMethod::{Get, Post};

use super::builder::{Doc, json, json_body, op, page_form, query};
use crate::api::authorize_page::AUTHORIZATION_PARAMETERS;
use crate::dialect::aws::{
    self, CreateTokenIn, RegisterClientIn, RegisterClientOut, StartDeviceAuthorizationIn,
    camel_case,
};
use crate::dialect::{DeviceAuthorizationOut, TokenOut};
use crate::http::ErrorShape;

pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = Doc::new(ErrorShape::Aws);
    let input = doc.schema::<RegisterClientIn>();
    let output = doc.schema::<RegisterClientOut>();
    doc.add(
        Post,
        "/client/register",
        op("RegisterClient", "Registers a public client")
            .request_body(json_body(input))
            .response("200", json("The client", output)),
    );
    let input = doc.schema::<StartDeviceAuthorizationIn>();
    let output = doc.renamed::<DeviceAuthorizationOut>("StartDeviceAuthorizationOut", camel_case);
    doc.add(
        Post,
        "/device_authorization",
        op("StartDeviceAuthorization", "Starts a device flow")
            .request_body(json_body(input))
            .response("200", json("The device and user codes", output)),
    );
    let input = doc.schema::<CreateTokenIn>();
    let output = doc.renamed::<TokenOut>("CreateTokenOut", camel_case);
    doc.add(
        Post,
        aws::TOKEN_PATH,
        op(
            "CreateToken",
            "Redeems a device code, authorization code or refresh token",
        )
        .request_body(json_body(input))
        .response("200", json("The tokens", output)),
    );
    let mut authorize = op("authorizePage", "Where `aws sso login` sends the browser");
    for name in AUTHORIZATION_PARAMETERS.iter().chain(&["scopes"]) {
        authorize = authorize.parameter(query(name));
    }
    doc.add_page(Get, aws::AUTHORIZE_PATH, authorize);
    doc.add_page(
        Post,
        aws::AUTHORIZE_PATH,
        op(
            "authorizePageSubmit",
            "The authorization page's sign-in and consent forms",
        )
        .request_body(page_form()),
    );
    doc.build(
        "devicegate: AWS IAM Identity Center OIDC (sso-oidc)",
        "camelCase JSON in and out; errors carry their exception in x-amzn-ErrorType.",
    )
}
