//! The authorization code grant with PKCE (RFC 6749 §4.1, RFC 7636, RFC 9207) over HTTP: a
//! person signs in and consents at `/oauth2/authorize` (and `/authorize`, where `aws sso login`
//! goes), the client redeems the code at the token endpoint of its dialect. The refusals: code
//! replay, wrong verifier, `plain`, a redirect URI not registered (a page, never a redirect),
//! forged forms, framing.

use aws_sdk_ssooidc::config::{BehaviorVersion, Region};
use devicegate::model::{GrantType, OAuthClientType, Scope};
use devicegate::usecases::admin::{self, NewClient};
use devicegate_tests::oauth::{PageBrowser as Browser, challenge, fixture, param};
use devicegate_tests::{enc, server};
use serde_json::Value;

const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

fn authorize_query(client_id: &str, redirect_uri: &str, extra: &[(&str, &str)]) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query
        .append_pair("response_type", "code")
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("state", "st-123");
    for (name, value) in extra {
        query.append_pair(name, value);
    }
    query.finish()
}

/// A public native app allowed the authorization code and refresh grants, with a loopback and a
/// private-use redirect URI.
async fn native_app(env: &devicegate_tests::TestEnv) -> String {
    admin::create_client(
        env.store(),
        NewClient {
            scopes: Scope::parse("read write").unwrap(),
            redirect_uris: vec![
                "http://127.0.0.1/callback".into(),
                "com.example.app:/oauth2redirect".into(),
            ],
            ..NewClient::new(
                "Acme App",
                OAuthClientType::Public,
                vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
            )
        },
        devicegate::http::now(),
        &devicegate_tests::origin(),
    )
    .await
    .unwrap()
    .client
    .client_id
}

