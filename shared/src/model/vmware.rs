//! VMware Identity Manager mobile registration: an administrator's templates, the app
//! instances made from them, and the one-time activation that hands an instance its
//! credentials.

use serde::{Deserialize, Serialize};

use super::{Lifetimes, Scope};

/// What an administrator allows an app to register as (`app_product_id`; table
/// `TemplatesTable`, key `template_id`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RegistrationTemplate {
    pub template_id: String,
    pub redirect_uris: Vec<String>,
    pub scopes: Scope,
    pub lifetimes: Lifetimes,
    /// Whether instances may use the refresh_token grant.
    pub issue_refresh_tokens: bool,
    pub disabled: bool,
    pub created_at: i64,
}

impl RegistrationTemplate {
    /// Template ids name app products: 1..64 of letters, digits, `.`, `_`, `-`.
    pub fn valid_id(id: &str) -> bool {
        (1..=64).contains(&id.len())
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    }
}

/// The app instance a client stands for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AppInstance {
    pub template_id: String,
    pub username: String,
    pub device_name: String,
}

/// A registration a person approved, waiting for its app to activate it (table
/// `AuthorizationCodesTable`, key `activation#<hash of the one-time token>`, TTL `ttl`). It
/// names the one client it will create; nothing else can be activated with it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Activation {
    pub code_hash: String,
    pub client_id: String,
    pub template_id: String,
    pub username: String,
    pub device_name: String,
    /// The `user_device` JSON as the app sent it (bounded, validated).
    pub user_device: String,
    pub expires_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activated_at: Option<i64>,
    pub ttl: i64,
}

impl Activation {
    /// The storage key of an activation whose one-time token hashes to `hash`.
    pub fn key(hash: &str) -> String {
        format!("activation#{hash}")
    }
}
