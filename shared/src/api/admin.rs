//! The `admin` function: a JSON API under `/admin`, guarded by admin keys.

use lambda_http::http::header;
use lambda_http::{Body, Request, RequestExt, Response};
use serde::{Deserialize, Serialize};

use crate::Deps;
use crate::error::Error;
use crate::http::{json_body, json_response, now, single_header};
use crate::keys::DevicePublicKey;
use crate::model::{
    ApiKey, ApiKeySettings, Device, DeviceStatus, GrantType, InitialAccessToken, OAuthClient,
    OAuthClientType, Scope, User,
};
use crate::usecases::admin::{self, DeviceAction, NewClient, NewUser};
use crate::usecases::client_registration::{self, NewInitialAccessToken};

type Reply = Result<Response<Body>, Error>;

/// Every admin route starts here: `Authorization: Bearer <admin key>`, or 401.
async fn authorized(deps: &Deps, req: &Request) -> Result<(), Error> {
    let bearer = single_header(req, header::AUTHORIZATION.as_str())?
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    admin::authenticate(&deps.store, bearer).await?;
    Ok(())
}

use crate::http::path_param as param;

pub(crate) fn unknown_action(action: &str) -> Error {
    Error::NotFound(format!(
        "no action {}",
        action.chars().take(32).collect::<String>()
    ))
}

/// `GET /admin/devices?status=...` (default `pending`: every registration waiting for a decision).
pub async fn list_devices(deps: &Deps, req: Request) -> Reply {
    authorized(deps, &req).await?;
    let status = query_param(&req, "status").unwrap_or_else(|| "pending".to_owned());
    let status = DeviceStatus::parse_field("status", &status)?;
    let devices = admin::list_devices(&deps.store, status).await?;
    let views: Vec<DeviceView> = devices.iter().map(DeviceView::from).collect();
    Ok(json_response(200, &serde_json::json!({ "devices": views })))
}

/// `POST /admin/devices/{client_id}/{approve|deny|revoke}`.
pub async fn device_action(deps: &Deps, req: Request) -> Reply {
    authorized(deps, &req).await?;
    let action = param(&req, "action")?;
    let action = DeviceAction::parse(&action).ok_or_else(|| unknown_action(&action))?;
    let device =
        admin::act_on_device(&deps.store, &param(&req, "client_id")?, action, now()).await?;
    Ok(json_response(200, &DeviceView::from(&device)))
}

/// `GET /admin/api-keys`.
pub async fn list_api_keys(deps: &Deps, req: Request) -> Reply {
    authorized(deps, &req).await?;
    let keys = deps.store.list_api_keys().await?;
    let views: Vec<ApiKeyView> = keys.iter().map(|k| ApiKeyView::new(k, None)).collect();
    Ok(json_response(
        200,
        &serde_json::json!({ "api_keys": views }),
    ))
}

/// `POST /admin/api-keys`: the key is in the response this once.
pub async fn create_api_key(deps: &Deps, req: Request) -> Reply {
    authorized(deps, &req).await?;
    let input: NewApiKey = json_body(&req)?;
    let settings = ApiKeySettings {
        auto_trust: input.auto_trust,
        allow_untrusted_endpoints: input.allow_untrusted_endpoints,
        allow_unauthenticated_requests: input.allow_unauthenticated_requests,
        access_token_ttl: input.access_token_ttl,
        refresh_token_ttl: input.refresh_token_ttl,
        expires_at: input.expires_at.map(|t| t.epoch()).transpose()?,
        allowed_sources: input.allowed_sources,
    };
    let created = admin::create_api_key(&deps.store, &input.name, settings, now()).await?;
    Ok(json_response(
        201,
        &ApiKeyView::new(&created.key, Some(&created.value)),
    ))
}

