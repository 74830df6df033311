//! The internal model every dialect maps onto. Types validate on construction, so a value of
//! one of these types is already known to be within docs/design.md's limits.
//!
//! One module per stored kind or concept: [`device`] and [`device_code`] (Paragon and RFC 8628),
//! [`owner`] (whose a code or token is, and who must stay in good standing), [`api_key`],
//! [`admin_key`], [`initial_access_token`], [`token`] (families, records, lifetimes),
//! [`authorization_code`], [`client`], [`scope`], [`user`], [`session`], [`vmware`] and
//! [`display_name`]. Everything is re-exported here: callers name `model::Device`, not the file.

use crate::error::Error;

macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
        pub enum $name { $(#[serde(rename = $text)] $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
            pub fn parse(text: &str) -> Option<Self> {
                match text { $($text => Some($name::$variant),)+ _ => None }
            }
            /// The accepted values, for error messages.
            pub fn expected() -> String {
                [$($text),+].join(", ")
            }
            /// Parses the value of a request field, or says which values the field accepts.
            pub fn parse_field(field: &str, text: &str) -> Result<Self, $crate::error::Error> {
                Self::parse(text).ok_or_else(|| {
                    $crate::error::Error::invalid_request(format!(
                        "{field} must be one of: {}",
                        Self::expected()
                    ))
                })
            }
        }
    };
}

mod admin_key;
mod api_key;
mod audit;
mod authorization_code;
mod client;
mod device;
mod device_code;
mod display_name;
pub mod identity_provider;
mod initial_access_token;
mod owner;
mod scope;
mod session;
#[cfg(test)]
mod tests;
mod token;
mod user;
pub mod vmware;

pub use admin_key::AdminKey;
use api_key::check_ttl;
pub use api_key::{
    ApiKey, ApiKeySettings, MAX_ACCESS_TTL, MAX_ALLOWED_SOURCES, MAX_API_KEY_LIFETIME,
    MAX_REFRESH_TTL, source_allowed,
};
pub use audit::{Actor, AuditEvent, AuditType, Origin, Outcome};
pub use authorization_code::AuthorizationCode;
pub use client::{
    ClientOrigin, GrantType, OAuthClient, OAuthClientType, RedirectUri, Registration,
    TokenEndpointAuthMethod,
};
pub use device::{
    ClientId, ClientType, Device, DeviceStatus, KeyType, PENDING_QUEUE, PendingRegistration,
    StoredKey,
};
pub use device_code::{CodeStatus, DeviceCode, StartedFrom, UserCodeRecord};
pub use display_name::DisplayName;
pub use identity_provider::{
    FederatedIdentity, FederationLink, IdentityProvider, PendingFederation,
};
pub use initial_access_token::InitialAccessToken;
pub use owner::{
    DeviceBinding, Guard, Holder, Owner, USER_TOKEN_CLIENT_ID, api_key_guard_id, client_owner_key,
    device_owner_key, user_guard_id, user_owner_key,
};
pub use scope::Scope;
pub use session::{ConsoleSession, FederatedAdmin, Session};
pub use token::{
    Authentication, FamilyStatus, Lifetimes, TokenFamily, TokenKind, TokenRecord, TokenSet,
};
pub use user::{LoginId, LoginIdKind, User, Username, email_key};

/// Checks an optional free-text field against its limit (in characters).
pub fn bounded_text(
    name: &str,
    value: Option<&str>,
    max_chars: usize,
) -> Result<Option<String>, Error> {
    match value {
        None => Ok(None),
        Some(v) if v.chars().count() > max_chars => Err(Error::invalid_request(format!(
            "{name} must be at most {max_chars} characters"
        ))),
        Some(v) if v.chars().any(|c| c.is_control() && c != '\n' && c != '\t') => Err(
            Error::invalid_request(format!("{name} must not contain control characters")),
        ),
        Some(v) => Ok(Some(v.to_owned())),
    }
}
