//! What a person is asked to approve, and where the answer goes: redirect URIs are parsed, not
//! prefix-matched; an app instance is offered only to the person it is registered to; and every
//! self-asserted name a page shows passes one screen for invisible characters and quotation
//! marks.

use super::hash_of;
use devicegate::http;
use devicegate::model::ApiKeySettings;
use devicegate_tests::*;

#[tokio::test]
async fn redirect_uris_are_parsed_not_prefix_matched() {
    let env = TestEnv::new().await;
    let admin = env.admin_key().await;
    let create = |uri: &str| {
        serde_json::json!({
            "client_name": "app", "client_type": "public",
            "grant_types": ["refresh_token"], "redirect_uris": [uri],
        })
    };
    let refused = [
        "http://localhost.evil.com/cb",
        "http://127.0.0.1.nip.io/cb",
        "http://localhost@evil.com/cb",
        "http://example.com/cb",
        "https://*.example.com/cb",
        "https://app.example.com/cb#frag",
        "javascript:alert(1)",
        "data:text/html,hi",
        "myapp:/cb",
        "/relative/cb",
        "https:///cb",
    ];
    let accepted = [
        "https://app.example.com/cb",
        "http://localhost:8080/cb",
        "http://127.0.0.1/oauth/callback",
        "http://[::1]:9/cb",
        "com.example.app:/oauth2redirect",
    ];
    let cases = refused.map(|uri| (uri, 400)).into_iter();
    for (uri, status) in cases.chain(accepted.map(|uri| (uri, 201))) {
        let reply = env
            .admin_post(&admin, "/admin/clients", Some(create(uri)))
            .await;
        assert_eq!(reply.status, status, "{uri}: {}", reply.json);
    }
}

/// A page request with a session cookie (and a form, for a POST).
async fn page_as(
    env: &TestEnv,
    path_and_query: &str,
    session: &str,
    form: Option<String>,
) -> lambda_http::Response<lambda_http::Body> {
    let mut builder = lambda_http::http::Request::builder()
        .method(if form.is_some() { "POST" } else { "GET" })
        .uri(format!("https://gate.test{path_and_query}"))
        .header("cookie", format!("__Host-dg_session={session}"));
    if form.is_some() {
        builder = builder.header("content-type", "application/x-www-form-urlencoded");
    }
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    let _ = path;
    let params: std::collections::HashMap<String, Vec<String>> =
        url::form_urlencoded::parse(query.as_bytes())
            .map(|(k, v)| (k.into_owned(), vec![v.into_owned()]))
            .collect();
    use lambda_http::RequestExt as _;
    let req = builder
        .body(lambda_http::Body::Text(form.unwrap_or_default()))
        .unwrap()
        .with_query_string_parameters(params);
    dispatch(&env.deps, req).await
}

fn page_text(response: &lambda_http::Response<lambda_http::Body>) -> String {
    match response.body() {
        lambda_http::Body::Text(t) => t.clone(),
        _ => String::new(),
    }
}