/// `POST /admin/api-keys/{id}/disable`.
pub async fn api_key_action(deps: &Deps, req: Request) -> Reply {
    authorized(deps, &req).await?;
    match param(&req, "action")?.as_str() {
        "disable" => {
            let key = admin::disable_api_key(&deps.store, &param(&req, "id")?).await?;
            Ok(json_response(200, &ApiKeyView::new(&key, None)))
        }
        "settings" => {
            let input: ApiKeySettingsBody = json_body(&req)?;
            let change = admin::ApiKeySettingsChange {
                auto_trust: input.auto_trust,
                allow_untrusted_endpoints: input.allow_untrusted_endpoints,
                allow_unauthenticated_requests: input.allow_unauthenticated_requests,
                access_token_ttl: input.access_token_ttl,
                refresh_token_ttl: input.refresh_token_ttl,
                expires_at: input.expires_at.map(|t| t.epoch()).transpose()?,
                allowed_sources: input.allowed_sources,
            };
            let key =
                admin::change_api_key_settings(&deps.store, &param(&req, "id")?, change, now())
                    .await?;
            Ok(json_response(200, &ApiKeyView::new(&key, None)))
        }
        other => Err(unknown_action(other)),
    }
}

/// `GET /admin/clients[?username=U]`: every client, or a user's app instances (VMware).
pub async fn list_clients(deps: &Deps, req: Request) -> Reply {
    authorized(deps, &req).await?;
    let mut clients = deps.store.list_clients().await?;
    if let Some(username) = query_param(&req, "username") {
        clients.retain(|c| c.instance.as_ref().is_some_and(|i| i.username == username));
    }
    let views: Vec<ClientView> = clients.iter().map(|c| ClientView::new(c, None)).collect();
    Ok(json_response(200, &serde_json::json!({ "clients": views })))
}

/// `GET /admin/templates`: VMware mobile registration templates.
pub async fn list_templates(deps: &Deps, req: Request) -> Reply {
    authorized(deps, &req).await?;
    let templates = deps.store.list_templates().await?;
    Ok(json_response(
        200,
        &serde_json::json!({ "templates": templates.iter().map(template_view).collect::<Vec<_>>() }),
    ))
}

/// `POST /admin/templates` `{"template_id", "redirect_uris", "scopes"?, "access_token_ttl"?,
/// "refresh_token_ttl"?, "issue_refresh_tokens"?}`.
pub async fn create_template(deps: &Deps, req: Request) -> Reply {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Body {
        template_id: String,
        redirect_uris: Vec<String>,
        #[serde(default)]
        scopes: Vec<String>,
        access_token_ttl: Option<i64>,
        refresh_token_ttl: Option<i64>,
        #[serde(default = "yes")]
        issue_refresh_tokens: bool,
    }
    fn yes() -> bool {
        true
    }
    authorized(deps, &req).await?;
    let input: Body = json_body(&req)?;
    let template = crate::usecases::vmware::create_template(
        &deps.store,
        crate::usecases::vmware::NewTemplate {
            template_id: input.template_id,
            redirect_uris: input.redirect_uris,
            scopes: crate::model::Scope::from_tokens(input.scopes.iter().map(String::as_str))?,
            access_token_ttl: input.access_token_ttl,
            refresh_token_ttl: input.refresh_token_ttl,
            issue_refresh_tokens: input.issue_refresh_tokens,
        },
        now(),
    )
    .await?;
    Ok(json_response(201, &template_view(&template)))
}

/// `POST /admin/templates/{id}/disable`: no new registrations (instances keep working; disable
/// an instance through its client).
pub async fn template_action(deps: &Deps, req: Request) -> Reply {
    authorized(deps, &req).await?;
    match param(&req, "action")?.as_str() {
        "disable" => {
            let template = deps.store.disable_template(&param(&req, "id")?).await?;
            Ok(json_response(200, &template_view(&template)))
        }
        other => Err(unknown_action(other)),
    }
}

fn template_view(t: &crate::model::vmware::RegistrationTemplate) -> serde_json::Value {
    serde_json::json!({
        "template_id": t.template_id,
        "redirect_uris": t.redirect_uris,
        "scopes": t.scopes.tokens(),
        "access_token_ttl": t.lifetimes.access_token_ttl,
        "refresh_token_ttl": t.lifetimes.refresh_token_ttl,
        "issue_refresh_tokens": t.issue_refresh_tokens,
        "disabled": t.disabled,
        "created_at": rfc3339(t.created_at),
    })
}

