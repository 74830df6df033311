//! The OpenID Provider Metadata document (OIDC Discovery 1.0 §3), served at
//! [`DISCOVERY_PATH`]. It names the same endpoints and client authentication methods as the
//! RFC 8414 document (`dialect::rfc6749::metadata_response`), plus what OpenID Connect adds.

use serde::{Deserialize, Serialize};

use super::signing_keys::SigningAlg;
use crate::dialect::rfc6749::{
    AUTHORIZE_PATH, DEVICE_AUTHORIZATION_PATH, DEVICE_CODE_GRANT, INTROSPECT_PATH, REVOKE_PATH,
    TOKEN_PATH,
};
use crate::dialect::rfc7591::REGISTER_PATH;

pub const DISCOVERY_PATH: &str = "/.well-known/openid-configuration";
pub const JWKS_PATH: &str = "/.well-known/jwks.json";
pub const USERINFO_PATH: &str = "/oauth2/userinfo";

/// How clients authenticate at the token and revocation endpoints (as in RFC 8414's document).
pub const TOKEN_ENDPOINT_AUTH_METHODS: [&str; 3] =
    ["client_secret_basic", "client_secret_post", "none"];
/// Introspection is for confidential clients only.
pub const INTROSPECTION_AUTH_METHODS: [&str; 2] = ["client_secret_basic", "client_secret_post"];

pub const SCOPES: [&str; 4] = ["openid", "profile", "email", "offline_access"];

/// The claims an ID token or the userinfo response can carry
/// ([`super::id_token::IdTokenClaims`]).
pub const CLAIMS: [&str; 14] = [
    "iss",
    "sub",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "at_hash",
    "azp",
    "sid",
    "name",
    "preferred_username",
    "email",
    "email_verified",
];

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ProviderMetadata {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub userinfo_endpoint: String,
    pub jwks_uri: String,
    /// Only while registration is not disabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration_endpoint: Option<String>,
    pub device_authorization_endpoint: String,
    pub revocation_endpoint: String,
    pub introspection_endpoint: String,
    /// Only once RP-initiated logout is served.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_session_endpoint: Option<String>,
    pub scopes_supported: Vec<String>,
    pub response_types_supported: Vec<String>,
    pub response_modes_supported: Vec<String>,
    pub grant_types_supported: Vec<String>,
    pub subject_types_supported: Vec<String>,
    pub id_token_signing_alg_values_supported: Vec<String>,
    pub token_endpoint_auth_methods_supported: Vec<String>,
    pub revocation_endpoint_auth_methods_supported: Vec<String>,
    pub introspection_endpoint_auth_methods_supported: Vec<String>,
    pub claims_supported: Vec<String>,
    pub code_challenge_methods_supported: Vec<String>,
    pub prompt_values_supported: Vec<String>,
    pub request_parameter_supported: bool,
    pub request_uri_parameter_supported: bool,
    pub claims_parameter_supported: bool,
    /// RFC 9207: the authorization response carries `iss`.
    pub authorization_response_iss_parameter_supported: bool,
}

fn strings<const N: usize>(items: [&str; N]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

impl ProviderMetadata {
    /// The document for `issuer` (no trailing slash), with `registration_endpoint` only when
    /// `registration_open`.
    pub fn new(issuer: &str, registration_open: bool) -> ProviderMetadata {
        let at = |path: &str| format!("{issuer}{path}");
        ProviderMetadata {
            issuer: issuer.to_owned(),
            authorization_endpoint: at(AUTHORIZE_PATH),
            token_endpoint: at(TOKEN_PATH),
            userinfo_endpoint: at(USERINFO_PATH),
            jwks_uri: at(JWKS_PATH),
            registration_endpoint: registration_open.then(|| at(REGISTER_PATH)),
            device_authorization_endpoint: at(DEVICE_AUTHORIZATION_PATH),
            revocation_endpoint: at(REVOKE_PATH),
            introspection_endpoint: at(INTROSPECT_PATH),
            end_session_endpoint: None,
            scopes_supported: strings(SCOPES),
            response_types_supported: strings(["code"]),
            response_modes_supported: strings(["query"]),
            grant_types_supported: strings([
                "authorization_code",
                DEVICE_CODE_GRANT,
                "refresh_token",
            ]),
            subject_types_supported: strings(["public"]),
            id_token_signing_alg_values_supported: SigningAlg::ALL
                .iter()
                .map(|alg| alg.as_str().to_owned())
                .collect(),
            token_endpoint_auth_methods_supported: strings(TOKEN_ENDPOINT_AUTH_METHODS),
            revocation_endpoint_auth_methods_supported: strings(TOKEN_ENDPOINT_AUTH_METHODS),
            introspection_endpoint_auth_methods_supported: strings(INTROSPECTION_AUTH_METHODS),
            claims_supported: strings(CLAIMS),
            code_challenge_methods_supported: strings(["S256"]),
            prompt_values_supported: strings(["none", "login"]),
            request_parameter_supported: false,
            request_uri_parameter_supported: false,
            claims_parameter_supported: false,
            authorization_response_iss_parameter_supported: true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    const ISSUER: &str = "https://id.example.com";

    fn rfc8414_document(registration_open: bool) -> Value {
        let response = crate::dialect::rfc6749::metadata_response(ISSUER, registration_open);
        match response.body() {
            lambda_http::Body::Text(text) => serde_json::from_str(text).unwrap_or_default(),
            _ => Value::Null,
        }
    }

    #[test]
    fn every_rfc8414_field_is_the_same_in_the_openid_document() -> Result<(), serde_json::Error> {
        for open in [true, false] {
            let oauth = rfc8414_document(open);
            let oidc = serde_json::to_value(ProviderMetadata::new(ISSUER, open))?;
            let fields = oauth.as_object().cloned().unwrap_or_default();
            assert!(fields.len() >= 14, "{oauth}");
            for (name, value) in &fields {
                assert_eq!(&oidc[name], value, "{name} (registration open: {open})");
            }
            assert_eq!(oidc.get("registration_endpoint").is_some(), open);
        }
        Ok(())
    }

    #[test]
    fn the_openid_fields_are_as_discovery_requires() -> Result<(), serde_json::Error> {
        let doc = serde_json::to_value(ProviderMetadata::new(ISSUER, false))?;
        // OIDC Discovery §3's required fields.
        for name in [
            "issuer",
            "authorization_endpoint",
            "token_endpoint",
            "jwks_uri",
            "response_types_supported",
            "subject_types_supported",
            "id_token_signing_alg_values_supported",
        ] {
            assert!(doc.get(name).is_some(), "{name}");
        }
        assert_eq!(
            doc["jwks_uri"],
            "https://id.example.com/.well-known/jwks.json"
        );
        assert_eq!(
            doc["userinfo_endpoint"],
            "https://id.example.com/oauth2/userinfo"
        );
        assert_eq!(
            doc["id_token_signing_alg_values_supported"],
            serde_json::json!(["RS256", "EdDSA"])
        );
        assert_eq!(
            doc["subject_types_supported"],
            serde_json::json!(["public"])
        );
        assert!(
            doc["scopes_supported"]
                .as_array()
                .is_some_and(|s| s.contains(&"openid".into()))
        );
        assert_eq!(doc["request_uri_parameter_supported"], false);
        assert!(doc.get("end_session_endpoint").is_none());
        let back: ProviderMetadata = serde_json::from_value(doc)?;
        assert_eq!(back, ProviderMetadata::new(ISSUER, false));
        Ok(())
    }
}
