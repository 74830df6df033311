//! Dispatcher Paragon's trusted-device API: register, token, login, and the protected `me`.

use utoipa::openapi::path::HttpMethod::{Get, Post};
use utoipa::openapi::schema::{ObjectBuilder, Type};

use super::builder::{Doc, form, header, json, op};
use crate::api::login::Me;
use crate::dialect::TokenOut;
use crate::dialect::paragon::{self, API_KEY_HEADER, RegistrationOut, SIGNATURE_HEADER};
use crate::http::ErrorShape;

pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = Doc::new(ErrorShape::OAuth);
    let registration = doc.schema::<RegistrationOut>();
    let signature = || {
        header(
            SIGNATURE_HEADER,
            false,
            "The device key's signature over the exact body (required for a device with a key)",
        )
    };
    doc.add(
        Post,
        paragon::REGISTER_PATH,
        op(
            "registerDevice",
            "Registers a device; an administrator approves it, or its key is known",
        )
        .parameter(signature())
        .request_body(form(&[
            ("client_id", true),
            ("client_secret", true),
            ("client_type", true),
            ("response_type", true),
            ("client_description", false),
            ("public_key", false),
            ("key_type", false),
            ("state", false),
            ("timestamp", false),
        ]))
        .response("200", json("The device code to poll with", registration)),
    );
    let tokens = doc.schema::<TokenOut>();
    doc.add(
        Post,
        paragon::TOKEN_PATH,
        op(
            "deviceToken",
            "Polls for the device's tokens, or refreshes them",
        )
        .description(Some(
            "grant_type is device_code (device_code) or refresh_token (refresh_token).",
        ))
        .parameter(signature())
        .request_body(form(&[
            ("grant_type", true),
            ("client_id", true),
            ("client_secret", true),
            ("device_code", false),
            ("refresh_token", false),
            ("timestamp", false),
        ]))
        .response("200", json("The device's tokens", tokens.clone())),
    );
    doc.add(
        Post,
        "/api/v1/login",
        op("login", "Signs a person in on a trusted device")
            .description(Some(
                "One kind of credentials: username and password, or card_id, short_id or email \
                 alone. Form-urlencoded or JSON.",
            ))
            .parameter(header(API_KEY_HEADER, true, "The API key"))
            .parameter(header(
                "Authorization",
                false,
                "Bearer <the device's access token>",
            ))
            .request_body(form(&[
                ("username", false),
                ("password", false),
                ("card_id", false),
                ("short_id", false),
                ("email", false),
            ]))
            .response("200", json("The person's tokens", tokens)),
    );
    let me = doc.schema::<Me>();
    // API Gateway's own refusal when the authorizer denies (serve answers the same).
    let forbidden = doc.named(
        "GatewayForbidden",
        ObjectBuilder::new()
            .schema_type(Type::Object)
            .property("message", ObjectBuilder::new().schema_type(Type::String))
            .required("message"),
    );
    doc.add(
        Get,
        "/api/v1/me",
        op(
            "me",
            "Who the caller is, as the authorizer found (behind API Gateway's authorizer)",
        )
        .parameter(header(
            "Authorization",
            false,
            "Bearer <a device or user token>",
        ))
        .response("200", json("The caller", me))
        .response("403", json("The authorizer refused the token", forbidden)),
    );
    doc.build(
        "devicegate: Dispatcher Paragon trusted-device API",
        "Form-urlencoded in, JSON out, errors as {error, error_description}.",
    )
}