/// A VMware app instance is bound to the person who registered it: its self-chosen name is
/// never put before anyone else as a client asking for their consent, and no one else can
/// approve it.
#[tokio::test]
async fn an_app_instance_is_offered_only_to_the_person_it_is_registered_to() {
    use devicegate::model::vmware::AppInstance;
    use devicegate::model::{ClientOrigin, GrantType, OAuthClient, OAuthClientType};
    use devicegate::usecases::admin::{self, NewUser};
    use devicegate::usecases::sign_in::sign_in;
    let f = devicegate_tests::oauth::fixture().await;
    let env = &f.env;
    let now = http::now();
    let redirect = "com.example.helpdesk:/cb";
    let instance = OAuthClient {
        redirect_uris: vec![redirect.into()],
        origin: ClientOrigin::Vmware,
        instance: Some(AppInstance {
            template_id: "com.example.helpdesk".into(),
            username: "ada".into(),
            device_name: "Corporate IT Helpdesk".into(),
        }),
        ..OAuthClient::new(
            "com.example.helpdesk@5e1c0c52-3a1f-4c3e-9d51-0c0ffee00001",
            "Corporate IT Helpdesk",
            OAuthClientType::Confidential,
            Some(hash_of("dgs_instance")),
            vec![GrantType::AuthorizationCode],
            now,
        )
    };
    env.store()
        .put_client(
            &instance,
            &devicegate_tests::setup_record(devicegate::model::AuditType::ClientRegistered, "test"),
        )
        .await
        .unwrap();
    let bob = NewUser {
        username: "bob".into(),
        password: "another long passphrase".into(),
        display_name: None,
        email: None,
        email_verified: false,
    };
    admin::create_user(env.store(), bob, now, &devicegate_tests::origin())
        .await
        .unwrap();
    let query = format!(
        "response_type=code&client_id={}&redirect_uri={}&state=s1",
        enc(&instance.client_id),
        enc(redirect)
    );
    let authorize = format!("/oauth2/authorize?{query}");

    let bobs = sign_in(
        env.store(),
        &env.deps.settings,
        "bob",
        "another long passphrase",
        &devicegate_tests::origin_from("192.0.2.9"),
        now,
    )
    .await
    .unwrap()
    .cookie_value;
    let shown = page_as(env, &authorize, &bobs, None).await;
    let page = page_text(&shown);
    assert_eq!(shown.status(), 403, "{page}");
    assert!(!page.contains("Allow access?"), "{page}");
    assert!(!page.contains("Corporate IT Helpdesk"), "{page}");

    let before = env.snapshot().await;
    let csrf = devicegate::web::csrf_for(env.deps.settings.server_secret().unwrap(), &bobs);
    let form = format!("action=approve&csrf={}&request={}", enc(&csrf), enc(&query));
    let approved = page_as(env, "/oauth2/authorize", &bobs, Some(form)).await;
    assert_eq!(approved.status(), 403, "{}", page_text(&approved));
    assert!(approved.headers().get("location").is_none());
    assert_eq!(env.snapshot().await, before, "no code issued");

    // A code someone else approved for it all the same redeems nothing.
    let bobs_code = devicegate::model::AuthorizationCode {
        code_hash: hash_of("dgac_bobs"),
        client_id: instance.client_id.clone(),
        redirect_uri: redirect.into(),
        username: "bob".into(),
        scope: None,
        code_challenge: None,
        nonce: None,
        auth_time: None,
        lifetimes: devicegate::model::Lifetimes::default(),
        issued_at: now,
        expires_at: now + 60,
        family_id: None,
        ttl: now + 60,
    };
    env.store()
        .put_authorization_code(&bobs_code)
        .await
        .unwrap();
    let redeem = format!(
        "grant_type=authorization_code&code=dgac_bobs&redirect_uri={}",
        enc(redirect)
    );
    let basic = Some((instance.client_id.as_str(), "dgs_instance"));
    env.oauth2("/oauth2/token", &redeem, basic)
        .await
        .assert_described_error(400, "invalid_grant", "another person's code");

    // The person it is registered to is asked as before.
    let adas = sign_in(
        env.store(),
        &env.deps.settings,
        "ada",
        "correct horse battery",
        &devicegate_tests::origin_from("192.0.2.9"),
        now,
    )
    .await
    .unwrap()
    .cookie_value;
    let own = page_as(env, &authorize, &adas, None).await;
    let page = page_text(&own);
    assert_eq!(own.status(), 200, "{page}");
    assert!(page.contains("Allow access?") && page.contains("Corporate IT Helpdesk"));
}

/// A VMware register page's answer for these register parameters (no session needed: the
/// request is judged before anyone signs in).
async fn vmware_register_page(env: &TestEnv, fields: &[(&str, &str)]) -> u16 {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in fields {
        query.append_pair(name, value);
    }
    let query = query.finish();
    let params: std::collections::HashMap<String, Vec<String>> =
        url::form_urlencoded::parse(query.as_bytes())
            .map(|(k, v)| (k.into_owned(), vec![v.into_owned()]))
            .collect();
    use lambda_http::RequestExt as _;
    let req = lambda_http::http::Request::builder()
        .method("GET")
        .uri(format!(
            "https://gate.test/SAAS/auth/device/register?{query}"
        ))
        .body(lambda_http::Body::Empty)
        .unwrap()
        .with_query_string_parameters(params);
    dispatch(&env.deps, req).await.status().as_u16()
}

