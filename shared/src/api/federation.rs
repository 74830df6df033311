//! The pages function's federated sign-in (docs/federation.md): `GET /signin/{id}` sends the
//! browser to an upstream identity provider, `GET /signin/callback` is where it comes back.
//! The rules are [`crate::usecases::federation`]'s; this reads the request and answers with a
//! redirect or a page.

use lambda_http::{Body, Request, RequestExt, Response};

use crate::Deps;
use crate::dialect::rfc6749;
use crate::error::Error;
use crate::http::{now, path_param};
use crate::usecases::console::CONSOLE_TTL;
use crate::usecases::federation::{self, CONSOLE_RETURN, Callback, FederatedSignIn, PENDING_TTL};
use crate::usecases::sign_in::SESSION_TTL;
use crate::web::{
    self, ADMIN_COOKIE, Cookies, SESSION_COOKIE, cookie, cookie_name, redirect, set_cookie,
};

/// Binds a sign-in sent to a provider to the browser that started it. SameSite=Lax, so that
/// the provider's top-level redirect back carries it.
pub const FEDERATION_COOKIE: [&str; 2] = ["__Host-dg_federation", "dg_federation"];

/// The pages a sign-in may come back to; anything else goes to `/device`. The console only
/// through a provider that signs in administrators (the use case checks).
const RETURN_PAGES: [&str; 5] = [
    "/device",
    "/oauth2/authorize",
    "/authorize",
    "/SAAS/auth/device/register",
    CONSOLE_RETURN,
];

fn query<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.query_string_parameters_ref()
        .and_then(|q| q.first(name))
}

/// `path`, if it is one of the sign-in pages on this site (with its query: an authorization
/// request, a VMware `user_device` of up to 4 KiB among it).
fn page_path(path: &str) -> Option<&str> {
    let page = path.split('?').next().unwrap_or("");
    let clean = path.len() <= 8192
        && !path.contains('\\')
        && !path.chars().any(|c| c.is_control() || c.is_whitespace());
    (clean && RETURN_PAGES.contains(&page)).then_some(path)
}

/// `return_to`, if it is one of the sign-in pages on this site; else `/device`.
fn return_to(req: &Request) -> String {
    query(req, "return_to")
        .and_then(page_path)
        .unwrap_or("/device")
        .to_owned()
}

/// `GET /signin/{id}?return_to=<path>`.
pub async fn start(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    let outcome = async {
        let issuer = rfc6749::base_url(&req, &deps.settings)?;
        let id = path_param(&req, "id")?;
        let started = federation::start(&deps.store, &issuer, &id, &return_to(&req), now()).await?;
        let secure = deps.settings.secure_cookies;
        let mut response = redirect(&started.location);
        set_cookie(
            &mut response,
            &cookie(
                cookie_name(FEDERATION_COOKIE, secure),
                &started.browser_cookie,
                PENDING_TTL,
                secure,
            ),
        );
        Ok(response)
    }
    .await;
    Ok(web::or_failure_page(outcome, Some("/device")))
}

/// `GET /signin/callback?state=...&code=...` (or `error=...`).
pub async fn callback(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    let outcome = async {
        let secure = deps.settings.secure_cookies;
        let issuer = rfc6749::base_url(&req, &deps.settings)?;
        let cookies = Cookies::read(&req, cookie_name(SESSION_COOKIE, secure))?;
        let browser = cookies.get(cookie_name(FEDERATION_COOKIE, secure));
        let origin = crate::api::audit_origin(&req, "page");
        let finished = federation::finish(
            &deps.store,
            &deps.settings,
            &issuer,
            Callback {
                state: query(&req, "state"),
                code: query(&req, "code"),
                error: query(&req, "error"),
                browser_cookie: browser.as_deref(),
                origin: &origin,
            },
            now(),
        )
        .await?;
        let (mut response, session_cookie) = match &finished {
            FederatedSignIn::Page {
                signed_in,
                return_to,
            } => (
                redirect(page_path(return_to).unwrap_or("/device")),
                cookie(
                    cookie_name(SESSION_COOKIE, secure),
                    &signed_in.cookie_value,
                    SESSION_TTL,
                    secure,
                ),
            ),
            FederatedSignIn::Console(signed_in) => (
                redirect(CONSOLE_RETURN),
                cookie(
                    cookie_name(ADMIN_COOKIE, secure),
                    &signed_in.cookie_value,
                    CONSOLE_TTL,
                    secure,
                ),
            ),
        };
        set_cookie(&mut response, &session_cookie);
        set_cookie(
            &mut response,
            &cookie(cookie_name(FEDERATION_COOKIE, secure), "", 0, secure),
        );
        Ok(response)
    }
    .await;
    Ok(web::or_failure_page(outcome, Some("/device")))
}

#[cfg(test)]
mod tests {
    use super::page_path;

    #[test]
    fn a_sign_in_comes_back_only_to_a_sign_in_page_here() {
        assert_eq!(
            page_path("/device?user_code=BCDF"),
            Some("/device?user_code=BCDF")
        );
        assert!(page_path("/oauth2/authorize?client_id=a&state=b").is_some());
        assert_eq!(page_path("/admin/console"), Some("/admin/console"));
        for bad in [
            "https://evil.example/device",
            "//evil.example/device",
            "/admin/console/users",
            "/admin/consolex",
            "/device\\x",
            "/device?x=a b",
            "/devicex",
        ] {
            assert_eq!(page_path(bad), None, "{bad}");
        }
        assert_eq!(page_path(&format!("/device?{}", "a".repeat(9000))), None);
    }
}
