//! The `device-redirect` function's verification page, `GET/POST /device` (RFC 8628 §3.3).
//!
//! - Sessions: a random cookie (`__Host-dg_session`; see [`crate::web`]) whose SHA-256 is the
//!   key of a session item with a TTL.
//! - CSRF: every form carries an HMAC, under the server secret, of the cookie it is bound to (the
//!   session cookie, or before sign-in a random `__Host-dg_pre` cookie). A forged form cannot
//!   know it.
//! - A GET never acts: `verification_uri_complete` fills the form in. For a signed-in person it
//!   also looks the code up (counted as a typed one: a wrong code costs one of the allowance) so
//!   that a used or expired code is answered on the first page, not after Continue.

use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, RequestExt, Response};

use crate::Deps;
use crate::error::Error;
use crate::http::{Form, now};
use crate::model::{Origin, Session};
use crate::secrets::ServerSecret;
use crate::secrets::hashes_match;
use crate::storage::PageDecision;
use crate::usecases::federation;
use crate::usecases::sign_in::{self, SESSION_TTL};
use crate::usecases::verification;
use crate::web::{
    self, Cookies, PRE_COOKIE, SESSION_COOKIE, cookie_name, html, pages, redirect, set_cookie,
    status_of,
};

mod messages;

use messages::{check_link, explain};

pub const PATH: &str = "/device";
pub async fn handle(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    Ok(web::or_failure_page(respond(deps, &req).await, Some(PATH)))
}

/// What the browser sent that the page cares about.
struct Visit<'a> {
    deps: &'a Deps,
    secret: &'a ServerSecret,
    session_cookie: Option<String>,
    pre_cookie: Option<String>,
    /// Where the request came from, for the guessing limits and the audit trail.
    origin: Origin,
    now: i64,
}

impl Visit<'_> {
    fn csrf_for(&self, cookie: &str) -> String {
        web::csrf_for(self.secret, cookie)
    }

    /// A sign-in page, with a new pre-session cookie when the browser has none, and a button
    /// per enabled identity provider (one Scan) that comes back here with the code.
    async fn sign_in_page(
        &self,
        status: StatusCode,
        user_code: Option<&str>,
        error: Option<&str>,
        username: Option<&str>,
    ) -> Result<Response<Body>, Error> {
        let (pre, new_cookie) = web::pre_session(
            self.pre_cookie.as_deref(),
            SESSION_TTL,
            self.deps.settings.secure_cookies,
        )?;
        let back_here = with_code(user_code);
        let providers = federation::buttons(&self.deps.store, &back_here).await?;
        let choices = pages::SignInChoices {
            providers: &providers,
            passwords: self.deps.settings.local_passwords,
            username,
            pages: &self.deps.settings.pages,
        };
        let mut response = html(
            status,
            pages::sign_in(&self.csrf_for(&pre), user_code, error, &choices),
        );
        if let Some(set) = new_cookie {
            set_cookie(&mut response, &set);
        }
        Ok(response)
    }

    fn name(&self, names: [&'static str; 2]) -> &'static str {
        cookie_name(names, self.deps.settings.secure_cookies)
    }

    fn cookie(&self, name: &'static str, value: &str, max_age: i64) -> String {
        web::cookie(name, value, max_age, self.deps.settings.secure_cookies)
    }
}

/// This page, with the code typed so far filled in.
fn with_code(user_code: Option<&str>) -> String {
    match user_code {
        Some(code) => format!(
            "{PATH}?user_code={}",
            percent_encoding::utf8_percent_encode(code, percent_encoding::NON_ALPHANUMERIC)
        ),
        None => PATH.to_owned(),
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
        origin: crate::api::audit_origin(req, "page"),
        now,
    };
    let session = match &visit.session_cookie {
        Some(value) => sign_in::session_of(&deps.store, value, now).await?,
        None => None,
    };

    if req.method() == Method::GET {
        let typed = req
            .query_string_parameters_ref()
            .and_then(|q| q.first("user_code"))
            // No user code is longer (with its separator and a few stray spaces): a longer
            // value in a link is not echoed back into the page.
            .filter(|code| code.chars().count() <= 32)
            .map(str::to_owned);
        return match (&session, &visit.session_cookie) {
            (Some(session), Some(cookie)) => {
                let error = match typed.as_deref() {
                    Some(code) => check_link(&visit, session, code).await?,
                    None => None,
                };
                let status = error.as_ref().map_or(StatusCode::OK, status_of);
                let text = error.as_ref().map(explain);
                Ok(html(
                    status,
                    pages::enter_code(
                        &visit.csrf_for(cookie),
                        &session.who(),
                        typed.as_deref(),
                        text.as_deref(),
                    ),
                ))
            }
            _ => {
                visit
                    .sign_in_page(StatusCode::OK, typed.as_deref(), None, None)
                    .await
            }
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
                pages::enter_code(
                    &visit.csrf_for(cookie),
                    &session.who(),
                    typed,
                    Some("This page expired. Enter the code again."),
                ),
            )),
            _ => {
                visit
                    .sign_in_page(
                        StatusCode::FORBIDDEN,
                        typed,
                        Some("This page expired. Sign in again to continue."),
                        None,
                    )
                    .await
            }
        };
    }

    match (action, session) {
        ("sign_in", _) => {
            let signed_in = sign_in::sign_in(
                &deps.store,
                &deps.settings,
                form.optional("username").unwrap_or(""),
                form.optional("password").unwrap_or(""),
                &visit.origin,
                now,
            )
            .await;
            match signed_in {
                Ok(signed_in) => {
                    let location = with_code(typed);
                    let mut response = redirect(web::safe_return_path(&location).unwrap_or(PATH));
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
                    let username = form.optional("username");
                    visit
                        .sign_in_page(status, typed, Some(&explain(&e)), username)
                        .await
                }
                Err(other) => Err(other),
            }
        }
        ("sign_out", Some(_)) => {
            if let Some(cookie) = &visit.session_cookie {
                sign_in::sign_out(&deps.store, cookie).await?;
            }
            let mut response = redirect(PATH);
            set_cookie(
                &mut response,
                &visit.cookie(visit.name(SESSION_COOKIE), "", 0),
            );
            Ok(response)
        }
        (_, None) => {
            visit
                .sign_in_page(
                    StatusCode::UNAUTHORIZED,
                    typed,
                    Some("Sign in to continue."),
                    None,
                )
                .await
        }
        (action @ ("find" | "approve" | "deny"), Some(session)) => {
            let Some(cookie) = &visit.session_cookie else {
                return Err(Error::internal("a session without its cookie"));
            };
            let typed = typed.unwrap_or("");
            on_code(
                &visit,
                &session,
                cookie,
                action,
                typed,
                form.optional("request"),
            )
            .await
        }
        (other, Some(_)) => Err(Error::invalid_request(format!(
            "unknown action {}",
            other.chars().take(32).collect::<String>()
        ))),
    }
}

