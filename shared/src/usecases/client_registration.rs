//! Dynamic client registration (RFC 7591), its management protocol (RFC 7592), and the Huawei
//! and AWS registration calls: one set of rules for every dialect. Registration is open to
//! anyone, so everything a client asserts is validated and capped, registrations are counted per
//! source address in the same transaction that writes the client, and self-registered clients
//! carry a secret expiry and an idle expiry (TTL).

use crate::config::{RegistrationPolicy, Settings};
use crate::error::Error;
use crate::model::*;
use crate::secrets::{self, SecretKind, hash_secret, hashes_match};
use crate::storage::{RegistrationWrite, Store, WindowCounter};
use crate::usecases::sign_in::{Limit, source_subject};

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

/// What a dialect assumes when a client leaves a field out, and what it accepts.
#[derive(Clone, Debug)]
pub struct Defaults {
    pub grant_types: &'static [GrantType],
    pub response_types: &'static [&'static str],
    pub auth_method: TokenEndpointAuthMethod,
    pub auth_methods: &'static [TokenEndpointAuthMethod],
}

/// A client just registered (or changed), with the secrets shown this once.
pub struct Registered {
    pub client: OAuthClient,
    pub client_secret: Option<String>,
    /// RFC 7592's registration access token (`rfc7591` clients only).
    pub registration_access_token: Option<String>,
}

impl std::fmt::Debug for Registered {
    /// Never the secrets.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registered")
            .field("client_id", &self.client.client_id)
            .finish_non_exhaustive()
    }
}

/// How long a new self-registered client lives before its first use: an unused registration
/// should not hold storage for the whole idle time.
pub const UNUSED_CLIENT_TTL: i64 = 24 * 3600;

/// Registers a client: one round trip (the source's registration counter, the client and,
/// where the policy asks for one, a use of the initial access token are written in one
/// transaction; nothing is written when any of them refuses).
pub async fn register(
    store: &Store,
    settings: &Settings,
    origin: ClientOrigin,
    metadata: ClientMetadata,
    initial_access_token: Option<&str>,
    source: &str,
    now: i64,
) -> Result<Registered, Error> {
    let token_hash = match settings.registration.policy {
        RegistrationPolicy::Open => None,
        RegistrationPolicy::Disabled => {
            return Err(Error::Forbidden(
                "client registration is disabled on this server; ask an administrator".into(),
            ));
        }
        RegistrationPolicy::InitialAccessToken => {
            Some(hash_secret(initial_access_token.ok_or_else(|| {
                Error::InvalidToken(
                    "registration here needs an initial access token from an administrator \
                     (Authorization: Bearer)"
                        .into(),
                )
            })?))
        }
    };
    check_scope_offered(&metadata, settings)?;
    let client_id = format!(
        "{}{}",
        OAuthClient::SELF_REGISTERED_PREFIX,
        ulid::Ulid::new().to_string().to_lowercase()
    );
    let (client, client_secret, registration_access_token) =
        build(client_id, origin, metadata, settings, now)?;
    let limit = Limit {
        max_failures: settings.registration.per_source_per_minute,
        window: 60,
    };
    let window_start = now - now.rem_euclid(limit.window);
    let counter = WindowCounter {
        key: format!("register-source#{}#{window_start}", source_subject(source)),
        max: limit.max_failures,
        window_end: window_start + limit.window,
    };
    match store
        .put_registered_client(&client, &counter, token_hash.as_deref())
        .await?
    {
        RegistrationWrite::Saved => {}
        RegistrationWrite::OverLimit => {
            return Err(Error::TooManyAttempts(counter.window_end - now));
        }
        RegistrationWrite::TokenRefused => {
            return Err(Error::InvalidToken(
                "the initial access token is unknown, disabled, expired or used up".into(),
            ));
        }
    }
    tracing::info!(client_id = %client.client_id, origin = client.origin.as_str(), "client registered");
    Ok(Registered {
        client,
        client_secret,
        registration_access_token,
    })
}

/// A self-registered client may ask only for scope the deployment offers to strangers.
fn check_scope_offered(metadata: &ClientMetadata, settings: &Settings) -> Result<(), Error> {
    if metadata
        .scope
        .is_subset_of(&settings.registration.allowed_scopes)
    {
        return Ok(());
    }
    Err(Error::InvalidClientMetadata(format!(
        "self-registered clients may ask only for: {}",
        settings
            .registration
            .allowed_scopes
            .to_wire()
            .unwrap_or_else(|| "no scope".into())
    )))
}

