//! How administrators see each resource: the JSON objects the admin API answers with and the
//! `devicegate` command-line tool prints, one type per resource. Secrets appear only in the
//! view made at creation; password hashes, login id hashes and key hashes never.

use serde::Serialize;

use crate::model::vmware::{AppInstance, RegistrationTemplate};
use crate::model::{ApiKey, Device, InitialAccessToken, OAuthClient, User};
use crate::signatures::DevicePublicKey;

/// RFC 3339 text of an epoch time, for any `i64`: out-of-range values (which no input path
/// accepts, but a hand-edited item may hold) are clamped to 1970..=9999 rather than panicking.
pub fn rfc3339(epoch: i64) -> String {
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
#[derive(Serialize, utoipa::ToSchema)]
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
#[derive(Serialize, utoipa::ToSchema)]
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
#[derive(Serialize, utoipa::ToSchema)]
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
    pub fn new(k: &'a ApiKey, value: Option<&'a str>) -> Self {
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

/// An OAuth client as administrators see it; the secret only once, at creation.
#[derive(Serialize, utoipa::ToSchema)]
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
    instance: Option<&'a AppInstance>,
}

impl<'a> ClientView<'a> {
    pub fn new(c: &'a OAuthClient, secret: Option<&'a str>) -> Self {
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

/// A user as administrators see it: never the password or its hash.
#[derive(Serialize, utoipa::ToSchema)]
pub struct UserView<'a> {
    username: &'a str,
    display_name: Option<&'a str>,
    email: Option<&'a str>,
    /// Whether a card id / short id is set (their values are never stored).
    card_id_set: bool,
    short_id_set: bool,
    /// The upstream provider and `sub` a federated user signs in as.
    #[serde(skip_serializing_if = "Option::is_none")]
    identity_provider: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    upstream_subject: Option<&'a str>,
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
            identity_provider: u.federation.as_ref().map(|f| f.provider_id.as_str()),
            upstream_subject: u.federation.as_ref().map(|f| f.subject.as_str()),
            disabled: u.disabled,
            created_at: rfc3339(u.created_at),
            updated_at: rfc3339(u.updated_at),
        }
    }
}

/// A VMware registration template as administrators see it. The fields are in alphabetical
/// order, the order the admin API has always written them in.
#[derive(Serialize, utoipa::ToSchema)]
pub struct TemplateView<'a> {
    access_token_ttl: i64,
    created_at: String,
    disabled: bool,
    issue_refresh_tokens: bool,
    redirect_uris: &'a [String],
    refresh_token_ttl: i64,
    scopes: &'a [String],
    template_id: &'a str,
}

impl<'a> From<&'a RegistrationTemplate> for TemplateView<'a> {
    fn from(t: &'a RegistrationTemplate) -> Self {
        TemplateView {
            access_token_ttl: t.lifetimes.access_token_ttl,
            created_at: rfc3339(t.created_at),
            disabled: t.disabled,
            issue_refresh_tokens: t.issue_refresh_tokens,
            redirect_uris: &t.redirect_uris,
            refresh_token_ttl: t.lifetimes.refresh_token_ttl,
            scopes: t.scopes.tokens(),
            template_id: &t.template_id,
        }
    }
}

/// An initial access token as administrators see it: its value only when just issued.
#[derive(Serialize, utoipa::ToSchema)]
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
    pub fn new(t: &'a InitialAccessToken, value: Option<&'a str>) -> Self {
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
