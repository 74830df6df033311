//! VMware Identity Manager mobile registration: an app opens
//! `/SAAS/auth/device/register?app_product_id=<template>&device_name&user_device&...`, a person
//! signs in and approves, the app gets `code` and `activation_code`, activates once for its own
//! client credentials (`<template>@<uuid>`), and redeems the code with them. Each installation
//! is one client, bound to the person who registered it, revocable alone.
//!
//! No route mints an activation code for an existing client: an activation is written only by
//! an approval, names the one client it will create, and creating it fails if that id exists
//! (the 2022 "Hekate" chain against Workspace ONE Access minted one for any client).

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

use crate::error::Error;
use crate::model::vmware::{Activation, AppInstance, RegistrationTemplate};
use crate::model::*;
use crate::secrets::{self, SecretKind, hash_secret};
use crate::storage::Store;
use crate::usecases::authorization_code::{
    AuthorizationRequest, CODE_TTL, Refusal, redirect_uri_registered, validate_pkce,
};

/// How long an approved registration waits for its activation.
pub const ACTIVATION_TTL: i64 = 300;
/// The most `user_device` JSON accepted.
pub const MAX_USER_DEVICE: usize = 4096;

/// The register request: an authorization request plus the app's description of itself.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RegisterRequest {
    pub authorization: AuthorizationRequest,
    pub app_product_id: Option<String>,
    pub device_name: Option<String>,
    pub user_device: Option<String>,
}

/// A registration request the endpoint may act on.
#[derive(Clone, Debug)]
pub struct ValidRegistration {
    pub template: RegistrationTemplate,
    pub redirect_uri: String,
    pub scope: Scope,
    pub state: Option<String>,
    pub code_challenge: Option<String>,
    pub device_name: String,
    /// `user_device` re-serialised compactly.
    pub user_device: String,
    /// Its string and number fields, for the person to see.
    pub device_details: Vec<(String, String)>,
}

/// Checks a register request (one read, the template). Unknown template, missing or malformed
/// `user_device`, missing `device_name`, or a redirect URI the template does not list: a page.
/// A bad `response_type`, a scope outside the template, bad PKCE: back to the app.
pub async fn validate(
    store: &Store,
    request: &RegisterRequest,
) -> Result<ValidRegistration, Refusal> {
    let page = |why: &str| Refusal::Page(Error::invalid_request(why));
    let template_id = request
        .app_product_id
        .as_deref()
        .filter(|id| RegistrationTemplate::valid_id(id))
        .ok_or_else(|| page("app_product_id must name a registration template"))?;
    let template = store
        .get_template(template_id)
        .await?
        .filter(|t| !t.disabled)
        .ok_or_else(|| page("unknown or disabled registration template (app_product_id)"))?;
    let user_device = request
        .user_device
        .as_deref()
        .filter(|d| !d.is_empty() && d.len() <= MAX_USER_DEVICE)
        .ok_or_else(|| page("user_device must be a JSON object of at most 4096 bytes"))?;
    let Ok(serde_json::Value::Object(details)) = serde_json::from_str(user_device) else {
        return Err(page("user_device must be a JSON object"));
    };
    let device_name = request
        .device_name
        .as_deref()
        .ok_or_else(|| page("device_name must be 1 to 256 printable characters"))?;
    let device_name = DisplayName::parse("device_name", device_name, 256)
        .map_err(Refusal::Page)?
        .into_string();
    let auth = &request.authorization;
    let sent = auth
        .redirect_uri
        .as_deref()
        .ok_or_else(|| page("the request has no redirect_uri"))?;
    if !redirect_uri_registered(&template.redirect_uris, sent) {
        return Err(Refusal::Page(Error::InvalidRedirectUri(
            "this redirect_uri is not one the template lists".into(),
        )));
    }
    let redirect = |error: Error| Refusal::Redirect {
        redirect_uri: sent.to_owned(),
        state: auth.state.clone(),
        error,
    };
    if auth.state.as_deref().is_some_and(|s| s.len() > 2048) {
        return Err(redirect(Error::invalid_request("state is too long")));
    }
    if auth.response_type.as_deref() != Some("code") {
        return Err(redirect(Error::UnsupportedResponseType(
            "only response_type=code is supported".into(),
        )));
    }
    let scope = match auth.scope.as_deref() {
        None | Some("") => template.scopes.clone(),
        Some(asked) => {
            let asked = Scope::parse(asked).map_err(&redirect)?;
            if !asked.is_subset_of(&template.scopes) {
                return Err(redirect(Error::InvalidScope(
                    "the template does not allow this scope".into(),
                )));
            }
            asked
        }
    };
    // Instances are confidential clients: PKCE is honoured when sent, not required.
    let code_challenge = validate_pkce(auth, false).map_err(&redirect)?;
    let device_details: Vec<(String, String)> = details
        .iter()
        .filter_map(|(k, v)| match v {
            serde_json::Value::String(s) => Some((k.clone(), s.clone())),
            serde_json::Value::Number(n) => Some((k.clone(), n.to_string())),
            serde_json::Value::Bool(b) => Some((k.clone(), b.to_string())),
            _ => None,
        })
        .take(20)
        .collect();
    // What the device says about itself is shown too, under the same rule as its name.
    for (name, value) in &device_details {
        for text in [name, value] {
            DisplayName::check_shown("user_device", text).map_err(Refusal::Page)?;
        }
    }
    Ok(ValidRegistration {
        redirect_uri: sent.to_owned(),
        scope,
        state: auth.state.clone(),
        code_challenge,
        device_name,
        user_device: serde_json::Value::Object(details).to_string(),
        device_details,
        template,
    })
}

