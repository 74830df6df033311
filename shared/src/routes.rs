//! The one route table: every (method, path) devicegate serves, the endpoint that answers it,
//! and the Lambda function that hosts it. Each function's router, `devicegate serve`-style local
//! servers and the tests are built from this table, and a test keeps it equal to `template.yaml`
//! (and to the `cargo lambda watch` router in Cargo.toml).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use axum::extract::{RawPathParams, State};
use axum::routing::{MethodFilter, on};
use lambda_http::{Body, Request, Response};

use crate::dialect::{Aws, Huawei, Paragon, Rfc6749, Rfc7591};
use crate::error::Error;
use crate::http::{self, ErrorShape};
use crate::{Deps, Settings, api};

pub mod unrouted;
use unrouted::Row;

/// The Lambda functions of `template.yaml`, one binary each under `functions/`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Function {
    Register,
    ClientRegistration,
    Token,
    Admin,
    DeviceRedirect,
    Metadata,
    Revoke,
    Introspect,
    Login,
}

impl Function {
    pub const ALL: [Function; 9] = [
        Function::Register,
        Function::ClientRegistration,
        Function::Token,
        Function::Admin,
        Function::DeviceRedirect,
        Function::Metadata,
        Function::Revoke,
        Function::Introspect,
        Function::Login,
    ];

    /// The binary's name, as in `functions/<name>` and the template's `BuildProperties.Binary`.
    pub fn name(self) -> &'static str {
        match self {
            Function::Register => "register",
            Function::ClientRegistration => "client-registration",
            Function::Token => "token",
            Function::Admin => "admin",
            Function::DeviceRedirect => "device-redirect",
            Function::Metadata => "metadata",
            Function::Revoke => "revoke",
            Function::Introspect => "introspect",
            Function::Login => "login",
        }
    }

    /// Whether the function keys HMACs with the server secret and must not start without it.
    pub fn needs_server_secret(self) -> bool {
        matches!(
            self,
            Function::Register | Function::DeviceRedirect | Function::Admin | Function::Login
        )
    }

    /// Whether the function reads or writes DynamoDB (the metadata document does not).
    pub fn uses_dynamodb(self) -> bool {
        self != Function::Metadata
    }
}

/// What every handler returns: a response, or an error for the route's [`ErrorShape`].
pub type Outcome = Result<Response<Body>, Error>;

/// A handler: the state it needs (`Deps`, or only `Settings` for a function that touches no
/// table) and the request as API Gateway delivered it.
pub type Handler<S> = fn(Arc<S>, Request) -> Pin<Box<dyn Future<Output = Outcome> + Send>>;

/// One row of a function's table.
pub struct Route<S> {
    pub method: &'static str,
    /// In API Gateway's (and axum's) syntax: `{name}` is one path segment.
    pub path: &'static str,
    pub shape: ErrorShape,
    pub handler: Handler<S>,
}

/// Each function's table references only its own handlers, so a function's binary links only
/// the code its routes reach (the metadata function, which reads no table, links no AWS SDK).
macro_rules! routes {
    ($state:ty: $($method:literal $path:literal $shape:ident => |$deps:ident, $req:ident| $body:expr;)+) => {
        &[$(Route::<$state> {
            method: $method,
            path: $path,
            shape: ErrorShape::$shape,
            handler: |$deps, $req| Box::pin(async move { $body.await }),
        }),+]
    };
}

pub const REGISTER: &[Route<Deps>] = routes![Deps:
    "POST" "/oauth/v1/register" OAuth => |d, r| api::register::paragon(&d, r);
    "POST" "/oauth2/device_authorization" OAuth => |d, r| api::register::device_authorization::<Rfc6749>(&d, r);
    "POST" "/v1/device/authorize" Huawei => |d, r| api::register::device_authorization::<Huawei>(&d, r);
    "POST" "/device_authorization" Aws => |d, r| api::register::device_authorization::<Aws>(&d, r);
];