/// A self-registered client as stored, with its new secrets.
fn build(
    client_id: String,
    origin: ClientOrigin,
    metadata: ClientMetadata,
    settings: &Settings,
    now: i64,
) -> Result<(OAuthClient, Option<String>, Option<String>), Error> {
    let secret = match metadata.auth_method {
        TokenEndpointAuthMethod::None => None,
        _ => Some(secrets::issue(SecretKind::ClientSecret)?),
    };
    let access_token = match origin {
        ClientOrigin::Rfc7591 => Some(secrets::issue(SecretKind::RegistrationAccessToken)?),
        _ => None,
    };
    // The AWS and Huawei clients call themselves public although they are given a secret.
    let client_type = match (origin, &secret) {
        (ClientOrigin::Rfc7591, Some(_)) => OAuthClientType::Confidential,
        _ => OAuthClientType::Public,
    };
    let client = OAuthClient {
        scopes: metadata.scope,
        redirect_uris: metadata
            .redirect_uris
            .iter()
            .map(|u| u.as_str().to_owned())
            .collect(),
        origin,
        secret_expires_at: secret
            .as_ref()
            .map(|_| now + settings.registration.secret_ttl),
        registration: Some(Registration {
            token_endpoint_auth_method: Some(metadata.auth_method),
            response_types: metadata.response_types,
            access_token_hash: access_token.as_ref().map(|t| t.hash().to_owned()),
        }),
        expires_at: Some(now + settings.registration.idle_ttl.min(UNUSED_CLIENT_TTL)),
        ..OAuthClient::new(
            client_id,
            metadata.client_name,
            client_type,
            secret.as_ref().map(|s| s.hash().to_owned()),
            metadata.grant_types,
            now,
        )
    };
    Ok((
        client,
        secret.map(|s| s.into_value()),
        access_token.map(|t| t.into_value()),
    ))
}

/// The client a registration access token manages (RFC 7592 §2): one read. A missing, wrong or
/// unknown token, and a deleted client, are all the same 401.
pub async fn read(
    store: &Store,
    client_id: &str,
    access_token: Option<&str>,
    now: i64,
) -> Result<OAuthClient, Error> {
    let refused = || Error::InvalidToken("the registration access token is not valid".into());
    let presented = access_token.ok_or_else(refused)?;
    let client = store
        .get_client(client_id)
        .await?
        .filter(|c| !c.disabled && c.expires_at.is_none_or(|at| at > now))
        .ok_or_else(refused)?;
    let stored = client
        .registration
        .as_ref()
        .and_then(|r| r.access_token_hash.as_deref())
        .ok_or_else(refused)?;
    if !hashes_match(stored, &hash_secret(presented)) {
        return Err(refused());
    }
    Ok(client)
}

/// Replaces a client's metadata (RFC 7592 §2.2), issues a new secret when it has one (the old
/// one is stored only as a hash and cannot be shown again) and a new registration access token.
/// `current` is what [`read`] gave for the request's registration access token, so the update is
/// one more round trip (two in all). What a person may already be looking at cannot change under them: the
/// name stays, the scope may only narrow, and a client that authenticates with a secret cannot
/// drop it (its refresh tokens were issued to a secret holder).
pub async fn update(
    store: &Store,
    settings: &Settings,
    current: OAuthClient,
    metadata: ClientMetadata,
    now: i64,
) -> Result<Registered, Error> {
    if metadata.client_name != current.client_name {
        return Err(Error::InvalidClientMetadata(
            "client_name cannot change; register a new client instead".into(),
        ));
    }
    if !metadata.scope.is_subset_of(&current.scopes) {
        return Err(Error::InvalidClientMetadata(
            "scope may only narrow; register a new client for more".into(),
        ));
    }
    let had_secret = current.secret_hash.is_some();
    if had_secret != (metadata.auth_method != TokenEndpointAuthMethod::None) {
        return Err(Error::InvalidClientMetadata(
            "token_endpoint_auth_method cannot switch between a secret and none".into(),
        ));
    }
    let old_token_hash = current
        .registration
        .as_ref()
        .and_then(|r| r.access_token_hash.clone())
        .unwrap_or_default();
    let (mut client, client_secret, registration_access_token) =
        build(current.client_id, current.origin, metadata, settings, now)?;
    client.created_at = current.created_at;
    client.last_used_at = current.last_used_at;
    client.expires_at = current.expires_at;
    store
        .replace_registered_client(&client, &old_token_hash)
        .await?;
    Ok(Registered {
        client,
        client_secret,
        registration_access_token,
    })
}

/// What an administrator asks for when issuing an initial access token.
#[derive(Clone, Debug)]
pub struct NewInitialAccessToken {
    pub name: String,
    /// `None`: any number of registrations until expiry.
    pub max_uses: Option<i64>,
    /// Seconds until it expires: at most 30 days.
    pub expires_in: i64,
}

/// The longest an initial access token may live.
pub const MAX_INITIAL_ACCESS_TOKEN_TTL: i64 = 30 * 24 * 3600;

