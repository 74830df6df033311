//! The example credentials and records that the sample events in `events/` use, written only
//! by `devicegate seed-examples` (which refuses to run against anything but a local endpoint),
//! and by the tests that replay the events.

use devicegate::Error;
use devicegate::model::{
    AdminKey, ApiKey, ApiKeySettings, AuditEvent, AuditType, ClientOrigin, Device, DeviceStatus,
    GrantType, OAuthClient, OAuthClientType, Origin, Registration, Scope, TokenEndpointAuthMethod,
};
use devicegate::secrets::{self, SecretKind, hash_secret};
use devicegate::storage::Store;
use devicegate::usecases::admin::{NewUser, create_user};

/// The audit record of an example API key's creation (by the local server itself).
fn created(key: &ApiKey) -> devicegate::model::AuditEvent {
    seeded(devicegate::model::AuditType::ApiKeyCreated, &key.id)
}

/// The audit record of an example the local server writes at its first start.
fn seeded(kind: devicegate::model::AuditType, subject: &str) -> devicegate::model::AuditEvent {
    devicegate::model::AuditEvent::success(
        kind,
        &devicegate::model::Origin::system("serve"),
        subject,
    )
    .because("an example written by devicegate serve")
}

pub mod credentials;

/// Writes the example credentials and devices the sample events expect, the publicly known
/// admin key included. Idempotent.
pub async fn seed_examples(
    store: &Store,
    settings: &devicegate::Settings,
    now: i64,
) -> Result<bool, Error> {
    seed(store, settings, now, true).await
}

/// As [`seed_examples`], without the example admin key: what `devicegate serve` writes, since
/// a publicly known admin key would let anything that can reach it (another local user, a web
/// page through DNS rebinding) administer devicegate. Serve makes its own admin key.
pub async fn seed_examples_without_admin_key(
    store: &Store,
    settings: &devicegate::Settings,
    now: i64,
) -> Result<bool, Error> {
    seed(store, settings, now, false).await
}

async fn seed(
    store: &Store,
    settings: &devicegate::Settings,
    now: i64,
    with_admin_key: bool,
) -> Result<bool, Error> {
    use devicegate::model::{ClientType, CodeStatus, KeyType, PendingRegistration, StoredKey};
    use devicegate::usecases::device_trust::new_device_code;
    let mut wrote = false;
    if store
        .get_client(credentials::CLI_CLIENT_ID)
        .await?
        .is_none()
    {
        seed_oauth_examples(store, now).await?;
        wrote = true;
    }
    let api_key_hash = hash_secret(credentials::API_KEY);
    if store.get_api_key(&api_key_hash).await?.is_some() {
        return Ok(wrote);
    }
    let api_key = ApiKey {
        key_hash: api_key_hash.clone(),
        id: ulid::Ulid::new().to_string(),
        name: "example (local runs only)".into(),
        settings: ApiKeySettings::default(),
        disabled: false,
        created_at: now,
    };
    store.put_api_key(&api_key, &created(&api_key)).await?;
    if with_admin_key {
        let admin_key = AdminKey {
            key_hash: hash_secret(credentials::ADMIN_KEY),
            id: ulid::Ulid::new().to_string(),
            name: "example (local runs only)".into(),
            disabled: false,
            created_at: now,
        };
        let audit = AuditEvent::success(
            AuditType::AdminKeyCreated,
            &Origin::system("serve"),
            &admin_key.id,
        )
        .because("the publicly known example admin key");
        store.put_admin_key(&admin_key, &audit).await?;
    }
    let device = |client_id: &str, status: DeviceStatus, key: Option<StoredKey>| Device {
        client_id: client_id.into(),
        client_type: ClientType::Printer,
        client_description: Some("example device".into()),
        status,
        key,
        api_key_id: api_key.id.clone(),
        api_key_name: api_key.name.clone(),
        pending: None,
        queue: None,
        created_at: now,
        updated_at: now,
        version: 1,
    };
    let pending_hash = hash_secret(credentials::DEVICE_CODE);
    let mut waiting = device("printer-example", DeviceStatus::Pending, None);
    waiting.queue_registration(PendingRegistration {
        code_hash: pending_hash.clone(),
        client_type: ClientType::Printer,
        client_description: Some("example device".into()),
        key: None,
        created_at: now,
        expires_at: now + settings.approval_window,
    });
    store
        .save_registration(
            &waiting,
            None,
            &new_device_code(
                &pending_hash,
                "printer-example",
                &api_key,
                CodeStatus::Pending,
                None,
                settings,
                now,
            ),
            &seeded(
                devicegate::model::AuditType::DeviceRegistered,
                &waiting.client_id,
            ),
        )
        .await?;
    let key = StoredKey {
        key_type: KeyType::Ed25519,
        public_key: credentials::SIGNED_DEVICE_KEY.into(),
    };
    let approved = secrets::issue(SecretKind::DeviceCode)?;
    store
        .save_registration(
            &device("printer-signed", DeviceStatus::Approved, Some(key.clone())),
            None,
            &new_device_code(
                approved.hash(),
                "printer-signed",
                &api_key,
                CodeStatus::Approved,
                Some(key),
                settings,
                now,
            ),
            &seeded(
                devicegate::model::AuditType::DeviceRegistered,
                "printer-signed",
            ),
        )
        .await?;
    seed_user_token_examples(store, settings, &device, now).await?;
    Ok(true)
}