/// What the approval hands back to the app.
#[derive(Debug)]
pub struct Approved {
    pub code: String,
    pub activation_code: String,
    pub client_id: String,
}

/// The signed-in person approved: the instance's client id is chosen, its authorization code
/// and its activation are written together (one transaction). The activation code is what
/// VMware apps expect: base64 of `{"ota", "url", "tid"}`, the one-time token being the secret.
pub async fn approve(
    store: &Store,
    valid: &ValidRegistration,
    username: &str,
    base_url: &str,
    origin: &Origin,
    now: i64,
) -> Result<Approved, Error> {
    let client_id = format!("{}@{}", valid.template.template_id, uuid_v4()?);
    let code = secrets::issue(SecretKind::AuthorizationCode)?;
    let ota = secrets::issue(SecretKind::AuthorizationCode)?;
    let authorization = AuthorizationCode {
        code_hash: code.hash().to_owned(),
        client_id: client_id.clone(),
        redirect_uri: valid.redirect_uri.clone(),
        username: username.to_owned(),
        scope: valid.scope.to_wire(),
        code_challenge: valid.code_challenge.clone(),
        nonce: None,
        auth_time: None,
        lifetimes: valid.template.lifetimes,
        issued_at: now,
        // The app activates first, then redeems: the code waits as long as the activation.
        expires_at: now + CODE_TTL.max(ACTIVATION_TTL),
        family_id: None,
        ttl: now + ACTIVATION_TTL,
    };
    let activation = Activation {
        code_hash: Activation::key(ota.hash()),
        client_id: client_id.clone(),
        template_id: valid.template.template_id.clone(),
        username: username.to_owned(),
        device_name: valid.device_name.clone(),
        user_device: valid.user_device.clone(),
        expires_at: now + ACTIVATION_TTL,
        activated_at: None,
        ttl: now + ACTIVATION_TTL,
    };
    let audit = AuditEvent::success(
        AuditType::DeviceApproved,
        &origin.by(Actor::user(username)),
        &client_id,
    )
    .because(&format!(
        "VMware mobile registration of {} (template {}) approved by its user",
        valid.device_name, valid.template.template_id
    ));
    store
        .put_mobile_registration(&authorization, &activation, &audit)
        .await?;
    let activation_code = STANDARD.encode(
        serde_json::json!({ "ota": ota.value(), "url": base_url, "tid": "devicegate" }).to_string(),
    );
    tracing::info!(%client_id, username, template = %valid.template.template_id, "mobile registration approved");
    Ok(Approved {
        code: code.into_value(),
        activation_code,
        client_id,
    })
}

/// A random UUID (version 4) from the OS generator.
fn uuid_v4() -> Result<String, Error> {
    let mut b = secrets::random_bytes::<16>()?;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = secrets::to_hex(&b);
    Ok(format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    ))
}

/// The instance's credentials, shown once.
#[derive(Debug)]
pub struct Activated {
    pub client_id: String,
    pub client_secret: String,
}

