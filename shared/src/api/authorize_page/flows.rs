//! What differs between the pages: the request each reads, how it is judged, and its answer.

use super::parameters::{authorization_pairs, repeated, set_authorization_field};
use crate::Deps;
use crate::error::Error;
use crate::model::Origin;
use crate::usecases::authorization_code::{
    self, AuthorizationRequest, Prompt, Refusal, ValidRequest,
};
use crate::usecases::vmware;
use crate::web::pages;

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
    /// What the request's `prompt` and `max_age` ask of the page (OpenID Connect only).
    fn prompt(_valid: &Self::Valid) -> (Prompt, Option<i64>) {
        (Prompt::default(), None)
    }
    /// Once the person has signed in again, the request no longer asks for it (or the page
    /// would ask forever).
    fn signed_in_again(_request: &mut Self::Request) {}
    /// The approval: the parameters the redirect carries back (besides `state` and `iss`).
    /// `signed_in_at` is when the approving person's session began; `origin` is the page's.
    fn approve(
        deps: &Deps,
        valid: &Self::Valid,
        username: &str,
        signed_in_at: i64,
        issuer: &str,
        origin: &Origin,
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

    fn prompt(valid: &ValidRequest) -> (Prompt, Option<i64>) {
        (valid.prompt, valid.max_age)
    }

    fn signed_in_again(request: &mut AuthorizationRequest) {
        request.max_age = None;
        request.prompt = request.prompt.take().and_then(|p| {
            let rest: Vec<&str> = p
                .split(' ')
                .filter(|v| *v != "login" && !v.is_empty())
                .collect();
            (!rest.is_empty()).then(|| rest.join(" "))
        });
    }

    async fn approve(
        deps: &Deps,
        valid: &ValidRequest,
        username: &str,
        signed_in_at: i64,
        _issuer: &str,
        _origin: &Origin,
        now: i64,
    ) -> Result<Vec<(&'static str, String)>, Error> {
        let code =
            authorization_code::approve(&deps.store, valid, username, signed_in_at, now).await?;
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
        _signed_in_at: i64,
        issuer: &str,
        origin: &Origin,
        now: i64,
    ) -> Result<Vec<(&'static str, String)>, Error> {
        let approved = vmware::approve(&deps.store, valid, username, issuer, origin, now).await?;
        Ok(vec![
            ("code", approved.code),
            ("activation_code", approved.activation_code),
        ])
    }
}
