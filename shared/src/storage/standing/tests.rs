//! One truth table for both encodings of good standing: for every holder kind and every state
//! of each record it depends on, the judgement of the records read back (`lapse` of
//! `get_standing`) and DynamoDB's verdict on the write conditions (`holder_checks`, sent as a
//! condition-only transaction) both name the expected lapse, or none.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use serde_json::{Value, json};

use super::{Inactive, lapse};
use crate::model::{
    ApiKey, Device, DeviceBinding, Holder, OAuthClient, TokenFamily, User, device_owner_key,
};
use crate::storage::dynamo::{first_failed, to_item};
use crate::storage::{Store, Tables, schema};

const NOW: i64 = 1_800_000_000;

/// A record's state; not every record has every state (a device is not "expired").
#[derive(Clone, Copy, Debug, PartialEq)]
enum State {
    Good,
    Disabled,
    Expired,
    Missing,
}
use State::*;

async fn store() -> Store {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let db = dynoxide::Database::memory().unwrap();
    tokio::spawn(dynoxide::server::serve_on(listener, db));
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url(format!("http://{addr}"))
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "standing"))
        .http_client(crate::https_client())
        .build();
    let client = Client::from_conf(config);
    let tables = Tables::from_lookup(|_| None);
    schema::create_tables(&client, &tables).await.unwrap();
    Store::new(client, tables)
}

async fn put(store: &Store, table: &str, item: crate::storage::dynamo::Item) {
    store
        .client
        .put_item()
        .table_name(table)
        .set_item(Some(item))
        .send()
        .await
        .unwrap();
}

/// Stores a record as a model value (so that a typo in the fixture fails to parse), or nothing.
async fn put_record<T>(store: &Store, table: &str, state: State, record: Value)
where
    T: serde::de::DeserializeOwned + serde::Serialize,
{
    if state == Missing {
        return;
    }
    let record: T = serde_json::from_value(record).unwrap();
    put(store, table, to_item(&record).unwrap()).await;
}

async fn put_client(store: &Store, id: &str, state: State) {
    let record = json!({
        "client_id": id, "client_name": "c", "client_type": "public",
        "grant_types": ["refresh_token"], "scopes": [],
        "disabled": state == Disabled, "created_at": 0,
        "expires_at": if state == Expired { NOW - 1 } else { NOW + 3600 },
    });
    put_record::<OAuthClient>(store, &store.tables.clients, state, record).await;
}

async fn put_user(store: &Store, username: &str, state: State) {
    let record = json!({
        "username": username, "password_hash": "x", "disabled": state == Disabled,
        "created_at": 0, "updated_at": 0,
    });
    put_record::<User>(store, &store.tables.users, state, record).await;
}

async fn put_api_key(store: &Store, hash: &str, state: State) {
    let mut settings = json!({});
    if state == Expired {
        settings["expires_at"] = json!(NOW - 1);
    }
    let record = json!({
        "key_hash": hash, "id": "k", "name": "k", "settings": settings,
        "disabled": state == Disabled, "created_at": 0,
    });
    put_record::<ApiKey>(store, &store.tables.api_keys, state, record).await;
}

async fn put_device(store: &Store, id: &str, state: State) {
    let status = if state == Good { "approved" } else { "revoked" };
    let record = json!({
        "client_id": id, "client_type": "printer", "status": status, "api_key_id": "k",
        "created_at": 0, "updated_at": 0, "version": 1,
    });
    put_record::<Device>(store, &store.tables.devices, state, record).await;
}

async fn put_family(store: &Store, family_id: &str, owner: &str, state: State) {
    let status = if state == Good { "active" } else { "revoked" };
    let record = json!({
        "family_id": family_id, "client_id": "c", "owner": owner, "status": status,
        "created_at": 0, "ttl": NOW + 3600,
    });
    put_record::<TokenFamily>(store, &store.tables.families, state, record).await;
}

/// Both encodings' verdicts on one holder.
async fn verdicts(store: &Store, holder: Holder<'_>) -> (Option<Inactive>, Option<Inactive>) {
    let read = lapse(
        &store.get_standing(None, holder).await.unwrap(),
        holder,
        NOW,
    );
    let (items, meanings): (Vec<_>, Vec<_>) = store
        .holder_checks(holder, NOW)
        .unwrap()
        .into_iter()
        .unzip();
    let written = store
        .transact(items)
        .await
        .unwrap()
        .map(|reasons| first_failed(&reasons, 0, &meanings).unwrap());
    (read, written)
}

