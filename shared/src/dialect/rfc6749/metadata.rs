//! RFC 8414 authorization server metadata, and the base URL every document and link names.

use lambda_http::http::header;
use lambda_http::{Body, Request, Response};

use super::*;
use crate::config::Settings;
use crate::error::Error;
use crate::http::{json_response, single_header};

/// RFC 8414 §2: exactly what this deployment serves (`registration_endpoint` only while
/// registration is not disabled).
pub fn metadata_response(base_url: &str, registration_open: bool) -> Response<Body> {
    let methods = ["client_secret_basic", "client_secret_post", "none"];
    let mut document = serde_json::json!({
            "issuer": base_url,
            "device_authorization_endpoint": format!("{base_url}{DEVICE_AUTHORIZATION_PATH}"),
            "token_endpoint": format!("{base_url}{TOKEN_PATH}"),
            "revocation_endpoint": format!("{base_url}{REVOKE_PATH}"),
            "introspection_endpoint": format!("{base_url}{INTROSPECT_PATH}"),
            "authorization_endpoint": format!("{base_url}{AUTHORIZE_PATH}"),
            "grant_types_supported": ["authorization_code", DEVICE_CODE_GRANT, "refresh_token"],
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "code_challenge_methods_supported": ["S256"],
            "authorization_response_iss_parameter_supported": true,
            "token_endpoint_auth_methods_supported": methods,
            "revocation_endpoint_auth_methods_supported": methods,
            "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
    });
    if registration_open && let Some(fields) = document.as_object_mut() {
        fields.insert(
            "registration_endpoint".into(),
            format!("{base_url}{}", crate::dialect::rfc7591::REGISTER_PATH).into(),
        );
    }
    let mut response = json_response(200, &document);
    // Public and the same for everyone: caches may keep it for a while.
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("public, max-age=300"),
    );
    response.headers_mut().remove(header::PRAGMA);
    response
}

/// The public base URL: `ISSUER` when set. Without one (local runs only: a deployed stack must
/// name its issuer), the request's `Host` is used, and only a loopback host: anyone can send
/// any `Host`, and a verification URI or an `iss` must never point where a client says.
pub fn base_url(req: &Request, settings: &Settings) -> Result<String, Error> {
    if let Some(issuer) = &settings.issuer {
        return Ok(issuer.clone());
    }
    let host = single_header(req, header::HOST.as_str())?
        .map(str::to_owned)
        .or_else(|| req.uri().authority().map(|a| a.to_string()))
        .ok_or_else(|| Error::invalid_request("the request has no Host header"))?;
    if !host
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'))
    {
        return Err(Error::invalid_request("the Host header is malformed"));
    }
    let hostname = match host.rsplit_once(':') {
        Some((h, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => host.as_str(),
    };
    if !matches!(hostname, "127.0.0.1" | "localhost" | "[::1]") {
        return Err(Error::internal(
            "ISSUER is not set, and a non-loopback Host cannot stand in for it",
        ));
    }
    Ok(format!("http://{host}"))
}
