//! The admin console, `GET/POST /admin/console` and `/admin/console/{section}`, served by the
//! `admin` function: the admin API in a browser. Handlers only translate: every action and
//! every listing is the admin use case ([`crate::usecases::admin`]) the JSON admin API calls.
//!
//! - Signing in: a form POST of an admin key, checked as the API checks `Authorization`, begins
//!   a session kept on the server ([`crate::usecases::console`]) whose random value is in an
//!   HttpOnly cookie (`__Host-dg_admin` over HTTPS; see [`crate::web`]). Every request checks
//!   the session and its key again, so a disabled admin key signs its consoles out, and signing
//!   out ends the session itself.
//! - CSRF: every form carries an HMAC, under the server secret, of the cookie it is bound to
//!   (the admin cookie, or before sign-in the pre-session cookie).
//! - Errors are pages: the handler never answers in JSON.

mod actions;
mod audit;
mod forms;
mod identity_providers;
mod listings;

use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, RequestExt, Response};

use super::admin::unknown_action;
use crate::Deps;
use crate::error::Error;
use crate::http::{Form, now};
use crate::secrets::ServerSecret;
use crate::secrets::hashes_match;
use crate::usecases::console::{self as session, CONSOLE_TTL};
use crate::usecases::federation::{self, CONSOLE_RETURN};
use crate::web::console::{self as pages, Notice, PATH, Section, Typed};
use crate::web::{
    self, ADMIN_COOKIE, Cookies, PRE_COOKIE, cookie_name, html, redirect, set_cookie, status_of,
};

/// Every console route.
pub async fn handle(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    Ok(web::or_failure_page(respond(deps, &req).await, Some(PATH)))
}

/// What the browser sent that the console cares about.
struct Visit<'a> {
    deps: &'a Deps,
    secret: &'a ServerSecret,
    /// The admin cookie, when it holds a live session of an enabled admin key.
    admin: Option<String>,
    /// That admin key's id, for the audit line of each action.
    admin_id: Option<String>,
    /// An admin cookie that no longer signs in (a disabled key): cleared on the next page.
    stale: bool,
    pre: Option<String>,
    /// The request, for where this devicegate is reached (the redirect URI a provider
    /// registers), worked out only by the page that shows it.
    req: &'a Request,
}

impl Visit<'_> {
    fn csrf_for(&self, cookie: &str) -> String {
        web::csrf_for(self.secret, cookie)
    }

    fn secure(&self) -> bool {
        self.deps.settings.secure_cookies
    }

    /// The sign-in page, with a pre-session cookie for its form and the buttons of the
    /// providers that sign in administrators.
    async fn sign_in_page(
        &self,
        status: StatusCode,
        error: Option<&str>,
    ) -> Result<Response<Body>, Error> {
        let (pre, new_cookie) = web::pre_session(self.pre.as_deref(), CONSOLE_TTL, self.secure())?;
        let providers = federation::buttons(&self.deps.store, CONSOLE_RETURN).await?;
        let mut response = html(
            status,
            pages::sign_in(&self.csrf_for(&pre), error, &providers),
        );
        if let Some(set) = new_cookie {
            set_cookie(&mut response, &set);
        }
        if self.stale {
            set_cookie(&mut response, &self.admin_cookie(""));
        }
        Ok(response)
    }

    /// A section as the admin use cases list it now, with the outcome of an action.
    async fn section_page(
        &self,
        status: StatusCode,
        section: Section,
        notice: Option<Notice>,
        typed: &Typed,
    ) -> Result<Response<Body>, Error> {
        let Some(admin) = &self.admin else {
            return self
                .sign_in_page(StatusCode::UNAUTHORIZED, Some("Please sign in."))
                .await;
        };
        let loaded = listings::load(self.deps, section, self.req).await;
        let (status, notice, (content, paging)) = match loaded {
            Ok(loaded) => (status, notice, loaded),
            // A filter the audit use case refused: the form again, with the error naming it.
            Err(e @ Error::InvalidRequest(_)) if section == Section::Audit => {
                let notice = Notice::Failed(audit::sentence(&e));
                (
                    status_of(&e),
                    Some(notice),
                    (audit::refused(self.req), None),
                )
            }
            Err(e) => return Err(e),
        };
        Ok(html(
            status,
            pages::section(
                &self.csrf_for(admin),
                now(),
                notice.as_ref(),
                &content,
                typed,
                paging.as_ref(),
            ),
        ))
    }

    fn admin_cookie(&self, value: &str) -> String {
        let max_age = if value.is_empty() { 0 } else { CONSOLE_TTL };
        web::cookie(
            cookie_name(ADMIN_COOKIE, self.secure()),
            value,
            max_age,
            self.secure(),
        )
    }
}

async fn respond(deps: &Deps, req: &Request) -> Result<Response<Body>, Error> {
    let secure = deps.settings.secure_cookies;
    let secret = deps.settings.server_secret()?;
    let cookies = Cookies::read(req, cookie_name(ADMIN_COOKIE, secure))?;
    let sent = cookies.get(cookie_name(ADMIN_COOKIE, secure));
    let signed_in = match sent.as_deref() {
        Some(value) => session::signed_in(&deps.store, value, now()).await?,
        None => None,
    };
    let (admin, admin_id) = match signed_in {
        Some(key) => (sent.clone(), Some(key.id)),
        None => (None, None),
    };
    let visit = Visit {
        deps,
        secret,
        stale: sent.is_some() && admin.is_none(),
        admin,
        admin_id,
        pre: cookies.get(cookie_name(PRE_COOKIE, secure)),
        req,
    };
    let section = match req.path_parameters_ref().and_then(|p| p.first("section")) {
        Some(slug) => Some(
            Section::parse(slug)
                .ok_or_else(|| Error::NotFound("the console has no such page".to_owned()))?,
        ),
        None => None,
    };

    if req.method() == Method::POST {
        return post(&visit, req, section).await;
    }
    if req.method() != Method::GET {
        return Err(Error::invalid_request("use GET or POST for this page"));
    }
    match (section, &visit.admin) {
        // Anywhere in the console, signed out: to the sign-in page.
        (Some(_), None) => Ok(redirect(PATH)),
        (None, None) => visit.sign_in_page(StatusCode::OK, None).await,
        (section, Some(_)) => {
            visit
                .section_page(
                    StatusCode::OK,
                    section.unwrap_or(Section::Devices),
                    None,
                    &Typed::none(),
                )
                .await
        }
    }
}

