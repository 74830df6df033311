//! What the OAuth tests share: a fixture with clients and a user.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use devicegate::model::{GrantType, OAuthClientType, Scope};
use devicegate::usecases::admin::{self, NewClient, NewUser};

use crate::{TestEnv, enc};

/// A public CLI client, a confidential resource server, and a user.
pub struct Fixture {
    pub env: TestEnv,
    pub cli_id: String,
    pub server_id: String,
    pub server_secret: String,
}

/// A public CLI client allowed the device code and refresh grants, scopes `read write`.
pub fn public_cli_client(name: &str) -> NewClient {
    NewClient {
        scopes: Scope::parse("read write").unwrap(),
        ..NewClient::new(
            name,
            OAuthClientType::Public,
            vec![GrantType::DeviceCode, GrantType::RefreshToken],
        )
    }
}

/// The fixture's two clients: a public CLI (device code and refresh, `read write`, 10-minute
/// access tokens) and a confidential resource server allowed to introspect.
pub async fn acme_clients(env: &TestEnv, now: i64) -> (admin::CreatedClient, admin::CreatedClient) {
    let cli = admin::create_client(
        env.store(),
        NewClient {
            access_token_ttl: Some(600),
            ..public_cli_client("Acme CLI")
        },
        now,
        &crate::origin(),
    )
    .await
    .unwrap();
    let resource_server = admin::create_client(
        env.store(),
        NewClient {
            introspection: true,
            ..NewClient::new(
                "Acme API",
                OAuthClientType::Confidential,
                vec![GrantType::RefreshToken],
            )
        },
        now,
        &crate::origin(),
    )
    .await
    .unwrap();
    (cli, resource_server)
}

pub async fn fixture() -> Fixture {
    fixture_on(TestEnv::new().await).await
}

/// The fixture on tables of its own, in `env`.
pub async fn fixture_on(mut env: TestEnv) -> Fixture {
    env.deps.settings.poll_interval = 1;
    let now = devicegate::http::now();
    let (cli, resource_server) = acme_clients(&env, now).await;
    admin::create_user(
        env.store(),
        NewUser {
            username: "ada".into(),
            password: "correct horse battery".into(),
            display_name: Some("Ada".into()),
            email: None,
            email_verified: false,
        },
        now,
        &crate::origin(),
    )
    .await
    .unwrap();
    Fixture {
        env,
        cli_id: cli.client.client_id,
        server_id: resource_server.client.client_id,
        server_secret: resource_server.secret.unwrap(),
    }
}

/// The `oauth2` crate's client for a public client (its id in the request body), with the device
/// authorization and token endpoints of the server at `base`.
pub type CrateClient = oauth2::basic::BasicClient<
    oauth2::EndpointNotSet,
    oauth2::EndpointSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointSet,
>;

pub fn crate_client(client_id: &str, base: &str) -> CrateClient {
    use oauth2::{AuthType, ClientId, DeviceAuthorizationUrl, TokenUrl};
    oauth2::basic::BasicClient::new(ClientId::new(client_id.to_owned()))
        .set_auth_type(AuthType::RequestBody)
        .set_device_authorization_url(
            DeviceAuthorizationUrl::new(format!("{base}/oauth2/device_authorization")).unwrap(),
        )
        .set_token_uri(TokenUrl::new(format!("{base}/oauth2/token")).unwrap())
}

/// Starts the device flow through the `oauth2` crate, asking for `scope`.
pub async fn start_device_flow(
    client: &CrateClient,
    http: &reqwest::Client,
    scope: &str,
) -> oauth2::StandardDeviceAuthorizationResponse {
    client
        .exchange_device_code()
        .add_scope(oauth2::Scope::new(scope.into()))
        .request_async(http)
        .await
        .unwrap()
}

pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The value of the first `name="csrf"` hidden field.
pub fn csrf_of(html: &str) -> String {
    let start = html.find("name=\"csrf\" value=\"").expect("a csrf field") + 19;
    html[start..start + html[start..].find('"').unwrap()].to_owned()
}

/// A person at the verification page, with a cookie jar.
pub struct Person {
    http: reqwest::Client,
    base: String,
}

impl Person {
    pub fn new(base: &str) -> Person {
        Person {
            http: reqwest::Client::builder()
                .cookie_store(true)
                .build()
                .unwrap(),
            base: base.to_owned(),
        }
    }

    pub async fn get(&self, path: &str) -> (u16, String) {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }

