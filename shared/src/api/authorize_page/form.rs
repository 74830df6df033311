//! The request as it travels through the forms, and the answers sent back to the client.

use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Response};

use super::flows::Flow;
use crate::error::Error;
use crate::http::ErrorShape;
use crate::usecases::authorization_code::Refusal;
use crate::web::{html, pages};

/// Reads a request from name/value pairs (a query string or the re-posted form): every
/// parameter at most once (RFC 6749 §3.1), unknown ones ignored.
pub(super) fn read_request<'a, F: Flow>(
    pairs: impl Iterator<Item = (std::borrow::Cow<'a, str>, std::borrow::Cow<'a, str>)>,
) -> Result<F::Request, Error> {
    let mut request = F::Request::default();
    for (name, value) in pairs {
        F::set(&mut request, &name, value.into_owned())?;
    }
    Ok(request)
}

/// The request as the forms carry it: a query string of exactly the fields read.
pub(super) fn encode_request<F: Flow>(request: &F::Request) -> String {
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in F::pairs(request) {
        out.append_pair(name, value);
    }
    out.finish()
}

/// A 302 to the client's redirect URI with `params` and the issuer (RFC 9207) added to its query.
pub(super) fn back_to_client(
    redirect_uri: &str,
    params: &[(&str, &str)],
    issuer: &str,
) -> Response<Body> {
    let location = match url::Url::parse(redirect_uri) {
        Ok(mut url) => {
            {
                let mut query = url.query_pairs_mut();
                for (name, value) in params {
                    query.append_pair(name, value);
                }
                query.append_pair("iss", issuer);
            }
            url.to_string()
        }
        // Only registered URIs get here, and those parse.
        Err(_) => redirect_uri.to_owned(),
    };
    let mut response = html(StatusCode::FOUND, String::new());
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// The consent form's answer is a redirect to the client, and browsers hold redirects after a
/// form to the page's `form-action` too: the consent page allows exactly the client's origin
/// (or, for a private-use scheme, that scheme) besides its own.
pub(super) fn allow_form_redirect_to(response: &mut Response<Body>, redirect_uri: &str) {
    let Ok(url) = url::Url::parse(redirect_uri) else {
        return;
    };
    let target = match url.origin() {
        url::Origin::Tuple(scheme, host, port) => format!("{scheme}://{host}:{port}"),
        url::Origin::Opaque(_) => format!("{}:", url.scheme()),
    };
    let csp = pages::content_security_policy().replace(
        "form-action 'self'",
        &format!("form-action 'self' {target}"),
    );
    if let Ok(value) = HeaderValue::from_str(&csp) {
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, value);
    }
}

pub(super) fn refusal_response(refusal: Refusal, issuer: &str) -> Result<Response<Body>, Error> {
    match refusal {
        Refusal::Page(error) => Err(error),
        Refusal::Redirect {
            redirect_uri,
            state,
            error,
        } => {
            let (_, code) = ErrorShape::OAuth.wire(&error);
            let description = error.description();
            let mut params = vec![("error", code), ("error_description", description.as_str())];
            if let Some(state) = state.as_deref() {
                params.push(("state", state));
            }
            Ok(back_to_client(&redirect_uri, &params, issuer))
        }
    }
}
