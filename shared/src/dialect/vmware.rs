//! VMware Identity Manager mobile registration (`/SAAS`): the register page (a query, answered
//! with a page or a 302), activation (the raw activation code as the whole body, answered with
//! JSON credentials), and the token endpoint (RFC 6749 forms and JSON, served by the `oauth2`
//! codec at [`TOKEN_PATH`]).

use lambda_http::{Body, Response};
use serde::Serialize;

use crate::http::json_response;
use crate::usecases::vmware::Activated;

pub const REGISTER_PATH: &str = "/SAAS/auth/device/register";
pub const ACTIVATE_PATH: &str = "/SAAS/API/1.0/REST/oauth2/activate";
pub const TOKEN_PATH: &str = "/SAAS/auth/oauthtoken";

/// The activated client's credentials.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct ActivationOut<'a> {
    client_id: &'a str,
    client_secret: &'a str,
}

/// `{"client_id", "client_secret"}`, shown once.
pub fn activation_response(activated: &Activated) -> Response<Body> {
    json_response(
        200,
        &ActivationOut {
            client_id: &activated.client_id,
            client_secret: &activated.client_secret,
        },
    )
}
