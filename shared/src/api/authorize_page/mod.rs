//! The authorization endpoint's pages (RFC 6749 §3.1, §4.1), on the `device-redirect`
//! function: `GET/POST /oauth2/authorize`, and `/authorize` where `aws sso login` sends the
//! browser (it names the scope `scopes`). The same sign-in, session and CSRF machinery as the
//! verification page ([`crate::web`]); every rule is in [`crate::usecases::authorization_code`].
//!
//! VMware's mobile registration page, `GET/POST /SAAS/auth/device/register`, is the same
//! component with another request and another answer ([`Flow`]).
//!
//! The request travels through the sign-in and consent forms as a hidden field and is checked
//! again, from scratch, whenever a form comes back: nothing a form carries is trusted.

use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, RequestExt, Response};

use crate::Deps;
use crate::dialect::rfc6749;
use crate::error::Error;
use crate::http::{Form, now};
use crate::model::Session;
use crate::secrets::hashes_match;
use crate::usecases::authorization_code::Refusal;
use crate::usecases::federation;
use crate::usecases::sign_in::{self, SESSION_TTL};
use crate::web::{self, Cookies, PRE_COOKIE, SESSION_COOKIE, cookie_name, html, pages, set_cookie};

/// `GET/POST /oauth2/authorize`.
pub async fn oauth2(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    let path = rfc6749::AUTHORIZE_PATH;
    Ok(web::or_failure_page(
        respond::<CodeFlow>(deps, &req, path).await,
        None,
    ))
}

/// `GET/POST /authorize` (the AWS CLI's path).
pub async fn aws(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    let path = crate::dialect::aws::AUTHORIZE_PATH;
    Ok(web::or_failure_page(
        respond::<CodeFlow>(deps, &req, path).await,
        None,
    ))
}

/// `GET/POST /SAAS/auth/device/register` (VMware mobile registration).
pub async fn vmware(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    let path = crate::dialect::vmware::REGISTER_PATH;
    Ok(web::or_failure_page(
        respond::<MobileRegistrationFlow>(deps, &req, path).await,
        None,
    ))
}

mod flows;
mod form;
mod parameters;
pub(crate) use parameters::FIELDS as AUTHORIZATION_PARAMETERS;

use flows::{CodeFlow, Flow, MobileRegistrationFlow};
use form::{
    allow_form_redirect_to, back_to_client, encode_request, read_request, refusal_response,
};
#[cfg(test)]
mod tests;

