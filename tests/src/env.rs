//! A test environment: fresh tables on the shared server, the settings every test uses, and
//! its keys.

use std::net::SocketAddr;

use aws_sdk_dynamodb::config::{Credentials, Region};
use devicegate::config::ServerSecret;
use devicegate::model::ApiKeySettings;
use devicegate::storage::schema;
use devicegate::usecases::admin;
use devicegate::{Deps, Settings, Store, Tables, http};

use crate::{CallLog, dynamodb_server, faults, origin, signing_keys};

/// The server secret every test environment uses.
pub const TEST_SERVER_SECRET: &[u8; 32] = b"devicegate-tests-server-secret!!";

pub struct TestEnv {
    pub deps: Deps,
    pub calls: CallLog,
    pub faults: faults::Faults,
}

impl TestEnv {
    /// A fresh set of tables on the shared server.
    pub async fn new() -> TestEnv {
        TestEnv::on(dynamodb_server()).await
    }

    /// A fresh set of tables on the DynamoDB-compatible server at `addr`.
    pub async fn on(addr: SocketAddr) -> TestEnv {
        let calls = CallLog::default();
        let faults = faults::Faults::default();
        let config = aws_sdk_dynamodb::Config::builder()
            .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
            .endpoint_url(format!("http://{addr}"))
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new(
                "test",
                "test",
                None,
                None,
                "devicegate-tests",
            ))
            .interceptor(calls.clone())
            .interceptor(faults.clone())
            .interceptor(devicegate::metrics::StoreCalls)
            .build();
        let client = aws_sdk_dynamodb::Client::from_conf(config);
        let prefix = format!("t{}", ulid::Ulid::new().to_string().to_lowercase());
        let tables = Tables::from_lookup(|var| {
            Tables::ENV
                .iter()
                .find(|(v, _)| *v == var)
                .map(|(_, d)| format!("{prefix}-{d}"))
        });
        schema::create_tables(&client, &tables)
            .await
            .expect("create tables");
        let mut settings = Settings {
            tables: tables.clone(),
            issuer: Some("https://gate.test".into()),
            ..Settings::with_secret(ServerSecret::from_bytes(TEST_SERVER_SECRET.to_vec()))
        };
        settings.oidc.keys = Some(signing_keys());
        // What the tests' self-registered clients ask for (the SDKs' usual scopes included).
        settings.registration.allowed_scopes =
            devicegate::model::Scope::parse("read write openid sso:account:access").expect("scope");
        let env = TestEnv {
            deps: Deps {
                store: Store::new(client, tables),
                settings,
            },
            calls,
            faults,
        };
        env.calls.take();
        env
    }

    pub fn store(&self) -> &Store {
        &self.deps.store
    }

    pub async fn api_key(&self, settings: ApiKeySettings) -> String {
        admin::create_api_key(
            self.store(),
            "test",
            settings,
            http::now(),
            &devicegate::model::Origin::system("test"),
        )
        .await
        .unwrap()
        .value
    }

    pub async fn admin_key(&self) -> String {
        admin::create_admin_key(self.store(), "test", http::now(), &origin())
            .await
            .unwrap()
    }

    /// A fresh environment with an API key (default settings) and an admin key: where most
    /// device tests start. Returns (env, API key, admin key).
    pub async fn with_keys() -> (TestEnv, String, String) {
        let env = TestEnv::new().await;
        let api_key = env.api_key(ApiKeySettings::default()).await;
        let admin = env.admin_key().await;
        (env, api_key, admin)
    }

    /// An API key whose devices are approved as they register.
    pub async fn auto_trust_key(&self) -> String {
        self.api_key(ApiKeySettings {
            auto_trust: true,
            ..Default::default()
        })
        .await
    }
}
