//! Huawei Cloud IAM Identity Center OIDC: `POST /v1/clients`, `POST /v1/device/authorize`,
//! `POST /v1/tokens`. snake_case JSON; client information and tokens come wrapped
//! (`client_info`, `token_info`), the device authorization flat. Errors carry `error_code` and
//! `error_msg`, which the Huawei SDKs read, and every response an `X-Request-Id` (see
//! [`crate::http::ErrorShape::Huawei`]). The SDKs sign none of these calls.

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

use super::rfc6749;
use super::{GrantFields, JsonGrant, json_grant};

pub const TOKEN_PATH: &str = "/v1/tokens";

/// The `huawei` dialect.
pub struct Huawei;

#[derive(Deserialize, utoipa::ToSchema)]
pub(crate) struct RegisterClientIn {
    client_name: String,
    client_type: String,
    token_endpoint_auth_method: String,
    grant_types: Vec<String>,
    response_types: Vec<String>,
    #[serde(default)]
    scopes: Vec<String>,
}

impl super::ClientRegistrationCodec for Huawei {
    const ORIGIN: ClientOrigin = ClientOrigin::Huawei;
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
                "client_type must be public".into(),
            ));
        }
        Ok(MetadataRequest {
            client_name: Some(input.client_name),
            redirect_uris: Vec::new(),
            grant_types: Some(input.grant_types),
            response_types: Some(input.response_types),
            token_endpoint_auth_method: Some(input.token_endpoint_auth_method),
            scopes: input.scopes,
        })
    }

    fn render(registered: &Registered, base_url: &str) -> Response<Body> {
        let client = &registered.client;
        json_response(
            200,
            &RegisteredClientOut {
                client_info: ClientInfo {
                    authorization_endpoint: format!("{base_url}{}", super::rfc6749::AUTHORIZE_PATH),
                    client_id: &client.client_id,
                    client_id_issued_at: client.created_at,
                    client_secret: registered.client_secret.as_deref(),
                    client_secret_expires_at: client.secret_expires_at.unwrap_or(0),
                    token_endpoint: format!("{base_url}{TOKEN_PATH}"),
                    scopes: client.scopes.tokens(),
                },
            },
        )
    }
}

/// `POST /v1/clients`'s answer.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct RegisteredClientOut<'a> {
    client_info: ClientInfo<'a>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct ClientInfo<'a> {
    authorization_endpoint: String,
    client_id: &'a str,
    client_id_issued_at: i64,
    client_secret: Option<&'a str>,
    client_secret_expires_at: i64,
    token_endpoint: String,
    scopes: &'a [String],
}

/// `POST /v1/tokens`'s answer.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct TokenInfoOut<'a> {
    token_info: super::TokenOut<'a>,
}

fn credentials(client_id: &str, client_secret: &str) -> Result<ClientCredentials, Error> {
    super::posted_credentials(("client_id", client_id), ("client_secret", client_secret))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub(crate) struct StartDeviceAuthorizationIn {
    client_id: String,
    client_secret: String,
    start_url: String,
}

impl super::DeviceAuthorizationCodec for Huawei {
    const DIALECT: &'static str = "huawei";

    fn parse(req: &Request) -> Result<DeviceAuthorizationRequest, Error> {
        let input: StartDeviceAuthorizationIn = json_body(req)?;
        if input.start_url.is_empty() || input.start_url.len() > 2048 {
            return Err(Error::invalid_request(
                "start_url is required (at most 2048 characters)",
            ));
        }
        Ok(DeviceAuthorizationRequest {
            client: credentials(&input.client_id, &input.client_secret)?,
            scope: Scope::default(),
        })
    }

    /// Flat, with RFC 8628's field names.
    fn render(started: &DeviceAuthorization, base_url: &str) -> Response<Body> {
        rfc6749::device_authorization_response(started, base_url)
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
pub(crate) struct CreateTokenIn {
    client_id: String,
    client_secret: String,
    grant_type: String,
    device_code: Option<String>,
    refresh_token: Option<String>,
    scopes: Option<Vec<String>>,
    code: Option<String>,
    redirect_uri: Option<String>,
    code_verifier: Option<String>,
}

impl super::TokenCodec for Huawei {
    /// RFC 8628 §3.5: `error_code` `slow_down`.
    const TOO_FAST: TooFastPolls = TooFastPolls::SlowDown;
    const DIALECT: &'static str = "huawei";

    fn parse(req: &Request) -> Result<TokenRequest<'_>, Error> {
        let input: CreateTokenIn = json_body(req)?;
        let grant = json_grant(
            &input.grant_type,
            JsonGrant {
                device_code: input.device_code,
                refresh_token: input.refresh_token,
                scope: input.scopes,
                code: input.code,
                redirect_uri: input.redirect_uri,
                code_verifier: input.code_verifier,
            },
            &GrantFields {
                device_code: "device_code",
                refresh_token: "refresh_token",
                redirect_uri: "redirect_uri",
                code_verifier: "code_verifier",
            },
        )?;
        Ok(TokenRequest {
            caller: Caller::Client(credentials(&input.client_id, &input.client_secret)?),
            grant,
        })
    }

    /// RFC 6749's fields, wrapped in `token_info`.
    fn render(tokens: &TokenSet) -> Response<Body> {
        json_response(
            200,
            &TokenInfoOut {
                token_info: super::TokenOut::new(tokens),
            },
        )
    }
}
