//! The admin console, `GET/POST /admin/console` and `/admin/console/{section}`, served by the
//! `admin` function: the admin API in a browser. Handlers only translate: every action is the
//! use case (or store call) the JSON admin API makes.
//!
//! - Signing in: a form POST of an admin key, checked as the API checks `Authorization`, and
//!   kept in an HttpOnly cookie (`__Host-dg_admin` over HTTPS; see [`crate::web`]) that every
//!   request checks again, so a disabled admin key signs its consoles out.
//! - CSRF: every form carries an HMAC, under the server secret, of the cookie it is bound to
//!   (the admin cookie, or before sign-in the pre-session cookie).
//! - Errors are pages: the handler never answers in JSON.

use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, RequestExt, Response};

use super::admin::unknown_action;
use crate::Deps;
use crate::config::ServerSecret;
use crate::error::Error;
use crate::http::{Form, now};
use crate::model::{ApiKeySettings, DeviceStatus};
use crate::secrets::hashes_match;
use crate::usecases::admin::{self, DeviceAction, NewUser};
use crate::usercode::keyed_hash;
use crate::web::console::{self as pages, Content, Notice, PATH, Section};
use crate::web::{
    self, ADMIN_COOKIE, Cookies, PRE_COOKIE, cookie_name, html, redirect, set_cookie, status_of,
};

/// How long a console sign-in lasts.
pub const CONSOLE_TTL: i64 = 8 * 3600;

/// Every console route.
pub async fn handle(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    Ok(web::or_failure_page(respond(deps, &req).await, PATH))
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
}

impl Visit<'_> {
    fn csrf_for(&self, cookie: &str) -> String {
        web::csrf_for(self.secret, cookie)
    }

    fn secure(&self) -> bool {
        self.deps.settings.secure_cookies
    }

    /// The sign-in page, with a pre-session cookie for its form.
    fn sign_in_page(
        &self,
        status: StatusCode,
        error: Option<&str>,
    ) -> Result<Response<Body>, Error> {
        let (pre, new_cookie) = web::pre_session(self.pre.as_deref(), CONSOLE_TTL, self.secure())?;
        let mut response = html(status, pages::sign_in(&self.csrf_for(&pre), error));
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
    ) -> Result<Response<Body>, Error> {
        let Some(admin) = &self.admin else {
            return self.sign_in_page(StatusCode::UNAUTHORIZED, Some("Please sign in."));
        };
        let content = load(self.deps, section).await?;
        Ok(html(
            status,
            pages::section(&self.csrf_for(admin), notice.as_ref(), &content),
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

/// A console session: `{admin key hash}.{issued at}.{HMAC of both under the server secret}`.
/// The cookie never holds the admin key itself; it stops working after [`CONSOLE_TTL`] whatever
/// the browser does, and as soon as its admin key is disabled.
fn session_value(secret: &ServerSecret, key_hash: &str, issued_at: i64) -> String {
    let signed = format!("{key_hash}.{issued_at}");
    // 128 bits of the MAC keep the cookie within the 128 characters cookies are read up to.
    let mac = keyed_hash(secret, "console-session", signed.as_bytes());
    format!("{signed}.{}", &mac[..mac.len().min(32)])
}

/// The admin key hash of a session that is authentic and not too old.
fn session_key_hash<'v>(secret: &ServerSecret, value: &'v str, now: i64) -> Option<&'v str> {
    let (signed, _mac) = value.rsplit_once('.')?;
    let (key_hash, issued_at) = signed.split_once('.')?;
    let issued: i64 = issued_at.parse().ok()?;
    let fresh = issued <= now && now - issued < CONSOLE_TTL;
    (fresh && hashes_match(value, &session_value(secret, key_hash, issued))).then_some(key_hash)
}

async fn respond(deps: &Deps, req: &Request) -> Result<Response<Body>, Error> {
    let secure = deps.settings.secure_cookies;
    let secret = deps.settings.server_secret()?;
    let cookies = Cookies::read(req, cookie_name(ADMIN_COOKIE, secure))?;
    let sent = cookies.get(cookie_name(ADMIN_COOKIE, secure));
    let (admin, admin_id) = match sent
        .as_deref()
        .and_then(|v| session_key_hash(secret, v, now()))
    {
        Some(key_hash) => match admin::authenticate_hash(&deps.store, key_hash).await {
            Ok(key) => (sent.clone(), Some(key.id)),
            Err(Error::Unauthorized) => (None, None),
            Err(other) => return Err(other),
        },
        None => (None, None),
    };
    let visit = Visit {
        deps,
        secret,
        stale: sent.is_some() && admin.is_none(),
        admin,
        admin_id,
        pre: cookies.get(cookie_name(PRE_COOKIE, secure)),
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
        (None, None) => visit.sign_in_page(StatusCode::OK, None),
        (section, Some(_)) => {
            visit
                .section_page(StatusCode::OK, section.unwrap_or(Section::Devices), None)
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
                    )
                    .await
            }
            None => visit.sign_in_page(
                StatusCode::FORBIDDEN,
                Some("Please sign in (the previous page expired)."),
            ),
        };
    }
    let Some(section) = section else {
        return match action {
            "sign_in" => sign_in(visit, form.optional("admin_key")).await,
            "sign_out" => {
                let mut response = redirect(PATH);
                set_cookie(&mut response, &visit.admin_cookie(""));
                Ok(response)
            }
            other => Err(unknown_action(other)),
        };
    };
    let outcome = act(visit.deps, section, action, &form).await;
    // Who did what to which item, and how it went: the console's audit trail.
    tracing::info!(
        admin_key = visit.admin_id.as_deref().unwrap_or("?"),
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
    let (status, notice) = match outcome {
        Ok(notice) => (StatusCode::OK, notice),
        Err(Error::Internal(cause)) => return Err(Error::Internal(cause)),
        Err(e) => (status_of(&e), Notice::Failed(e.description())),
    };
    visit.section_page(status, section, Some(notice)).await
}