async fn post(
    visit: &Visit<'_>,
    req: &Request,
    section: Option<Section>,
) -> Result<Response<Body>, Error> {
    let form = Form::from_request(req)?;
    let action = form.required("action")?;
    // The form must carry the CSRF token of the cookie it was rendered for.
    let bound = match (section, action) {
        (None, "sign_in") => visit.pre.as_deref(),
        _ => visit.admin.as_deref(),
    };
    let csrf_ok = match (bound, form.optional("csrf")) {
        (Some(cookie), Some(sent)) => hashes_match(&visit.csrf_for(cookie), sent),
        _ => false,
    };
    if !csrf_ok {
        return match visit.admin {
            Some(_) => {
                let expired = Notice::Failed("This form expired. Please try again.".to_owned());
                visit
                    .section_page(
                        StatusCode::FORBIDDEN,
                        section.unwrap_or(Section::Devices),
                        Some(expired),
                        &Typed::none(),
                    )
                    .await
            }
            None => {
                visit
                    .sign_in_page(
                        StatusCode::FORBIDDEN,
                        Some("Please sign in (the previous page expired)."),
                    )
                    .await
            }
        };
    }
    let Some(section) = section else {
        return match action {
            "sign_in" => sign_in(visit, form.optional("admin_key")).await,
            "sign_out" => {
                if let Some(cookie) = &visit.admin {
                    session::sign_out(&visit.deps.store, cookie).await?;
                }
                let mut response = redirect(PATH);
                set_cookie(&mut response, &visit.admin_cookie(""));
                Ok(response)
            }
            other => Err(unknown_action(other)),
        };
    };
    // A destructive action asks first: only the post of its confirmation page acts.
    if pages::asks_first(section, action) && form.optional(pages::CONFIRM_FIELD) != Some("yes") {
        return confirmation(visit, &form, section, action).await;
    }
    let origin = crate::api::audit_origin(visit.req, "console").by(crate::model::Actor::admin(
        visit.admin_id.as_deref().unwrap_or("?"),
    ));
    let outcome = actions::act(visit.deps, section, action, &form, &origin).await;
    // Who did what to which item, and how it went: the console's audit trail.
    tracing::info!(
        admin = visit.admin_id.as_deref().unwrap_or("?"),
        section = ?section,
        action,
        target = form
            .optional("client_id")
            .or_else(|| form.optional("username"))
            .or_else(|| form.optional("id"))
            .or_else(|| form.optional("name"))
            .unwrap_or(""),
        ok = outcome.is_ok(),
        "admin console action"
    );
    // A refused form comes back as it was sent (never its passwords or secrets).
    let (status, notice, typed) = match outcome {
        Ok(notice) => (StatusCode::OK, notice, Typed::none()),
        Err(Error::Internal(cause)) => return Err(Error::Internal(cause)),
        Err(e) => {
            let typed = Typed::from_form(action, form.fields());
            let text = forms::humane(&e.description());
            (status_of(&e), Notice::Failed(text), typed)
        }
    };
    visit
        .section_page(status, section, Some(notice), &typed)
        .await
}

async fn sign_in(visit: &Visit<'_>, key: Option<&str>) -> Result<Response<Body>, Error> {
    // A key pasted with a stray newline or space is still the key, as in `Authorization`.
    match session::sign_in(&visit.deps.store, key.map(str::trim), now()).await {
        Ok(signed_in) => {
            tracing::info!(admin = %signed_in.admin.id, "signed in to the admin console");
            let mut response = redirect(PATH);
            set_cookie(&mut response, &visit.admin_cookie(&signed_in.cookie_value));
            Ok(response)
        }
        Err(Error::Unauthorized) => {
            visit
                .sign_in_page(
                    StatusCode::UNAUTHORIZED,
                    Some("That admin key is not valid."),
                )
                .await
        }
        Err(other) => Err(other),
    }
}

/// The confirmation page of a destructive action, naming the item the form named (a name too
/// long to be any item is refused as the action itself would refuse it).
async fn confirmation(
    visit: &Visit<'_>,
    form: &Form,
    section: Section,
    action: &str,
) -> Result<Response<Body>, Error> {
    let field = ["client_id", "id", "username"]
        .into_iter()
        .find(|f| form.optional(f).is_some());
    let target = match field.map(|f| form.key(f).map(|value| (f, value))) {
        Some(Ok(target)) => target,
        Some(Err(e)) => {
            let notice = Notice::Failed(e.description());
            return visit
                .section_page(status_of(&e), section, Some(notice), &Typed::none())
                .await;
        }
        None => return Err(unknown_action(action)),
    };
    let csrf = visit.admin.as_deref().map(|c| visit.csrf_for(c));
    Ok(html(
        StatusCode::OK,
        pages::confirm(&csrf.unwrap_or_default(), section, action, target),
    ))
}
