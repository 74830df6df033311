//! OAuth 2.0 Dynamic Client Registration (RFC 7591) and its management protocol (RFC 7592):
//! `POST /oauth2/register`, then `GET|PUT|DELETE /oauth2/register/{client_id}` with the
//! registration access token as a Bearer token. JSON in and out, flat.

use lambda_http::http::header;
use lambda_http::{Body, Request, Response};
use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::http::{json_body, json_response, single_header};
use crate::model::{ClientOrigin, GrantType, OAuthClient, TokenEndpointAuthMethod};
use crate::usecases::client_registration::{Defaults, MetadataRequest, Registered};

pub const REGISTER_PATH: &str = "/oauth2/register";

/// The `oauth2` dialect's registration endpoint.
pub struct Rfc7591;

/// The metadata devicegate understands (RFC 7591 §2); anything else is ignored, as §2 asks.
#[derive(Deserialize, utoipa::ToSchema)]
pub(crate) struct MetadataIn {
    client_id: Option<String>,
    client_name: Option<String>,
    #[serde(default)]
    redirect_uris: Vec<String>,
    grant_types: Option<Vec<String>>,
    response_types: Option<Vec<String>>,
    token_endpoint_auth_method: Option<String>,
    scope: Option<String>,
    software_statement: Option<serde_json::Value>,
}

/// Reads the metadata of a registration or an update; a body that is not the JSON expected is
/// `invalid_client_metadata` (RFC 7591 §3.2.2).
fn read_metadata(req: &Request) -> Result<MetadataIn, Error> {
    let input: MetadataIn = json_body(req).map_err(|e| match e {
        Error::InvalidRequest(why) => Error::InvalidClientMetadata(why),
        other => other,
    })?;
    if input.software_statement.is_some() {
        return Err(Error::UnapprovedSoftwareStatement(
            "software statements are not accepted by this server; send the metadata itself".into(),
        ));
    }
    Ok(input)
}

fn metadata_request(input: MetadataIn) -> MetadataRequest {
    MetadataRequest {
        client_name: input.client_name,
        redirect_uris: input.redirect_uris,
        grant_types: input.grant_types,
        response_types: input.response_types,
        token_endpoint_auth_method: input.token_endpoint_auth_method,
        scopes: input
            .scope
            .unwrap_or_default()
            .split(' ')
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect(),
    }
}

impl super::ClientRegistrationCodec for Rfc7591 {
    const ORIGIN: ClientOrigin = ClientOrigin::Rfc7591;
    /// RFC 7591 §2: `authorization_code`, `code` and `client_secret_basic` by default.
    const DEFAULTS: Defaults = Defaults {
        grant_types: &[GrantType::AuthorizationCode],
        response_types: &["code"],
        auth_method: TokenEndpointAuthMethod::ClientSecretBasic,
        auth_methods: TokenEndpointAuthMethod::ALL,
    };

    fn parse(req: &Request) -> Result<MetadataRequest, Error> {
        let input = read_metadata(req)?;
        if input.client_id.is_some() {
            return Err(Error::InvalidClientMetadata(
                "client_id is assigned by the server".into(),
            ));
        }
        Ok(metadata_request(input))
    }

    fn render(registered: &Registered, base_url: &str) -> Response<Body> {
        client_information(201, registered, base_url)
    }
}

/// RFC 7592 §2.2: the full metadata again, whose `client_id` must be the client's own.
pub fn parse_update(req: &Request, client_id: &str) -> Result<MetadataRequest, Error> {
    let input = read_metadata(req)?;
    if input.client_id.as_deref() != Some(client_id) {
        return Err(Error::InvalidClientMetadata(
            "client_id in the body must be the client's own".into(),
        ));
    }
    Ok(metadata_request(input))
}

/// The registration access token: `Authorization: Bearer <token>` (RFC 6750 §2.1).
pub fn bearer(req: &Request) -> Result<Option<&str>, Error> {
    Ok(single_header(req, header::AUTHORIZATION.as_str())?
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .filter(|t| !t.is_empty() && t.len() <= 512))
}

/// The client information response (RFC 7591 §3.2.1, RFC 7592 §3).
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct ClientInformation<'a> {
    client_id: &'a str,
    client_id_issued_at: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_secret: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_secret_expires_at: Option<i64>,
    client_name: &'a str,
    redirect_uris: &'a [String],
    grant_types: Vec<&'static str>,
    response_types: &'a [String],
    token_endpoint_auth_method: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    registration_access_token: Option<&'a str>,
    registration_client_uri: String,
}

/// The client information response (RFC 7591 §3.2.1, RFC 7592 §3): every accepted field, the
/// secret and registration access token when just issued, and where to manage the client.
pub fn client_information(status: u16, registered: &Registered, base_url: &str) -> Response<Body> {
    let client: &OAuthClient = &registered.client;
    let registration = client.registration.clone().unwrap_or_default();
    json_response(
        status,
        &ClientInformation {
            client_id: &client.client_id,
            client_id_issued_at: client.created_at,
            client_secret: registered.client_secret.as_deref(),
            client_secret_expires_at: client
                .secret_hash
                .as_ref()
                .map(|_| client.secret_expires_at.unwrap_or(0)),
            client_name: &client.client_name,
            redirect_uris: &client.redirect_uris,
            grant_types: client.grant_types.iter().map(|g| g.as_str()).collect(),
            response_types: client
                .registration
                .as_ref()
                .map(|r| r.response_types.as_slice())
                .unwrap_or(&[]),
            token_endpoint_auth_method: registration
                .token_endpoint_auth_method
                .unwrap_or(TokenEndpointAuthMethod::ClientSecretBasic)
                .as_str(),
            scope: client.scopes.to_wire(),
            registration_access_token: registered.registration_access_token.as_deref(),
            registration_client_uri: format!("{base_url}{REGISTER_PATH}/{}", client.client_id),
        },
    )
}
