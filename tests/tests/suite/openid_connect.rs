//! devicegate as an OpenID Provider, judged by the `openidconnect` crate, unmodified: it
//! discovers the provider and its JWK Set over HTTP, signs a person in with the authorization
//! code grant (PKCE and a nonce) and the device grant, verifies every ID token with the keys
//! it fetched, refreshes, and reads UserInfo. Then the refusals OIDC Core asks for.

use std::time::Duration;

use devicegate::model::{GrantType, OAuthClientType, Scope};
use devicegate::usecases::admin::{self, NewClient, NewUser};
use devicegate_tests::oauth::{PageBrowser, Person, http_client, param};
use devicegate_tests::{TestEnv, server};
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreDeviceAuthorizationResponse, CoreProviderMetadata,
    CoreUserInfoClaims,
};
use openidconnect::{
    AccessTokenHash, AuthType, ClientId, CsrfToken, DeviceAuthorizationUrl, IssuerUrl, Nonce,
    OAuth2TokenResponse, PkceCodeChallenge, RedirectUrl, Scope as OidcScope, TokenResponse,
};
use serde_json::Value;

const REDIRECT: &str = "http://127.0.0.1:43210/callback";

/// A fresh store with ada (name, verified email) and a public app allowed `openid profile
/// email` by the authorization code, device code and refresh grants; served on loopback.
async fn provider() -> (TestEnv, String, String) {
    let mut env = TestEnv::new().await;
    env.deps.settings.secure_cookies = false;
    env.deps.settings.poll_interval = 1;
    let now = devicegate::http::now();
    admin::create_user(
        env.store(),
        NewUser {
            username: "ada".into(),
            password: "correct horse battery".into(),
            display_name: Some("Ada Lovelace".into()),
            email: Some("ada@example.com".into()),
            email_verified: true,
        },
        now,
        &devicegate_tests::origin(),
    )
    .await
    .unwrap();
    let app = admin::create_client(
        env.store(),
        NewClient {
            scopes: Scope::parse("openid profile email").unwrap(),
            redirect_uris: vec!["http://127.0.0.1/callback".into()],
            ..NewClient::new(
                "Acme SSO",
                OAuthClientType::Public,
                vec![
                    GrantType::AuthorizationCode,
                    GrantType::DeviceCode,
                    GrantType::RefreshToken,
                ],
            )
        },
        now,
        &devicegate_tests::origin(),
    )
    .await
    .unwrap()
    .client
    .client_id;
    let base = server::serve(env.deps.clone()).await;
    (env, base, app)
}

async fn discover(base: &str) -> CoreProviderMetadata {
    CoreProviderMetadata::discover_async(IssuerUrl::new(base.to_owned()).unwrap(), &http_client())
        .await
        .unwrap()
}