async fn sign_in(visit: &Visit<'_>, key: Option<&str>) -> Result<Response<Body>, Error> {
    // A key pasted with a stray newline or space is still the key, as in `Authorization`.
    match admin::authenticate(&visit.deps.store, key.map(str::trim)).await {
        Ok(admin_key) => {
            tracing::info!(admin_key = %admin_key.id, "signed in to the admin console");
            let session = session_value(visit.secret, &admin_key.key_hash, now());
            let mut response = redirect(PATH);
            set_cookie(&mut response, &visit.admin_cookie(&session));
            Ok(response)
        }
        Err(Error::Unauthorized) => visit.sign_in_page(
            StatusCode::UNAUTHORIZED,
            Some("That admin key is not valid."),
        ),
        Err(other) => Err(other),
    }
}

/// One action of a section: the use case the JSON admin API calls for it.
async fn act(deps: &Deps, section: Section, action: &str, form: &Form) -> Result<Notice, Error> {
    let store = &deps.store;
    let done = |what: &str, name: &str| -> Result<Notice, Error> {
        Ok(Notice::Done(format!("{what} {name}.")))
    };
    match (section, action) {
        (Section::Devices, action) => {
            let client_id = form.required("client_id")?;
            let action = DeviceAction::parse(action).ok_or_else(|| unknown_action(action))?;
            let device = admin::act_on_device(store, client_id, action, now()).await?;
            done(
                &format!("Device is now {}:", device.status.as_str()),
                &device.client_id,
            )
        }
        (Section::ApiKeys, "create") => {
            let settings = ApiKeySettings {
                auto_trust: form.optional("auto_trust").is_some(),
                allow_untrusted_endpoints: form.optional("allow_untrusted_endpoints").is_some(),
                allow_unauthenticated_requests: form
                    .optional("allow_unauthenticated_requests")
                    .is_some(),
                access_token_ttl: seconds(form, "access_token_ttl")?,
                refresh_token_ttl: seconds(form, "refresh_token_ttl")?,
                expires_at: None,
                allowed_sources: Vec::new(),
            };
            let name = form.required("name")?;
            let created = admin::create_api_key(store, name, settings, now()).await?;
            Ok(Notice::NewApiKey(created))
        }
        (Section::ApiKeys, "disable") => {
            let key = admin::disable_api_key(store, form.required("id")?).await?;
            done("Disabled API key", &key.name)
        }
        (Section::Clients, "disable") => {
            let client = store.disable_client(form.required("client_id")?).await?;
            done("Disabled client", &client.client_id)
        }
        (Section::Clients, "delete") => {
            let client = admin::delete_client(store, form.required("client_id")?, now()).await?;
            done("Deleted client", &client.client_id)
        }
        (Section::Users, "create") => {
            let new = NewUser {
                username: form.required("username")?.to_owned(),
                password: form.required("password")?.to_owned(),
                display_name: form.optional("display_name").map(str::to_owned),
                email: form.optional("email").map(str::to_owned),
            };
            let user = admin::create_user(store, new, now()).await?;
            done("Created user", &user.username)
        }
        (Section::Users, "disable") => {
            let user = admin::disable_user(store, form.required("username")?, now()).await?;
            done("Disabled user", &user.username)
        }
        (Section::Users, "password") => {
            let username = form.required("username")?;
            let password = form.required("password")?;
            let user = admin::reset_password(store, username, password, now()).await?;
            done("Set a new password for", &user.username)
        }
        (_, other) => Err(unknown_action(other)),
    }
}

