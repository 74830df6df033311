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

use lambda_http::http::{HeaderValue, Method, StatusCode, header};
use lambda_http::{Body, Request, RequestExt, Response};

use crate::Deps;
use crate::dialect::rfc6749;
use crate::error::Error;
use crate::http::{ErrorShape, Form, now};
use crate::secrets::hashes_match;
use crate::usecases::authorization_code::{self, AuthorizationRequest, Refusal, ValidRequest};
use crate::usecases::sign_in::{self, SESSION_TTL};
use crate::usecases::vmware;
use crate::web::{self, Cookies, PRE_COOKIE, SESSION_COOKIE, cookie_name, html, pages, set_cookie};

/// `GET/POST /oauth2/authorize`.
pub async fn oauth2(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    let path = rfc6749::AUTHORIZE_PATH;
    Ok(web::or_failure_page(
        respond::<CodeFlow>(deps, &req, path).await,
        path,
    ))
}

/// `GET/POST /authorize` (the AWS CLI's path).
pub async fn aws(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    let path = crate::dialect::aws::AUTHORIZE_PATH;
    Ok(web::or_failure_page(
        respond::<CodeFlow>(deps, &req, path).await,
        path,
    ))
}

/// `GET/POST /SAAS/auth/device/register` (VMware mobile registration).
pub async fn vmware(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    let path = crate::dialect::vmware::REGISTER_PATH;
    Ok(web::or_failure_page(
        respond::<MobileRegistrationFlow>(deps, &req, path).await,
        path,
    ))
}

