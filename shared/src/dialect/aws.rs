//! AWS IAM Identity Center OIDC (`sso-oidc`, rest-json): `POST /client/register`,
//! `POST /device_authorization`, `POST /token`. camelCase JSON in and out, epoch-second
//! integers; errors name their exception in `x-amzn-ErrorType` (see
//! [`crate::http::ErrorShape::Aws`]). The three operations are unsigned, so the AWS SDKs call
//! them with no credentials.

use lambda_http::{Body, Request, Response};
use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::http::{json_body, json_response};
use crate::model::{ClientOrigin, GrantType, Scope, TokenEndpointAuthMethod, TokenSet};
use crate::usecases::client_auth::ClientCredentials;
use crate::usecases::client_registration::{Defaults, MetadataRequest, Registered};
use crate::usecases::device_grant::{
    DeviceAuthorization, DeviceAuthorizationRequest, TooFastPolls,
};
use crate::usecases::grants::{Caller, TokenRequest};

use super::oauth2::{VERIFICATION_PATH, bounded};
use super::{GrantFields, json_grant};

pub const TOKEN_PATH: &str = "/token";
/// Where `aws sso login` sends a person to sign in (the authorization code flow, which
/// devicegate does not serve yet: the device flow is what works today).
pub const AUTHORIZE_PATH: &str = "/oauth2/authorize";

/// The `aws` dialect.
pub struct Aws;

/// Longest `startUrl` / `issuerUrl` accepted (they are recorded nowhere; only bounded).
const MAX_URL_LEN: usize = 2048;

fn bounded_url(name: &str, value: &str) -> Result<(), Error> {
    if value.len() > MAX_URL_LEN {
        return Err(Error::invalid_request(format!("{name} is too long")));
    }
    Ok(())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RegisterClientIn {
    client_name: String,
    client_type: String,
    #[serde(default)]
    scopes: Vec<String>,
    #[serde(default)]
    redirect_uris: Vec<String>,
    grant_types: Option<Vec<String>>,
    issuer_url: Option<String>,
}

impl super::ClientRegistrationCodec for Aws {
    const ORIGIN: ClientOrigin = ClientOrigin::Aws;
    const DEFAULTS: Defaults = Defaults {
        grant_types: &[GrantType::DeviceCode, GrantType::RefreshToken],
        response_types: &[],
        auth_method: TokenEndpointAuthMethod::ClientSecretPost,
        auth_methods: &[TokenEndpointAuthMethod::ClientSecretPost],
    };

    fn parse(req: &Request) -> Result<MetadataRequest, Error> {
        let input: RegisterClientIn = json_body(req)?;
        if input.client_type != "public" {
            return Err(Error::InvalidClientMetadata(
                "clientType must be public".into(),
            ));
        }
        if let Some(url) = &input.issuer_url {
            bounded_url("issuerUrl", url)?;
        }
        Ok(MetadataRequest {
            client_name: Some(input.client_name),
            redirect_uris: input.redirect_uris,
            grant_types: input.grant_types,
            response_types: None,
            token_endpoint_auth_method: None,
            scopes: input.scopes,
        })
    }

    fn render(registered: &Registered, base_url: &str) -> Response<Body> {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Out<'a> {
            client_id: &'a str,
            client_secret: Option<&'a str>,
            client_id_issued_at: i64,
            client_secret_expires_at: i64,
            authorization_endpoint: String,
            token_endpoint: String,
        }
        let client = &registered.client;
        json_response(
            200,
            &Out {
                client_id: &client.client_id,
                client_secret: registered.client_secret.as_deref(),
                client_id_issued_at: client.created_at,
                client_secret_expires_at: client.secret_expires_at.unwrap_or(0),
                authorization_endpoint: format!("{base_url}{AUTHORIZE_PATH}"),
                token_endpoint: format!("{base_url}{TOKEN_PATH}"),
            },
        )
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct StartDeviceAuthorizationIn {
    client_id: String,
    client_secret: String,
    start_url: String,
}

impl super::DeviceAuthorizationCodec for Aws {
    fn parse(req: &Request) -> Result<DeviceAuthorizationRequest, Error> {
        let input: StartDeviceAuthorizationIn = json_body(req)?;
        bounded_url("startUrl", &input.start_url)?;
        Ok(DeviceAuthorizationRequest {
            client: credentials(&input.client_id, &input.client_secret)?,
            scope: Scope::default(),
        })
    }

    fn render(started: &DeviceAuthorization, base_url: &str) -> Response<Body> {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Out<'a> {
            device_code: &'a str,
            user_code: String,
            verification_uri: String,
            verification_uri_complete: String,
            expires_in: i64,
            interval: i64,
        }
        let user_code = started.user_code.display();
        json_response(
            200,
            &Out {
                device_code: &started.device_code,
                verification_uri: format!("{base_url}{VERIFICATION_PATH}"),
                verification_uri_complete: format!(
                    "{base_url}{VERIFICATION_PATH}?user_code={user_code}"
                ),
                user_code,
                expires_in: started.expires_in,
                interval: started.interval,
            },
        )
    }
}

/// `client_secret_post` in camelCase: both are required by the service model.
fn credentials(client_id: &str, client_secret: &str) -> Result<ClientCredentials, Error> {
    if client_id.is_empty() || client_secret.is_empty() {
        return Err(Error::InvalidClient(
            "clientId and clientSecret are required".into(),
        ));
    }
    Ok(ClientCredentials {
        client_id: bounded("clientId", client_id)?.to_owned(),
        secret: Some(bounded("clientSecret", client_secret)?.to_owned()),
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateTokenIn {
    client_id: String,
    client_secret: String,
    grant_type: String,
    device_code: Option<String>,
    refresh_token: Option<String>,
    /// The model calls it `scope` here (a list), `scopes` in RegisterClient.
    scope: Option<Vec<String>>,
}

impl super::TokenCodec for Aws {
    /// RFC 8628 §3.5, as `SlowDownException`.
    const TOO_FAST: TooFastPolls = TooFastPolls::SlowDown;

    fn parse(req: &Request) -> Result<TokenRequest<'_>, Error> {
        let input: CreateTokenIn = json_body(req)?;
        let grant = json_grant(
            &input.grant_type,
            input.device_code,
            input.refresh_token,
            input.scope,
            &GrantFields {
                device_code: "deviceCode",
                refresh_token: "refreshToken",
            },
        )?;
        Ok(TokenRequest {
            caller: Caller::Client(credentials(&input.client_id, &input.client_secret)?),
            grant,
        })
    }

    fn render(tokens: &TokenSet) -> Response<Body> {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Out<'a> {
            access_token: &'a str,
            token_type: &'static str,
            expires_in: i64,
            refresh_token: &'a str,
        }
        json_response(
            200,
            &Out {
                access_token: &tokens.access_token,
                token_type: "Bearer",
                expires_in: tokens.expires_in,
                refresh_token: &tokens.refresh_token,
            },
        )
    }
}