/// The open API key, the kiosk and its device token, the example user's identifiers and user
/// token (what the login and authorizer sample events use).
async fn seed_user_token_examples(
    store: &Store,
    settings: &devicegate::Settings,
    device: &dyn Fn(&str, DeviceStatus, Option<devicegate::model::StoredKey>) -> Device,
    now: i64,
) -> Result<(), Error> {
    use devicegate::model::{
        DeviceBinding, FamilyStatus, Lifetimes, Owner, TokenFamily, TokenKind, TokenRecord,
        USER_TOKEN_CLIENT_ID, device_owner_key, user_owner_key,
    };
    let open = ApiKey {
        key_hash: hash_secret(credentials::OPEN_API_KEY),
        id: credentials::OPEN_API_KEY_ID.into(),
        name: "example open key (local runs only)".into(),
        settings: ApiKeySettings {
            allow_untrusted_endpoints: true,
            allow_unauthenticated_requests: true,
            ..ApiKeySettings::default()
        },
        disabled: false,
        created_at: now,
    };
    store.put_api_key(&open, &created(&open)).await?;
    let mut kiosk = device(credentials::KIOSK_CLIENT_ID, DeviceStatus::Approved, None);
    kiosk.api_key_id = open.id.clone();
    kiosk.api_key_name = open.name.clone();
    let code = devicegate::secrets::issue(SecretKind::DeviceCode)?;
    store
        .save_registration(
            &kiosk,
            None,
            &devicegate::usecases::device_trust::new_device_code(
                code.hash(),
                credentials::KIOSK_CLIENT_ID,
                &open,
                devicegate::model::CodeStatus::Approved,
                None,
                settings,
                now,
            ),
            &seeded(
                devicegate::model::AuditType::DeviceRegistered,
                &kiosk.client_id,
            ),
        )
        .await?;
    let year = 365 * 24 * 3600;
    let family = |id: &str, client_id: &str, owner: String| TokenFamily {
        family_id: id.into(),
        client_id: client_id.into(),
        owner,
        status: FamilyStatus::Active,
        created_at: now,
        ttl: now + year,
    };
    let token = |value: &str, family_id: &str, client_id: &str, owner: Owner| TokenRecord {
        token_hash: hash_secret(value),
        kind: TokenKind::Access,
        family_id: family_id.into(),
        client_id: client_id.into(),
        owner,
        scope: None,
        issued_at: now,
        expires_at: now + year,
        lifetimes: Lifetimes::default(),
        rotated_at: None,
        rotated_by: None,
        auth_time: None,
        ttl: now + year,
    };
    store
        .put_family(&family(
            credentials::DEVICE_FAMILY_ID,
            credentials::KIOSK_CLIENT_ID,
            device_owner_key(credentials::KIOSK_CLIENT_ID),
        ))
        .await?;
    store
        .put_token(&token(
            credentials::DEVICE_TOKEN,
            credentials::DEVICE_FAMILY_ID,
            credentials::KIOSK_CLIENT_ID,
            Owner::Device {
                api_key_id: open.id.clone(),
                api_key_hash: open.key_hash.clone(),
            },
        ))
        .await?;
    store
        .put_family(&family(
            credentials::USER_FAMILY_ID,
            USER_TOKEN_CLIENT_ID,
            user_owner_key(credentials::USERNAME),
        ))
        .await?;
    store
        .put_token(&token(
            credentials::USER_TOKEN,
            credentials::USER_FAMILY_ID,
            USER_TOKEN_CLIENT_ID,
            Owner::User {
                username: credentials::USERNAME.into(),
                api_key_id: open.id.clone(),
                api_key_hash: open.key_hash.clone(),
                api_key_expires_at: None,
                device: Some(DeviceBinding {
                    client_id: credentials::KIOSK_CLIENT_ID.into(),
                    family_id: credentials::DEVICE_FAMILY_ID.into(),
                }),
            },
        ))
        .await?;
    // Card and short ids are keyed with the server secret; without one (seed-examples with no
    // SERVER_SECRET) the user simply has none.
    if let Ok(secret) = settings.server_secret() {
        devicegate::usecases::admin::set_login_ids(
            store,
            secret,
            credentials::USERNAME,
            Some(Some(credentials::CARD_ID)),
            Some(Some(credentials::SHORT_ID)),
            now,
            &Origin::system("serve"),
        )
        .await?;
    }
    Ok(())
}