/// Issues an initial access token: its value is returned this once and stored only as a hash.
pub async fn issue_initial_access_token(
    store: &Store,
    new: NewInitialAccessToken,
    now: i64,
) -> Result<(InitialAccessToken, String), Error> {
    let name = bounded_text("name", Some(new.name.trim()), 128)?.unwrap_or_default();
    if name.is_empty() {
        return Err(Error::invalid_request("name must be 1 to 128 characters"));
    }
    if new.max_uses.is_some_and(|m| m < 1) {
        return Err(Error::invalid_request("max_uses must be at least 1"));
    }
    if !(60..=MAX_INITIAL_ACCESS_TOKEN_TTL).contains(&new.expires_in) {
        return Err(Error::invalid_request(format!(
            "expires_in must be 60 to {MAX_INITIAL_ACCESS_TOKEN_TTL} seconds"
        )));
    }
    let secret = secrets::issue(SecretKind::InitialAccessToken)?;
    let token = InitialAccessToken {
        token_hash: secret.hash().to_owned(),
        id: ulid::Ulid::new().to_string(),
        name,
        max_uses: new.max_uses,
        uses: 0,
        expires_at: now + new.expires_in,
        disabled: false,
        created_at: now,
        ttl: now + new.expires_in,
    };
    store.put_initial_access_token(&token).await?;
    Ok((token, secret.into_value()))
}

/// Deletes a client (RFC 7592 §2.3): it is disabled at once and its token families revoked.
pub async fn delete(
    store: &Store,
    client_id: &str,
    access_token: Option<&str>,
    now: i64,
) -> Result<(), Error> {
    let client = read(store, client_id, access_token, now).await?;
    store.retire_client(&client.client_id, now).await?;
    tracing::info!(client_id = %client.client_id, "client deleted through RFC 7592");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEFAULTS: Defaults = Defaults {
        grant_types: &[GrantType::DeviceCode, GrantType::RefreshToken],
        response_types: &[],
        auth_method: TokenEndpointAuthMethod::ClientSecretPost,
        auth_methods: &[TokenEndpointAuthMethod::ClientSecretPost],
    };

    fn request() -> MetadataRequest {
        MetadataRequest {
            client_name: Some("CLI".into()),
            ..MetadataRequest::default()
        }
    }

    #[test]
    fn defaults_fill_what_is_left_out() -> Result<(), Error> {
        let metadata = ClientMetadata::new(request(), &DEFAULTS)?;
        assert_eq!(
            metadata.grant_types,
            [GrantType::DeviceCode, GrantType::RefreshToken]
        );
        assert_eq!(
            metadata.auth_method,
            TokenEndpointAuthMethod::ClientSecretPost
        );
        Ok(())
    }

    #[test]
    fn every_field_is_capped_and_checked() {
        let refused = |change: fn(&mut MetadataRequest)| {
            let mut r = request();
            change(&mut r);
            ClientMetadata::new(r, &DEFAULTS).err()
        };
        assert!(matches!(
            refused(|r| r.client_name = Some("x".repeat(1025))),
            Some(Error::InvalidClientMetadata(_))
        ));
        assert!(matches!(
            refused(|r| r.client_name = Some("  ".into())),
            Some(Error::InvalidClientMetadata(_))
        ));
        assert!(matches!(
            refused(|r| r.redirect_uris = vec!["https://a.example/cb".into(); 11]),
            Some(Error::InvalidClientMetadata(_))
        ));
        assert!(matches!(
            refused(|r| r.redirect_uris = vec!["http://evil.example/cb".into()]),
            Some(Error::InvalidRedirectUri(_))
        ));
        assert!(matches!(
            refused(|r| r.grant_types = Some(vec!["password".into()])),
            Some(Error::InvalidClientMetadata(_))
        ));
        assert!(matches!(
            refused(|r| r.grant_types = Some(vec![])),
            Some(Error::InvalidClientMetadata(_))
        ));
        assert!(matches!(
            refused(|r| r.response_types = Some(vec!["token".into()])),
            Some(Error::InvalidClientMetadata(_))
        ));
        assert!(matches!(
            refused(|r| r.token_endpoint_auth_method = Some("none".into())),
            Some(Error::InvalidClientMetadata(_))
        ));
        assert!(matches!(
            refused(|r| r.scopes = vec!["a\"b".into()]),
            Some(Error::InvalidClientMetadata(_))
        ));
        for name in [
            "Corp IT\u{201d} (verified)",
            "a \"b\"",
            "two\nlines",
            "mirror\u{202e}desrever",
            "zero\u{200b}width",
        ] {
            let mut r = request();
            r.client_name = Some(name.into());
            assert!(
                matches!(
                    ClientMetadata::new(r, &DEFAULTS),
                    Err(Error::InvalidClientMetadata(_))
                ),
                "{name:?}"
            );
        }
    }
}
