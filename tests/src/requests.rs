//! Requests through the one route table, the replies they get, and the form bodies the device
//! endpoints take.

use std::collections::HashMap;

use devicegate::model::AuditType;
use devicegate::usecases::admin;
use devicegate::{Deps, http, routes};
use lambda_http::{Body, Request, RequestExt};
use serde_json::Value;

use crate::{TestEnv, origin, setup_record};

impl TestEnv {
    pub async fn register(&self, body: &str, signature: Option<&str>) -> Reply {
        let req = form_request("/oauth/v1/register", body, signature);
        Reply::from(dispatch(&self.deps, req).await)
    }

    pub async fn token(&self, body: &str, signature: Option<&str>) -> Reply {
        let req = form_request("/oauth/v1/token", body, signature);
        Reply::from(dispatch(&self.deps, req).await)
    }

    /// A form POST to an oauth2 route, optionally with HTTP Basic client credentials, handled by
    /// the function `template.yaml` routes it to.
    pub async fn oauth2(&self, path: &str, body: &str, basic: Option<(&str, &str)>) -> Reply {
        use base64::Engine;
        let mut req = form_request(path, body, None);
        if let Some((id, secret)) = basic {
            let value = base64::engine::general_purpose::STANDARD.encode(format!(
                "{}:{}",
                enc(id),
                enc(secret)
            ));
            req.headers_mut()
                .insert("authorization", format!("Basic {value}").parse().unwrap());
        }
        Reply::from(dispatch(&self.deps, req).await)
    }

    pub async fn admin(
        &self,
        method: &str,
        path_and_query: &str,
        key: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let (path, query) = path_and_query
            .split_once('?')
            .unwrap_or((path_and_query, ""));
        let mut builder = lambda_http::http::Request::builder()
            .method(method)
            .uri(format!("https://gate.test{path}"));
        if let Some(key) = key {
            builder = builder.header("authorization", format!("Bearer {key}"));
        }
        let body = match body {
            Some(v) => {
                builder = builder.header("content-type", "application/json");
                Body::Text(v.to_string())
            }
            None => Body::Empty,
        };
        let params: HashMap<String, String> = query
            .split('&')
            .filter_map(|p| p.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        let req = builder
            .body(body)
            .unwrap()
            .with_query_string_parameters(params);
        Reply::from(dispatch(&self.deps, req).await)
    }

    /// An administrator's POST with `key`, and a JSON body if any.
    pub async fn admin_post(&self, key: &str, path: &str, body: Option<Value>) -> Reply {
        self.admin("POST", path, Some(key), body).await
    }

    /// An administrator's password reset for `username`.
    pub async fn reset_password(&self, admin: &str, username: &str, password: &str) -> Reply {
        let path = format!("/admin/users/{}/password", enc(username));
        let body = serde_json::json!({ "password": password });
        self.admin_post(admin, &path, Some(body)).await
    }

    /// Registers with `body` (unsigned); returns the device code it was given.
    pub async fn register_code(&self, body: &str) -> String {
        self.register(body, None).await.str("device_code")
    }

    /// An administrator's `action` (`approve`, `deny` or `revoke`) on a device.
    pub async fn device_action(&self, admin: &str, client_id: &str, action: &str) -> Reply {
        let path = format!("/admin/devices/{client_id}/{action}");
        self.admin_post(admin, &path, None).await
    }

    /// An unsigned poll for a device code.
    pub async fn poll(&self, client_id: &str, api_key: &str, code: &str) -> Reply {
        self.token(&poll_body(client_id, api_key, code), None).await
    }

    /// An unsigned refresh.
    pub async fn refresh(&self, client_id: &str, api_key: &str, refresh_token: &str) -> Reply {
        self.token(&refresh_body(client_id, api_key, refresh_token), None)
            .await
    }

    /// Polls for a device code (unsigned) once its interval has passed, without sleeping.
    pub async fn poll_due(&self, client_id: &str, api_key: &str, code: &str) -> Reply {
        self.force_poll_due(code).await;
        self.poll(client_id, api_key, code).await
    }

    /// A user's approval of an OAuth device code on the verification page, written through
    /// storage; whether it took.
    pub async fn approve_on_page(
        &self,
        device_code: &str,
        username: &str,
        scope: Option<&str>,
    ) -> bool {
        self.store()
            .decide_on_page(
                &devicegate::secrets::hash_secret(device_code),
                username,
                devicegate::storage::PageDecision::Approve,
                (scope, devicegate::model::Lifetimes::default()),
                http::now(),
                &setup_record(AuditType::DeviceCodeApproved, "test"),
            )
            .await
            .unwrap()
    }

    /// Introspects a token as a resource server would (a confidential client with the
    /// introspection permission, made on first use).
    pub async fn introspect(&self, token: &str) -> Reply {
        let grants = vec![devicegate::model::GrantType::RefreshToken];
        let (id, secret) = self
            .confidential_client("resource server", grants, true)
            .await;
        self.oauth2(
            "/oauth2/introspect",
            &format!("token={}", enc(token)),
            Some((&id, &secret)),
        )
        .await
    }

    /// Makes a confidential client with `grants`, a resource server if `introspection`;
    /// returns (client id, secret).
    pub async fn confidential_client(
        &self,
        name: &str,
        grants: Vec<devicegate::model::GrantType>,
        introspection: bool,
    ) -> (String, String) {
        use devicegate::model::OAuthClientType;
        let created = admin::create_client(
            self.store(),
            admin::NewClient {
                introspection,
                ..admin::NewClient::new(name, OAuthClientType::Confidential, grants)
            },
            http::now(),
            &origin(),
        )
        .await
        .unwrap();
        (created.client.client_id, created.secret.unwrap())
    }
}

/// Sends a request through the one route table, as API Gateway and the function's router would:
/// the route decides the handler; the handler sees the request as `lambda_http` delivers it.
pub async fn dispatch(deps: &Deps, req: Request) -> lambda_http::Response<Body> {
    use tower::ServiceExt as _;
    let (parts, body) = req.into_parts();
    let body = match body {
        Body::Text(text) => axum::body::Body::from(text),
        Body::Binary(bytes) => axum::body::Body::from(bytes),
        _ => axum::body::Body::empty(),
    };
    let router = routes::router_all(std::sync::Arc::new(deps.clone()));
    let response = match router
        .oneshot(lambda_http::http::Request::from_parts(parts, body))
        .await
    {
        Ok(response) => response,
        Err(never) => match never {},
    };
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap();
    lambda_http::Response::from_parts(parts, body_of(&bytes))
}

/// A body as `lambda_http` carries it: empty, text when it is UTF-8, binary otherwise.
pub(crate) fn body_of(bytes: &[u8]) -> Body {
    if bytes.is_empty() {
        Body::Empty
    } else {
        match String::from_utf8(bytes.to_vec()) {
            Ok(text) => Body::Text(text),
            Err(e) => Body::Binary(e.into_bytes()),
        }
    }
}

/// A form POST as API Gateway would deliver it.
pub fn form_request(path: &str, body: &str, signature: Option<&str>) -> Request {
    let mut builder = lambda_http::http::Request::builder()
        .method("POST")
        .uri(format!("https://gate.test{path}"))
        .header("content-type", "application/x-www-form-urlencoded");
    if let Some(sig) = signature {
        builder = builder.header("hcp-request-signature", sig);
    }
    builder.body(Body::Text(body.to_owned())).unwrap()
}

/// A response, its JSON body parsed.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: lambda_http::http::HeaderMap,
    pub json: Value,
}