#[tokio::test]
async fn the_openidconnect_crate_signs_a_person_in_with_a_code_and_refreshes() {
    let (_env, base, app) = provider().await;
    let http = http_client();
    let metadata = discover(&base).await;
    let client = CoreClient::from_provider_metadata(metadata, ClientId::new(app.clone()), None)
        .set_redirect_uri(RedirectUrl::new(REDIRECT.into()).unwrap())
        .set_auth_type(AuthType::RequestBody);
    let (pkce, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(OidcScope::new("profile".into()))
        .add_scope(OidcScope::new("email".into()))
        .set_pkce_challenge(pkce)
        .url();
    assert_eq!(url.path(), "/oauth2/authorize");

    let back = PageBrowser::new(&base)
        .consent("/oauth2/authorize", url.query().unwrap(), "approve")
        .await;
    assert_eq!(
        param(&back, "state").as_deref(),
        Some(state.secret().as_str())
    );
    let code = param(&back, "code").unwrap();

    let tokens = client
        .exchange_code(openidconnect::AuthorizationCode::new(code))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .unwrap();
    let id_token = tokens.id_token().expect("an ID token for openid");
    let verifier = client.id_token_verifier();
    let claims = id_token.claims(&verifier, &nonce).unwrap();
    assert_eq!(claims.issuer().as_str(), base);
    assert_eq!(claims.audiences()[0].as_str(), app);
    assert_ne!(claims.subject().as_str(), "ada", "sub is not the username");
    assert_eq!(claims.preferred_username().map(|u| u.as_str()), Some("ada"));
    assert_eq!(claims.email().map(|e| e.as_str()), Some("ada@example.com"));
    assert_eq!(claims.email_verified(), Some(true));
    assert!(claims.auth_time().is_some(), "signed in on the page");
    // at_hash binds the ID token to the access token it came with.
    let alg = id_token.signing_alg().unwrap();
    let key = id_token.signing_key(&verifier).unwrap();
    let expected = AccessTokenHash::from_token(tokens.access_token(), alg, key).unwrap();
    assert_eq!(claims.access_token_hash(), Some(&expected));
    // Another nonce: the crate refuses the token.
    assert!(
        id_token
            .claims(&verifier, &Nonce::new("another".into()))
            .is_err()
    );
    let sub = claims.subject().clone();

    // UserInfo with the access token: the same person.
    let info: CoreUserInfoClaims = client
        .user_info(tokens.access_token().clone(), Some(sub.clone()))
        .unwrap()
        .request_async(&http)
        .await
        .unwrap();
    assert_eq!(info.email().map(|e| e.as_str()), Some("ada@example.com"));
    assert_eq!(
        info.name().and_then(|n| n.get(None)).map(|n| n.as_str()),
        Some("Ada Lovelace")
    );

    // A refresh brings a new ID token for the same subject, without a nonce.
    let refreshed = client
        .exchange_refresh_token(tokens.refresh_token().unwrap())
        .unwrap()
        .request_async(&http)
        .await
        .unwrap();
    let again = refreshed.id_token().expect("an ID token on refresh");
    let claims = again
        .claims(&verifier, |n: Option<&Nonce>| match n {
            None => Ok(()),
            Some(_) => Err("a refresh's ID token carries no nonce".to_owned()),
        })
        .unwrap();
    assert_eq!(claims.subject(), &sub);
}

#[tokio::test]
async fn the_openidconnect_crate_gets_an_id_token_from_the_device_grant() {
    let (_env, base, app) = provider().await;
    let http = http_client();
    let metadata = discover(&base).await;
    let client = CoreClient::from_provider_metadata(metadata, ClientId::new(app), None)
        .set_device_authorization_url(
            DeviceAuthorizationUrl::new(format!("{base}/oauth2/device_authorization")).unwrap(),
        )
        .set_auth_type(AuthType::RequestBody);
    let details: CoreDeviceAuthorizationResponse = client
        .exchange_device_code()
        .add_scope(OidcScope::new("openid".into()))
        .request_async(&http)
        .await
        .unwrap();
    let user_code = details.user_code().secret().clone();
    let person = Person::new(&base);
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        person.sign_in("correct horse battery").await;
        let (status, page) = person.decide(&user_code, "approve").await;
        assert_eq!(status, 200, "{page}");
    });
    let tokens = client
        .exchange_device_access_token(&details)
        .unwrap()
        .request_async(&http, tokio::time::sleep, Some(Duration::from_secs(30)))
        .await
        .unwrap();
    let id_token = tokens.id_token().expect("an ID token for openid");
    let claims = id_token
        .claims(&client.id_token_verifier(), |_: Option<&Nonce>| {
            Ok::<_, String>(())
        })
        .unwrap();
    assert!(claims.nonce().is_none());
    // Only `openid` was granted: no profile or email claims.
    assert!(claims.email().is_none() && claims.preferred_username().is_none());
}

#[tokio::test]
async fn discovery_matches_the_oauth_metadata_and_publishes_every_key() {
    let (env, base, _) = provider().await;
    let get = |path: &str| {
        let url = format!("{base}{path}");
        async move {
            let r = reqwest::get(url).await.unwrap();
            let cache = r
                .headers()
                .get("cache-control")
                .map(|v| v.to_str().unwrap().to_owned());
            (r.status().as_u16(), cache, r.json::<Value>().await.unwrap())
        }
    };
    let (status, cache, doc) = get("/.well-known/openid-configuration").await;
    assert_eq!(status, 200);
    assert_eq!(cache.as_deref(), Some("public, max-age=300"));
    let (_, _, oauth) = get("/.well-known/oauth-authorization-server").await;
    for (name, value) in oauth.as_object().unwrap() {
        assert_eq!(&doc[name], value, "{name}");
    }
    assert_eq!(doc["jwks_uri"], format!("{base}/.well-known/jwks.json"));
    let (status, _, jwks) = get("/.well-known/jwks.json").await;
    assert_eq!(status, 200);
    let kids: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    let keys = env.deps.settings.oidc.keys.clone().unwrap();
    assert_eq!(kids.len(), keys.keys().len(), "next keys are published too");
    assert!(
        !jwks.to_string().contains("\"d\""),
        "no private part is published"
    );
}

