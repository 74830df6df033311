//! The OpenID provider's signing keys in a Secrets Manager secret, against moto's server on
//! loopback (pinned in `scripts/moto-venv`, which this test runs to make the virtualenv if it
//! is missing): the template's placeholder replaced by the first cold start, a cold start that
//! lost that race reading the winner's set, and a rotation that lost to another from the same
//! version returning the one that landed.

use std::io::BufRead as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use aws_sdk_secretsmanager::Client;
use devicegate::oidc::key_storage::{
    INITIAL_VERSION_TOKEN, load_or_create_secret, rotate_secret, rotation_token,
};
use devicegate::oidc::{KeyState, SigningKeySet};

const NOW: i64 = 1_800_000_000;
const PLACEHOLDER: &str = "aZ3kP9qLmN0vXy7TbC2dE5fG8hJ1sR4wQ6uV";

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

/// moto's server, stopped (its standard input closed, then killed) when dropped.
struct Moto {
    child: Child,
    port: u16,
}

impl Moto {
    fn start() -> Moto {
        let out = Command::new(repo_root().join("scripts/moto-venv"))
            .output()
            .expect("scripts/moto-venv runs");
        assert!(
            out.status.success(),
            "scripts/moto-venv failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let python = PathBuf::from(String::from_utf8(out.stdout).unwrap().trim());
        let mut child = Command::new(python)
            .arg(repo_root().join("tests/clients/moto_server.py"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto starts");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line.trim().parse().expect("moto prints its port");
        Moto { child, port }
    }

    fn client(&self) -> Client {
        let config = aws_sdk_secretsmanager::Config::builder()
            .behavior_version(aws_sdk_secretsmanager::config::BehaviorVersion::latest())
            .endpoint_url(format!("http://127.0.0.1:{}", self.port))
            .region(aws_sdk_secretsmanager::config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_secretsmanager::config::Credentials::new(
                "test", "test", None, None, "tests",
            ))
            .build();
        Client::from_conf(config)
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn kids(set: &SigningKeySet) -> Vec<String> {
    set.keys().iter().map(|k| k.kid().to_owned()).collect()
}

/// The stack's secret as the template makes it: a random placeholder.
async fn placeholder_secret(client: &Client, name: &str) -> String {
    client
        .create_secret()
        .name(name)
        .secret_string(PLACEHOLDER)
        .send()
        .await
        .unwrap()
        .arn()
        .unwrap()
        .to_owned()
}

async fn current(client: &Client, secret: &str) -> (String, String) {
    let out = client
        .get_secret_value()
        .secret_id(secret)
        .send()
        .await
        .unwrap();
    (
        out.version_id().unwrap().to_owned(),
        out.secret_string().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn the_first_cold_start_replaces_the_placeholder_and_later_ones_read_its_set() {
    let moto = Moto::start();
    let client = moto.client();
    let arn = placeholder_secret(&client, "devicegate-signing-keys-a").await;

    let first = load_or_create_secret(&client, &arn, NOW).await.unwrap();
    let (version, text) = current(&client, &arn).await;
    assert_eq!(version, INITIAL_VERSION_TOKEN);
    assert_eq!(
        kids(&SigningKeySet::from_json(&text).unwrap()),
        kids(&first)
    );
    let again = load_or_create_secret(&client, &arn, NOW + 5).await.unwrap();
    assert_eq!(kids(&again), kids(&first));

    // A cold start that read the placeholder before the first write landed: its own write
    // under the initial token is refused, and it takes the winner's set.
    client
        .put_secret_value()
        .secret_id(&arn)
        .secret_string(PLACEHOLDER)
        .send()
        .await
        .unwrap();
    let loser = load_or_create_secret(&client, &arn, NOW + 10)
        .await
        .unwrap();
    assert_eq!(kids(&loser), kids(&first));
}

#[tokio::test]
async fn of_two_rotations_from_one_version_only_one_lands() {
    let moto = Moto::start();
    let client = moto.client();
    let arn = placeholder_secret(&client, "devicegate-signing-keys-b").await;
    let initial = load_or_create_secret(&client, &arn, NOW).await.unwrap();

    let rotation = rotate_secret(&client, &arn, NOW + 60, 3600).await.unwrap();
    assert!(rotation.ours);
    let rotated = rotation.set;
    let (version, _) = current(&client, &arn).await;
    assert_eq!(version, rotation_token(INITIAL_VERSION_TOKEN));
    let loaded = load_or_create_secret(&client, &arn, NOW + 61)
        .await
        .unwrap();
    assert_eq!(kids(&loaded), kids(&rotated));
    let retired: Vec<String> = rotated
        .keys()
        .iter()
        .filter(|k| matches!(k.state(), KeyState::Retired { until } if until == NOW + 60 + 3600))
        .map(|k| k.kid().to_owned())
        .collect();
    let was_active: Vec<String> = initial
        .keys()
        .iter()
        .filter(|k| k.state() == KeyState::Active)
        .map(|k| k.kid().to_owned())
        .collect();
    assert_eq!(retired, was_active);

    // A second rotation that read the initial version too (AWSCURRENT moved back to it, as
    // if it read before the first rotation landed): its write is refused and it returns the
    // set that landed.
    client
        .update_secret_version_stage()
        .secret_id(&arn)
        .version_stage("AWSCURRENT")
        .move_to_version_id(INITIAL_VERSION_TOKEN)
        .remove_from_version_id(rotation_token(INITIAL_VERSION_TOKEN))
        .send()
        .await
        .unwrap();
    let late = rotate_secret(&client, &arn, NOW + 70, 3600).await.unwrap();
    assert!(
        !late.ours,
        "the late rotation knows it did not land (it records nothing)"
    );
    assert_eq!(kids(&late.set), kids(&rotated));

    // From the landed version, the next rotation is a new one.
    client
        .update_secret_version_stage()
        .secret_id(&arn)
        .version_stage("AWSCURRENT")
        .move_to_version_id(rotation_token(INITIAL_VERSION_TOKEN))
        .remove_from_version_id(INITIAL_VERSION_TOKEN)
        .send()
        .await
        .unwrap();
    let next = rotate_secret(&client, &arn, NOW + 80, 3600)
        .await
        .unwrap()
        .set;
    assert_ne!(kids(&next), kids(&rotated));
    let (version, _) = current(&client, &arn).await;
    assert_eq!(
        version,
        rotation_token(&rotation_token(INITIAL_VERSION_TOKEN))
    );
}

#[tokio::test]
async fn a_secret_that_is_not_a_key_set_is_never_overwritten() {
    let moto = Moto::start();
    let client = moto.client();
    let arn = placeholder_secret(&client, "devicegate-signing-keys-c").await;
    client
        .put_secret_value()
        .secret_id(&arn)
        .secret_string(r#"{"keys": "damaged"}"#)
        .send()
        .await
        .unwrap();
    let (before, _) = current(&client, &arn).await;
    assert!(load_or_create_secret(&client, &arn, NOW).await.is_err());
    assert!(rotate_secret(&client, &arn, NOW, 60).await.is_err());
    assert_eq!(current(&client, &arn).await.0, before);
}
