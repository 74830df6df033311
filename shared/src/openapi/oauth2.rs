//! The standard dialect: OAuth 2.0 (RFC 6749, 8628, 7009, 7662, 8414, 7591/7592), OpenID
//! Connect (discovery, JWKS, userinfo) and the pages a person uses (device verification,
//! authorization, upstream sign-in).

use utoipa::openapi::path::HttpMethod::{Delete, Get, Post, Put};
use utoipa::openapi::schema::{ObjectBuilder, Type};

use super::builder::{
    Doc, any_object, empty, form, header, json, json_body, op, page_form, path_param, query,
};
use crate::api::authorize_page::AUTHORIZATION_PARAMETERS;
use crate::dialect::rfc6749::{self, IntrospectionOut};
use crate::dialect::rfc7591::{ClientInformation, MetadataIn};
use crate::dialect::{DeviceAuthorizationOut, TokenOut};
use crate::http::ErrorShape;
use crate::oidc::discovery::{DISCOVERY_PATH, JWKS_PATH, ProviderMetadata, USERINFO_PATH};
use crate::usecases::openid::PersonClaims;

/// Client authentication fields of RFC 6749 §2.3.1 (or HTTP Basic instead).
const CLIENT: [(&str, bool); 2] = [("client_id", false), ("client_secret", false)];

pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = Doc::new(ErrorShape::OAuth);
    let device = doc.schema::<DeviceAuthorizationOut>();
    doc.add(
        Post,
        rfc6749::DEVICE_AUTHORIZATION_PATH,
        op(
            "deviceAuthorization",
            "Starts a device flow (RFC 8628 §3.1)",
        )
        .request_body(form(&[CLIENT[0], CLIENT[1], ("scope", false)]))
        .response("200", json("The device and user codes", device)),
    );
    let tokens = doc.schema::<TokenOut>();
    doc.add(
        Post,
        rfc6749::TOKEN_PATH,
        op(
            "token",
            "Redeems a device code, authorization code or refresh token (RFC 6749 §3.2)",
        )
        .description(Some(
            "grant_type is urn:ietf:params:oauth:grant-type:device_code (device_code), \
                 authorization_code (code, redirect_uri, code_verifier) or refresh_token \
                 (refresh_token, scope).",
        ))
        .request_body(form(&[
            ("grant_type", true),
            CLIENT[0],
            CLIENT[1],
            ("device_code", false),
            ("code", false),
            ("redirect_uri", false),
            ("code_verifier", false),
            ("refresh_token", false),
            ("scope", false),
        ]))
        .response("200", json("The tokens", tokens)),
    );
    doc.add(
        Post,
        rfc6749::REVOKE_PATH,
        op("revoke", "Revokes a token and its family (RFC 7009)")
            .request_body(form(&[
                ("token", true),
                ("token_type_hint", false),
                CLIENT[0],
                CLIENT[1],
            ]))
            .response("200", empty("Revoked, or not a token of this client's")),
    );
    let introspection = doc.schema::<IntrospectionOut>();
    doc.add(
        Post,
        rfc6749::INTROSPECT_PATH,
        op(
            "introspect",
            "Introspects a token (RFC 7662), for an allowed confidential client",
        )
        .request_body(form(&[
            ("token", true),
            ("token_type_hint", false),
            CLIENT[0],
            CLIENT[1],
        ]))
        .response(
            "200",
            json("Whether the token is active, and its claims", introspection),
        ),
    );
    registration(&mut doc);
    openid(&mut doc);
    pages(&mut doc);
    doc.build(
        "devicegate: OAuth 2.0 and OpenID Connect",
        "The RFC dialect: form-urlencoded in, JSON out, errors as {error, error_description}.",
    )
}