/// Activates a registration: the raw activation code (with or without surrounding quotes) is
/// the whole request. Single-use and short-lived; it creates exactly the client its approval
/// named. Two round trips: the activation read, then one transaction.
pub async fn activate(
    store: &Store,
    body: &[u8],
    origin: &Origin,
    now: i64,
) -> Result<Activated, Error> {
    let refused = || Error::invalid_request("not a valid activation code");
    if body.len() > 4096 {
        return Err(refused());
    }
    let text = std::str::from_utf8(body).map_err(|_| refused())?.trim();
    let text = text
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(text);
    let decoded = STANDARD
        .decode(text)
        .or_else(|_| URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')))
        .map_err(|_| refused())?;
    #[derive(serde::Deserialize)]
    struct Payload {
        ota: String,
    }
    let payload: Payload = serde_json::from_slice(&decoded).map_err(|_| refused())?;
    if !payload.ota.starts_with("dgac_") || payload.ota.len() > 128 {
        return Err(refused());
    }
    let activation = store
        .get_activation(&Activation::key(&hash_secret(&payload.ota)))
        .await?
        .filter(|a| a.activated_at.is_none() && a.expires_at > now)
        .ok_or_else(refused)?;
    let template = store
        .get_template(&activation.template_id)
        .await?
        .filter(|t| !t.disabled)
        .ok_or_else(refused)?;
    let secret = secrets::issue(SecretKind::ClientSecret)?;
    let mut grants = vec![GrantType::AuthorizationCode];
    if template.issue_refresh_tokens {
        grants.push(GrantType::RefreshToken);
    }
    let client = OAuthClient {
        scopes: template.scopes.clone(),
        redirect_uris: template.redirect_uris.clone(),
        access_token_ttl: Some(template.lifetimes.access_token_ttl),
        refresh_token_ttl: Some(template.lifetimes.refresh_token_ttl),
        origin: ClientOrigin::Vmware,
        instance: Some(AppInstance {
            template_id: template.template_id.clone(),
            username: activation.username.clone(),
            device_name: activation.device_name.clone(),
        }),
        ..OAuthClient::new(
            activation.client_id.clone(),
            format!("{} ({})", activation.device_name, template.template_id),
            OAuthClientType::Confidential,
            Some(secret.hash().to_owned()),
            grants,
            now,
        )
    };
    let audit = AuditEvent::success(
        AuditType::ClientRegistered,
        &origin.by(Actor::client(&client.client_id)),
        &client.client_id,
    )
    .because(&format!(
        "VMware app instance activated (template {}, user {})",
        template.template_id, activation.username
    ));
    if !store.activate(&activation, &client, now, &audit).await? {
        return Err(refused());
    }
    tracing::info!(client_id = %client.client_id, "app instance activated");
    Ok(Activated {
        client_id: client.client_id,
        client_secret: secret.into_value(),
    })
}

/// What an administrator gives for a new template.
#[derive(Clone, Debug)]
pub struct NewTemplate {
    pub template_id: String,
    pub redirect_uris: Vec<String>,
    pub scopes: Scope,
    pub access_token_ttl: Option<i64>,
    pub refresh_token_ttl: Option<i64>,
    pub issue_refresh_tokens: bool,
}

pub async fn create_template(
    store: &Store,
    new: NewTemplate,
    now: i64,
    origin: &Origin,
) -> Result<RegistrationTemplate, Error> {
    if !RegistrationTemplate::valid_id(&new.template_id) {
        return Err(Error::invalid_request(
            "template_id must be 1 to 64 letters, digits, '.', '_' or '-'",
        ));
    }
    if new.redirect_uris.is_empty() || new.redirect_uris.len() > 10 {
        return Err(Error::invalid_request("give 1 to 10 redirect_uris"));
    }
    for uri in &new.redirect_uris {
        RedirectUri::parse(uri).map_err(|e| Error::invalid_request(e.description()))?;
    }
    let default = Lifetimes::default();
    let lifetimes = Lifetimes {
        access_token_ttl: new.access_token_ttl.unwrap_or(default.access_token_ttl),
        refresh_token_ttl: new.refresh_token_ttl.unwrap_or(default.refresh_token_ttl),
    };
    ApiKeySettings {
        access_token_ttl: Some(lifetimes.access_token_ttl),
        refresh_token_ttl: Some(lifetimes.refresh_token_ttl),
        ..Default::default()
    }
    .validate(now)?;
    let template = RegistrationTemplate {
        template_id: new.template_id,
        redirect_uris: new.redirect_uris,
        scopes: new.scopes,
        lifetimes,
        issue_refresh_tokens: new.issue_refresh_tokens,
        disabled: false,
        created_at: now,
    };
    let audit = AuditEvent::success(AuditType::TemplateCreated, origin, &template.template_id);
    store.put_template(&template, &audit).await?;
    Ok(template)
}
