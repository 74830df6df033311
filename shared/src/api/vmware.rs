//! VMware activation, `POST /SAAS/API/1.0/REST/oauth2/activate` (on the `device-redirect`
//! function, beside the register page whose approval it completes). The body is the raw
//! activation code, whatever the content type says.

use lambda_http::{Body, Request, Response};

use crate::Deps;
use crate::dialect::vmware;
use crate::error::Error;
use crate::http::{now, raw_body};
use crate::usecases::vmware::activate as activate_registration;

pub async fn activate(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    let origin = crate::api::audit_origin(&req, "vmware");
    let activated = activate_registration(&deps.store, raw_body(&req), &origin, now()).await?;
    Ok(vmware::activation_response(&activated))
}
