//! The `device-redirect` function's verification page, `GET/POST /device` (RFC 8628 §3.3).
//!
//! - Sessions: a random cookie (`dg_session`, HttpOnly, SameSite=Lax, Secure outside local runs)
//!   whose SHA-256 is the key of a session item with a TTL.
//! - CSRF: every form carries an HMAC, under the server secret, of the cookie it is bound to (the
//!   session cookie, or before sign-in a random `dg_pre` cookie). A forged form cannot know it.
//! - A GET never looks a code up: `verification_uri_complete` only fills the form in, so a link
//!   cannot spend a user's wrong-code allowance or act without a click.

use lambda_http::http::{HeaderValue, Method, StatusCode, header};
use lambda_http::{Body, Request, RequestExt, Response};

use crate::Deps;
use crate::config::ServerSecret;
use crate::error::Error;
use crate::http::{ErrorShape, Form, now};
use crate::model::Session;
use crate::page;
use crate::secrets::{hashes_match, random_bytes};
use crate::storage::PageDecision;
use crate::usecases::verification::{self, SESSION_TTL};
use crate::usercode::keyed_hash;

pub const PATH: &str = "/device";
/// Cookie names. Over HTTPS they carry the `__Host-` prefix (RFC 6265bis §4.1.3.2): the browser
/// then accepts them only with `Secure`, `Path=/` and no `Domain`, so no sibling subdomain can
/// set or shadow them. Plain HTTP on loopback (local runs) cannot carry the prefix.
const SESSION_COOKIE: [&str; 2] = ["__Host-dg_session", "dg_session"];
const PRE_COOKIE: [&str; 2] = ["__Host-dg_pre", "dg_pre"];

