//! The admin console in-process (`/admin/console`): who can sign in, where a signed-out browser
//! is sent, the CSRF token on every form, and each action reaching the admin use cases. The
//! headless-browser walk-through is in `browser.rs`.

use devicegate::http;
use devicegate::model::DeviceStatus;
use devicegate::web::csrf_for;
use devicegate_cli::examples::{credentials, seed_examples};
use devicegate_tests::*;
use lambda_http::Body;
use lambda_http::http::HeaderMap;

const ADMIN: &str = "__Host-dg_admin";
const PRE: &str = "__Host-dg_pre";
const SECTIONS: [&str; 5] = [
    "devices",
    "api-keys",
    "clients",
    "users",
    "identity-providers",
];

struct Page {
    status: u16,
    headers: HeaderMap,
    html: String,
}

impl Page {
    /// The value a `Set-Cookie` header of the response gives `name`.
    fn set_cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|v| v.strip_prefix(&format!("{name}=")))
            .map(|v| v.split(';').next().unwrap().to_owned())
    }

    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// The first form's CSRF token.
    fn csrf(&self) -> String {
        let (_, rest) = self.html.split_once("name=\"csrf\" value=\"").unwrap();
        rest.split('"').next().unwrap().to_owned()
    }

    /// Every `<form>…</form>` of the page.
    fn forms(&self) -> Vec<&str> {
        self.html
            .split("<form")
            .skip(1)
            .map(|f| f.split("</form>").next().unwrap())
            .collect()
    }
}

async fn send(
    env: &TestEnv,
    method: &str,
    path: &str,
    body: Option<&str>,
    cookies: &[(&str, &str)],
) -> Page {
    let mut builder = lambda_http::http::Request::builder()
        .method(method)
        .uri(format!("https://gate.test{path}"));
    if !cookies.is_empty() {
        let header: Vec<String> = cookies.iter().map(|(n, v)| format!("{n}={v}")).collect();
        builder = builder.header("cookie", header.join("; "));
    }
    let body = match body {
        Some(text) => {
            builder = builder.header("content-type", "application/x-www-form-urlencoded");
            Body::Text(text.to_owned())
        }
        None => Body::Empty,
    };
    let response = dispatch(&env.deps, builder.body(body).unwrap()).await;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let html = match response.body() {
        Body::Text(t) => t.clone(),
        _ => String::new(),
    };
    Page {
        status,
        headers,
        html,
    }
}

/// A seeded environment, and a console session signed in with the example admin key (the
/// cookie holds a signed session, never the key).
async fn seeded() -> (TestEnv, String) {
    let env = TestEnv::new().await;
    seed_examples(env.store(), &env.deps.settings, http::now())
        .await
        .unwrap();
    let page = send(&env, "GET", "/admin/console", None, &[]).await;
    let pre = page.set_cookie(PRE).unwrap();
    let body = format!(
        "csrf={}&action=sign_in&admin_key={}",
        enc(&page.csrf()),
        enc(credentials::ADMIN_KEY)
    );
    let signed_in = send(&env, "POST", "/admin/console", Some(&body), &[(PRE, &pre)]).await;
    let session = signed_in.set_cookie(ADMIN).unwrap();
    assert!(!session.contains(credentials::ADMIN_KEY));
    (env, session)
}

fn csrf_of(env: &TestEnv, cookie: &str) -> String {
    csrf_for(env.deps.settings.server_secret().unwrap(), cookie)
}

/// A signed-in GET.
async fn signed_in_get(env: &TestEnv, session: &str, path: &str) -> Page {
    send(env, "GET", path, None, &[(ADMIN, session)]).await
}

/// A signed-in POST of `action` to a section, with the right CSRF token, answered `status`
/// (confirmed, as the confirmation page's form is: `console_pages::confirm` asks first).
async fn expect(
    (env, session): (&TestEnv, &str),
    status: u16,
    section: &str,
    action: &str,
    fields: &str,
) -> Page {
    let body = format!(
        "csrf={}&action={action}&confirm=yes&{fields}",
        enc(&csrf_of(env, session))
    );
    let path = format!("/admin/console/{section}");
    let page = send(env, "POST", &path, Some(&body), &[(ADMIN, session)]).await;
    assert_eq!(page.status, status, "{action} {fields}: {}", page.html);
    page
}

