//! The `register` function: device registration `POST /oauth/v1/register` (paragon) and device
//! authorization `POST /oauth2/device_authorization` (oauth2).

use lambda_http::{Body, Request, Response};

use crate::Deps;
use crate::dialect::{DeviceAuthorizationCodec, paragon, rfc6749};
use crate::error::Error;
use crate::http::now;
use crate::model::StartedFrom;
use crate::usecases::device_grant::start_device_authorization;
use crate::usecases::device_trust::register;

/// `POST /oauth/v1/register`.
pub async fn paragon(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    let (form, signed) = paragon::read_request(&req)?;
    let request = paragon::parse_register(&form)?;
    let origin = crate::api::audit_origin(&req, "paragon");
    let registration =
        register(&deps.store, &deps.settings, request, signed, &origin, now()).await?;
    Ok(paragon::registration_response(&registration))
}

/// Device authorization (RFC 8628 §3.1) in the route's dialect: `handle::<Rfc6749>` at
/// `POST /oauth2/device_authorization`.
pub async fn device_authorization<C: DeviceAuthorizationCodec>(
    deps: &Deps,
    req: Request,
) -> Result<Response<Body>, Error> {
    let request = C::parse(&req)?;
    let base_url = rfc6749::base_url(&req, &deps.settings)?;
    let from = started_from(&req);
    let origin = crate::api::audit_origin(&req, C::DIALECT);
    let started =
        start_device_authorization(&deps.store, &deps.settings, &request, from, &origin, now())
            .await?;
    Ok(C::render(&started, &base_url))
}

/// The request's address, and its country when the CDN in front of API Gateway says (an ISO
/// 3166 code in `CloudFront-Viewer-Country` or Cloudflare's `CF-IPCountry`; anything else is
/// ignored).
fn started_from(req: &Request) -> Option<StartedFrom> {
    let ip = crate::http::source_address(req);
    if ip == "unknown" {
        return None;
    }
    let country = ["cloudfront-viewer-country", "cf-ipcountry"]
        .iter()
        .filter_map(|name| req.headers().get(*name)?.to_str().ok())
        .map(str::trim)
        .find(|code| {
            code.len() == 2 && *code != "XX" && code.bytes().all(|b| b.is_ascii_uppercase())
        })
        .map(str::to_owned);
    Some(StartedFrom { ip, country })
}
