//! Every resource the admin API makes, made in the console: clients (redirect URIs one a line,
//! grants ticked by name), users with email, API key settings changed, templates and initial
//! access tokens (the token shown once). A refused form says why on the same page with what
//! was typed (never a password), stores nothing, and answers 400; at 1280 and 390 px.

use devicegate::model::{AuditType, GrantType};
use devicegate::usecases::admin::{self, AuditFilter};

use super::{Console, WIDTHS};

/// The audit records of `subject`, newest first: (type, actor, dialect).
async fn trail(c: &Console, subject: &str) -> Vec<(AuditType, String, String)> {
    let filter = AuditFilter {
        subject: Some(subject.to_owned()),
        ..AuditFilter::default()
    };
    let now = devicegate::api::admin::audit::now_ms();
    let listing = admin::list_audit(c.env.store(), filter, now).await.unwrap();
    listing
        .events
        .into_iter()
        .map(|e| (e.kind, e.actor, e.dialect))
        .collect()
}

/// The one record `subject` has: `kind`, by an administrator in the console (as the API's).
async fn assert_recorded(c: &Console, subject: &str, kind: AuditType) {
    let found = trail(c, subject).await;
    assert_eq!(found.len(), 1, "{found:?}");
    let (k, actor, dialect) = &found[0];
    assert_eq!((*k, dialect.as_str()), (kind, "console"), "{found:?}");
    assert!(actor.starts_with("admin:"), "{found:?}");
}

/// `subject`'s two records, newest first, both by an administrator in the console.
async fn assert_made_then_disabled(c: &Console, subject: &str, kinds: [AuditType; 2]) {
    let found = trail(c, subject).await;
    let types: Vec<AuditType> = found.iter().map(|(k, _, _)| *k).collect();
    assert_eq!(types, kinds, "{found:?}");
    assert!(
        found
            .iter()
            .all(|(_, actor, dialect)| actor.starts_with("admin:") && dialect == "console"),
        "{found:?}"
    );
}

#[tokio::test]
async fn clients_and_users_are_made_in_the_console_and_bad_input_is_kept() {
    for width in WIDTHS {
        let c = Console::open(width, &[]).await;
        c.go("clients").await;

        // No grant ticked: refused, the name and redirect URIs kept, nothing stored.
        let before = c.env.snapshot().await;
        c.type_into("client_name", "Acme CLI").await;
        c.type_into(
            "redirect_uris",
            "http://127.0.0.1/cb\nhttps://app.example/cb",
        )
        .await;
        c.toggle("#grant_device_code").await; // ticked by default
        c.click("form.create button").await;
        c.alert("Tick at least one grant type").await;
        assert_eq!(c.value("client_name").await, "Acme CLI");
        assert!(c.value("redirect_uris").await.contains("app.example/cb"));
        assert_eq!(c.env.snapshot().await, before, "nothing stored");
        c.shot("clients-refused").await;
        let status = c.post("clients", "action=create&client_name=Acme").await;
        assert_eq!(status, 400);

        // Device code and refresh token, by name: made and listed so.
        c.toggle("#grant_device_code").await;
        c.toggle("#grant_refresh_token").await;
        c.click("form.create button").await;
        c.alert("Created client Acme CLI").await;
        let clients = c.env.store().list_clients().await.unwrap();
        let made = clients
            .iter()
            .find(|k| k.client_name == "Acme CLI")
            .unwrap();
        assert_eq!(
            made.grant_types,
            [GrantType::DeviceCode, GrantType::RefreshToken]
        );
        assert_eq!(made.redirect_uris.len(), 2);
        assert_recorded(&c, &made.client_id, AuditType::ClientRegistered).await;
        let row = format!("#client-{} span.grants", made.client_id);
        assert_eq!(c.text(&row).await, "Device code, Refresh token");

        // A confidential client's secret is shown once.
        c.type_into("client_name", "Acme server").await;
        c.wait("#client_type")
            .await
            .select_by_value("confidential")
            .await
            .unwrap();
        c.click("form.create button").await;
        let secret = c.text("#new-secret").await;
        assert!(!secret.is_empty());
        c.shot_of("clients-created", "#new-secret").await;
        c.go("clients").await;
        assert!(!c.browser.source().await.unwrap().contains(&secret));

        // A user with email: a short password is refused, the rest kept (not the password).
        c.go("users").await;
        c.type_into("username", "grace").await;
        c.type_into("password", "short").await;
        c.type_into("email", "grace@example.com").await;
        c.click("form.create button").await;
        c.alert("password must be").await;
        assert_eq!(c.value("username").await, "grace");
        assert_eq!(c.value("email").await, "grace@example.com");
        assert_eq!(c.value("password").await, "");
        assert!(!c.browser.source().await.unwrap().contains("short\""));
        c.shot_of("users-refused", "form.create").await;
        c.type_into("password", "correct horse battery").await;
        c.toggle("#email_verified").await;
        c.click("form.create button").await;
        c.alert("Created user grace").await;
        let user = c.env.store().get_user("grace").await.unwrap().unwrap();
        assert_eq!(user.email.as_deref(), Some("grace@example.com"));
        assert!(user.email_verified);
        c.close().await;
    }
}