async fn token(http: &reqwest::Client, base: &str, fields: &[(&str, &str)]) -> (u16, Value) {
    let body = fields
        .iter()
        .map(|(k, v)| format!("{k}={}", enc(v)))
        .collect::<Vec<_>>()
        .join("&");
    let r = http
        .post(format!("{base}/oauth2/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

#[tokio::test]
async fn a_code_is_bound_single_use_and_its_replay_revokes_what_it_gave() {
    let mut f = fixture().await;
    f.env.deps.settings.secure_cookies = false;
    let app = native_app(&f.env).await;
    let base = server::serve(f.env.deps.clone()).await;
    let browser = Browser::new(&base);
    let redirect = "http://127.0.0.1:43210/callback";
    let pkce = [
        ("scope", "read"),
        ("code_challenge", &challenge(VERIFIER)),
        ("code_challenge_method", "S256"),
    ];

    let back = browser
        .consent(
            "/oauth2/authorize",
            &authorize_query(&app, redirect, &pkce),
            "approve",
        )
        .await;
    assert_eq!(
        back.as_str().split('?').next(),
        Some(redirect),
        "back to the loopback port the app listens on"
    );
    assert_eq!(param(&back, "state").as_deref(), Some("st-123"));
    assert_eq!(param(&back, "iss").as_deref(), Some(base.as_str()));
    let code = param(&back, "code").unwrap();
    assert!(code.starts_with("dgac_"));

    let http = reqwest::Client::new();
    let redeem = |verifier: &'static str, redirect_uri: &'static str| {
        let (http, base, code, app) = (http.clone(), base.clone(), code.clone(), app.clone());
        async move {
            token(
                &http,
                &base,
                &[
                    ("grant_type", "authorization_code"),
                    ("client_id", &app),
                    ("code", &code),
                    ("redirect_uri", redirect_uri),
                    ("code_verifier", verifier),
                ],
            )
            .await
        }
    };
    let wrong_verifier = "x".repeat(43).leak();
    let (status, body) = redeem(wrong_verifier, redirect).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "{body}"
    );
    let (status, body) = redeem(VERIFIER, "http://127.0.0.1:43210/other").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "{body}"
    );

    let (status, tokens) = redeem(VERIFIER, redirect).await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(tokens["scope"], "read");
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    // The first redemption's tokens work, until the code is replayed.
    let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
    let (status, refreshed) = token(
        &http,
        &base,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", &app),
            ("refresh_token", &refresh),
        ],
    )
    .await;
    assert_eq!(status, 200, "{refreshed}");
    let (status, body) = redeem(VERIFIER, redirect).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "{body}"
    );
    let family = f
        .env
        .store()
        .get_token(&devicegate::secrets::hash_secret(&access))
        .await
        .unwrap()
        .unwrap()
        .family_id;
    assert_eq!(
        f.env
            .store()
            .get_family(&family)
            .await
            .unwrap()
            .unwrap()
            .status,
        devicegate::model::FamilyStatus::Revoked,
        "a replayed code revokes what it issued"
    );
    let (status, _) = token(
        &http,
        &base,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", &app),
            (
                "refresh_token",
                refreshed["refresh_token"].as_str().unwrap(),
            ),
        ],
    )
    .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn bad_requests_get_a_page_or_a_redirect_as_rfc_6749_says() {
    let mut f = fixture().await;
    f.env.deps.settings.secure_cookies = false;
    let app = native_app(&f.env).await;
    let base = server::serve(f.env.deps.clone()).await;
    let browser = Browser::new(&base);
    let s256 = challenge(VERIFIER);
    let pkce = [
        ("code_challenge", s256.as_str()),
        ("code_challenge_method", "S256"),
    ];

    // Unknown client, unregistered redirect URI: a 400 page, never a redirect.
    for query in [
        authorize_query("no-such-client", "http://127.0.0.1/callback", &pkce),
        authorize_query(&app, "https://evil.example/callback", &pkce),
        authorize_query(&app, "http://127.0.0.1:5/callback/../x", &pkce),
        authorize_query(&app, "com.example.app:/other", &pkce),
    ] {
        let (status, location, page) = browser.get(&format!("/oauth2/authorize?{query}")).await;
        assert!((400..500).contains(&status), "{query}: {status}");
        assert_eq!(location, None, "{query}");
        assert!(page.contains("Something went wrong"), "{page}");
    }
    // Everything else: back to the app with error, error_description, state and iss.
    let redirect = "com.example.app:/oauth2redirect";
    for (extra, error) in [
        (
            vec![
                ("code_challenge", s256.as_str()),
                ("code_challenge_method", "plain"),
            ],
            "invalid_request",
        ),
        (
            vec![
                ("code_challenge", VERIFIER),
                ("code_challenge_method", "plain"),
            ],
            "invalid_request",
        ),
        (vec![], "invalid_request"), // a public client without PKCE
        (vec![("scope", "admin"), pkce[0], pkce[1]], "invalid_scope"),
    ] {
        let (status, location, _) = browser
            .get(&format!(
                "/oauth2/authorize?{}",
                authorize_query(&app, redirect, &extra)
            ))
            .await;
        assert_eq!(status, 302, "{extra:?}");
        let back = url::Url::parse(&location.unwrap()).unwrap();
        assert_eq!(back.scheme(), "com.example.app");
        assert_eq!(param(&back, "error").as_deref(), Some(error), "{extra:?}");
        assert!(param(&back, "error_description").is_some());
        assert_eq!(param(&back, "state").as_deref(), Some("st-123"));
        assert_eq!(param(&back, "iss").as_deref(), Some(base.as_str()));
    }
    let token_type =
        authorize_query(&app, redirect, &pkce).replace("response_type=code", "response_type=token");
    let (status, location, _) = browser
        .get(&format!("/oauth2/authorize?{token_type}"))
        .await;
    assert_eq!(status, 302);
    assert!(
        location
            .unwrap()
            .contains("error=unsupported_response_type")
    );

    // Every page refuses to be framed.
    let (status, _, _) = browser
        .get(&format!(
            "/oauth2/authorize?{}",
            authorize_query(&app, redirect, &pkce)
        ))
        .await;
    assert_eq!(status, 200);
    let framed = reqwest::Client::new()
        .get(format!(
            "{base}/oauth2/authorize?{}",
            authorize_query(&app, redirect, &pkce)
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(framed.headers()["x-frame-options"], "DENY");
    assert!(
        framed.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );

    // A forged form (no CSRF token, or another browser's) is refused and issues nothing.
    let signed_in = browser
        .consent(
            "/oauth2/authorize",
            &authorize_query(&app, redirect, &pkce),
            "deny",
        )
        .await;
    assert_eq!(param(&signed_in, "error").as_deref(), Some("access_denied"));
    let request = authorize_query(&app, redirect, &pkce);
    for csrf in ["", "forged"] {
        let (status, location, _) = browser
            .post(
                "/oauth2/authorize",
                &[("action", "approve"), ("csrf", csrf), ("request", &request)],
            )
            .await;
        assert_eq!((status, location), (403, None), "csrf {csrf:?}");
    }
}

fn sso_oidc(base: &str) -> aws_sdk_ssooidc::Client {
    let config = aws_sdk_ssooidc::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("eu-west-1"))
        .endpoint_url(base)
        .build();
    aws_sdk_ssooidc::Client::from_conf(config)
}

/// What `aws sso login` does (botocore's SSO login, read and replayed): RegisterClient with the
/// authorization code grant and a portless loopback redirect, the browser at `/authorize` with
/// `scopes`, then CreateToken with `code`, `redirectUri` and `codeVerifier`, then a refresh.
#[tokio::test]
async fn the_aws_sdk_redeems_a_code_after_consent_at_slash_authorize() {
    let mut f = fixture().await;
    f.env.deps.settings.secure_cookies = false;
    let base = server::serve(f.env.deps.clone()).await;
    let sso = sso_oidc(&base);
    let registered = sso
        .register_client()
        .client_name("botocore-client-devicegate")
        .client_type("public")
        .scopes("sso:account:access")
        .scopes("openid")
        .grant_types("authorization_code")
        .grant_types("refresh_token")
        .redirect_uris("http://127.0.0.1/oauth/callback")
        .issuer_url("https://example.awsapps.com/start")
        .send()
        .await
        .unwrap();
    let client_id = registered.client_id().unwrap().to_owned();
    let secret = registered.client_secret().unwrap().to_owned();
    assert_eq!(
        registered.authorization_endpoint(),
        Some(&*format!("{base}/authorize"))
    );

    let browser = Browser::new(&base);
    let redirect = "http://127.0.0.1:51234/oauth/callback";
    let back = browser
        .consent(
            "/authorize",
            &authorize_query(
                &client_id,
                redirect,
                &[
                    ("code_challenge_method", "S256"),
                    ("scopes", "sso:account:access openid"),
                    ("code_challenge", &challenge(VERIFIER)),
                ],
            ),
            "approve",
        )
        .await;
    let code = param(&back, "code").unwrap();
    let created = sso
        .create_token()
        .client_id(&client_id)
        .client_secret(&secret)
        .grant_type("authorization_code")
        .code(&code)
        .redirect_uri(redirect)
        .code_verifier(VERIFIER)
        .send()
        .await
        .unwrap();
    assert!(created.access_token().unwrap().starts_with("dga_"));
    // `openid` granted: the sso-oidc model's idToken, a signed JWT for this client.
    let id_token = created.id_token().expect("idToken");
    let keys = f.env.deps.settings.oidc.keys.clone().unwrap();
    let claims = devicegate::oidc::id_token::IdTokenClaims::verify(
        &keys,
        id_token,
        &base,
        &client_id,
        devicegate::http::now(),
    )
    .unwrap();
    assert_eq!(claims.preferred_username, None, "no profile scope granted");
    let refreshed = sso
        .create_token()
        .client_id(&client_id)
        .client_secret(&secret)
        .grant_type("refresh_token")
        .refresh_token(created.refresh_token().unwrap())
        .send()
        .await
        .unwrap();
    assert!(refreshed.access_token().unwrap().starts_with("dga_"));
    // The same code again: a typed InvalidGrantException.
    let replay = sso
        .create_token()
        .client_id(&client_id)
        .client_secret(&secret)
        .grant_type("authorization_code")
        .code(&code)
        .redirect_uri(redirect)
        .code_verifier(VERIFIER)
        .send()
        .await
        .unwrap_err();
    assert!(
        replay.into_service_error().is_invalid_grant_exception(),
        "a replayed code"
    );
}

/// RFC 9700 §4.11.2: anyone may register a client (open registration) with any https redirect
/// URI, so an error redirect for a self-registered client, sent before anyone signs in or
/// clicks, would make this server an open redirector to that URI. Those errors are a page.
#[tokio::test]
async fn a_self_registered_clients_errors_are_a_page_not_an_open_redirect() {
    let mut f = fixture().await;
    f.env.deps.settings.secure_cookies = false;
    let base = server::serve(f.env.deps.clone()).await;
    let registered: Value = reqwest::Client::new()
        .post(format!("{base}/oauth2/register"))
        .json(&serde_json::json!({
            "client_name": "Totally Legit",
            "redirect_uris": ["https://evil.example/phish"],
            "grant_types": ["authorization_code"],
            "response_types": ["code"],
            "token_endpoint_auth_method": "none"
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let client_id = registered["client_id"].as_str().expect("registered");
    let browser = Browser::new(&base);
    for extra in [
        vec![("scope", "admin")],
        vec![("code_challenge_method", "plain")],
        vec![],
    ] {
        let query = authorize_query(client_id, "https://evil.example/phish", &extra)
            .replace("response_type=code", "response_type=nope");
        let (status, location, _) = browser.get(&format!("/oauth2/authorize?{query}")).await;
        assert!((400..500).contains(&status), "{extra:?}: {status}");
        assert_eq!(location, None, "{extra:?}");
    }
}