/// What differs between the pages that end in a redirect with a code: the request they read,
/// how it is checked, what the consent page shows, and what the approval sends back.
pub(crate) trait Flow {
    type Request: Default;
    type Valid: Send + Sync;
    /// Stores one parameter; `Ok(false)` for a parameter the flow does not know.
    fn set(request: &mut Self::Request, name: &str, value: String) -> Result<bool, Error>;
    fn pairs(request: &Self::Request) -> Vec<(&'static str, &str)>;
    fn validate(
        store: &crate::storage::Store,
        request: &Self::Request,
        now: i64,
    ) -> impl std::future::Future<Output = Result<Self::Valid, Refusal>> + Send;
    fn redirect_uri(valid: &Self::Valid) -> &str;
    fn state(valid: &Self::Valid) -> Option<&str>;
    /// Whether the request may be put before this signed-in person (consent, approval, denial).
    fn offered_to(_valid: &Self::Valid, _username: &str) -> Result<(), Error> {
        Ok(())
    }
    fn consent(valid: &Self::Valid, form: pages::ConsentForm<'_>) -> String;
    /// The approval: the parameters the redirect carries back (besides `state` and `iss`).
    fn approve(
        deps: &Deps,
        valid: &Self::Valid,
        username: &str,
        issuer: &str,
        now: i64,
    ) -> impl std::future::Future<Output = Result<Vec<(&'static str, String)>, Error>> + Send;
}

/// The authorization code grant (RFC 6749 §4.1).
pub(crate) struct CodeFlow;

impl Flow for CodeFlow {
    type Request = AuthorizationRequest;
    type Valid = ValidRequest;

    fn set(request: &mut AuthorizationRequest, name: &str, value: String) -> Result<bool, Error> {
        set_authorization_field(request, name, value)
    }

    fn pairs(request: &AuthorizationRequest) -> Vec<(&'static str, &str)> {
        authorization_pairs(request)
    }

    async fn validate(
        store: &crate::storage::Store,
        request: &AuthorizationRequest,
        now: i64,
    ) -> Result<ValidRequest, Refusal> {
        authorization_code::validate(store, request, now).await
    }

    fn redirect_uri(valid: &ValidRequest) -> &str {
        &valid.redirect_uri
    }

    fn state(valid: &ValidRequest) -> Option<&str> {
        valid.state.as_deref()
    }

    fn offered_to(valid: &ValidRequest, username: &str) -> Result<(), Error> {
        authorization_code::check_offered_to(valid, username)
    }

    fn consent(valid: &ValidRequest, form: pages::ConsentForm<'_>) -> String {
        pages::consent(form, &valid.client, &valid.scope)
    }

    async fn approve(
        deps: &Deps,
        valid: &ValidRequest,
        username: &str,
        _issuer: &str,
        now: i64,
    ) -> Result<Vec<(&'static str, String)>, Error> {
        let code = authorization_code::approve(&deps.store, valid, username, now).await?;
        Ok(vec![("code", code)])
    }
}

/// VMware Identity Manager's mobile registration.
pub(crate) struct MobileRegistrationFlow;

impl Flow for MobileRegistrationFlow {
    type Request = vmware::RegisterRequest;
    type Valid = vmware::ValidRegistration;

    fn set(
        request: &mut vmware::RegisterRequest,
        name: &str,
        value: String,
    ) -> Result<bool, Error> {
        let slot = match name {
            "app_product_id" => &mut request.app_product_id,
            "device_name" => &mut request.device_name,
            "user_device" => &mut request.user_device,
            // VMware's apps send `type=register`; nothing depends on it.
            "type" => return Ok(true),
            _ => return set_authorization_field(&mut request.authorization, name, value),
        };
        if slot.replace(value).is_some() {
            return Err(repeated(name));
        }
        Ok(true)
    }

    fn pairs(request: &vmware::RegisterRequest) -> Vec<(&'static str, &str)> {
        let mut pairs = authorization_pairs(&request.authorization);
        for (name, value) in [
            ("app_product_id", &request.app_product_id),
            ("device_name", &request.device_name),
            ("user_device", &request.user_device),
        ] {
            if let Some(value) = value {
                pairs.push((name, value));
            }
        }
        pairs
    }

    async fn validate(
        store: &crate::storage::Store,
        request: &vmware::RegisterRequest,
        _now: i64,
    ) -> Result<vmware::ValidRegistration, Refusal> {
        vmware::validate(store, request).await
    }

    fn redirect_uri(valid: &vmware::ValidRegistration) -> &str {
        &valid.redirect_uri
    }

    fn state(valid: &vmware::ValidRegistration) -> Option<&str> {
        valid.state.as_deref()
    }

    fn consent(valid: &vmware::ValidRegistration, form: pages::ConsentForm<'_>) -> String {
        pages::register_app(form, valid)
    }

    async fn approve(
        deps: &Deps,
        valid: &vmware::ValidRegistration,
        username: &str,
        issuer: &str,
        now: i64,
    ) -> Result<Vec<(&'static str, String)>, Error> {
        let approved = vmware::approve(&deps.store, valid, username, issuer, now).await?;
        Ok(vec![
            ("code", approved.code),
            ("activation_code", approved.activation_code),
        ])
    }
}

fn repeated(name: &str) -> Error {
    Error::invalid_request(format!("parameter {name} is repeated"))
}

fn set_authorization_field(
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
        _ => return Ok(false),
    };
    if slot.replace(value).is_some() {
        return Err(repeated(name));
    }
    Ok(true)
}

fn authorization_pairs(request: &AuthorizationRequest) -> Vec<(&'static str, &str)> {
    let values = [
        &request.response_type,
        &request.client_id,
        &request.redirect_uri,
        &request.scope,
        &request.state,
        &request.code_challenge,
        &request.code_challenge_method,
    ];
    FIELDS
        .iter()
        .zip(values)
        .filter_map(|(name, value)| value.as_deref().map(|v| (*name, v)))
        .collect()
}

const FIELDS: [&str; 7] = [
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
];

/// Reads a request from name/value pairs (a query string or the re-posted form): every
/// parameter at most once (RFC 6749 §3.1), unknown ones ignored.
fn read_request<'a, F: Flow>(
    pairs: impl Iterator<Item = (std::borrow::Cow<'a, str>, std::borrow::Cow<'a, str>)>,
) -> Result<F::Request, Error> {
    let mut request = F::Request::default();
    for (name, value) in pairs {
        F::set(&mut request, &name, value.into_owned())?;
    }
    Ok(request)
}

/// The request as the forms carry it: a query string of exactly the fields read.
fn encode_request<F: Flow>(request: &F::Request) -> String {
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in F::pairs(request) {
        out.append_pair(name, value);
    }
    out.finish()
}

/// A 302 to the client's redirect URI with `params` and the issuer (RFC 9207) added to its query.
fn back_to_client(redirect_uri: &str, params: &[(&str, &str)], issuer: &str) -> Response<Body> {
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
fn allow_form_redirect_to(response: &mut Response<Body>, redirect_uri: &str) {
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

fn refusal_response(refusal: Refusal, issuer: &str) -> Result<Response<Body>, Error> {
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
    let sign_in_page = |status: StatusCode, request: &str, error: Option<&str>| {
        let (pre, new_cookie) = web::pre_session(pre_cookie.as_deref(), SESSION_TTL, secure)?;
        let csrf = web::csrf_for(secret, &pre);
        let mut response = html(
            status,
            pages::authorize_sign_in(path, &csrf, request, error),
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
        return match (&session, &session_cookie) {
            (Some(session), Some(cookie)) => {
                F::offered_to(&valid, &session.username)?;
                Ok(consent_page(&valid, &encoded, &session.username, cookie))
            }
            _ => sign_in_page(StatusCode::OK, &encoded, None),
        };
    }
    if req.method() != Method::POST {
        return Err(Error::invalid_request("use GET or POST for this page"));
    }

    let form = Form::from_request(req)?;
    let action = form.required("action")?;
    let request = read_request::<F>(url::form_urlencoded::parse(
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
            Some("This form expired. Please sign in again."),
        );
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
            let source = crate::http::source_address(req);
            match sign_in::sign_in(
                &deps.store,
                form.optional("username").unwrap_or(""),
                form.optional("password").unwrap_or(""),
                &source,
                now,
            )
            .await
            {
                Ok(signed_in) => {
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
                    sign_in_page(status, &encoded, Some(&e.description()))
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
        ("approve", Some(session)) => {
            let answer = F::approve(deps, &valid, &session.username, &issuer, now).await?;
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
        (_, None) => sign_in_page(
            StatusCode::UNAUTHORIZED,
            &encoded,
            Some("Please sign in to continue."),
        ),
        (other, Some(_)) => Err(Error::invalid_request(format!(
            "unknown action {}",
            other.chars().take(32).collect::<String>()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_round_trip_through_the_forms_and_refuse_repeats() {
        let query = "response_type=code&client_id=c&redirect_uri=http%3A%2F%2F127.0.0.1%3A5%2Fcb\
                     &scopes=a+b&state=s%26t&code_challenge=x&code_challenge_method=S256&extra=1";
        let request = read_request::<CodeFlow>(url::form_urlencoded::parse(query.as_bytes()));
        let Ok(request) = request else {
            panic!("{request:?}");
        };
        assert_eq!(request.scope.as_deref(), Some("a b"));
        assert_eq!(request.state.as_deref(), Some("s&t"));
        let again = read_request::<CodeFlow>(url::form_urlencoded::parse(
            encode_request::<CodeFlow>(&request).as_bytes(),
        ));
        assert_eq!(again.ok(), Some(request));
        let read = |q: &[u8]| read_request::<CodeFlow>(url::form_urlencoded::parse(q));
        assert!(read(b"state=a&state=b").is_err());
        assert!(read(b"scope=a&scopes=b").is_err());
    }

    #[test]
    fn answers_keep_the_redirect_uris_query_and_add_the_issuer() {
        let response = back_to_client(
            "com.example.app:/cb?keep=1",
            &[("code", "dgac_x"), ("state", "a b")],
            "https://gate.test",
        );
        assert_eq!(response.status(), StatusCode::FOUND);
        let location = response
            .headers()
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        assert_eq!(
            location,
            "com.example.app:/cb?keep=1&code=dgac_x&state=a+b&iss=https%3A%2F%2Fgate.test"
        );
    }
}