#[tokio::test]
async fn api_key_settings_templates_and_initial_access_tokens_are_managed_in_the_console() {
    for width in WIDTHS {
        let c = Console::open(width, &[]).await;
        let keys = c.env.store().list_api_keys().await.unwrap();
        let id = keys[0].id.clone();
        assert!(!keys[0].settings.auto_trust);

        // API key settings: a lifetime out of range is refused and kept; then saved.
        c.go("api-keys").await;
        let item = format!("#api-key-{id}");
        c.toggle(&format!("{item} details.edit summary")).await;
        c.toggle(&format!("#auto_trust-{id}")).await;
        c.type_into(&format!("access_token_ttl-{id}"), "99999999")
            .await;
        c.click(&format!("{item} form.settings button")).await;
        let refused = c.alert("ccess").await;
        assert!(!refused.is_empty());
        assert_eq!(c.value(&format!("access_token_ttl-{id}")).await, "99999999");
        let kept = c.wait(&format!("#auto_trust-{id}")).await;
        assert!(kept.is_selected().await.unwrap(), "the tick is kept");
        assert!(
            !c.env.store().list_api_keys().await.unwrap()[0]
                .settings
                .auto_trust
        );
        c.shot_of("api-keys-refused", &format!("{item} form.settings"))
            .await;
        c.type_into(&format!("access_token_ttl-{id}"), "900").await;
        c.type_into(&format!("allowed_sources-{id}"), "203.0.113.0/24")
            .await;
        c.click(&format!("{item} form.settings button")).await;
        c.alert("Saved the settings of API key").await;
        let key = &c.env.store().list_api_keys().await.unwrap()[0];
        assert!(key.settings.auto_trust);
        assert_eq!(key.settings.access_token_ttl, Some(900));
        assert_eq!(key.settings.allowed_sources, ["203.0.113.0/24"]);
        let changes = trail(&c, &id).await;
        assert_eq!(changes[0].0, AuditType::ApiKeyChanged, "{changes:?}");
        assert_eq!(changes[0].2, "console");
        let status = c
            .post(
                "api-keys",
                &format!("action=settings&id={id}&access_token_ttl=soon"),
            )
            .await;
        assert_eq!(status, 400);

        // Templates: no redirect URI is refused; then one is made, listed and disabled.
        c.go("templates").await;
        c.type_into("template_id", "com.example.mail").await;
        c.click("form.create button").await;
        c.alert("Give at least one redirect URI").await;
        assert_eq!(c.value("template_id").await, "com.example.mail");
        c.type_into("redirect_uris", "com.example.mail://cb").await;
        c.click("form.create button").await;
        c.alert("Created template com.example.mail").await;
        c.shot("templates").await;
        c.click("#template-com\\.example\\.mail form.disable button")
            .await;
        assert_eq!(c.text("h1").await, "Disable this template?");
        c.click("form.confirm button").await;
        c.alert("Disabled template").await;
        let templates = c.env.store().list_templates().await.unwrap();
        assert!(templates[0].disabled);
        assert_made_then_disabled(
            &c,
            "com.example.mail",
            [AuditType::TemplateDisabled, AuditType::TemplateCreated],
        )
        .await;

        // Initial access tokens: issued (shown once), listed by name, disabled.
        c.go("initial-access-tokens").await;
        c.type_into("name", "laptop fleet").await;
        c.type_into("expires_in_hours", "0").await;
        c.click("form.create button").await;
        c.alert("1 to 720 hours").await;
        assert_eq!(c.value("name").await, "laptop fleet");
        c.type_into("expires_in_hours", "48").await;
        c.type_into("max_uses", "5").await;
        c.click("form.create button").await;
        let token = c.text("#new-secret").await;
        assert!(!token.is_empty());
        c.shot("initial-access-tokens").await;
        c.go("initial-access-tokens").await;
        assert!(!c.browser.source().await.unwrap().contains(&token));
        let text = c.text("div.item").await;
        assert!(
            text.contains("laptop fleet") && text.contains("used 0 of 5"),
            "{text}"
        );
        c.click("div.item form.disable button").await;
        c.click("form.confirm button").await;
        c.alert("Disabled initial access token laptop fleet").await;
        let tokens = c.env.store().list_initial_access_tokens().await.unwrap();
        assert!(tokens[0].disabled);
        assert_made_then_disabled(
            &c,
            &tokens[0].id,
            [
                AuditType::InitialAccessTokenDisabled,
                AuditType::InitialAccessTokenCreated,
            ],
        )
        .await;
        let listing = admin::list_audit(
            c.env.store(),
            AuditFilter::default(),
            devicegate::api::admin::audit::now_ms(),
        )
        .await
        .unwrap();
        assert!(
            !format!("{:?}", listing.events).contains(&token),
            "no record holds the token's value"
        );
        c.close().await;
    }
}
