//! VMware Identity Manager mobile registration over HTTP, as its mobile SDK does it: the
//! register URL with a real `user_device`, sign-in and approval, the 302 to a private-use scheme
//! captured, activation with the raw code as the body, the code exchanged with the instance's
//! own credentials by the `oauth2` crate (HTTP Basic), refresh, then one instance revoked
//! without touching the other. And the refusals, the Hekate chain among them.

use devicegate_tests::oauth::{PageBrowser, fixture, param};
use devicegate_tests::server;
use oauth2::TokenResponse;
use serde_json::{Value, json};

const TEMPLATE: &str = "com.vmware.idm.samples";
const REDIRECT: &str = "com.vmware.idm.samples.mobilesso://oauth2redirect";

fn user_device() -> String {
    json!({
        "deviceUdid": "6d3d1f2a-53c6-4f7a-9b1e-1b3b0c0ffee1",
        "deviceOS": "Android",
        "deviceOSVersion": "14",
        "deviceModel": "Pixel 8",
        "deviceType": "Phone",
        "deviceName": "Ada's Pixel"
    })
    .to_string()
}

fn register_query(overrides: &[(&str, &str)], without: &[&str]) -> String {
    let user_device = user_device();
    let mut fields = vec![
        ("redirect_uri", REDIRECT),
        ("app_product_id", TEMPLATE),
        ("device_name", "Ada's Pixel"),
        ("user_device", user_device.as_str()),
        ("response_type", "code"),
        ("type", "register"),
        ("state", "st-9"),
        ("scope", "user"),
    ];
    for (name, value) in overrides {
        match fields.iter_mut().find(|(n, _)| n == name) {
            Some(field) => field.1 = value,
            None => fields.push((name, value)),
        }
    }
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in fields.iter().filter(|(n, _)| !without.contains(n)) {
        query.append_pair(name, value);
    }
    query.finish()
}