#[tokio::test]
async fn a_wrong_admin_key_cannot_sign_in_and_the_right_one_gets_a_host_cookie() {
    let (env, session) = seeded().await;
    let page = send(&env, "GET", "/admin/console", None, &[]).await;
    assert_eq!(page.status, 200);
    assert!(page.html.contains("name=\"admin_key\""), "{}", page.html);
    let pre = page
        .set_cookie(PRE)
        .expect("a pre-session cookie for the form");
    let csrf = page.csrf();
    assert_eq!(csrf, csrf_of(&env, &pre));

    let disabled = env.admin_key().await;
    env.edit_item(
        &env.store().tables().admin_keys,
        ("key_hash", &devicegate::secrets::hash_secret(&disabled)),
        "SET disabled = :v",
        aws_sdk_dynamodb::types::AttributeValue::Bool(true),
    )
    .await;
    for wrong in ["dgadmin_wrong", disabled.as_str(), credentials::API_KEY, ""] {
        let body = format!(
            "csrf={}&action=sign_in&admin_key={}",
            enc(&csrf),
            enc(wrong)
        );
        let page = send(&env, "POST", "/admin/console", Some(&body), &[(PRE, &pre)]).await;
        assert_eq!(page.status, 401, "{wrong}: {}", page.html);
        assert!(page.html.contains("not valid"), "{}", page.html);
        assert_eq!(page.set_cookie(ADMIN), None, "{wrong}");
    }
    // A cookie holding a wrong key is no sign-in either, and is cleared.
    let page = send(&env, "GET", "/admin/console", None, &[(ADMIN, &disabled)]).await;
    assert!(page.html.contains("name=\"admin_key\""));
    assert_eq!(page.set_cookie(ADMIN).as_deref(), Some(""));

    let body = format!(
        "csrf={}&action=sign_in&admin_key={}",
        enc(&csrf),
        enc(credentials::ADMIN_KEY)
    );
    let page = send(&env, "POST", "/admin/console", Some(&body), &[(PRE, &pre)]).await;
    assert_eq!(page.status, 303);
    assert_eq!(page.header("location"), "/admin/console");
    let set = page
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|v| v.starts_with(ADMIN))
        .unwrap();
    for part in ["HttpOnly", "Secure", "Path=/", "SameSite=Lax"] {
        assert!(set.contains(part), "{set}");
    }
    assert!(!set.contains("Domain"), "{set}");
    let page = signed_in_get(&env, &session, "/admin/console").await;
    assert_eq!(page.status, 200);
    assert!(
        page.html.contains("Waiting for a decision"),
        "{}",
        page.html
    );
}

#[tokio::test]
async fn without_the_admin_cookie_every_page_sends_to_sign_in_and_nothing_changes() {
    let (env, session) = seeded().await;
    for section in SECTIONS {
        let page = send(&env, "GET", &format!("/admin/console/{section}"), None, &[]).await;
        assert_eq!(page.status, 303, "{section}");
        assert_eq!(page.header("location"), "/admin/console");
    }
    let before = env.snapshot().await;
    // A POST with a token made for another cookie, but without the admin cookie.
    let token = csrf_of(&env, &session);
    for (section, fields) in [
        ("devices", "action=approve&client_id=printer-example"),
        ("api-keys", "action=create&name=stolen"),
        ("users", "action=disable&username=example"),
        ("clients", "action=disable&client_id=example-cli"),
    ] {
        let body = format!("csrf={}&{fields}", enc(&token));
        let path = format!("/admin/console/{section}");
        let page = send(&env, "POST", &path, Some(&body), &[]).await;
        assert_eq!(page.status, 403, "{section}: {}", page.html);
        assert!(page.html.contains("name=\"admin_key\""), "{}", page.html);
    }
    assert_eq!(env.snapshot().await, before);
    let page = signed_in_get(&env, &session, "/admin/console/nowhere").await;
    assert_eq!(page.status, 404);
}

#[tokio::test]
async fn every_form_carries_the_csrf_token_of_its_cookie() {
    let (env, session) = seeded().await;
    let sign_in = send(&env, "GET", "/admin/console", None, &[]).await;
    let pre = sign_in.set_cookie(PRE).unwrap();
    let mut forms = 0;
    for form in sign_in.forms() {
        assert!(form.contains(&format!("name=\"csrf\" value=\"{}\"", csrf_of(&env, &pre))));
        forms += 1;
    }
    let expected = format!("name=\"csrf\" value=\"{}\"", csrf_of(&env, &session));
    for section in SECTIONS {
        let path = format!("/admin/console/{section}");
        let page = signed_in_get(&env, &session, &path).await;
        assert_eq!(page.status, 200, "{section}");
        for header in [
            "content-security-policy",
            "x-frame-options",
            "cache-control",
        ] {
            assert!(!page.header(header).is_empty(), "{section}: {header}");
        }
        assert!(!page.html.contains("<script"), "{section}");
        assert!(page.forms().len() >= 2, "{section}: {}", page.html);
        // Every form but the search box (a GET that only reads) posts with the token.
        for form in page
            .forms()
            .into_iter()
            .filter(|f| !f.contains("role=\"search\""))
        {
            assert!(form.contains("method=\"post\""), "{section}: {form}");
            assert!(form.contains(&expected), "{section}: {form}");
            forms += 1;
        }
    }
    // Sign-in, sign-out on each section, and the actions on the examples' records.
    assert!(forms >= 15, "{forms}");
}

