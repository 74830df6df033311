//! What the OAuth tests share: a fixture with clients and a user.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use devicegate::model::{GrantType, OAuthClientType, Scope};
use devicegate::usecases::admin::{self, NewClient, NewUser};

use crate::TestEnv;

/// A public CLI client, a confidential resource server, and a user.
pub struct Fixture {
    pub env: TestEnv,
    pub cli_id: String,
    pub server_id: String,
    pub server_secret: String,
}

pub async fn fixture() -> Fixture {
    let mut env = TestEnv::new().await;
    env.deps.settings.poll_interval = 1;
    let now = devicegate::http::now();
    let cli = admin::create_client(
        env.store(),
        NewClient {
            client_name: "Acme CLI".into(),
            client_type: OAuthClientType::Public,
            grant_types: vec![GrantType::DeviceCode, GrantType::RefreshToken],
            scopes: Scope::parse("read write").unwrap(),
            redirect_uris: vec![],
            access_token_ttl: Some(600),
            refresh_token_ttl: None,
            introspection: false,
        },
        now,
    )
    .await
    .unwrap();
    let resource_server = admin::create_client(
        env.store(),
        NewClient {
            client_name: "Acme API".into(),
            client_type: OAuthClientType::Confidential,
            grant_types: vec![GrantType::RefreshToken],
            scopes: Scope::default(),
            redirect_uris: vec![],
            access_token_ttl: None,
            refresh_token_ttl: None,
            introspection: true,
        },
        now,
    )
    .await
    .unwrap();
    admin::create_user(
        env.store(),
        NewUser {
            username: "ada".into(),
            password: "correct horse battery".into(),
            display_name: Some("Ada".into()),
            email: None,
        },
        now,
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