/// RFC 7591 registration and RFC 7592 management.
fn registration(doc: &mut Doc) {
    let metadata = doc.schema::<MetadataIn>();
    let information = doc.schema::<ClientInformation>();
    doc.add(
        Post,
        "/oauth2/register",
        op("registerClient", "Registers a client (RFC 7591)")
            .parameter(header(
                "Authorization",
                false,
                "Bearer <initial access token>, when registration requires one",
            ))
            .request_body(json_body(metadata.clone()))
            .response("201", json("The client information", information.clone())),
    );
    let managed = |id: &str, summary: &str| {
        op(id, summary)
            .parameter(path_param("client_id", None))
            .parameter(header(
                "Authorization",
                true,
                "Bearer <registration access token>",
            ))
    };
    doc.add(
        Get,
        "/oauth2/register/{client_id}",
        managed("readClient", "Reads a registered client (RFC 7592 §2.1)")
            .response("200", json("The client information", information.clone())),
    );
    doc.add(
        Put,
        "/oauth2/register/{client_id}",
        managed(
            "updateClient",
            "Replaces a registered client's metadata (RFC 7592 §2.2)",
        )
        .request_body(json_body(metadata))
        .response("200", json("The client information", information)),
    );
    doc.add(
        Delete,
        "/oauth2/register/{client_id}",
        managed(
            "deleteClient",
            "Deletes a registered client (RFC 7592 §2.3)",
        )
        .response("204", empty("Deleted")),
    );
}

fn openid(doc: &mut Doc) {
    let mut rfc8414 = ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some(
            "RFC 8414 §2: the endpoints and methods this deployment serves",
        ));
    for name in [
        "issuer",
        "token_endpoint",
        "device_authorization_endpoint",
        "grant_types_supported",
    ] {
        rfc8414 = rfc8414.required(name);
    }
    let rfc8414 = doc.named("AuthorizationServerMetadata", rfc8414);
    doc.add(
        Get,
        "/.well-known/oauth-authorization-server",
        op(
            "authorizationServerMetadata",
            "Authorization server metadata (RFC 8414)",
        )
        .response("200", json("The metadata", rfc8414)),
    );
    let metadata = doc.schema::<ProviderMetadata>();
    doc.add(
        Get,
        DISCOVERY_PATH,
        op(
            "openidConfiguration",
            "OpenID Provider metadata (OpenID Connect Discovery 1.0)",
        )
        .response("200", json("The metadata", metadata)),
    );
    let jwks = doc.named(
        "JwkSet",
        any_object("A JWK set (RFC 7517 §5): {\"keys\": [...]}"),
    );
    doc.add(
        Get,
        JWKS_PATH,
        op("jwks", "The public keys ID tokens are signed with")
            .response("200", json("The key set", jwks)),
    );
    let claims = doc.schema::<PersonClaims>();
    for (method, id) in [(Get, "userinfoGet"), (Post, "userinfoPost")] {
        doc.add(
            method,
            USERINFO_PATH,
            op(
                id,
                "The signed-in person's claims (OpenID Connect Core §5.3)",
            )
            .parameter(header("Authorization", false, "Bearer <access token>"))
            .response(
                "200",
                json("The claims the granted scopes allow", claims.clone()),
            ),
        );
    }
}

/// The pages: HTML in every outcome.
fn pages(doc: &mut Doc) {
    doc.add_page(
        Get,
        rfc6749::VERIFICATION_PATH,
        op(
            "devicePage",
            "Where a person types a user code (RFC 8628 §3.3)",
        )
        .parameter(query("user_code")),
    );
    doc.add_page(
        Post,
        rfc6749::VERIFICATION_PATH,
        op("devicePageSubmit", "The verification page's forms").request_body(form(&[
            ("csrf", true),
            ("action", true),
            ("user_code", false),
            ("username", false),
            ("password", false),
            ("request", false),
        ])),
    );
    let mut authorize = op(
        "authorizePage",
        "The authorization endpoint (RFC 6749 §3.1)",
    );
    for name in AUTHORIZATION_PARAMETERS {
        authorize = authorize.parameter(query(name));
    }
    doc.add_page(Get, rfc6749::AUTHORIZE_PATH, authorize);
    doc.add_page(
        Post,
        rfc6749::AUTHORIZE_PATH,
        op(
            "authorizePageSubmit",
            "The authorization page's sign-in and consent forms",
        )
        .request_body(page_form()),
    );
    doc.add_page(
        Get,
        "/signin/{id}",
        op(
            "upstreamSignIn",
            "Starts signing in at an upstream identity provider",
        )
        .parameter(path_param("id", None))
        .parameter(query("return_to")),
    );
    doc.add_page(
        Get,
        "/signin/callback",
        op(
            "upstreamCallback",
            "Where the upstream identity provider sends the person back",
        )
        .parameter(query("code"))
        .parameter(query("state"))
        .parameter(query("error")),
    );
}