/// Every name a client or device gives itself and a page shows (client names in every dialect
/// and the admin API, a VMware app's device name and details, a Paragon device's description)
/// passes one screen: no invisible characters (default-ignorable code points, format and bidi
/// controls, controls, private-use and unassigned code points, spaces other than U+0020), and
/// no quotation marks or look-alikes of them (by their UTS #39 skeleton), but for the
/// apostrophe's shape. Refused in each dialect's words, and nothing is stored.
#[tokio::test]
async fn self_asserted_names_show_only_what_a_person_sees_for_what_it_is() {
    let env = TestEnv::new().await;
    let admin = env.admin_key().await;
    let api_key = env.api_key(ApiKeySettings::default()).await;
    let template = serde_json::json!({
        "template_id": "com.example.app", "redirect_uris": ["com.example.app:/cb"],
        "scopes": ["user"],
    });
    env.admin_post(&admin, "/admin/templates", Some(template))
        .await
        .assert_error(201, "", "template");
    let vmware = |name: &str, detail: &str| {
        let user_device = serde_json::json!({ "deviceModel": detail }).to_string();
        vec![
            ("app_product_id".to_owned(), "com.example.app".to_owned()),
            ("redirect_uri".to_owned(), "com.example.app:/cb".to_owned()),
            ("response_type".to_owned(), "code".to_owned()),
            ("device_name".to_owned(), name.to_owned()),
            ("user_device".to_owned(), user_device),
        ]
    };
    let before = env.snapshot().await;
    for bad in [
        "\u{061c}", "\u{00ad}", "\u{3164}", "\u{2033}", "\u{ff02}", "\u{201e}", "\u{200f}",
        "\u{202e}", "\u{2066}", "\u{feff}", "\u{115f}", "\u{e000}", "\u{0378}", "\u{00a0}",
        "\u{2028}", "\u{201c}", "\"", "\u{ab}", "\u{2036}", "\u{fe0f}",
    ] {
        let name = format!("Corporate IT{bad} Helpdesk");
        let case = format!("U+{:04X}", bad.chars().next().unwrap() as u32);
        let rfc7591 = serde_json::json!({
            "client_name": name, "redirect_uris": ["https://app.example/cb"],
        });
        env.admin("POST", "/oauth2/register", None, Some(rfc7591))
            .await
            .assert_described_error(400, "invalid_client_metadata", &format!("rfc7591 {case}"));
        let aws = serde_json::json!({ "clientName": name, "clientType": "public" });
        env.admin("POST", "/client/register", None, Some(aws))
            .await
            .assert_described_error(400, "invalid_client_metadata", &format!("aws {case}"));
        let huawei = serde_json::json!({
            "client_name": name, "client_type": "public",
            "token_endpoint_auth_method": "client_secret_post",
            "grant_types": ["urn:ietf:params:oauth:grant-type:device_code"],
            "response_types": [],
        });
        env.admin("POST", "/v1/clients", None, Some(huawei))
            .await
            .assert_described_error(400, "invalid_client_metadata", &format!("huawei {case}"));
        let by_admin = serde_json::json!({
            "client_name": name, "client_type": "public", "grant_types": ["refresh_token"],
        });
        env.admin_post(&admin, "/admin/clients", Some(by_admin))
            .await
            .assert_described_error(400, "invalid_request", &format!("admin {case}"));
        let paragon = format!(
            "{}&client_description={}",
            register_body("desk-9", &api_key),
            enc(&name)
        );
        env.register(&paragon, None).await.assert_described_error(
            400,
            "invalid_request",
            &format!("paragon {case}"),
        );
        for fields in [vmware(&name, "Pixel 8"), vmware("Pixel", &name)] {
            let pairs: Vec<(&str, &str)> = fields
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            assert_eq!(
                vmware_register_page(&env, &pairs).await,
                400,
                "vmware {case}"
            );
        }
    }
    assert_eq!(env.snapshot().await, before, "nothing stored");

    // What people call their things still passes: an apostrophe of either shape, accents,
    // other scripts, ordinary punctuation.
    for good in [
        "Ada\u{2019}s iPhone",
        "O'Brien's CLI (v2) \u{2013} build #7",
        "Caf\u{e9} Z\u{fc}rich",
        "\u{6771}\u{4eac}\u{30a2}\u{30d7}\u{30ea}",
        "\u{5e2}\u{5d1}\u{5e8}\u{5d9}\u{5ea}",
        "\u{41c}\u{43e}\u{441}\u{43a}\u{432}\u{430}",
    ] {
        let rfc7591 = serde_json::json!({
            "client_name": good, "redirect_uris": ["https://app.example/cb"],
        });
        let registered = env
            .admin("POST", "/oauth2/register", None, Some(rfc7591))
            .await;
        assert_eq!(registered.status, 201, "{good}: {}", registered.json);
        let fields = vmware(good, good);
        let pairs: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            vmware_register_page(&env, &pairs).await,
            200,
            "vmware {good}"
        );
    }
}