impl Reply {
    pub fn error(&self) -> &str {
        self.json["error"].as_str().unwrap_or("")
    }
    /// Asserts the status and error code; `request` names what was sent, for the failure message.
    pub fn assert_error(&self, status: u16, error: &str, request: &str) {
        assert_eq!(
            (self.status, self.error()),
            (status, error),
            "{request}: {:?}",
            self.json
        );
    }

    /// As `assert_error`, and the error also says what was wrong (`error_description`).
    pub fn assert_described_error(&self, status: u16, error: &str, request: &str) {
        self.assert_error(status, error, request);
        let description = self.json["error_description"].as_str().unwrap_or("");
        assert!(!description.is_empty(), "{request}: {:?}", self.json);
    }

    pub fn str(&self, field: &str) -> String {
        self.json[field]
            .as_str()
            .unwrap_or_else(|| panic!("no {field} in {}", self.json))
            .to_owned()
    }
}

impl From<lambda_http::Response<Body>> for Reply {
    fn from(response: lambda_http::Response<Body>) -> Reply {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let json = match response.body() {
            Body::Text(t) => serde_json::from_str(t).unwrap_or(Value::Null),
            Body::Binary(b) => serde_json::from_slice(b).unwrap_or(Value::Null),
            _ => Value::Null,
        };
        Reply {
            status,
            headers,
            json,
        }
    }
}

/// Percent-encodes a form value.
pub fn enc(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A registration body for a printer.
pub fn register_body(client_id: &str, api_key: &str) -> String {
    format!(
        "client_id={}&client_secret={}&client_type=printer&response_type=device_code",
        enc(client_id),
        enc(api_key)
    )
}

pub fn poll_body(client_id: &str, api_key: &str, device_code: &str) -> String {
    format!(
        "client_id={}&client_secret={}&grant_type=device_code&device_code={}",
        enc(client_id),
        enc(api_key),
        enc(device_code)
    )
}

pub fn refresh_body(client_id: &str, api_key: &str, refresh_token: &str) -> String {
    format!(
        "client_id={}&client_secret={}&grant_type=refresh_token&refresh_token={}",
        enc(client_id),
        enc(api_key),
        enc(refresh_token)
    )
}
