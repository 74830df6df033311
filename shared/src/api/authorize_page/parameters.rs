//! The authorization request's parameters by name: how one is read into the request, and the
//! pairs the request is written back as. Every page flow reads these, so they sit below them.

use crate::error::Error;
use crate::usecases::authorization_code::AuthorizationRequest;

pub(super) fn repeated(name: &str) -> Error {
    Error::invalid_request(format!("parameter {name} is repeated"))
}

pub(super) fn set_authorization_field(
    request: &mut AuthorizationRequest,
    name: &str,
    value: String,
) -> Result<bool, Error> {
    // `scopes` is the AWS CLI's `scope`.
    let slot = match name {
        "response_type" => &mut request.response_type,
        "client_id" => &mut request.client_id,
        "redirect_uri" => &mut request.redirect_uri,
        "scope" | "scopes" => &mut request.scope,
        "state" => &mut request.state,
        "code_challenge" => &mut request.code_challenge,
        "code_challenge_method" => &mut request.code_challenge_method,
        "nonce" => &mut request.nonce,
        "prompt" => &mut request.prompt,
        "max_age" => &mut request.max_age,
        "login_hint" => &mut request.login_hint,
        _ => return Ok(false),
    };
    if slot.replace(value).is_some() {
        return Err(repeated(name));
    }
    Ok(true)
}

pub(super) fn authorization_pairs(request: &AuthorizationRequest) -> Vec<(&'static str, &str)> {
    let values = [
        &request.response_type,
        &request.client_id,
        &request.redirect_uri,
        &request.scope,
        &request.state,
        &request.code_challenge,
        &request.code_challenge_method,
        &request.nonce,
        &request.prompt,
        &request.max_age,
        &request.login_hint,
    ];
    FIELDS
        .iter()
        .zip(values)
        .filter_map(|(name, value)| value.as_deref().map(|v| (*name, v)))
        .collect()
}

/// Every authorization request parameter the pages read (the OpenAPI document lists them).
pub(crate) const FIELDS: [&str; 11] = [
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
    "nonce",
    "prompt",
    "max_age",
    "login_hint",
];