/// Looks the code up (counting a wrong one), then shows the request or records the decision. A
/// decision made from the confirm form this session was shown refers to the request found there
/// (`confirmation`) and is not counted again.
async fn on_code(
    visit: &Visit<'_>,
    session: &Session,
    cookie: &str,
    action: &str,
    typed: &str,
    confirmation: Option<&str>,
) -> Result<Response<Body>, Error> {
    let csrf = visit.csrf_for(cookie);
    let deps = visit.deps;
    let confirmed = match (action, confirmation) {
        ("approve" | "deny", Some(confirmation)) => verification::confirmed_request(
            &deps.store,
            &deps.settings,
            session,
            confirmation,
            typed,
            visit.now,
        )
        .await
        .transpose(),
        _ => None,
    };
    let (found, changed) = match confirmed {
        Some(Ok(verification::Confirmed::AsShown(request))) => (Ok(request), false),
        Some(Ok(verification::Confirmed::Changed(request))) => (Ok(request), true),
        Some(Err(e)) => (Err(e), false),
        None => {
            let found = verification::find_request(
                &deps.store,
                &deps.settings,
                session,
                typed,
                &visit.origin,
                visit.now,
            )
            .await;
            (found, false)
        }
    };
    let request = match found {
        Ok(request) => request,
        Err(Error::Internal(cause)) => return Err(Error::Internal(cause)),
        Err(e) => {
            return Ok(html(
                status_of(&e),
                pages::enter_code(&csrf, &session.who(), Some(typed), Some(&explain(&e))),
            ));
        }
    };
    let decision = match action {
        // An approval grants what the person saw, or nothing: changed since, it is shown again.
        "approve" if !changed => PageDecision::Approve,
        "deny" => PageDecision::Deny,
        _ => {
            let confirmation = verification::confirmation(&deps.settings, session, &request)?;
            let note = changed.then_some(
                "What this request grants has changed since you saw it. Check it again.",
            );
            let form = pages::ConfirmForm {
                csrf: &csrf,
                who: &session.who(),
                confirmation: &confirmation,
                note,
                now: visit.now,
            };
            return Ok(html(
                StatusCode::OK,
                pages::confirm(form, &request, &deps.settings.pages),
            ));
        }
    };
    match verification::decide(
        &deps.store,
        session,
        &request,
        decision,
        &visit.origin,
        visit.now,
    )
    .await
    {
        Ok(()) => Ok(html(
            StatusCode::OK,
            pages::done(
                decision == PageDecision::Approve,
                &request.client.client_name,
            ),
        )),
        Err(Error::Internal(cause)) => Err(Error::Internal(cause)),
        Err(e) => Ok(html(
            status_of(&e),
            pages::enter_code(&csrf, &session.who(), None, Some(&explain(&e))),
        )),
    }
}