#[tokio::test]
async fn each_action_reaches_the_admin_use_cases() {
    let (env, session) = seeded().await;
    let grace = "username=grace";
    let page = expect(
        (&env, &session),
        200,
        "users",
        "create",
        "username=grace&password=correct+horse+battery",
    )
    .await;
    assert!(page.html.contains("Created user grace"), "{}", page.html);
    assert!(
        !page.html.contains("correct horse"),
        "the password is never echoed"
    );
    let user = |env: &TestEnv| {
        let store = env.store().clone();
        async move { store.get_user("grace").await.unwrap().unwrap() }
    };
    let before = user(&env).await;
    let reset = format!("{grace}&password=another+long+password");
    expect((&env, &session), 200, "users", "password", &reset).await;
    assert_ne!(before.password_hash, user(&env).await.password_hash);
    // A use case's refusal is shown on the page.
    expect(
        (&env, &session),
        400,
        "users",
        "password",
        &format!("{grace}&password=short"),
    )
    .await;
    expect((&env, &session), 200, "users", "disable", grace).await;
    assert!(user(&env).await.disabled);

    let (cli, dynamic) = (
        credentials::CLI_CLIENT_ID,
        credentials::REGISTERED_CLIENT_ID,
    );
    let (cli_form, dynamic_form) = (format!("client_id={cli}"), format!("client_id={dynamic}"));
    // An administrator's client is disabled, not deleted.
    expect((&env, &session), 409, "clients", "delete", &cli_form).await;
    expect((&env, &session), 200, "clients", "disable", &cli_form).await;
    expect((&env, &session), 200, "clients", "delete", &dynamic_form).await;
    let clients = env.store().list_clients().await.unwrap();
    assert!(clients.iter().any(|c| c.client_id == cli && c.disabled));
    assert!(clients.iter().all(|c| c.client_id != dynamic));

    let printer = "client_id=printer-example";
    expect((&env, &session), 200, "devices", "deny", printer).await;
    let status = env.device("printer-example").await.unwrap().status;
    assert_eq!(status, DeviceStatus::Denied);
    // No registration waits any more.
    expect((&env, &session), 409, "devices", "approve", printer).await;

    let fleet = "name=fleet&auto_trust=on&access_token_ttl=600";
    expect((&env, &session), 200, "api-keys", "create", fleet).await;
    let keys = env.store().list_api_keys().await.unwrap();
    let fleet = keys.iter().find(|k| k.name == "fleet").unwrap();
    assert!(fleet.settings.auto_trust && !fleet.settings.allow_untrusted_endpoints);
    assert_eq!(fleet.settings.access_token_ttl, Some(600));
    expect(
        (&env, &session),
        400,
        "api-keys",
        "create",
        "name=bad&access_token_ttl=soon",
    )
    .await;
    expect(
        (&env, &session),
        200,
        "api-keys",
        "disable",
        &format!("id={}", fleet.id),
    )
    .await;
    let keys = env.store().list_api_keys().await.unwrap();
    assert!(keys.iter().any(|k| k.name == "fleet" && k.disabled));
}

#[tokio::test]
async fn a_user_held_back_by_wrong_codes_is_shown_and_let_go() {
    use devicegate::usecases::sign_in::code_counters;
    let (env, session) = seeded().await;
    let user = credentials::USERNAME;
    let [counter, _] = code_counters(user, "192.0.2.1");
    let now = http::now();
    for _ in 0..10 {
        assert_eq!(
            env.store()
                .take_attempts(std::slice::from_ref(&counter), now)
                .await
                .unwrap(),
            None
        );
    }
    let page = signed_in_get(&env, &session, "/admin/console/users").await;
    assert!(
        page.html
            .contains("Held back after wrong codes: next try in 2 h 24 min"),
        "{}",
        page.html
    );
    let page = expect(
        (&env, &session),
        200,
        "users",
        "unlock",
        &format!("username={user}"),
    )
    .await;
    assert!(page.html.contains("Lifted the limits of"), "{}", page.html);
    assert!(!page.html.contains("Held back"), "{}", page.html);
    let taken = env
        .store()
        .take_attempts(std::slice::from_ref(&counter), http::now())
        .await
        .unwrap();
    assert_eq!(taken, None, "the next code is judged at once");
}