#[tokio::test]
async fn authorization_requests_oidc_refuses_are_sent_back_as_errors() {
    let (_env, base, app) = provider().await;
    let browser = PageBrowser::new(&base);
    let ask = |extra: &[(&str, &str)]| {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        q.append_pair("response_type", "code")
            .append_pair("client_id", &app)
            .append_pair("redirect_uri", REDIRECT)
            .append_pair("scope", "openid")
            .append_pair("state", "s1")
            .append_pair(
                "code_challenge",
                "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            )
            .append_pair("code_challenge_method", "S256");
        for (n, v) in extra {
            q.append_pair(n, v);
        }
        format!("/oauth2/authorize?{}", q.finish())
    };
    let error_of = |location: Option<String>| {
        let url = url::Url::parse(&location.expect("a redirect")).unwrap();
        (param(&url, "error"), param(&url, "state"))
    };
    for (extra, error) in [
        (vec![("prompt", "none")], "login_required"),
        (vec![("prompt", "sometimes")], "invalid_request"),
        (vec![("prompt", "none login")], "invalid_request"),
        (vec![("max_age", "soon")], "invalid_request"),
        (vec![("max_age", "-1")], "invalid_request"),
    ] {
        let (status, location, body) = browser.get(&ask(&extra)).await;
        assert_eq!(status, 302, "{extra:?}: {body}");
        assert_eq!(
            error_of(location),
            (Some(error.to_owned()), Some("s1".to_owned())),
            "{extra:?}"
        );
    }

    // Signed in, prompt=none still needs the consent page: consent_required.
    browser
        .consent(
            "/oauth2/authorize",
            ask(&[]).split_once('?').unwrap().1,
            "deny",
        )
        .await;
    let (status, location, _) = browser.get(&ask(&[("prompt", "none")])).await;
    assert_eq!(status, 302);
    assert_eq!(error_of(location).0.as_deref(), Some("consent_required"));
    // prompt=login and an expired max_age ask to sign in again, though signed in.
    for extra in [[("prompt", "login")], [("max_age", "0")]] {
        tokio::time::sleep(Duration::from_millis(1100)).await;
        let (status, _, page) = browser.get(&ask(&extra)).await;
        assert_eq!(status, 200);
        assert!(page.contains("name=\"password\""), "{extra:?}: {page}");
    }
}

#[tokio::test]
async fn openid_is_refused_to_a_client_not_registered_for_it_and_userinfo_to_others() {
    let (env, base, _) = provider().await;
    let plain = admin::create_client(
        env.store(),
        NewClient {
            scopes: Scope::parse("read").unwrap(),
            redirect_uris: vec!["http://127.0.0.1/callback".into()],
            ..NewClient::new(
                "No OIDC",
                OAuthClientType::Public,
                vec![GrantType::AuthorizationCode],
            )
        },
        devicegate::http::now(),
        &devicegate_tests::origin(),
    )
    .await
    .unwrap()
    .client
    .client_id;
    let query = format!(
        "/oauth2/authorize?response_type=code&client_id={plain}&redirect_uri={}&scope=openid&state=s\
         &code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256",
        devicegate_tests::enc(REDIRECT)
    );
    let (status, location, _) = PageBrowser::new(&base).get(&query).await;
    assert_eq!(status, 302);
    let url = url::Url::parse(&location.unwrap()).unwrap();
    assert_eq!(param(&url, "error").as_deref(), Some("invalid_scope"));

    let http = reqwest::Client::new();
    let r = http
        .get(format!("{base}/oauth2/userinfo"))
        .bearer_auth("dgat_unknown")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(
        r.headers()["www-authenticate"],
        r#"Bearer error="invalid_token""#
    );
    let r = http
        .get(format!("{base}/oauth2/userinfo"))
        .bearer_auth("x".repeat(4096))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        401,
        "an oversized token never reaches the store"
    );
}