/// Stores one example client, with the record a client's creation leaves.
async fn put_example(store: &Store, client: &OAuthClient) -> Result<(), Error> {
    let audit = AuditEvent::success(
        AuditType::ClientRegistered,
        &Origin::system("serve"),
        &client.client_id,
    )
    .because("an example client of devicegate serve");
    store.put_client(client, &audit).await
}

/// The example OAuth clients and user of the sample events.
async fn seed_oauth_examples(store: &Store, now: i64) -> Result<(), Error> {
    let client =
        |client_id: &str, name: &str, kind: OAuthClientType, secret: Option<&str>| OAuthClient {
            scopes: Scope::from_tokens(["read", "write"]).unwrap_or_default(),
            introspection: secret.is_some(),
            ..OAuthClient::new(
                client_id,
                name,
                kind,
                secret.map(hash_secret),
                vec![GrantType::DeviceCode, GrantType::RefreshToken],
                now,
            )
        };
    put_example(
        store,
        &client(
            credentials::CLI_CLIENT_ID,
            "Example CLI",
            OAuthClientType::Public,
            None,
        ),
    )
    .await?;
    put_example(
        store,
        &OAuthClient {
            redirect_uris: vec![
                "http://127.0.0.1/callback".into(),
                "com.example.app:/oauth2redirect".into(),
            ],
            grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
            ..client(
                credentials::APP_CLIENT_ID,
                "Example App",
                OAuthClientType::Public,
                None,
            )
        },
    )
    .await?;
    put_example(
        store,
        &client(
            credentials::API_CLIENT_ID,
            "Example API",
            OAuthClientType::Confidential,
            Some(credentials::API_CLIENT_SECRET),
        ),
    )
    .await?;
    put_example(
        store,
        &OAuthClient {
            origin: ClientOrigin::Rfc7591,
            registration: Some(Registration {
                token_endpoint_auth_method: Some(TokenEndpointAuthMethod::None),
                response_types: vec![],
                access_token_hash: Some(hash_secret(credentials::REGISTRATION_ACCESS_TOKEN)),
            }),
            expires_at: Some(now + devicegate::config::RegistrationSettings::default().idle_ttl),
            introspection: false,
            ..client(
                credentials::REGISTERED_CLIENT_ID,
                "Example self-registered app",
                OAuthClientType::Public,
                None,
            )
        },
    )
    .await?;
    devicegate::usecases::vmware::create_template(
        store,
        devicegate::usecases::vmware::NewTemplate {
            template_id: credentials::TEMPLATE_ID.into(),
            redirect_uris: vec![credentials::TEMPLATE_REDIRECT_URI.into()],
            scopes: Scope::from_tokens(["user", "email"]).unwrap_or_default(),
            access_token_ttl: None,
            refresh_token_ttl: None,
            issue_refresh_tokens: true,
        },
        now,
        &Origin::system("serve"),
    )
    .await?;
    create_user(
        store,
        NewUser {
            username: credentials::USERNAME.into(),
            password: credentials::PASSWORD.into(),
            display_name: Some("Example User".into()),
            email: Some(credentials::EMAIL.into()),
            email_verified: false,
        },
        now,
        &Origin::system("serve"),
    )
    .await?;
    Ok(())
}
