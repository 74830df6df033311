//! VMware Identity Manager mobile registration (`/SAAS`): the register page, activation and the
//! token endpoint.

use utoipa::openapi::path::HttpMethod::{Get, Post};
use utoipa::openapi::request_body::RequestBodyBuilder;

use super::builder::{Doc, form, json, op, page_form, query};
use crate::dialect::TokenOut;
use crate::dialect::vmware::{self, ActivationOut};
use crate::http::ErrorShape;

pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = Doc::new(ErrorShape::OAuth);
    let mut register = op("registerPage", "Where the app sends a person to approve it");
    for name in [
        "app_product_id",
        "device_name",
        "user_device",
        "redirect_uri",
        "state",
        "type",
    ] {
        register = register.parameter(query(name));
    }
    doc.add_page(Get, vmware::REGISTER_PATH, register);
    doc.add_page(
        Post,
        vmware::REGISTER_PATH,
        op(
            "registerPageSubmit",
            "The register page's sign-in and approval forms",
        )
        .request_body(page_form()),
    );
    let activated = doc.schema::<ActivationOut>();
    let raw = utoipa::openapi::content::ContentBuilder::new()
        .schema(Some(super::builder::string()))
        .build();
    doc.add(
        Post,
        vmware::ACTIVATE_PATH,
        op(
            "activate",
            "Activates an approved registration: the body is the activation code",
        )
        .request_body(Some(
            RequestBodyBuilder::new()
                .content("text/plain", raw)
                .required(Some(utoipa::openapi::Required::True))
                .build(),
        ))
        .response(
            "200",
            json("The app's client credentials, shown once", activated),
        ),
    );
    let tokens = doc.schema::<TokenOut>();
    doc.add(
        Post,
        vmware::TOKEN_PATH,
        op("token", "The token endpoint (RFC 6749 forms)")
            .request_body(form(&[
                ("grant_type", true),
                ("client_id", false),
                ("client_secret", false),
                ("code", false),
                ("redirect_uri", false),
                ("code_verifier", false),
                ("refresh_token", false),
                ("scope", false),
            ]))
            .response("200", json("The tokens", tokens)),
    );
    doc.build(
        "devicegate: VMware Identity Manager mobile registration",
        "Pages for the person, activation and RFC 6749 tokens for the app.",
    )
}