pub const CLIENT_REGISTRATION: &[Route<Deps>] = routes![Deps:
    "POST" "/oauth2/register" OAuth => |d, r| api::client_registration::register::<Rfc7591>(&d, r);
    "GET" "/oauth2/register/{client_id}" OAuth => |d, r| api::client_registration::read(&d, r);
    "PUT" "/oauth2/register/{client_id}" OAuth => |d, r| api::client_registration::update(&d, r);
    "DELETE" "/oauth2/register/{client_id}" OAuth => |d, r| api::client_registration::delete(&d, r);
    "POST" "/v1/clients" Huawei => |d, r| api::client_registration::register::<Huawei>(&d, r);
    "POST" "/client/register" Aws => |d, r| api::client_registration::register::<Aws>(&d, r);
];

pub const TOKEN: &[Route<Deps>] = routes![Deps:
    "POST" "/oauth/v1/token" OAuth => |d, r| api::token::handle::<Paragon>(&d, r);
    "POST" "/oauth2/token" OAuth => |d, r| api::token::handle::<Rfc6749>(&d, r);
    "POST" "/v1/tokens" Huawei => |d, r| api::token::handle::<Huawei>(&d, r);
    "POST" "/token" Aws => |d, r| api::token::handle::<Aws>(&d, r);
    "POST" "/SAAS/auth/oauthtoken" OAuth => |d, r| api::token::handle::<Rfc6749>(&d, r);
];

pub const REVOKE: &[Route<Deps>] = routes![Deps:
    "POST" "/oauth2/revoke" OAuth => |d, r| api::revoke::handle(&d, r);
];

pub const INTROSPECT: &[Route<Deps>] = routes![Deps:
    "POST" "/oauth2/introspect" OAuth => |d, r| api::introspect::handle(&d, r);
    "GET" "/oauth2/userinfo" OAuth => |d, r| api::openid::userinfo(&d, r);
    "POST" "/oauth2/userinfo" OAuth => |d, r| api::openid::userinfo(&d, r);
];

pub const LOGIN: &[Route<Deps>] = routes![Deps:
    "POST" "/api/v1/login" OAuth => |d, r| api::login::login(&d, r);
    "GET" "/api/v1/me" OAuth => |d, r| api::login::me(&d, r);
];

/// The routes that answer a browser with pages (HTML, errors as error pages); every other route
/// is an API answering JSON. A request no route takes is answered in its path's family
/// ([`unrouted`]).
pub const PAGES: &[&str] = &[
    "/device",
    "/oauth2/authorize",
    "/authorize",
    "/SAAS/auth/device/register",
    "/signin/callback",
    "/signin/{id}",
    "/admin/console",
    "/admin/console/{section}",
];

/// Whether a route's path (as the tables write it) is a page's.
pub fn is_page(path: &str) -> bool {
    PAGES.contains(&path)
}

/// The routes API Gateway puts behind the `authorizer` function (template.yaml attaches it to
/// exactly these; `devicegate serve` applies it in front of them the same way).
pub const PROTECTED: &[(&str, &str)] = &[("GET", "/api/v1/me")];

pub const METADATA: &[Route<Settings>] = routes![Settings:
    "GET" "/.well-known/oauth-authorization-server" OAuth => |s, r| api::metadata::handle(&s, r);
    "GET" "/.well-known/openid-configuration" OAuth => |s, r| api::openid::discovery(&s, r);
    "GET" "/.well-known/jwks.json" OAuth => |s, r| api::openid::jwks(&s, r);
];

pub const DEVICE_REDIRECT: &[Route<Deps>] = routes![Deps:
    "GET" "/device" OAuth => |d, r| api::device_page::handle(&d, r);
    "POST" "/device" OAuth => |d, r| api::device_page::handle(&d, r);
    "GET" "/oauth2/authorize" OAuth => |d, r| api::authorize_page::oauth2(&d, r);
    "POST" "/oauth2/authorize" OAuth => |d, r| api::authorize_page::oauth2(&d, r);
    "GET" "/authorize" Aws => |d, r| api::authorize_page::aws(&d, r);
    "POST" "/authorize" Aws => |d, r| api::authorize_page::aws(&d, r);
    "GET" "/SAAS/auth/device/register" OAuth => |d, r| api::authorize_page::vmware(&d, r);
    "POST" "/SAAS/auth/device/register" OAuth => |d, r| api::authorize_page::vmware(&d, r);
    "GET" "/signin/callback" OAuth => |d, r| api::federation::callback(&d, r);
    "GET" "/signin/{id}" OAuth => |d, r| api::federation::start(&d, r);
    "POST" "/SAAS/API/1.0/REST/oauth2/activate" OAuth => |d, r| api::vmware::activate(&d, r);
];