async fn admin_template(base: &str, admin_key: &str) {
    let created = reqwest::Client::new()
        .post(format!("{base}/admin/templates"))
        .bearer_auth(admin_key)
        .json(&json!({
            "template_id": TEMPLATE,
            "redirect_uris": [REDIRECT],
            "scopes": ["user", "email"],
            "access_token_ttl": 900
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
}

async fn activate(base: &str, body: String, content_type: &str) -> (u16, Value) {
    let r = reqwest::Client::new()
        .post(format!("{base}/SAAS/API/1.0/REST/oauth2/activate"))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

/// Registers an app instance: the redirect's `code` and `activation_code`.
async fn register(browser: &PageBrowser) -> (String, String) {
    let back = browser
        .consent(
            "/SAAS/auth/device/register",
            &register_query(&[], &[]),
            "approve",
        )
        .await;
    assert_eq!(back.scheme(), "com.vmware.idm.samples.mobilesso");
    assert_eq!(param(&back, "state").as_deref(), Some("st-9"));
    (
        param(&back, "code").unwrap(),
        param(&back, "activation_code").unwrap(),
    )
}

type Instance = oauth2::Client<
    oauth2::basic::BasicErrorResponse,
    oauth2::basic::BasicTokenResponse,
    oauth2::basic::BasicTokenIntrospectionResponse,
    oauth2::StandardRevocableToken,
    oauth2::basic::BasicRevocationErrorResponse,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointSet,
>;

fn instance_client(base: &str, credentials: &Value) -> Instance {
    use oauth2::{ClientId, ClientSecret, RedirectUrl, TokenUrl};
    oauth2::basic::BasicClient::new(ClientId::new(
        credentials["client_id"].as_str().unwrap().to_owned(),
    ))
    .set_client_secret(ClientSecret::new(
        credentials["client_secret"].as_str().unwrap().to_owned(),
    ))
    .set_auth_type(oauth2::AuthType::BasicAuth)
    .set_token_uri(TokenUrl::new(format!("{base}/SAAS/auth/oauthtoken")).unwrap())
    .set_redirect_uri(RedirectUrl::new(REDIRECT.into()).unwrap())
}

#[tokio::test]
async fn an_app_registers_activates_redeems_and_one_instance_is_revoked_alone() {
    let mut f = fixture().await;
    f.env.deps.settings.secure_cookies = false;
    let admin_key = f.env.admin_key().await;
    let base = server::serve(f.env.deps.clone()).await;
    admin_template(&base, &admin_key).await;
    let browser = PageBrowser::new(&base);
    let http = devicegate_tests::oauth::http_client();

    // The consent page says which app, on which device, and what the device says about itself.
    let (_, _, page) = browser
        .get(&format!(
            "/SAAS/auth/device/register?{}",
            register_query(&[], &[])
        ))
        .await;
    assert!(page.contains("Sign in"), "{page}");

    let (code, activation_code) = register(&browser).await;
    // The activation code is what VMware apps expect: base64 of {"ota", "url", "tid"}.
    use base64::Engine as _;
    let decoded: Value = serde_json::from_slice(
        &base64::engine::general_purpose::STANDARD
            .decode(&activation_code)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(decoded["url"], base.as_str());
    // The raw code as the whole body, quoted, with a JSON content type.
    let (status, credentials) =
        activate(&base, format!("\"{activation_code}\""), "application/json").await;
    assert_eq!(status, 200, "{credentials}");
    let client_id = credentials["client_id"].as_str().unwrap().to_owned();
    assert!(
        client_id.starts_with(&format!("{TEMPLATE}@")),
        "{client_id}"
    );
    assert_eq!(client_id.len(), TEMPLATE.len() + 1 + 36);
    // Once only.
    let (status, again) = activate(&base, activation_code.clone(), "text/plain").await;
    assert_eq!(
        (status, again["error"].as_str()),
        (400, Some("invalid_request"))
    );

    let instance = instance_client(&base, &credentials);
    let tokens = instance
        .exchange_code(oauth2::AuthorizationCode::new(code.clone()))
        .request_async(&http)
        .await
        .unwrap();
    assert_eq!(tokens.expires_in().map(|d| d.as_secs()), Some(900));
    let refreshed = instance
        .exchange_refresh_token(tokens.refresh_token().unwrap())
        .request_async(&http)
        .await
        .unwrap();

    // A second installation: its own client, its own tokens.
    let (code2, activation2) = register(&browser).await;
    let (_, credentials2) = activate(&base, activation2, "application/octet-stream").await;
    assert_ne!(credentials2["client_id"], credentials["client_id"]);
    // Registration A's credentials cannot redeem registration B's code.
    let crossed = instance
        .exchange_code(oauth2::AuthorizationCode::new(code2.clone()))
        .request_async(&http)
        .await;
    assert!(crossed.is_err(), "a code is bound to its own instance");
    let instance2 = instance_client(&base, &credentials2);
    let tokens2 = instance2
        .exchange_code(oauth2::AuthorizationCode::new(code2))
        .request_async(&http)
        .await
        .unwrap();

    // The user's instances, listed; the first revoked alone.
    let listed: Value = reqwest::Client::new()
        .get(format!("{base}/admin/clients?username=ada"))
        .bearer_auth(&admin_key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ids: Vec<&str> = listed["clients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["client_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 2, "{listed}");
    assert!(listed["clients"][0]["instance"]["device_name"] == "Ada's Pixel");
    let revoked = reqwest::Client::new()
        .post(format!("{base}/admin/clients/{client_id}/disable"))
        .bearer_auth(&admin_key)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);
    assert!(
        instance
            .exchange_refresh_token(refreshed.refresh_token().unwrap())
            .request_async(&http)
            .await
            .is_err(),
        "the revoked instance"
    );
    instance2
        .exchange_refresh_token(tokens2.refresh_token().unwrap())
        .request_async(&http)
        .await
        .unwrap();

    // The instance's life in the trail: approved by ada, activated, redeemed, refreshed,
    // disabled; no code or secret in it.
    use devicegate_tests::audit::{trail, types};
    let records = trail(&f.env, &admin_key, &format!("subject={client_id}")).await;
    assert_eq!(
        types(&records),
        [
            "client.disabled",
            "token.refreshed",
            "authorization_code.redeemed",
            "client.registered",
            "device.approved",
        ]
    );
    assert_eq!(records[4]["actor"], "user:ada");
    assert_eq!(records[4]["dialect"], "page");
    assert_eq!(records[3]["dialect"], "vmware");
    let text = serde_json::to_string(&records).unwrap();
    for secret in [
        code.as_str(),
        activation_code.as_str(),
        credentials["client_secret"].as_str().unwrap(),
    ] {
        assert!(!text.contains(secret), "{secret} is in the trail");
    }
}

#[tokio::test]
async fn bad_registrations_get_a_page_or_a_redirect_and_no_activation_is_minted_for_a_client() {
    let mut f = fixture().await;
    f.env.deps.settings.secure_cookies = false;
    let admin_key = f.env.admin_key().await;
    let base = server::serve(f.env.deps.clone()).await;
    admin_template(&base, &admin_key).await;
    let browser = PageBrowser::new(&base);

    // A 400 page, never a redirect: unknown template (an existing OAuth client's id included),
    // user_device missing, malformed or too large, device_name missing, redirect not listed.
    let huge = format!("{{\"x\":\"{}\"}}", "a".repeat(5000));
    for (query, why) in [
        (
            register_query(&[("app_product_id", "no.such.app")], &[]),
            "unknown template",
        ),
        (
            register_query(&[("app_product_id", &f.cli_id)], &[]),
            "a client is no template",
        ),
        (register_query(&[], &["user_device"]), "no user_device"),
        (
            register_query(&[("user_device", "{not json")], &[]),
            "malformed user_device",
        ),
        (
            register_query(&[("user_device", "[1,2]")], &[]),
            "user_device not an object",
        ),
        (
            register_query(&[("user_device", &huge)], &[]),
            "user_device too large",
        ),
        (register_query(&[], &["device_name"]), "no device_name"),
        (
            register_query(&[("redirect_uri", "com.evil.app://cb")], &[]),
            "redirect not listed",
        ),
    ] {
        let (status, location, _) = browser
            .get(&format!("/SAAS/auth/device/register?{query}"))
            .await;
        assert_eq!((status, location), (400, None), "{why}");
    }
    // Back to the app with the error: a bad response_type, a scope outside the template.
    for (query, error) in [
        (
            register_query(&[("response_type", "token")], &[]),
            "unsupported_response_type",
        ),
        (register_query(&[("scope", "admin")], &[]), "invalid_scope"),
    ] {
        let (status, location, _) = browser
            .get(&format!("/SAAS/auth/device/register?{query}"))
            .await;
        assert_eq!(status, 302);
        let back = url::Url::parse(&location.unwrap()).unwrap();
        assert_eq!(param(&back, "error").as_deref(), Some(error));
        assert_eq!(param(&back, "state").as_deref(), Some("st-9"));
    }

    // Hekate: no request mints credentials for an existing client. Activation takes only an
    // approval's one-time token; naming a client, forging a token, or anything else is 400.
    use base64::Engine as _;
    let b64 = |v: Value| base64::engine::general_purpose::STANDARD.encode(v.to_string());
    for body in [
        b64(json!({"ota": "dgac_forged", "url": base, "tid": "devicegate"})),
        b64(json!({"ota": "dgac_forged", "client_id": f.cli_id})),
        b64(json!({"client_id": f.cli_id, "client_secret": "x"})),
        format!("client_id={}", f.cli_id),
        String::new(),
        "\"\"".into(),
        "not base64 at all!".into(),
    ] {
        let (status, answer) = activate(&base, body.clone(), "application/json").await;
        assert_eq!(
            (status, answer["error"].as_str()),
            (400, Some("invalid_request")),
            "{body}"
        );
    }
    let client = f.env.store().get_client(&f.cli_id).await.unwrap().unwrap();
    assert!(client.instance.is_none() && client.secret_hash.is_none());
}

/// An app instance is bound to the person who registered it: another person following
/// `/oauth2/authorize` naming the instance (a phishing link) is not asked to approve it. And the
/// activation's one-time token and the code, kept in one table, never stand in for each other.
#[tokio::test]
async fn an_instance_gets_no_tokens_for_another_person_and_codes_are_no_activations() {
    let mut f = fixture().await;
    f.env.deps.settings.secure_cookies = false;
    let admin_key = f.env.admin_key().await;
    devicegate::usecases::admin::create_user(
        f.env.store(),
        devicegate::usecases::admin::NewUser {
            username: "bob".into(),
            password: "bob's long passphrase".into(),
            display_name: None,
            email: None,
            email_verified: false,
        },
        devicegate::http::now(),
        &devicegate_tests::origin(),
    )
    .await
    .unwrap();
    let base = server::serve(f.env.deps.clone()).await;
    admin_template(&base, &admin_key).await;
    let http = devicegate_tests::oauth::http_client();
    let (code, activation_code) = register(&PageBrowser::new(&base)).await;

    // The code is no activation code, and the activation's token is no code.
    use base64::Engine as _;
    let wrapped = base64::engine::general_purpose::STANDARD
        .encode(json!({"ota": code, "url": base, "tid": "devicegate"}).to_string());
    let (status, _) = activate(&base, wrapped, "text/plain").await;
    assert_eq!(status, 400, "a code activates nothing");
    let (status, credentials) = activate(&base, activation_code.clone(), "text/plain").await;
    assert_eq!(status, 200, "{credentials}");
    let instance = instance_client(&base, &credentials);
    let decoded: Value = serde_json::from_slice(
        &base64::engine::general_purpose::STANDARD
            .decode(&activation_code)
            .unwrap(),
    )
    .unwrap();
    let ota = decoded["ota"].as_str().unwrap().to_owned();
    assert!(
        instance
            .exchange_code(oauth2::AuthorizationCode::new(ota))
            .request_async(&http)
            .await
            .is_err(),
        "an activation's token is no code"
    );

    // Bob follows a link naming ada's instance and signs in: it is not offered to him.
    let bob = PageBrowser::new(&base);
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("response_type", "code")
        .append_pair("client_id", credentials["client_id"].as_str().unwrap())
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("state", "phish")
        .finish();
    let (status, _, page) = bob.get(&format!("/oauth2/authorize?{query}")).await;
    assert_eq!(status, 200, "{page}");
    let (status, location, _) = bob
        .post(
            "/oauth2/authorize",
            &[
                ("action", "sign_in"),
                ("csrf", &devicegate_tests::oauth::csrf_of(&page)),
                (
                    "request",
                    &devicegate_tests::oauth::hidden_of(&page, "request"),
                ),
                ("username", "bob"),
                ("password", "bob's long passphrase"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let (status, _, page) = bob.get(&location.unwrap()).await;
    assert_eq!(status, 403, "{page}");
    assert!(!page.contains("Allow access?"), "{page}");
    assert!(page.contains("registered to another person"), "{page}");
    // Ada's own code still works.
    instance
        .exchange_code(oauth2::AuthorizationCode::new(code))
        .request_async(&http)
        .await
        .unwrap();
}

/// A registration whose request is long (a 4 KiB `user_device`) still comes back to its page
/// after the person signs in.
#[tokio::test]
async fn a_long_registration_survives_the_sign_in() {
    let mut f = fixture().await;
    f.env.deps.settings.secure_cookies = false;
    let admin_key = f.env.admin_key().await;
    let base = server::serve(f.env.deps.clone()).await;
    admin_template(&base, &admin_key).await;
    let browser = PageBrowser::new(&base);
    let big = json!({ "deviceModel": "Pixel 8", "notes": "n".repeat(3900) }).to_string();
    assert!(big.len() <= 4096);
    let back = browser
        .consent(
            "/SAAS/auth/device/register",
            &register_query(&[("user_device", &big)], &[]),
            "approve",
        )
        .await;
    assert!(param(&back, "activation_code").is_some(), "{back}");
}
