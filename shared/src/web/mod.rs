//! What every page shares: HTML responses with their security headers, cookies (`__Host-`
//! names over HTTPS, `Path=/`), CSRF tokens bound to a cookie, a return path that cannot leave
//! the site, and the pages themselves ([`pages`], rendered with maud). The verification page
//! and the admin console ([`console`]) use it; every page to come (sign-in and consent) builds
//! on it.

pub mod console;
pub mod pages;

use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Request, Response};

use crate::error::Error;
use crate::http::ErrorShape;
use crate::secrets::ServerSecret;
use crate::secrets::random_bytes;
use crate::usercode::keyed_hash;

/// Cookie names. Over HTTPS they carry the `__Host-` prefix (RFC 6265bis §4.1.3.2): the browser
/// then accepts them only with `Secure`, `Path=/` and no `Domain`, so no sibling subdomain can
/// set or shadow them. Plain HTTP on loopback (local runs) cannot carry the prefix.
pub const SESSION_COOKIE: [&str; 2] = ["__Host-dg_session", "dg_session"];
pub const PRE_COOKIE: [&str; 2] = ["__Host-dg_pre", "dg_pre"];
/// The admin console's sign-in: the admin key itself, sent back only to this site.
pub const ADMIN_COOKIE: [&str; 2] = ["__Host-dg_admin", "dg_admin"];

pub fn cookie_name(names: [&'static str; 2], secure: bool) -> &'static str {
    if secure { names[0] } else { names[1] }
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, `Path=/`, Secure over HTTPS.
pub fn cookie(name: &'static str, value: &str, max_age: i64, secure: bool) -> String {
    cookie::Cookie::build((name, value.to_owned()))
        .path("/")
        .max_age(cookie::time::Duration::seconds(max_age))
        .http_only(true)
        .same_site(cookie::SameSite::Lax)
        .secure(secure)
        .build()
        .to_string()
}

/// The CSRF token of a form rendered for `cookie`: an HMAC under the server secret, which a
/// forged form cannot know.
pub fn csrf_for(secret: &ServerSecret, cookie: &str) -> String {
    keyed_hash(secret, "csrf", cookie.as_bytes())
}

/// Where to send a person after signing in: a path on this site, never another origin (no
/// scheme, no `//host`, no backslash tricks).
pub fn safe_return_path(path: &str) -> Option<&str> {
    let ok = path.starts_with('/')
        && !path.starts_with("//")
        && !path.contains('\\')
        && !path.chars().any(|c| c.is_control() || c.is_whitespace())
        && path.len() <= 2048;
    ok.then_some(path)
}

/// The status a page answers an error with.
pub fn status_of(error: &Error) -> StatusCode {
    StatusCode::from_u16(ErrorShape::OAuth.wire(error).0).unwrap_or(StatusCode::BAD_REQUEST)
}

/// A new random cookie value (256 bits from the OS generator).
pub fn new_cookie_value() -> Result<String, Error> {
    use base64::Engine;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes::<32>()?))
}

/// The pre-session cookie a sign-in form's CSRF token is bound to: the browser's own, or a new
/// one with the `Set-Cookie` value that gives it to the browser.
pub fn pre_session(
    sent: Option<&str>,
    max_age: i64,
    secure: bool,
) -> Result<(String, Option<String>), Error> {
    match sent {
        Some(pre) => Ok((pre.to_owned(), None)),
        None => {
            let pre = new_cookie_value()?;
            let set = cookie(cookie_name(PRE_COOKIE, secure), &pre, max_age, secure);
            Ok((pre, Some(set)))
        }
    }
}

/// A page's outcome, its errors made into an error page (logged when internal) that links to
/// `start`: a page never answers in JSON.
pub fn or_failure_page(
    outcome: Result<Response<Body>, Error>,
    start: Option<&str>,
) -> Response<Body> {
    match outcome {
        Ok(response) => response,
        Err(Error::Internal(cause)) => {
            tracing::error!(%cause, page = start, "internal error on a page");
            html(
                StatusCode::INTERNAL_SERVER_ERROR,
                pages::failure(
                    "The service had a problem. Please try again in a moment.",
                    start,
                ),
            )
        }
        Err(other) => html(
            status_of(&other),
            pages::failure(&other.description(), start),
        ),
    }
}

/// The `Cookie` header(s), read leniently (by the `cookie` crate): malformed pairs are skipped.
pub struct Cookies(Vec<(String, String)>);

impl Cookies {
    pub fn read(req: &Request, session_cookie: &str) -> Result<Cookies, Error> {
        let mut pairs = Vec::new();
        for value in req.headers().get_all(header::COOKIE) {
            let Ok(text) = value.to_str() else { continue };
            for cookie in cookie::Cookie::split_parse(text).flatten() {
                pairs.push((cookie.name().to_owned(), cookie.value().to_owned()));
            }
        }
        // The session cookie may be sent only once; two is a sign of cookie tossing.
        if pairs.iter().filter(|(n, _)| n == session_cookie).count() > 1 {
            return Err(Error::invalid_request("the session cookie was sent twice"));
        }
        Ok(Cookies(pairs))
    }

    pub fn get(&self, name: &str) -> Option<String> {
        self.0
            .iter()
            .find(|(n, v)| n == name && !v.is_empty() && v.len() <= 128)
            .map(|(_, v)| v.clone())
    }
}

/// An HTML response no one may cache, frame, sniff or be referred from.
pub fn html(status: StatusCode, body: String) -> Response<Body> {
    let mut response = Response::new(Body::Text(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(csp) = HeaderValue::from_str(&pages::content_security_policy()) {
        headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

/// 303 See Other, so a reload after a POST does not resubmit it.
pub fn redirect(location: &str) -> Response<Body> {
    let mut response = html(StatusCode::SEE_OTHER, String::new());
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

pub fn set_cookie(response: &mut Response<Body>, cookie: &str) {
    if let Ok(value) = HeaderValue::from_str(cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn return_paths_stay_on_the_site() {
        assert_eq!(
            safe_return_path("/device?user_code=BCDF-GHJK"),
            Some("/device?user_code=BCDF-GHJK")
        );
        for bad in [
            "https://evil.example/",
            "//evil.example/",
            "/\\evil.example",
            "device",
            "/a b",
            "",
        ] {
            assert_eq!(safe_return_path(bad), None, "{bad}");
        }
    }
}