    pub async fn post(&self, fields: &[(&str, &str)]) -> (u16, String) {
        let body = fields
            .iter()
            .map(|(k, v)| format!("{k}={}", enc(v)))
            .collect::<Vec<_>>()
            .join("&");
        let r = self
            .http
            .post(format!("{}/device", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }

    /// Signs in as ada from a fresh page (the redirect is followed to the code page).
    pub async fn sign_in(&self, password: &str) -> (u16, String) {
        self.sign_in_as("ada", password).await
    }

    pub async fn sign_in_as(&self, username: &str, password: &str) -> (u16, String) {
        let (_, page) = self.get("/device").await;
        let csrf = csrf_of(&page);
        self.post(&[
            ("action", "sign_in"),
            ("csrf", &csrf),
            ("username", username),
            ("password", password),
        ])
        .await
    }

    /// Enters a code on a fresh page: the confirmation page, or what refused the code.
    pub async fn find(&self, user_code: &str) -> (u16, String) {
        let (_, page) = self.get("/device").await;
        self.post(&[
            ("action", "find"),
            ("csrf", &csrf_of(&page)),
            ("user_code", user_code),
        ])
        .await
    }

    /// Enters a code and presses a button on the confirmation page.
    pub async fn decide(&self, user_code: &str, action: &str) -> (u16, String) {
        let (status, confirm) = self.find(user_code).await;
        if status != 200 {
            return (status, confirm);
        }
        assert!(confirm.contains("Approve this device?"), "{confirm}");
        self.post(&[
            ("action", action),
            ("csrf", &csrf_of(&confirm)),
            ("user_code", user_code),
            ("request", &hidden_of(&confirm, "request")),
        ])
        .await
    }
}

/// BASE64URL(SHA-256(verifier)): the S256 PKCE challenge.
pub fn challenge(verifier: &str) -> String {
    use base64::Engine as _;
    use sha2::Digest as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(verifier.as_bytes()))
}

/// A person's browser on the sign-in and consent pages, without JavaScript: a cookie jar that does not follow redirects.
pub struct PageBrowser {
    http: reqwest::Client,
    base: String,
}

/// An answer: status, `Location`, body.
pub type Answer = (u16, Option<String>, String);

impl PageBrowser {
    pub fn new(base: &str) -> PageBrowser {
        PageBrowser {
            http: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: base.to_owned(),
        }
    }

    async fn answer(response: reqwest::Response) -> Answer {
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_owned());
        (status, location, response.text().await.unwrap())
    }

    pub async fn get(&self, path_and_query: &str) -> Answer {
        let url = if path_and_query.starts_with("http") {
            path_and_query.to_owned()
        } else {
            format!("{}{path_and_query}", self.base)
        };
        Self::answer(self.http.get(url).send().await.unwrap()).await
    }

    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Answer {
        let body = fields
            .iter()
            .map(|(k, v)| format!("{k}={}", enc(v)))
            .collect::<Vec<_>>()
            .join("&");
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        Self::answer(response).await
    }

    /// Opens an authorization URL, signs in as ada, and presses `button` (`approve` or `deny`)
    /// on the consent page: the redirect back to the client.
    pub async fn consent(&self, path: &str, query: &str, button: &str) -> url::Url {
        let (status, _, page) = self.get(&format!("{path}?{query}")).await;
        assert_eq!(status, 200, "{page}");
        let page = if page.contains("Allow access?") || page.contains("Register this app?") {
            page
        } else {
            let (status, location, _) = self
                .post(
                    path,
                    &[
                        ("action", "sign_in"),
                        ("csrf", &csrf_of(&page)),
                        ("request", &hidden_of(&page, "request")),
                        ("username", "ada"),
                        ("password", "correct horse battery"),
                    ],
                )
                .await;
            assert_eq!(status, 303);
            let (status, _, page) = self.get(&location.unwrap()).await;
            assert_eq!(status, 200, "{page}");
            page
        };
        assert!(
            page.contains("Allow access?") || page.contains("Register this app?"),
            "{page}"
        );
        let (status, location, body) = self
            .post(
                path,
                &[
                    ("action", button),
                    ("csrf", &csrf_of(&page)),
                    ("request", &hidden_of(&page, "request")),
                ],
            )
            .await;
        assert_eq!(status, 302, "{body}");
        url::Url::parse(&location.unwrap()).unwrap()
    }
}

/// A hidden field's value, unescaped.
pub fn hidden_of(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).expect("the field") + marker.len();
    html[start..start + html[start..].find('"').unwrap()]
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

pub fn param(url: &url::Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.into_owned())
}