/// The `admin` function's table: the JSON API behind the bearer admin key, which is checked
/// here, once, before any of its handlers runs; and the console, which signs in with a form
/// and keeps a session ([`api::console`] checks it).
macro_rules! admin_routes {
    (
        behind_admin_key: $($method:literal $path:literal => $handler:path;)+
        console: $($page_method:literal $page_path:literal => $page:path;)+
    ) => {
        &[
            $(Route::<Deps> {
                method: $method,
                path: $path,
                shape: ErrorShape::Admin,
                handler: |d, r| Box::pin(async move {
                    let key = api::admin::authenticated(&d, &r).await?;
                    let mut r = r;
                    r.extensions_mut().insert(crate::model::Actor::admin(&key.id));
                    $handler(&d, r).await
                }),
            },)+
            $(Route::<Deps> {
                method: $page_method,
                path: $page_path,
                shape: ErrorShape::Admin,
                handler: |d, r| Box::pin(async move { $page(&d, r).await }),
            },)+
        ]
    };
}

pub const ADMIN: &[Route<Deps>] = admin_routes![
    behind_admin_key:
    "GET" "/admin/audit" => api::admin::audit::list;
    "GET" "/admin/devices" => api::admin::devices::list;
    "POST" "/admin/devices/{client_id}/{action}" => api::admin::devices::act;
    "GET" "/admin/api-keys" => api::admin::api_keys::list;
    "POST" "/admin/api-keys" => api::admin::api_keys::create;
    "POST" "/admin/api-keys/{id}/{action}" => api::admin::api_keys::act;
    "GET" "/admin/clients" => api::admin::clients::list;
    "POST" "/admin/clients" => api::admin::clients::create;
    "POST" "/admin/clients/{client_id}/{action}" => api::admin::clients::act;
    "GET" "/admin/initial-access-tokens" => api::admin::initial_access_tokens::list;
    "POST" "/admin/initial-access-tokens" => api::admin::initial_access_tokens::create;
    "POST" "/admin/initial-access-tokens/{id}/{action}" => api::admin::initial_access_tokens::act;
    "GET" "/admin/users" => api::admin::users::list;
    "POST" "/admin/users" => api::admin::users::create;
    "GET" "/admin/users/{username}/limits" => api::admin::users::limits;
    "POST" "/admin/users/{username}/{action}" => api::admin::users::act;
    "GET" "/admin/templates" => api::admin::templates::list;
    "POST" "/admin/templates" => api::admin::templates::create;
    "POST" "/admin/templates/{id}/{action}" => api::admin::templates::act;
    "GET" "/admin/identity-providers" => api::admin::identity_providers::list;
    "POST" "/admin/identity-providers" => api::admin::identity_providers::create;
    "GET" "/admin/identity-providers/{id}" => api::admin::identity_providers::get;
    "PATCH" "/admin/identity-providers/{id}" => api::admin::identity_providers::update;
    "DELETE" "/admin/identity-providers/{id}" => api::admin::identity_providers::delete;
    console:
    "GET" "/admin/console" => api::console::handle;
    "POST" "/admin/console" => api::console::handle;
    "GET" "/admin/console/{section}" => api::console::handle;
    "POST" "/admin/console/{section}" => api::console::handle;
];