/// What a section lists: the same calls as the JSON API's list routes.
async fn load(deps: &Deps, section: Section) -> Result<Content, Error> {
    let store = &deps.store;
    Ok(match section {
        Section::Devices => {
            let pending = admin::list_devices(store, DeviceStatus::Pending).await?;
            let mut by_status = Vec::new();
            for status in [
                DeviceStatus::Approved,
                DeviceStatus::Denied,
                DeviceStatus::Revoked,
            ] {
                by_status.push((status, admin::list_devices(store, status).await?));
            }
            Content::Devices { pending, by_status }
        }
        Section::ApiKeys => Content::ApiKeys(store.list_api_keys().await?),
        Section::Clients => Content::Clients(store.list_clients().await?),
        Section::Users => Content::Users(store.list_users().await?),
    })
}

/// An optional whole number of seconds from a form field.
fn seconds(form: &Form, field: &str) -> Result<Option<i64>, Error> {
    form.optional(field)
        .map(|text| {
            text.trim()
                .parse()
                .map_err(|_| Error::invalid_request(format!("{field} must be whole seconds")))
        })
        .transpose()
}

#[cfg(test)]
mod session_tests {
    use super::*;

    #[test]
    fn a_session_is_signed_and_expires() {
        let secret = ServerSecret::from_bytes(vec![7; 32]);
        let other = ServerSecret::from_bytes(vec![8; 32]);
        let value = session_value(&secret, "abc", 1_000);
        assert_eq!(session_key_hash(&secret, &value, 1_000 + 60), Some("abc"));
        assert_eq!(
            session_key_hash(&other, &value, 1_060),
            None,
            "another secret"
        );
        assert_eq!(
            session_key_hash(&secret, &value, 1_000 + CONSOLE_TTL),
            None,
            "too old"
        );
        assert_eq!(
            session_key_hash(&secret, &value, 999),
            None,
            "from the future"
        );
        let forged = value.replacen("abc", "abd", 1);
        assert_eq!(
            session_key_hash(&secret, &forged, 1_060),
            None,
            "another key"
        );
        assert_eq!(session_key_hash(&secret, "dgadmin_raw_key", 1_060), None);
    }
}
