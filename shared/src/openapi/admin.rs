//! The admin API (bearer admin key) and the console pages.

use utoipa::openapi::path::HttpMethod::{Delete, Get, Patch, Post};
use utoipa::openapi::path::OperationBuilder;
use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Schema, Type};

use super::builder::{Doc, bearer, empty, form, json, json_body, list_of, op, path_param, query};
use crate::api::admin::audit::AuditEventView;
use crate::api::admin::identity_providers::IdentityProviderView;
use crate::api::admin::requests::{
    ApiKeySettingsBody, LinkBody, LoginIdsBody, NewApiKeyBody, NewClientBody,
    NewInitialAccessTokenBody, NewTemplateBody, NewUserBody, PasswordBody,
};
use crate::api::admin::views::{
    ApiKeyView, ClientView, DeviceView, InitialAccessTokenView, TemplateView, UserView,
};
use crate::http::ErrorShape;
use crate::usecases::admin::{IdentityProviderChanges, LimitState, NewIdentityProvider};

const KEY: &str = "adminKey";

fn admin(id: &str, summary: &str) -> OperationBuilder {
    op(id, summary).security(bearer(KEY))
}

pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = Doc::new(ErrorShape::Admin);
    doc.bearer_scheme(
        KEY,
        "An admin key (dgk_admin_...), from `devicegate bootstrap` or serve's first run",
    );
    audit(&mut doc);
    devices(&mut doc);
    api_keys(&mut doc);
    clients(&mut doc);
    initial_access_tokens(&mut doc);
    users(&mut doc);
    templates(&mut doc);
    identity_providers(&mut doc);
    console(&mut doc);
    doc.build(
        "devicegate: admin API",
        "JSON behind `Authorization: Bearer <admin key>`; errors as {error, error_description}.",
    )
}

fn audit(doc: &mut Doc) {
    let event = doc.schema::<AuditEventView>();
    let page = doc.named(
        "AuditPage",
        ObjectBuilder::new()
            .schema_type(Type::Object)
            .property(
                "events",
                utoipa::openapi::schema::ArrayBuilder::new().items(event),
            )
            .property(
                "next_cursor",
                ObjectBuilder::new().schema_type(utoipa::openapi::schema::SchemaType::from_iter([
                    Type::String,
                    Type::Null,
                ])),
            )
            .required("events"),
    );
    let mut list = admin("listAudit", "Audit records, newest first, filtered");
    for name in [
        "subject", "actor", "type", "since", "until", "cursor", "limit",
    ] {
        list = list.parameter(query(name));
    }
    doc.add(
        Get,
        "/admin/audit",
        list.response("200", json("A page of records", page)),
    );
}

fn devices(doc: &mut Doc) {
    let device = doc.schema::<DeviceView>();
    let list = doc.named("DeviceList", list_of("devices", device.clone()));
    doc.add(
        Get,
        "/admin/devices",
        admin("listDevices", "Devices by status (default pending)")
            .parameter(query("status"))
            .response("200", json("The devices", list)),
    );
    doc.add(
        Post,
        "/admin/devices/{client_id}/{action}",
        admin("actOnDevice", "Approves, denies or revokes a device")
            .parameter(path_param("client_id", None))
            .parameter(path_param("action", Some(&["approve", "deny", "revoke"])))
            .response("200", json("The device", device)),
    );
}

fn api_keys(doc: &mut Doc) {
    let key = doc.schema::<ApiKeyView>();
    let list = doc.named("ApiKeyList", list_of("api_keys", key.clone()));
    doc.add(
        Get,
        "/admin/api-keys",
        admin("listApiKeys", "Every API key").response("200", json("The keys", list)),
    );
    let body = doc.schema::<NewApiKeyBody>();
    doc.add(
        Post,
        "/admin/api-keys",
        admin(
            "createApiKey",
            "Creates an API key (its value is in this answer only)",
        )
        .request_body(json_body(body))
        .response("201", json("The key", key.clone())),
    );
    let settings = doc.schema::<ApiKeySettingsBody>();
    doc.add(
        Post,
        "/admin/api-keys/{id}/{action}",
        admin(
            "actOnApiKey",
            "Disables a key, or changes its settings (only the fields sent)",
        )
        .parameter(path_param("id", None))
        .parameter(path_param("action", Some(&["disable", "settings"])))
        .request_body(optional_json(settings))
        .response("200", json("The key", key)),
    );
}

