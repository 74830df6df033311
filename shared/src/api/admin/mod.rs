//! The `admin` function's JSON API under `/admin`, one module per resource. The route table
//! ([`crate::routes::ADMIN`]) runs [`authenticated`] in front of every handler here, so no
//! handler checks the admin key itself. Handlers only translate: they read the path, query and
//! body ([`requests`]), call the one admin use case ([`crate::usecases::admin`]) and answer with
//! its [`views`]. The console ([`crate::api::console`]) is the same use cases behind pages.

pub mod api_keys;
pub mod audit;
pub mod clients;
pub mod devices;
pub mod identity_providers;
pub mod initial_access_tokens;
pub mod requests;
pub mod templates;
pub mod users;
pub mod views;

use lambda_http::http::header;
use lambda_http::{Body, Request, RequestExt, Response};

use crate::Deps;
use crate::error::Error;
use crate::http::single_header;
use crate::model::AdminKey;
use crate::usecases::admin;

pub(crate) use crate::http::path_param as param;

type Reply = Result<Response<Body>, Error>;

/// The admin API's one check: `Authorization: Bearer <admin key>`, or 401.
pub async fn authenticated(deps: &Deps, req: &Request) -> Result<AdminKey, Error> {
    let bearer = single_header(req, header::AUTHORIZATION.as_str())?
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    admin::authenticate(&deps.store, bearer).await
}

/// An action the route's resource does not have: 404, naming at most 32 characters of it.
pub(crate) fn unknown_action(action: &str) -> Error {
    Error::NotFound(format!(
        "no action {}",
        action.chars().take(32).collect::<String>()
    ))
}

fn query_param(req: &Request, name: &str) -> Option<String> {
    req.query_string_parameters_ref()
        .and_then(|q| q.first(name))
        .map(str::to_owned)
}