/// `POST /admin/clients`: a confidential client's secret is in the response this once.
pub async fn create_client(deps: &Deps, req: Request) -> Reply {
    authorized(deps, &req).await?;
    let input: NewClientBody = json_body(&req)?;
    let created = admin::create_client(&deps.store, input.parse()?, now()).await?;
    Ok(json_response(
        201,
        &ClientView::new(&created.client, created.secret.as_deref()),
    ))
}

/// `POST /admin/clients/{client_id}/disable` and, for self-registered clients, `/delete`.
pub async fn client_action(deps: &Deps, req: Request) -> Reply {
    authorized(deps, &req).await?;
    let client_id = param(&req, "client_id")?;
    let client = match param(&req, "action")?.as_str() {
        "disable" => deps.store.disable_client(&client_id).await?,
        "delete" => admin::delete_client(&deps.store, &client_id, now()).await?,
        other => return Err(unknown_action(other)),
    };
    Ok(json_response(200, &ClientView::new(&client, None)))
}

/// `GET /admin/initial-access-tokens`.
pub async fn list_initial_access_tokens(deps: &Deps, req: Request) -> Reply {
    authorized(deps, &req).await?;
    let tokens = deps.store.list_initial_access_tokens().await?;
    let views: Vec<InitialAccessTokenView> = tokens
        .iter()
        .map(|t| InitialAccessTokenView::new(t, None))
        .collect();
    Ok(json_response(
        200,
        &serde_json::json!({ "initial_access_tokens": views }),
    ))
}

/// `POST /admin/initial-access-tokens`: the token is in the response this once.
pub async fn create_initial_access_token(deps: &Deps, req: Request) -> Reply {
    authorized(deps, &req).await?;
    let input: NewInitialAccessTokenBody = json_body(&req)?;
    let (token, value) = client_registration::issue_initial_access_token(
        &deps.store,
        NewInitialAccessToken {
            name: input.name,
            max_uses: input.max_uses,
            expires_in: input.expires_in.unwrap_or(24 * 3600),
        },
        now(),
    )
    .await?;
    Ok(json_response(
        201,
        &InitialAccessTokenView::new(&token, Some(&value)),
    ))
}

/// `POST /admin/initial-access-tokens/{id}/disable`.
pub async fn initial_access_token_action(deps: &Deps, req: Request) -> Reply {
    authorized(deps, &req).await?;
    match param(&req, "action")?.as_str() {
        "disable" => {
            let token = deps
                .store
                .disable_initial_access_token(&param(&req, "id")?)
                .await?;
            Ok(json_response(
                200,
                &InitialAccessTokenView::new(&token, None),
            ))
        }
        other => Err(unknown_action(other)),
    }
}

/// `GET /admin/users`.
pub async fn list_users(deps: &Deps, req: Request) -> Reply {
    authorized(deps, &req).await?;
    let users = deps.store.list_users().await?;
    let views: Vec<UserView> = users.iter().map(UserView::from).collect();
    Ok(json_response(200, &serde_json::json!({ "users": views })))
}

/// `POST /admin/users`: the password is never echoed.
pub async fn create_user(deps: &Deps, req: Request) -> Reply {
    authorized(deps, &req).await?;
    let input: NewUserBody = json_body(&req)?;
    let user = admin::create_user(
        &deps.store,
        NewUser {
            username: input.username,
            password: input.password,
            display_name: input.display_name,
            email: input.email,
        },
        now(),
    )
    .await?;
    Ok(json_response(201, &UserView::from(&user)))
}