fn clients(doc: &mut Doc) {
    let client = doc.schema::<ClientView>();
    let list = doc.named("ClientList", list_of("clients", client.clone()));
    doc.add(
        Get,
        "/admin/clients",
        admin("listClients", "Every client, or a user's app instances")
            .parameter(query("username"))
            .response("200", json("The clients", list)),
    );
    let body = doc.schema::<NewClientBody>();
    doc.add(
        Post,
        "/admin/clients",
        admin(
            "createClient",
            "Creates a client (a confidential one's secret is in this answer only)",
        )
        .request_body(json_body(body))
        .response("201", json("The client", client.clone())),
    );
    doc.add(
        Post,
        "/admin/clients/{client_id}/{action}",
        admin(
            "actOnClient",
            "Disables a client, or deletes a self-registered one",
        )
        .parameter(path_param("client_id", None))
        .parameter(path_param("action", Some(&["disable", "delete"])))
        .response("200", json("The client", client)),
    );
}

fn initial_access_tokens(doc: &mut Doc) {
    let token = doc.schema::<InitialAccessTokenView>();
    let list = doc.named(
        "InitialAccessTokenList",
        list_of("initial_access_tokens", token.clone()),
    );
    doc.add(
        Get,
        "/admin/initial-access-tokens",
        admin(
            "listInitialAccessTokens",
            "Every initial access token (RFC 7591 §3)",
        )
        .response("200", json("The tokens", list)),
    );
    let body = doc.schema::<NewInitialAccessTokenBody>();
    doc.add(
        Post,
        "/admin/initial-access-tokens",
        admin(
            "createInitialAccessToken",
            "Issues one (its value is in this answer only)",
        )
        .request_body(json_body(body))
        .response("201", json("The token", token.clone())),
    );
    doc.add(
        Post,
        "/admin/initial-access-tokens/{id}/{action}",
        admin("actOnInitialAccessToken", "Disables one")
            .parameter(path_param("id", None))
            .parameter(path_param("action", Some(&["disable"])))
            .response("200", json("The token", token)),
    );
}

fn users(doc: &mut Doc) {
    let user = doc.schema::<UserView>();
    let list = doc.named("UserList", list_of("users", user.clone()));
    doc.add(
        Get,
        "/admin/users",
        admin("listUsers", "Every user").response("200", json("The users", list)),
    );
    let body = doc.schema::<NewUserBody>();
    doc.add(
        Post,
        "/admin/users",
        admin("createUser", "Creates a user")
            .request_body(json_body(body))
            .response("201", json("The user", user.clone())),
    );
    let limit = doc.schema::<LimitState>();
    let limits = doc.named("LimitList", list_of("limits", limit));
    doc.add(
        Get,
        "/admin/users/{username}/limits",
        admin(
            "userLimits",
            "The user's guessing limits (and an address's) as they stand",
        )
        .parameter(path_param("username", None))
        .parameter(query("source"))
        .response("200", json("The limits", limits.clone())),
    );
    let bodies = [
        doc.schema::<PasswordBody>(),
        doc.schema::<LoginIdsBody>(),
        doc.schema::<LinkBody>(),
    ];
    let mut one_of = OneOfBuilder::new();
    for body in bodies {
        one_of = one_of.item(body);
    }
    let either = doc.named("UserOrLimits", OneOfBuilder::new().item(user).item(limits));
    doc.add(
        Post,
        "/admin/users/{username}/{action}",
        admin(
            "actOnUser",
            "Disables a user, sets login ids, links an upstream account, resets the password, \
             or lifts the guessing limits (unlock, answered as limits is)",
        )
        .parameter(path_param("username", None))
        .parameter(path_param(
            "action",
            Some(&["disable", "login-ids", "link", "password", "unlock"]),
        ))
        .parameter(query("source"))
        .request_body(optional_json(Schema::OneOf(one_of.build()).into()))
        .response("200", json("The user, or for unlock the limits", either)),
    );
}

