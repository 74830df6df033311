//! OAuth clients an administrator makes, lists, disables or (self-registered ones) deletes.

use crate::error::Error;
use crate::model::{
    AuditEvent, AuditType, DisplayName, GrantType, OAuthClient, OAuthClientType, Origin,
    RedirectUri, Scope,
};
use crate::secrets::{self, SecretKind};
use crate::storage::Store;

/// What an administrator asks for when making an OAuth client.
#[derive(Clone, Debug)]
pub struct NewClient {
    pub client_name: String,
    pub client_type: OAuthClientType,
    pub grant_types: Vec<GrantType>,
    pub scopes: Scope,
    pub redirect_uris: Vec<String>,
    pub access_token_ttl: Option<i64>,
    pub refresh_token_ttl: Option<i64>,
    /// May introspect tokens (a resource server); confidential clients only.
    pub introspection: bool,
}

impl NewClient {
    /// A client allowed these grants and nothing more: no scope, no redirect URI, the default
    /// token lifetimes, no introspection. Set the rest with struct update syntax.
    pub fn new(
        client_name: impl Into<String>,
        client_type: OAuthClientType,
        grant_types: Vec<GrantType>,
    ) -> NewClient {
        NewClient {
            client_name: client_name.into(),
            client_type,
            grant_types,
            scopes: Scope::default(),
            redirect_uris: Vec::new(),
            access_token_ttl: None,
            refresh_token_ttl: None,
            introspection: false,
        }
    }
}

/// A new client and, for a confidential one, its secret (shown this once).
#[derive(Debug)]
pub struct CreatedClient {
    pub client: OAuthClient,
    pub secret: Option<String>,
}

pub async fn create_client(
    store: &Store,
    new: NewClient,
    now: i64,
    origin: &Origin,
) -> Result<CreatedClient, Error> {
    let name =
        DisplayName::parse("client_name", &new.client_name, OAuthClient::MAX_NAME)?.into_string();
    if new.grant_types.is_empty() {
        return Err(Error::invalid_request(format!(
            "grant_types must name at least one of: {}",
            GrantType::expected()
        )));
    }
    if new.redirect_uris.len() > 16 {
        return Err(Error::invalid_request("at most 16 redirect_uris"));
    }
    for uri in &new.redirect_uris {
        RedirectUri::parse(uri).map_err(|e| Error::invalid_request(e.description()))?;
    }
    let secret = match new.client_type {
        OAuthClientType::Confidential => Some(secrets::issue(SecretKind::ClientSecret)?),
        OAuthClientType::Public => None,
    };
    let mut grant_types = new.grant_types;
    grant_types.dedup();
    let client = OAuthClient {
        scopes: new.scopes,
        redirect_uris: new.redirect_uris,
        access_token_ttl: new.access_token_ttl,
        refresh_token_ttl: new.refresh_token_ttl,
        introspection: new.introspection,
        ..OAuthClient::new(
            ulid::Ulid::new().to_string().to_lowercase(),
            name,
            new.client_type,
            secret.as_ref().map(|s| s.hash().to_owned()),
            grant_types,
            now,
        )
    };
    if client.introspection && client.client_type != OAuthClientType::Confidential {
        return Err(Error::invalid_request(
            "introspection is for confidential clients (resource servers)",
        ));
    }
    client.validate_lifetimes()?;
    let audit = AuditEvent::success(AuditType::ClientRegistered, origin, &client.client_id)
        .because("created by an administrator");
    store.put_client(&client, &audit).await?;
    Ok(CreatedClient {
        client,
        secret: secret.map(|s| s.into_value()),
    })
}

/// Every client, or with `username` only the VMware app instances that user registered.
pub async fn list_clients(
    store: &Store,
    username: Option<&str>,
) -> Result<Vec<OAuthClient>, Error> {
    let mut clients = store.list_clients().await?;
    if let Some(username) = username {
        clients.retain(|c| c.instance.as_ref().is_some_and(|i| i.username == username));
    }
    Ok(clients)
}

/// Disables a client: its tokens stop refreshing and introspect as inactive.
pub async fn disable_client(
    store: &Store,
    client_id: &str,
    origin: &Origin,
) -> Result<OAuthClient, Error> {
    let audit = AuditEvent::success(AuditType::ClientDisabled, origin, client_id);
    store.disable_client(client_id, &audit).await
}

/// Deletes a self-registered client: its token families are revoked, then the client is
/// removed. An administrator's own clients are disabled instead, so that their history stays.
pub async fn delete_client(
    store: &Store,
    client_id: &str,
    now: i64,
    origin: &Origin,
) -> Result<OAuthClient, Error> {
    let client = store
        .get_client(client_id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no client with id {client_id}")))?;
    if !client.self_registered() {
        return Err(Error::Conflict(
            "only self-registered clients are deleted; disable this one".into(),
        ));
    }
    let audit = AuditEvent::success(AuditType::ClientDeleted, origin, client_id)
        .because("deleted by an administrator");
    let client = store.retire_client(client_id, now, &audit).await?;
    store.delete_client(client_id).await?;
    tracing::info!(
        client_id,
        "self-registered client deleted by an administrator"
    );
    Ok(client)
}

/// What an administrator can do to an existing client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientAction {
    Disable,
    Delete,
}

impl ClientAction {
    pub fn parse(text: &str) -> Option<ClientAction> {
        match text {
            "disable" => Some(ClientAction::Disable),
            "delete" => Some(ClientAction::Delete),
            _ => None,
        }
    }
}

/// Disables a client, or deletes a self-registered one ([`delete_client`]).
pub async fn act_on_client(
    store: &Store,
    client_id: &str,
    action: ClientAction,
    now: i64,
    origin: &Origin,
) -> Result<OAuthClient, Error> {
    match action {
        ClientAction::Disable => disable_client(store, client_id, origin).await,
        ClientAction::Delete => delete_client(store, client_id, now, origin).await,
    }
}
