//! The admin API's JSON request bodies, each turned into the admin use case's own input
//! ([`crate::usecases::admin`]), the same input the console and the command-line tool build.
//! Unknown fields are refused.

use serde::Deserialize;

use crate::error::Error;
use crate::model::{ApiKeySettings, GrantType, OAuthClientType, Scope};
use crate::usecases::admin::{
    ApiKeySettingsChange, NewClient, NewInitialAccessToken, NewTemplate, NewUser,
};

/// `POST /admin/api-keys`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewApiKeyBody {
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

impl NewApiKeyBody {
    /// The key's name and settings.
    pub fn parse(self) -> Result<(String, ApiKeySettings), Error> {
        let settings = ApiKeySettings {
            auto_trust: self.auto_trust,
            allow_untrusted_endpoints: self.allow_untrusted_endpoints,
            allow_unauthenticated_requests: self.allow_unauthenticated_requests,
            access_token_ttl: self.access_token_ttl,
            refresh_token_ttl: self.refresh_token_ttl,
            expires_at: self.expires_at.map(|t| t.epoch()).transpose()?,
            allowed_sources: self.allowed_sources,
        };
        Ok((self.name, settings))
    }
}

/// `POST /admin/api-keys/{id}/settings`: only the fields sent change.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiKeySettingsBody {
    auto_trust: Option<bool>,
    allow_untrusted_endpoints: Option<bool>,
    allow_unauthenticated_requests: Option<bool>,
    access_token_ttl: Option<i64>,
    refresh_token_ttl: Option<i64>,
    expires_at: Option<Timestamp>,
    allowed_sources: Option<Vec<String>>,
}

impl ApiKeySettingsBody {
    pub fn change(self) -> Result<ApiKeySettingsChange, Error> {
        Ok(ApiKeySettingsChange {
            auto_trust: self.auto_trust,
            allow_untrusted_endpoints: self.allow_untrusted_endpoints,
            allow_unauthenticated_requests: self.allow_unauthenticated_requests,
            access_token_ttl: self.access_token_ttl,
            refresh_token_ttl: self.refresh_token_ttl,
            expires_at: self.expires_at.map(|t| t.epoch()).transpose()?,
            allowed_sources: self.allowed_sources,
        })
    }
}

/// A time given as RFC 3339 text or as epoch seconds.
#[derive(Deserialize, utoipa::ToSchema)]
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

/// `POST /admin/clients`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewClientBody {
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
    pub fn parse(self) -> Result<NewClient, Error> {
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

/// `POST /admin/users`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserBody {
    username: String,
    password: String,
    /// OpenID Connect's `name`; `display_name` as well.
    #[serde(alias = "name")]
    display_name: Option<String>,
    email: Option<String>,
    #[serde(default)]
    email_verified: bool,
}

impl From<NewUserBody> for NewUser {
    fn from(body: NewUserBody) -> NewUser {
        NewUser {
            username: body.username,
            password: body.password,
            display_name: body.display_name,
            email: body.email,
            email_verified: body.email_verified,
        }
    }
}

/// `POST /admin/users/{username}/password`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordBody {
    pub password: String,
}

/// `POST /admin/users/{username}/login-ids`: a string sets an identifier, `null` clears it, an
/// absent field leaves it.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginIdsBody {
    #[serde(default, deserialize_with = "present")]
    pub card_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub short_id: Option<Option<String>>,
}

/// Tells `"field": null` (`Some(None)`) from an absent field (`None`).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// `POST /admin/templates`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTemplateBody {
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

impl NewTemplateBody {
    pub fn parse(self) -> Result<NewTemplate, Error> {
        Ok(NewTemplate {
            template_id: self.template_id,
            redirect_uris: self.redirect_uris,
            scopes: Scope::from_tokens(self.scopes.iter().map(String::as_str))?,
            access_token_ttl: self.access_token_ttl,
            refresh_token_ttl: self.refresh_token_ttl,
            issue_refresh_tokens: self.issue_refresh_tokens,
        })
    }
}

/// `POST /admin/initial-access-tokens`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewInitialAccessTokenBody {
    name: String,
    max_uses: Option<i64>,
    /// Seconds; one day when left out.
    expires_in: Option<i64>,
}

impl From<NewInitialAccessTokenBody> for NewInitialAccessToken {
    fn from(body: NewInitialAccessTokenBody) -> NewInitialAccessToken {
        NewInitialAccessToken {
            name: body.name,
            max_uses: body.max_uses,
            expires_in: body.expires_in.unwrap_or(24 * 3600),
        }
    }
}

/// `POST /admin/users/{username}/link`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkBody {
    pub identity_provider: String,
    pub subject: String,
}
