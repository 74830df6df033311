//! Client metadata as asked for, and as it is once every rule has passed.

use super::Defaults;
use crate::error::Error;
use crate::model::*;

/// At most this many redirect URIs per client.
pub const MAX_REDIRECT_URIS: usize = 10;

/// What a client asks to be registered as, in any dialect's words, before validation.
#[derive(Clone, Debug, Default)]
pub struct MetadataRequest {
    pub client_name: Option<String>,
    pub redirect_uris: Vec<String>,
    /// `None`: the dialect's default.
    pub grant_types: Option<Vec<String>>,
    pub response_types: Option<Vec<String>>,
    pub token_endpoint_auth_method: Option<String>,
    /// Scope tokens, already split.
    pub scopes: Vec<String>,
}

/// Client metadata that passed every rule: valid on construction, so a use case cannot store
/// anything else.
#[derive(Clone, Debug, PartialEq)]
pub struct ClientMetadata {
    pub client_name: String,
    pub redirect_uris: Vec<RedirectUri>,
    pub grant_types: Vec<GrantType>,
    pub response_types: Vec<String>,
    pub auth_method: TokenEndpointAuthMethod,
    pub scope: Scope,
}

impl ClientMetadata {
    /// Validates a request. `defaults` fills what the client left out (RFC 7591 §2 defaults
    /// `grant_types` to `authorization_code`; the AWS and Huawei dialects to the device flow).
    pub fn new(request: MetadataRequest, defaults: &Defaults) -> Result<ClientMetadata, Error> {
        let invalid = |why: String| Error::InvalidClientMetadata(why);
        // The name is shown to people in quotes as the client's own claim.
        let client_name = request
            .client_name
            .filter(|n| !n.trim().is_empty())
            .ok_or_else(|| invalid("client_name is required".into()))?;
        let client_name = DisplayName::parse("client_name", &client_name, OAuthClient::MAX_NAME)
            .map_err(|e| invalid(e.description()))?
            .into_string();
        if request.redirect_uris.len() > MAX_REDIRECT_URIS {
            return Err(invalid(format!(
                "at most {MAX_REDIRECT_URIS} redirect_uris"
            )));
        }
        let mut redirect_uris = Vec::with_capacity(request.redirect_uris.len());
        for uri in &request.redirect_uris {
            let uri = RedirectUri::parse(uri)?;
            if !redirect_uris.contains(&uri) {
                redirect_uris.push(uri);
            }
        }
        let mut grant_types = Vec::new();
        for name in request.grant_types.unwrap_or_else(|| {
            defaults
                .grant_types
                .iter()
                .map(|g| g.as_str().to_owned())
                .collect()
        }) {
            let grant = GrantType::parse(&name).ok_or_else(|| {
                invalid(format!(
                    "grant type {} is not supported; use {}",
                    name.chars().take(64).collect::<String>(),
                    GrantType::expected()
                ))
            })?;
            if !grant_types.contains(&grant) {
                grant_types.push(grant);
            }
        }
        if grant_types.is_empty() {
            return Err(invalid("grant_types must name at least one grant".into()));
        }
        let response_types = request.response_types.unwrap_or_else(|| {
            defaults
                .response_types
                .iter()
                .map(|r| (*r).to_owned())
                .collect()
        });
        if let Some(other) = response_types.iter().find(|r| r.as_str() != "code") {
            return Err(invalid(format!(
                "response type {} is not supported; only code",
                other.chars().take(64).collect::<String>()
            )));
        }
        let auth_method = match request.token_endpoint_auth_method {
            None => defaults.auth_method,
            Some(text) => TokenEndpointAuthMethod::parse(&text).ok_or_else(|| {
                invalid(format!(
                    "token_endpoint_auth_method must be one of: {}",
                    defaults
                        .auth_methods
                        .iter()
                        .map(|m| m.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })?,
        };
        if !defaults.auth_methods.contains(&auth_method) {
            return Err(invalid(format!(
                "token_endpoint_auth_method {} is not accepted here",
                auth_method.as_str()
            )));
        }
        let scope = Scope::from_tokens(request.scopes.iter().map(String::as_str))
            .map_err(|e| invalid(e.description()))?;
        Ok(ClientMetadata {
            client_name,
            redirect_uris,
            grant_types,
            response_types,
            auth_method,
            scope,
        })
    }
}