/// The first record (in the order given) not in good standing.
fn expected(records: &[(State, Inactive)]) -> Option<Inactive> {
    records.iter().find(|(s, _)| *s != Good).map(|(_, i)| *i)
}

fn id(kind: &str) -> String {
    format!("{kind}-{}", ulid::Ulid::new())
}

const CLIENT: [State; 4] = [Good, Disabled, Expired, Missing];
const USER: [State; 3] = [Good, Disabled, Missing];
const API_KEY: [State; 4] = [Good, Disabled, Expired, Missing];
/// A device's non-good state is "no longer approved" (revoked); a family's is revoked.
const DEVICE: [State; 3] = [Good, Disabled, Missing];
const FAMILY: [State; 3] = [Good, Disabled, Missing];

#[tokio::test]
async fn a_read_and_a_write_judge_standing_alike() {
    let store = store().await;
    let mut cases = 0;
    let mut check = |what: String, got: (Option<Inactive>, Option<Inactive>), want| {
        cases += 1;
        assert_eq!(got, (want, want), "{what}: (read, write) verdicts");
    };

    for client in CLIENT {
        // Self-registered, so that idle expiry applies (and the write is the use update).
        let client_id = format!(
            "{}{}",
            OAuthClient::SELF_REGISTERED_PREFIX,
            ulid::Ulid::new()
        );
        put_client(&store, &client_id, client).await;
        let holder = Holder::OAuthClient {
            client_id: &client_id,
            username: None,
        };
        let want = expected(&[(client, Inactive::Client)]);
        check(
            format!("client {client:?}"),
            verdicts(&store, holder).await,
            want,
        );

        for user in USER {
            let client_id = format!(
                "{}{}",
                OAuthClient::SELF_REGISTERED_PREFIX,
                ulid::Ulid::new()
            );
            let username = id("user");
            put_client(&store, &client_id, client).await;
            put_user(&store, &username, user).await;
            let holder = Holder::OAuthClient {
                client_id: &client_id,
                username: Some(&username),
            };
            let want = expected(&[(client, Inactive::Client), (user, Inactive::User)]);
            let what = format!("client {client:?} for user {user:?}");
            check(what, verdicts(&store, holder).await, want);
        }
    }

    for device in DEVICE {
        for api_key in API_KEY {
            let (client_id, key_hash) = (id("device"), id("key"));
            put_device(&store, &client_id, device).await;
            put_api_key(&store, &key_hash, api_key).await;
            let holder = Holder::Device {
                client_id: &client_id,
                api_key_hash: &key_hash,
            };
            let want = expected(&[(device, Inactive::Device), (api_key, Inactive::ApiKey)]);
            let what = format!("device {device:?} under key {api_key:?}");
            check(what, verdicts(&store, holder).await, want);
        }
    }

    for user in USER {
        for api_key in API_KEY {
            let (username, key_hash) = (id("user"), id("key"));
            put_user(&store, &username, user).await;
            put_api_key(&store, &key_hash, api_key).await;
            let holder = Holder::User {
                username: &username,
                api_key_hash: &key_hash,
                device: None,
            };
            let want = expected(&[(user, Inactive::User), (api_key, Inactive::ApiKey)]);
            let what = format!("user {user:?} under key {api_key:?}");
            check(what, verdicts(&store, holder).await, want);

            for device in DEVICE {
                for family in FAMILY {
                    let (username, key_hash) = (id("user"), id("key"));
                    let binding = DeviceBinding {
                        client_id: id("device"),
                        family_id: id("family"),
                    };
                    put_user(&store, &username, user).await;
                    put_api_key(&store, &key_hash, api_key).await;
                    put_device(&store, &binding.client_id, device).await;
                    let owner = device_owner_key(&binding.client_id);
                    put_family(&store, &binding.family_id, &owner, family).await;
                    let holder = Holder::User {
                        username: &username,
                        api_key_hash: &key_hash,
                        device: Some(&binding),
                    };
                    let want = expected(&[
                        (user, Inactive::User),
                        (api_key, Inactive::ApiKey),
                        (device, Inactive::Device),
                        (family, Inactive::Device),
                    ]);
                    let what = format!(
                        "user {user:?} under key {api_key:?} on device {device:?} \
                         with family {family:?}"
                    );
                    check(what, verdicts(&store, holder).await, want);
                }
            }
        }
    }
    // 4 + 12 client, 12 device, 12 + 108 user holders: every combination was judged.
    assert_eq!(cases, 148);
}