/// Every (function, method, path) served: the table a test holds equal to `template.yaml`.
pub fn table() -> Vec<(Function, &'static str, &'static str)> {
    fn rows<S>(
        function: Function,
        routes: &[Route<S>],
    ) -> Vec<(Function, &'static str, &'static str)> {
        routes
            .iter()
            .map(|r| (function, r.method, r.path))
            .collect()
    }
    [
        rows(Function::Register, REGISTER),
        rows(Function::ClientRegistration, CLIENT_REGISTRATION),
        rows(Function::Token, TOKEN),
        rows(Function::Admin, ADMIN),
        rows(Function::DeviceRedirect, DEVICE_REDIRECT),
        rows(Function::Metadata, METADATA),
        rows(Function::Revoke, REVOKE),
        rows(Function::Introspect, INTROSPECT),
        rows(Function::Login, LOGIN),
    ]
    .concat()
}

/// A function's router: exactly its routes, each wrapped in [`http::serve`] (request span,
/// summary log line, metrics, errors in the route's shape), and answers in the right shape to a
/// request none of them takes ([`unrouted`]).
pub fn router<S: Send + Sync + 'static>(
    routes: &'static [Route<S>],
    state: Arc<S>,
) -> axum::Router {
    let function = routes
        .first()
        .map_or(LOCAL_FUNCTION, |r| function_name(r.method, r.path));
    unrouted::with_fallbacks(routes_of(routes, state), rows(routes), function)
}

/// What the metrics of a request [`table`] does not route (locally: one no route takes, or
/// `devicegate serve`'s own `/health`) name as its function.
pub const LOCAL_FUNCTION: &str = "serve";

/// The function that hosts (method, path) in [`table`], by binary name.
fn function_name(method: &str, path: &str) -> &'static str {
    table()
        .into_iter()
        .find(|(_, m, p)| *m == method && *p == path)
        .map_or(LOCAL_FUNCTION, |(function, _, _)| function.name())
}

/// Every route of every function in one router, as a local server or a test serves them.
pub fn router_all(deps: Arc<Deps>) -> axum::Router {
    let settings = Arc::new(deps.settings.clone());
    let router = routes_of(REGISTER, deps.clone())
        .merge(routes_of(CLIENT_REGISTRATION, deps.clone()))
        .merge(routes_of(TOKEN, deps.clone()))
        .merge(routes_of(ADMIN, deps.clone()))
        .merge(routes_of(DEVICE_REDIRECT, deps.clone()))
        .merge(routes_of(REVOKE, deps.clone()))
        .merge(routes_of(INTROSPECT, deps.clone()))
        .merge(routes_of(LOGIN, deps))
        .merge(routes_of(METADATA, settings));
    let rows = [
        rows(REGISTER),
        rows(CLIENT_REGISTRATION),
        rows(TOKEN),
        rows(ADMIN),
        rows(DEVICE_REDIRECT),
        rows(REVOKE),
        rows(INTROSPECT),
        rows(LOGIN),
        rows(METADATA),
    ]
    .concat();
    unrouted::with_fallbacks(router, rows, LOCAL_FUNCTION)
}

fn rows<S>(routes: &[Route<S>]) -> Vec<Row> {
    routes
        .iter()
        .map(|r| Row {
            method: r.method,
            path: r.path,
            shape: r.shape,
        })
        .collect()
}

/// The routes, without fallbacks (axum merges routers only while at most one has them).
fn routes_of<S: Send + Sync + 'static>(routes: &'static [Route<S>], state: Arc<S>) -> axum::Router {
    let mut router = axum::Router::new();
    for route in routes {
        let (shape, handler) = (route.shape, route.handler);
        let site = http::Site {
            function: function_name(route.method, route.path),
            route: route.path,
        };
        let serve = move |State(state): State<Arc<S>>,
                          params: RawPathParams,
                          req: axum::extract::Request| async move {
            let req = http::from_axum(req, &params).await;
            http::into_axum(http::serve(req, site, shape, |r| handler(state, r)).await)
        };
        router = router.route(route.path, on(method_filter(route.method), serve));
    }
    router.with_state(state)
}

fn method_filter(method: &str) -> MethodFilter {
    match method {
        "GET" => MethodFilter::GET,
        "PUT" => MethodFilter::PUT,
        "DELETE" => MethodFilter::DELETE,
        "PATCH" => MethodFilter::PATCH,
        _ => MethodFilter::POST,
    }
}

#[cfg(test)]
mod tests;