/// `POST /admin/users/{username}/{disable|password}`.
pub async fn user_action(deps: &Deps, req: Request) -> Reply {
    authorized(deps, &req).await?;
    let username = param(&req, "username")?;
    let user = match param(&req, "action")?.as_str() {
        "disable" => admin::disable_user(&deps.store, &username, now()).await?,
        "login-ids" => {
            let input: LoginIdsBody = json_body(&req)?;
            admin::set_login_ids(
                &deps.store,
                deps.settings.server_secret()?,
                &username,
                input.card_id.as_ref().map(|c| c.as_deref()),
                input.short_id.as_ref().map(|c| c.as_deref()),
                now(),
            )
            .await?
        }
        "password" => {
            let input: PasswordBody = json_body(&req)?;
            admin::reset_password(&deps.store, &username, &input.password, now()).await?
        }
        other => return Err(unknown_action(other)),
    };
    Ok(json_response(200, &UserView::from(&user)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewClientBody {
    client_name: String,
    client_type: String,
    grant_types: Vec<String>,
    #[serde(default)]
    scopes: Vec<String>,
    #[serde(default)]
    redirect_uris: Vec<String>,
    access_token_ttl: Option<i64>,
    refresh_token_ttl: Option<i64>,
    #[serde(default)]
    introspection: bool,
}

impl NewClientBody {
    fn parse(self) -> Result<NewClient, Error> {
        let client_type = OAuthClientType::parse_field("client_type", &self.client_type)?;
        let grant_types = self
            .grant_types
            .iter()
            .map(|g| GrantType::parse_field("grant_types", g))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(NewClient {
            client_name: self.client_name,
            client_type,
            grant_types,
            scopes: Scope::from_tokens(self.scopes.iter().map(String::as_str))
                .map_err(|e| Error::invalid_request(e.description()))?,
            redirect_uris: self.redirect_uris,
            access_token_ttl: self.access_token_ttl,
            refresh_token_ttl: self.refresh_token_ttl,
            introspection: self.introspection,
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewUserBody {
    username: String,
    password: String,
    display_name: Option<String>,
    email: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PasswordBody {
    password: String,
}

/// An OAuth client as administrators see it; the secret only once, at creation.
#[derive(Serialize)]
pub struct ClientView<'a> {
    client_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_secret: Option<&'a str>,
    client_name: &'a str,
    client_type: &'static str,
    grant_types: Vec<&'static str>,
    scopes: &'a [String],
    redirect_uris: &'a [String],
    access_token_ttl: i64,
    refresh_token_ttl: i64,
    introspection: bool,
    disabled: bool,
    created_at: String,
    /// Who made it: `admin`, or the dialect it registered itself through.
    origin: &'static str,
    /// When it last started a device authorization.
    last_used_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_secret_expires_at: Option<String>,
    /// When a self-registered client left unused is deleted.
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_at: Option<String>,
    /// A VMware app instance: its template, user and device name.
    #[serde(skip_serializing_if = "Option::is_none")]
    instance: Option<&'a crate::model::vmware::AppInstance>,
}

impl<'a> ClientView<'a> {
    fn new(c: &'a OAuthClient, secret: Option<&'a str>) -> Self {
        let lifetimes = c.lifetimes();
        ClientView {
            instance: c.instance.as_ref(),
            client_id: &c.client_id,
            client_secret: secret,
            client_name: &c.client_name,
            client_type: c.client_type.as_str(),
            grant_types: c.grant_types.iter().map(|g| g.as_str()).collect(),
            scopes: c.scopes.tokens(),
            redirect_uris: &c.redirect_uris,
            access_token_ttl: lifetimes.access_token_ttl,
            refresh_token_ttl: lifetimes.refresh_token_ttl,
            introspection: c.introspection,
            disabled: c.disabled,
            created_at: rfc3339(c.created_at),
            origin: c.origin.as_str(),
            last_used_at: c.last_used_at.map(rfc3339),
            client_secret_expires_at: c.secret_expires_at.map(rfc3339),
            expires_at: c.expires_at.map(rfc3339),
        }
    }
}

/// An initial access token as administrators see it: its value only when just issued.
#[derive(Serialize)]
pub struct InitialAccessTokenView<'a> {
    id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    initial_access_token: Option<&'a str>,
    name: &'a str,
    max_uses: Option<i64>,
    uses: i64,
    expires_at: String,
    disabled: bool,
    created_at: String,
}

impl<'a> InitialAccessTokenView<'a> {
    fn new(t: &'a InitialAccessToken, value: Option<&'a str>) -> Self {
        InitialAccessTokenView {
            id: &t.id,
            initial_access_token: value,
            name: &t.name,
            max_uses: t.max_uses,
            uses: t.uses,
            expires_at: rfc3339(t.expires_at),
            disabled: t.disabled,
            created_at: rfc3339(t.created_at),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewInitialAccessTokenBody {
    name: String,
    max_uses: Option<i64>,
    /// Seconds; one day when left out.
    expires_in: Option<i64>,
}

/// A user as administrators see it: never the password or its hash.
#[derive(Serialize)]
pub struct UserView<'a> {
    username: &'a str,
    display_name: Option<&'a str>,
    email: Option<&'a str>,
    /// Whether a card id / short id is set (their values are never stored).
    card_id_set: bool,
    short_id_set: bool,
    disabled: bool,
    created_at: String,
    updated_at: String,
}

impl<'a> From<&'a User> for UserView<'a> {
    fn from(u: &'a User) -> Self {
        UserView {
            username: &u.username,
            display_name: u.display_name.as_deref(),
            email: u.email.as_deref(),
            card_id_set: u.card_id_hmac.is_some(),
            short_id_set: u.short_id_hmac.is_some(),
            disabled: u.disabled,
            created_at: rfc3339(u.created_at),
            updated_at: rfc3339(u.updated_at),
        }
    }
}

fn query_param(req: &Request, name: &str) -> Option<String> {
    req.query_string_parameters_ref()
        .and_then(|q| q.first(name))
        .map(str::to_owned)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewApiKey {
    name: String,
    #[serde(default)]
    auto_trust: bool,
    #[serde(default)]
    allow_untrusted_endpoints: bool,
    #[serde(default)]
    allow_unauthenticated_requests: bool,
    access_token_ttl: Option<i64>,
    refresh_token_ttl: Option<i64>,
    expires_at: Option<Timestamp>,
    #[serde(default)]
    allowed_sources: Vec<String>,
}

/// `POST /admin/api-keys/{id}/settings`: only the fields sent change.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ApiKeySettingsBody {
    auto_trust: Option<bool>,
    allow_untrusted_endpoints: Option<bool>,
    allow_unauthenticated_requests: Option<bool>,
    access_token_ttl: Option<i64>,
    refresh_token_ttl: Option<i64>,
    expires_at: Option<Timestamp>,
    allowed_sources: Option<Vec<String>>,
}

/// `POST /admin/users/{username}/login-ids`: a string sets an identifier, `null` clears it, an
/// absent field leaves it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginIdsBody {
    #[serde(default, deserialize_with = "present")]
    card_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    short_id: Option<Option<String>>,
}

/// Tells `"field": null` (`Some(None)`) from an absent field (`None`).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// A time given as RFC 3339 text or as epoch seconds.
#[derive(Deserialize)]
#[serde(untagged)]
enum Timestamp {
    Epoch(i64),
    Text(String),
}

impl Timestamp {
    fn epoch(&self) -> Result<i64, Error> {
        match self {
            Timestamp::Epoch(s) => Ok(*s),
            Timestamp::Text(t) => humantime::parse_rfc3339_weak(t)
                .ok()
                .and_then(|st| st.duration_since(std::time::UNIX_EPOCH).ok())
                .and_then(|d| i64::try_from(d.as_secs()).ok())
                .ok_or_else(|| {
                    Error::invalid_request("expires_at must be RFC 3339 or epoch seconds")
                }),
        }
    }
}

/// RFC 3339 text of an epoch time, for any `i64`: out-of-range values (which no input path
/// accepts, but a hand-edited item may hold) are clamped to 1970..=9999 rather than panicking.
pub(crate) fn rfc3339(epoch: i64) -> String {
    const LAST_SECOND_OF_9999: u64 = 253_402_300_799;
    let secs = u64::try_from(epoch).unwrap_or(0).min(LAST_SECOND_OF_9999);
    let mut text = String::new();
    let time = humantime::format_rfc3339_seconds(
        std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs),
    );
    use std::fmt::Write as _;
    if write!(text, "{time}").is_err() {
        return epoch.to_string();
    }
    text
}

/// A device as administrators see it: enough to tell two registrations apart (which API key,
/// which public key) before approving one.
#[derive(Serialize)]
pub struct DeviceView<'a> {
    client_id: &'a str,
    client_type: &'static str,
    client_description: Option<&'a str>,
    status: &'static str,
    key_type: Option<&'static str>,
    key_fingerprint: Option<String>,
    api_key_id: &'a str,
    api_key_name: &'a str,
    pending_registration: Option<PendingView<'a>>,
    created_at: String,
    updated_at: String,
}

/// A registration waiting for a decision: what approving it would set.
#[derive(Serialize)]
pub struct PendingView<'a> {
    client_type: &'static str,
    client_description: Option<&'a str>,
    key_type: Option<&'static str>,
    key_fingerprint: Option<String>,
    created_at: String,
    expires_at: String,
}

impl<'a> From<&'a Device> for DeviceView<'a> {
    fn from(d: &'a Device) -> Self {
        DeviceView {
            client_id: &d.client_id,
            client_type: d.client_type.as_str(),
            client_description: d.client_description.as_deref(),
            status: d.status.as_str(),
            key_type: d.key.as_ref().map(|k| k.key_type.as_str()),
            key_fingerprint: d.key.as_ref().map(DevicePublicKey::fingerprint),
            api_key_id: &d.api_key_id,
            api_key_name: &d.api_key_name,
            pending_registration: d.pending.as_ref().map(|p| PendingView {
                client_type: p.client_type.as_str(),
                client_description: p.client_description.as_deref(),
                key_type: p.key.as_ref().map(|k| k.key_type.as_str()),
                key_fingerprint: p.key.as_ref().map(DevicePublicKey::fingerprint),
                created_at: rfc3339(p.created_at),
                expires_at: rfc3339(p.expires_at),
            }),
            created_at: rfc3339(d.created_at),
            updated_at: rfc3339(d.updated_at),
        }
    }
}

/// An API key as administrators see it; the key itself only once, at creation.
#[derive(Serialize)]
pub struct ApiKeyView<'a> {
    id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    api_key: Option<&'a str>,
    name: &'a str,
    auto_trust: bool,
    allow_untrusted_endpoints: bool,
    allow_unauthenticated_requests: bool,
    access_token_ttl: i64,
    refresh_token_ttl: i64,
    expires_at: Option<String>,
    allowed_sources: &'a [String],
    disabled: bool,
    created_at: String,
}

impl<'a> ApiKeyView<'a> {
    fn new(k: &'a ApiKey, value: Option<&'a str>) -> Self {
        let lifetimes = k.settings.lifetimes();
        ApiKeyView {
            id: &k.id,
            api_key: value,
            name: &k.name,
            auto_trust: k.settings.auto_trust,
            allow_untrusted_endpoints: k.settings.allow_untrusted_endpoints,
            allow_unauthenticated_requests: k.settings.allow_unauthenticated_requests,
            access_token_ttl: lifetimes.access_token_ttl,
            refresh_token_ttl: lifetimes.refresh_token_ttl,
            expires_at: k.settings.expires_at.map(rfc3339),
            allowed_sources: &k.settings.allowed_sources,
            disabled: k.disabled,
            created_at: rfc3339(k.created_at),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::rfc3339;

    #[test]
    fn every_epoch_formats_without_panicking() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_795_348_800), "2026-11-22T12:00:00Z");
        assert_eq!(rfc3339(-5), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(999_999_999_999), "9999-12-31T23:59:59Z");
        assert_eq!(rfc3339(i64::MAX), "9999-12-31T23:59:59Z");
    }
}
