//! API keys: what an administrator sets on one (lifetimes, networks, expiry) and the key itself.

use serde::{Deserialize, Serialize};

use super::Lifetimes;
use crate::error::Error;

/// Settings an administrator gives an API key.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeySettings {
    #[serde(default)]
    pub auto_trust: bool,
    #[serde(default)]
    pub allow_untrusted_endpoints: bool,
    #[serde(default)]
    pub allow_unauthenticated_requests: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token_ttl: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token_ttl: Option<i64>,
    /// Epoch seconds after which the key no longer works.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
    /// Source addresses (CIDRs) allowed to register, take tokens and sign in with the key;
    /// empty: any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_sources: Vec<String>,
}

/// The most CIDRs one API key may list.
pub const MAX_ALLOWED_SOURCES: usize = 50;

/// The longest lifetimes an administrator may configure.
pub const MAX_ACCESS_TTL: i64 = 24 * 3600;
pub const MAX_REFRESH_TTL: i64 = 365 * 24 * 3600;
/// The furthest an API key's expiry may be set: ten years ahead.
pub const MAX_API_KEY_LIFETIME: i64 = 10 * 365 * 24 * 3600;

impl ApiKeySettings {
    pub fn validate(&self, now: i64) -> Result<(), Error> {
        check_ttl("access_token_ttl", self.access_token_ttl, MAX_ACCESS_TTL)?;
        check_ttl("refresh_token_ttl", self.refresh_token_ttl, MAX_REFRESH_TTL)?;
        if self
            .expires_at
            .is_some_and(|at| at <= now || at > now.saturating_add(MAX_API_KEY_LIFETIME))
        {
            return Err(Error::invalid_request(
                "expires_at must be in the future and at most ten years ahead",
            ));
        }
        if self.allowed_sources.len() > MAX_ALLOWED_SOURCES {
            return Err(Error::invalid_request(format!(
                "allowed_sources lists at most {MAX_ALLOWED_SOURCES} networks"
            )));
        }
        for cidr in &self.allowed_sources {
            if parse_network(cidr).is_none() {
                return Err(Error::invalid_request(format!(
                    "allowed_sources: {:?} is not an address or a CIDR such as 203.0.113.0/24",
                    cidr.chars().take(64).collect::<String>()
                )));
            }
        }
        Ok(())
    }

    /// Whether a request from `source` may use the key: any source when no list is set; else
    /// only an address inside one of the listed networks (an unknown source never is).
    pub fn allows_source(&self, source: &str) -> bool {
        source_allowed(&self.allowed_sources, source)
    }

    /// Refuses a source outside the key's allowed networks.
    pub fn check_source(&self, source: &str) -> Result<(), Error> {
        if self.allows_source(source) {
            Ok(())
        } else {
            Err(Error::Forbidden(
                "this API key may not be used from this address".into(),
            ))
        }
    }

    pub fn lifetimes(&self) -> Lifetimes {
        let default = Lifetimes::default();
        Lifetimes {
            access_token_ttl: self.access_token_ttl.unwrap_or(default.access_token_ttl),
            refresh_token_ttl: self.refresh_token_ttl.unwrap_or(default.refresh_token_ttl),
        }
    }
}

/// Whether `source` is inside one of the `allowed` networks; any source when none is listed,
/// and never an unparseable one when some are.
pub fn source_allowed(allowed: &[String], source: &str) -> bool {
    if allowed.is_empty() {
        return true;
    }

    let Ok(address) = source.parse::<std::net::IpAddr>() else {
        return false;
    };
    let address = match address {
        std::net::IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, std::net::IpAddr::V4),
        v4 => v4,
    };
    allowed
        .iter()
        .filter_map(|cidr| parse_network(cidr))
        .any(|net| net.contains(&address))
}

/// A network as an administrator writes it: a CIDR, or a single address.
fn parse_network(text: &str) -> Option<ipnet::IpNet> {
    text.parse::<ipnet::IpNet>().ok().or_else(|| {
        text.parse::<std::net::IpAddr>()
            .ok()
            .map(ipnet::IpNet::from)
    })
}

pub(super) fn check_ttl(name: &str, value: Option<i64>, max: i64) -> Result<(), Error> {
    match value {
        Some(v) if !(60..=max).contains(&v) => Err(Error::invalid_request(format!(
            "{name} must be between 60 and {max} seconds"
        ))),
        _ => Ok(()),
    }
}

/// An API key (table `ApiKeysTable`, key `key_hash`, index `by_id`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApiKey {
    pub key_hash: String,
    pub id: String,
    pub name: String,
    pub settings: ApiKeySettings,
    pub disabled: bool,
    pub created_at: i64,
}

impl ApiKey {
    pub fn is_usable(&self, now: i64) -> bool {
        !self.disabled && self.settings.expires_at.is_none_or(|at| at > now)
    }
}
