//! OpenID Connect's endpoints: discovery and the JWK Set on the `metadata` function (no table
//! read), UserInfo on the `introspect` function (it reads tokens as introspection does).

use lambda_http::{Body, Request, Response};

use crate::config::{RegistrationPolicy, Settings};
use crate::dialect::{openid, rfc6749};
use crate::error::Error;
use crate::http::now;
use crate::usecases::openid as rules;
use crate::{Deps, oidc};

fn keys(settings: &Settings) -> Result<&oidc::SigningKeySet, Error> {
    settings.oidc.keys.as_deref().ok_or_else(|| {
        Error::NotFound("OpenID Connect is off: this deployment has no signing keys".into())
    })
}

pub async fn discovery(settings: &Settings, req: Request) -> Result<Response<Body>, Error> {
    keys(settings)?;
    let registration_open = settings.registration.policy != RegistrationPolicy::Disabled;
    Ok(openid::discovery_response(
        &rfc6749::base_url(&req, settings)?,
        registration_open,
    ))
}

pub async fn jwks(settings: &Settings, _req: Request) -> Result<Response<Body>, Error> {
    Ok(openid::jwks_response(keys(settings)?))
}

pub async fn userinfo(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    let token = openid::parse_userinfo(&req)?;
    let claims = rules::userinfo(&deps.store, &token, now()).await?;
    Ok(openid::userinfo_response(&claims))
}
