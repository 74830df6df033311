//! The `client-registration` function: `POST /oauth2/register` (RFC 7591), its management
//! routes `GET|PUT|DELETE /oauth2/register/{client_id}` (RFC 7592), `POST /v1/clients`
//! (huawei) and `POST /client/register` (aws).

use lambda_http::{Body, Request, Response};

use crate::Deps;
use crate::dialect::rfc7591::{self, Rfc7591};
use crate::dialect::{ClientRegistrationCodec, rfc6749};
use crate::error::Error;
use crate::http::{now, path_param};
use crate::usecases::client_registration::{self, ClientMetadata, Registered};

/// Registers a client in the route's dialect: `register::<Rfc7591>` at `POST /oauth2/register`.
pub async fn register<C: ClientRegistrationCodec>(
    deps: &Deps,
    req: Request,
) -> Result<Response<Body>, Error> {
    let metadata = ClientMetadata::new(C::parse(&req)?, &C::DEFAULTS)?;
    let base_url = rfc6749::base_url(&req, &deps.settings)?;
    let registered = client_registration::register(
        &deps.store,
        &deps.settings,
        C::ORIGIN,
        metadata,
        rfc7591::bearer(&req)?,
        &crate::api::audit_origin(&req, C::ORIGIN.as_str()),
        now(),
    )
    .await?;
    Ok(C::render(&registered, &base_url))
}

/// `GET /oauth2/register/{client_id}` (RFC 7592 §2.1).
pub async fn read(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    let client_id = path_param(&req, "client_id")?;
    let base_url = rfc6749::base_url(&req, &deps.settings)?;
    let client =
        client_registration::read(&deps.store, &client_id, rfc7591::bearer(&req)?, now()).await?;
    let shown = Registered {
        client,
        client_secret: None,
        registration_access_token: None,
    };
    Ok(rfc7591::client_information(200, &shown, &base_url))
}

/// `PUT /oauth2/register/{client_id}` (RFC 7592 §2.2).
pub async fn update(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    let client_id = path_param(&req, "client_id")?;
    let base_url = rfc6749::base_url(&req, &deps.settings)?;
    let bearer = rfc7591::bearer(&req)?;
    // The token is checked before the body is judged: a stranger learns nothing from errors.
    let current = client_registration::read(&deps.store, &client_id, bearer, now()).await?;
    let metadata =
        ClientMetadata::new(rfc7591::parse_update(&req, &client_id)?, &Rfc7591::DEFAULTS)?;
    let origin = crate::api::audit_origin(&req, "rfc7591");
    let updated = client_registration::update(
        &deps.store,
        &deps.settings,
        current,
        metadata,
        &origin,
        now(),
    )
    .await?;
    Ok(rfc7591::client_information(200, &updated, &base_url))
}

/// `DELETE /oauth2/register/{client_id}` (RFC 7592 §2.3): 204.
pub async fn delete(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    let client_id = path_param(&req, "client_id")?;
    client_registration::delete(
        &deps.store,
        &client_id,
        rfc7591::bearer(&req)?,
        &crate::api::audit_origin(&req, "rfc7591"),
        now(),
    )
    .await?;
    let mut response = Response::new(Body::Empty);
    *response.status_mut() = lambda_http::http::StatusCode::NO_CONTENT;
    Ok(response)
}