fn cookie_name(names: [&'static str; 2], secure: bool) -> &'static str {
    if secure { names[0] } else { names[1] }
}

pub async fn handle(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    match respond(deps, &req).await {
        Ok(response) => Ok(response),
        Err(Error::Internal(cause)) => {
            tracing::error!(%cause, "internal error on the verification page");
            Ok(html(
                StatusCode::INTERNAL_SERVER_ERROR,
                page::failure("The service had a problem. Please try again in a moment."),
            ))
        }
        Err(other) => Ok(html(status_of(&other), page::failure(&other.description()))),
    }
}

/// What the browser sent that the page cares about.
struct Visit<'a> {
    deps: &'a Deps,
    secret: &'a ServerSecret,
    session_cookie: Option<String>,
    pre_cookie: Option<String>,
    source: String,
    now: i64,
}

impl Visit<'_> {
    fn csrf_for(&self, cookie: &str) -> String {
        keyed_hash(self.secret, "csrf", cookie.as_bytes())
    }

    /// A sign-in page, with a new pre-session cookie when the browser has none.
    fn sign_in_page(
        &self,
        status: StatusCode,
        user_code: Option<&str>,
        error: Option<&str>,
    ) -> Result<Response<Body>, Error> {
        let (pre, new_cookie) = match &self.pre_cookie {
            Some(pre) => (pre.clone(), None),
            None => {
                let pre = new_cookie_value()?;
                (pre.clone(), Some(pre))
            }
        };
        let mut response = html(
            status,
            page::sign_in(&self.csrf_for(&pre), user_code, error),
        );
        if let Some(pre) = new_cookie {
            set_cookie(
                &mut response,
                &self.cookie(self.name(PRE_COOKIE), &pre, SESSION_TTL),
            );
        }
        Ok(response)
    }

    fn name(&self, names: [&'static str; 2]) -> &'static str {
        cookie_name(names, self.deps.settings.secure_cookies)
    }

    fn cookie(&self, name: &'static str, value: &str, max_age: i64) -> String {
        cookie::Cookie::build((name, value.to_owned()))
            .path("/")
            .max_age(cookie::time::Duration::seconds(max_age))
            .http_only(true)
            .same_site(cookie::SameSite::Lax)
            .secure(self.deps.settings.secure_cookies)
            .build()
            .to_string()
    }
}

async fn respond(deps: &Deps, req: &Request) -> Result<Response<Body>, Error> {
    let now = now();
    let secure = deps.settings.secure_cookies;
    let cookies = Cookies::read(req, cookie_name(SESSION_COOKIE, secure))?;
    let visit = Visit {
        deps,
        secret: deps.settings.server_secret()?,
        session_cookie: cookies.get(cookie_name(SESSION_COOKIE, secure)),
        pre_cookie: cookies.get(cookie_name(PRE_COOKIE, secure)),
        source: crate::http::source_address(req),
        now,
    };
    let session = match &visit.session_cookie {
        Some(value) => verification::session_of(&deps.store, value, now).await?,
        None => None,
    };

    if req.method() == Method::GET {
        let typed = req
            .query_string_parameters_ref()
            .and_then(|q| q.first("user_code"))
            .map(str::to_owned);
        return match (&session, &visit.session_cookie) {
            (Some(session), Some(cookie)) => Ok(html(
                StatusCode::OK,
                page::enter_code(
                    &visit.csrf_for(cookie),
                    &session.username,
                    typed.as_deref(),
                    None,
                ),
            )),
            _ => visit.sign_in_page(StatusCode::OK, typed.as_deref(), None),
        };
    }
    if req.method() != Method::POST {
        return Err(Error::invalid_request("use GET or POST for this page"));
    }

    let form = Form::from_request(req)?;
    let action = form.required("action")?;
    // The form must carry the CSRF token of the cookie it was rendered for.
    let bound_cookie = match (&session, action) {
        (_, "sign_in") => visit.pre_cookie.clone(),
        (Some(_), _) => visit.session_cookie.clone(),
        (None, _) => None,
    };
    let csrf_ok = match (&bound_cookie, form.optional("csrf")) {
        (Some(cookie), Some(sent)) => hashes_match(&visit.csrf_for(cookie), sent),
        _ => false,
    };
    let typed = form.optional("user_code");
    if !csrf_ok {
        return match (&session, &visit.session_cookie) {
            (Some(session), Some(cookie)) => Ok(html(
                StatusCode::FORBIDDEN,
                page::enter_code(
                    &visit.csrf_for(cookie),
                    &session.username,
                    typed,
                    Some("This form expired. Please try again."),
                ),
            )),
            _ => visit.sign_in_page(
                StatusCode::FORBIDDEN,
                typed,
                Some("Please sign in (the previous page expired)."),
            ),
        };
    }

    match (action, session) {
        ("sign_in", _) => {
            let signed_in = verification::sign_in(
                &deps.store,
                form.optional("username").unwrap_or(""),
                form.optional("password").unwrap_or(""),
                &visit.source,
                now,
            )
            .await;
            match signed_in {
                Ok(signed_in) => {
                    let location = match typed {
                        Some(code) => format!(
                            "{PATH}?user_code={}",
                            percent_encoding::utf8_percent_encode(
                                code,
                                percent_encoding::NON_ALPHANUMERIC
                            )
                        ),
                        None => PATH.to_owned(),
                    };
                    let mut response = redirect(&location);
                    set_cookie(
                        &mut response,
                        &visit.cookie(
                            visit.name(SESSION_COOKIE),
                            &signed_in.cookie_value,
                            SESSION_TTL,
                        ),
                    );
                    Ok(response)
                }
                Err(e @ (Error::AccessDenied(_) | Error::TooManyAttempts(_))) => {
                    let status = match e {
                        Error::TooManyAttempts(_) => StatusCode::TOO_MANY_REQUESTS,
                        _ => StatusCode::UNAUTHORIZED,
                    };
                    visit.sign_in_page(status, typed, Some(&e.description()))
                }
                Err(other) => Err(other),
            }
        }
        ("sign_out", Some(_)) => {
            if let Some(cookie) = &visit.session_cookie {
                verification::sign_out(&deps.store, cookie).await?;
            }
            let mut response = redirect(PATH);
            set_cookie(
                &mut response,
                &visit.cookie(visit.name(SESSION_COOKIE), "", 0),
            );
            Ok(response)
        }
        (_, None) => visit.sign_in_page(
            StatusCode::UNAUTHORIZED,
            typed,
            Some("Please sign in to continue."),
        ),
        (action @ ("find" | "approve" | "deny"), Some(session)) => {
            let Some(cookie) = &visit.session_cookie else {
                return Err(Error::internal("a session without its cookie"));
            };
            on_code(&visit, &session, cookie, action, typed.unwrap_or("")).await
        }
        (other, Some(_)) => Err(Error::invalid_request(format!(
            "unknown action {}",
            other.chars().take(32).collect::<String>()
        ))),
    }
}

/// Looks the code up (counting a wrong one), then shows the request or records the decision.
async fn on_code(
    visit: &Visit<'_>,
    session: &Session,
    cookie: &str,
    action: &str,
    typed: &str,
) -> Result<Response<Body>, Error> {
    let csrf = visit.csrf_for(cookie);
    let deps = visit.deps;
    let found = verification::find_request(
        &deps.store,
        &deps.settings,
        session,
        typed,
        &visit.source,
        visit.now,
    )
    .await;
    let request = match found {
        Ok(request) => request,
        Err(Error::Internal(cause)) => return Err(Error::Internal(cause)),
        Err(e) => {
            return Ok(html(
                status_of(&e),
                page::enter_code(
                    &csrf,
                    &session.username,
                    Some(typed),
                    Some(&e.description()),
                ),
            ));
        }
    };
    let decision = match action {
        "approve" => PageDecision::Approve,
        "deny" => PageDecision::Deny,
        _ => {
            return Ok(html(
                StatusCode::OK,
                page::confirm(&csrf, &session.username, &request),
            ));
        }
    };
    match verification::decide(&deps.store, session, &request, decision, visit.now).await {
        Ok(()) => Ok(html(
            StatusCode::OK,
            page::done(
                decision == PageDecision::Approve,
                &request.client.client_name,
            ),
        )),
        Err(Error::Internal(cause)) => Err(Error::Internal(cause)),
        Err(e) => Ok(html(
            status_of(&e),
            page::enter_code(&csrf, &session.username, None, Some(&e.description())),
        )),
    }
}

fn status_of(error: &Error) -> StatusCode {
    StatusCode::from_u16(ErrorShape::OAuth.wire(error).0).unwrap_or(StatusCode::BAD_REQUEST)
}

fn new_cookie_value() -> Result<String, Error> {
    use base64::Engine;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes::<32>()?))
}

/// The `Cookie` header(s), read leniently (by the `cookie` crate): malformed pairs are skipped.
struct Cookies(Vec<(String, String)>);

impl Cookies {
    fn read(req: &Request, session_cookie: &str) -> Result<Cookies, Error> {
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

    fn get(&self, name: &str) -> Option<String> {
        self.0
            .iter()
            .find(|(n, v)| n == name && !v.is_empty() && v.len() <= 128)
            .map(|(_, v)| v.clone())
    }
}

fn html(status: StatusCode, body: String) -> Response<Body> {
    let mut response = Response::new(Body::Text(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(csp) = HeaderValue::from_str(page::content_security_policy()) {
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
fn redirect(location: &str) -> Response<Body> {
    let mut response = html(StatusCode::SEE_OTHER, String::new());
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

fn set_cookie(response: &mut Response<Body>, cookie: &str) {
    if let Ok(value) = HeaderValue::from_str(cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}