fn templates(doc: &mut Doc) {
    let template = doc.schema::<TemplateView>();
    let list = doc.named("TemplateList", list_of("templates", template.clone()));
    doc.add(
        Get,
        "/admin/templates",
        admin("listTemplates", "Every VMware registration template")
            .response("200", json("The templates", list)),
    );
    let body = doc.schema::<NewTemplateBody>();
    doc.add(
        Post,
        "/admin/templates",
        admin("createTemplate", "Creates a template")
            .request_body(json_body(body))
            .response("201", json("The template", template.clone())),
    );
    doc.add(
        Post,
        "/admin/templates/{id}/{action}",
        admin("actOnTemplate", "Disables a template")
            .parameter(path_param("id", None))
            .parameter(path_param("action", Some(&["disable"])))
            .response("200", json("The template", template)),
    );
}

fn identity_providers(doc: &mut Doc) {
    let provider = doc.schema::<IdentityProviderView>();
    let list = doc.named(
        "IdentityProviderList",
        list_of("identity_providers", provider.clone()),
    );
    doc.add(
        Get,
        "/admin/identity-providers",
        admin("listIdentityProviders", "Every upstream OpenID Provider")
            .response("200", json("The providers", list)),
    );
    let body = doc.schema::<NewIdentityProvider>();
    doc.add(
        Post,
        "/admin/identity-providers",
        admin(
            "createIdentityProvider",
            "Adds a provider (its discovery document is checked)",
        )
        .request_body(json_body(body))
        .response("201", json("The provider", provider.clone())),
    );
    let by_id = |id: &str, summary: &str| admin(id, summary).parameter(path_param("id", None));
    doc.add(
        Get,
        "/admin/identity-providers/{id}",
        by_id("getIdentityProvider", "One provider")
            .response("200", json("The provider", provider.clone())),
    );
    let changes = doc.schema::<IdentityProviderChanges>();
    doc.add(
        Patch,
        "/admin/identity-providers/{id}",
        by_id(
            "updateIdentityProvider",
            "Changes a provider (only the fields sent)",
        )
        .request_body(json_body(changes))
        .response("200", json("The provider", provider)),
    );
    doc.add(
        Delete,
        "/admin/identity-providers/{id}",
        by_id("deleteIdentityProvider", "Deletes a provider").response("204", empty("Deleted")),
    );
}

/// The console: pages behind a signed-in session (cookie), forms with a CSRF token.
fn console(doc: &mut Doc) {
    let section = || path_param("section", None);
    doc.add_page(
        Get,
        "/admin/console",
        op("console", "The console's sign-in or start page"),
    );
    doc.add_page(
        Post,
        "/admin/console",
        op("consoleSignIn", "Signs in with an admin key, or signs out").request_body(form(&[
            ("csrf", true),
            ("admin_key", false),
            ("action", false),
        ])),
    );
    doc.add_page(
        Get,
        "/admin/console/{section}",
        op(
            "consoleSection",
            "A section: devices, API keys, clients, users, audit...",
        )
        .parameter(section()),
    );
    doc.add_page(
        Post,
        "/admin/console/{section}",
        op(
            "consoleAction",
            "A section's forms (each with its CSRF token)",
        )
        .parameter(section())
        .request_body(form(&[("csrf", true), ("action", true)])),
    );
}

/// A JSON body some actions read and the others ignore.
fn optional_json(
    schema: utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
) -> Option<utoipa::openapi::request_body::RequestBody> {
    json_body(schema).map(|mut body| {
        body.required = Some(utoipa::openapi::Required::False);
        body
    })
}