async fn respond<F: Flow>(
    deps: &Deps,
    req: &Request,
    path: &'static str,
) -> Result<Response<Body>, Error> {
    let now = now();
    let secure = deps.settings.secure_cookies;
    let secret = deps.settings.server_secret()?;
    let issuer = rfc6749::base_url(req, &deps.settings)?;
    let cookies = Cookies::read(req, cookie_name(SESSION_COOKIE, secure))?;
    let session_cookie = cookies.get(cookie_name(SESSION_COOKIE, secure));
    let pre_cookie = cookies.get(cookie_name(PRE_COOKIE, secure));
    let session = match &session_cookie {
        Some(value) => sign_in::session_of(&deps.store, value, now).await?,
        None => None,
    };
    let sign_in_page =
        async |status: StatusCode, request: &str, error: Option<&str>, username: Option<&str>| {
            let (pre, new_cookie) = web::pre_session(pre_cookie.as_deref(), SESSION_TTL, secure)?;
            let csrf = web::csrf_for(secret, &pre);
            // Each provider's button comes back to this very request.
            let providers = federation::buttons(&deps.store, &format!("{path}?{request}")).await?;
            let choices = pages::SignInChoices {
                providers: &providers,
                passwords: deps.settings.local_passwords,
                username,
                pages: &deps.settings.pages,
            };
            let mut response = html(
                status,
                pages::authorize_sign_in(path, &csrf, request, error, &choices),
            );
            if let Some(set) = new_cookie {
                set_cookie(&mut response, &set);
            }
            Ok::<_, Error>(response)
        };
    let consent_page = |valid: &F::Valid, request: &str, username: &str, cookie: &str| {
        let redirect_uri = F::redirect_uri(valid);
        let return_to = url::Url::parse(redirect_uri)
            .map(|u| match u.host_str() {
                Some(host) => format!("{}://{host}", u.scheme()),
                None => format!("{}:", u.scheme()),
            })
            .unwrap_or_default();
        let csrf = web::csrf_for(secret, cookie);
        let form = pages::ConsentForm {
            action: path,
            csrf: &csrf,
            who: username,
            return_to: &return_to,
            request,
        };
        let mut response = html(StatusCode::OK, F::consent(valid, form));
        allow_form_redirect_to(&mut response, redirect_uri);
        response
    };
    if req.method() == Method::GET {
        let query = req.query_string_parameters_ref();
        let pairs = query
            .map(|q| {
                q.iter()
                    .flat_map(|(name, _)| {
                        q.all(name)
                            .unwrap_or_default()
                            .into_iter()
                            .map(move |v| (name.into(), v.into()))
                    })
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default();
        let request = read_request::<F>(pairs.into_iter())?;
        let valid = match F::validate(&deps.store, &request, now).await {
            Ok(valid) => valid,
            Err(refusal) => return refusal_response(refusal, &issuer),
        };
        let encoded = encode_request::<F>(&request);
        let (prompt, _) = F::prompt(&valid);
        let silent = |error: Error| {
            refusal_response(
                Refusal::Redirect {
                    redirect_uri: F::redirect_uri(&valid).to_owned(),
                    state: F::state(&valid).map(str::to_owned),
                    error,
                },
                &issuer,
            )
        };
        return match (&session, &session_cookie) {
            (Some(session), Some(cookie)) if fresh_enough::<F>(&valid, session, now) => {
                F::offered_to(&valid, &session.username)?;
                if prompt.none {
                    // Consent is asked on every request: prompt=none can never be answered.
                    return silent(Error::ConsentRequired(
                        "the person must consent on the page".into(),
                    ));
                }
                Ok(consent_page(&valid, &encoded, &session.who(), cookie))
            }
            _ if prompt.none => silent(Error::LoginRequired(
                "the person must sign in on the page".into(),
            )),
            _ => sign_in_page(StatusCode::OK, &encoded, None, None).await,
        };
    }
    if req.method() != Method::POST {
        return Err(Error::invalid_request("use GET or POST for this page"));
    }

    let form = Form::from_request(req)?;
    let action = form.required("action")?;
    let mut request = read_request::<F>(url::form_urlencoded::parse(
        form.optional("request").unwrap_or("").as_bytes(),
    ))?;
    let encoded = encode_request::<F>(&request);
    let bound_cookie = match (&session, action) {
        (_, "sign_in") => pre_cookie.clone(),
        (Some(_), _) => session_cookie.clone(),
        (None, _) => None,
    };
    let csrf_ok = match (&bound_cookie, form.optional("csrf")) {
        (Some(cookie), Some(sent)) => hashes_match(&web::csrf_for(secret, cookie), sent),
        _ => false,
    };
    if !csrf_ok {
        return sign_in_page(
            StatusCode::FORBIDDEN,
            &encoded,
            Some("This page expired. Sign in again to continue."),
            None,
        )
        .await;
    }
    let valid = match F::validate(&deps.store, &request, now).await {
        Ok(valid) => valid,
        Err(refusal) => return refusal_response(refusal, &issuer),
    };
    // Our own path and the request as we re-encoded it (percent-encoded: no line breaks), so it
    // needs none of the checks a return path from outside does, nor their length limit (a
    // VMware `user_device` alone may be 4 KiB).
    let again = format!("{path}?{encoded}");
    if let (Some(session), "approve" | "deny") = (&session, action) {
        F::offered_to(&valid, &session.username)?;
    }
    match (action, &session) {
        ("sign_in", _) => {
            let origin = crate::api::audit_origin(req, "page");
            match sign_in::sign_in(
                &deps.store,
                &deps.settings,
                form.optional("username").unwrap_or(""),
                form.optional("password").unwrap_or(""),
                &origin,
                now,
            )
            .await
            {
                Ok(signed_in) => {
                    F::signed_in_again(&mut request);
                    let again = format!("{path}?{}", encode_request::<F>(&request));
                    let mut response = web::redirect(&again);
                    set_cookie(
                        &mut response,
                        &web::cookie(
                            cookie_name(SESSION_COOKIE, secure),
                            &signed_in.cookie_value,
                            SESSION_TTL,
                            secure,
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
                    sign_in_page(status, &encoded, Some(&e.description()), username).await
                }
                Err(other) => Err(other),
            }
        }
        ("sign_out", Some(_)) => {
            if let Some(cookie) = &session_cookie {
                sign_in::sign_out(&deps.store, cookie).await?;
            }
            let mut response = web::redirect(&again);
            set_cookie(
                &mut response,
                &web::cookie(cookie_name(SESSION_COOKIE, secure), "", 0, secure),
            );
            Ok(response)
        }
        ("approve", Some(_))
            if !session
                .as_ref()
                .is_some_and(|s| fresh_enough::<F>(&valid, s, now)) =>
        {
            sign_in_page(
                StatusCode::UNAUTHORIZED,
                &encoded,
                Some("Sign in again to continue."),
                None,
            )
            .await
        }
        ("approve", Some(session)) => {
            let answer = F::approve(
                deps,
                &valid,
                &session.username,
                session.created_at,
                &issuer,
                &crate::api::audit_origin(req, "page"),
                now,
            )
            .await?;
            let mut params: Vec<(&str, &str)> =
                answer.iter().map(|(n, v)| (*n, v.as_str())).collect();
            if let Some(state) = F::state(&valid) {
                params.push(("state", state));
            }
            Ok(back_to_client(F::redirect_uri(&valid), &params, &issuer))
        }
        ("deny", Some(session)) => {
            tracing::info!(username = %session.username, page = path, "authorization denied");
            refusal_response(
                Refusal::Redirect {
                    redirect_uri: F::redirect_uri(&valid).to_owned(),
                    state: F::state(&valid).map(str::to_owned),
                    error: Error::AccessDenied("the user denied the request".into()),
                },
                &issuer,
            )
        }
        (_, None) => {
            sign_in_page(
                StatusCode::UNAUTHORIZED,
                &encoded,
                Some("Sign in to continue."),
                None,
            )
            .await
        }
        (other, Some(_)) => Err(Error::invalid_request(format!(
            "unknown action {}",
            other.chars().take(32).collect::<String>()
        ))),
    }
}

/// Whether the session is recent enough for the request: not when it asks to sign in again
/// (`prompt=login`), nor when the sign-in is older than its `max_age`.
fn fresh_enough<F: Flow>(valid: &F::Valid, session: &Session, now: i64) -> bool {
    let (prompt, max_age) = F::prompt(valid);
    !prompt.login && max_age.is_none_or(|max_age| session.created_at + max_age >= now)
}
