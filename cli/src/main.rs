//! `devicegate`: the operator's command-line tool. It talks to DynamoDB with the operator's AWS
//! credentials, or to a local server named by `AWS_ENDPOINT_URL_DYNAMODB`; table names come from
//! the same environment variables the functions read (defaults: `devicegate-*`).

use clap::{Parser, Subcommand};
use devicegate::model::{ApiKeySettings, DeviceStatus};
use devicegate::storage::schema;
use devicegate::usecases::admin::{self, DeviceAction};
use devicegate::{Error, Store, Tables, http::now};

#[derive(Parser)]
#[command(
    name = "devicegate",
    version,
    about = "Operate a devicegate deployment"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Make a new admin key and print it alone on stdout (shown this once).
    Bootstrap {
        #[arg(long, default_value = "bootstrap")]
        name: String,
    },
    /// Create the tables of template.yaml (for local runs; AWS gets them from `sam deploy`).
    Tables {
        #[command(subcommand)]
        command: TablesCommand,
    },
    /// Write the example credentials and devices that the sample events in events/ use
    /// (local endpoints only).
    SeedExamples,
    /// Manage API keys.
    ApiKey {
        #[command(subcommand)]
        command: ApiKeyCommand,
    },
    /// List, approve, deny and revoke devices.
    Device {
        #[command(subcommand)]
        command: DeviceCommand,
    },
}

#[derive(Subcommand)]
enum TablesCommand {
    Create,
}

#[derive(Subcommand)]
enum ApiKeyCommand {
    /// Create an API key and print it alone on stdout (shown this once).
    Create {
        #[arg(long)]
        name: String,
        /// Approve devices registering with this key at once.
        #[arg(long)]
        auto_trust: bool,
        #[arg(long)]
        allow_untrusted_endpoints: bool,
        #[arg(long)]
        allow_unauthenticated_requests: bool,
        /// Access token lifetime in seconds (default 3600).
        #[arg(long)]
        access_token_ttl: Option<i64>,
        /// Refresh token lifetime in seconds (default 90 days).
        #[arg(long)]
        refresh_token_ttl: Option<i64>,
        /// Epoch seconds after which the key stops working.
        #[arg(long)]
        expires_at: Option<i64>,
    },
    /// List API keys as JSON lines.
    List,
    /// Disable an API key by id.
    Disable { id: String },
}

#[derive(Subcommand)]
enum DeviceCommand {
    /// List devices with a status (pending, approved, denied, revoked) as JSON lines.
    List {
        #[arg(long, default_value = "pending")]
        status: String,
    },
    /// Approve a device's pending registration.
    Approve { client_id: String },
    /// Deny a device's pending registration.
    Deny { client_id: String },
    /// Revoke a device and every token it holds.
    Revoke { client_id: String },
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let store = Store::new(devicegate::dynamodb_client().await, Tables::from_env());
    match run(cli.command, &store).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            let detail = match &e {
                Error::Internal(cause) => cause.clone(),
                other => other.description(),
            };
            eprintln!("devicegate: {}: {detail}", e.code());
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, store: &Store) -> Result<(), Error> {
    match command {
        Command::Bootstrap { name } => {
            println!("{}", admin::create_admin_key(store, &name, now()).await?);
        }
        Command::SeedExamples => {
            let endpoint = std::env::var("AWS_ENDPOINT_URL_DYNAMODB").unwrap_or_default();
            if !(endpoint.contains("://127.0.0.1") || endpoint.contains("://localhost")) {
                return Err(Error::invalid_request(
                    "seed-examples writes well-known keys: it runs only with AWS_ENDPOINT_URL_DYNAMODB on loopback",
                ));
            }
            let settings = devicegate::Settings::from_env().map_err(Error::invalid_request)?;
            let seeded = admin::seed_examples(store, &settings, now()).await?;
            eprintln!(
                "{}",
                if seeded {
                    "example credentials written"
                } else {
                    "example credentials already present"
                }
            );
        }
        Command::Tables {
            command: TablesCommand::Create,
        } => {
            let created = schema::create_tables(store.client(), store.tables()).await?;
            eprintln!("created {} table(s): {}", created.len(), created.join(", "));
        }
        Command::ApiKey { command } => match command {
            ApiKeyCommand::Create {
                name,
                auto_trust,
                allow_untrusted_endpoints,
                allow_unauthenticated_requests,
                access_token_ttl,
                refresh_token_ttl,
                expires_at,
            } => {
                let settings = ApiKeySettings {
                    auto_trust,
                    allow_untrusted_endpoints,
                    allow_unauthenticated_requests,
                    access_token_ttl,
                    refresh_token_ttl,
                    expires_at,
                };
                let created = admin::create_api_key(store, &name, settings, now()).await?;
                eprintln!("API key id {}", created.key.id);
                println!("{}", created.value);
            }
            ApiKeyCommand::List => {
                for key in store.list_api_keys().await? {
                    println!(
                        "{}",
                        serde_json::json!({
                            "id": key.id, "name": key.name, "disabled": key.disabled,
                            "auto_trust": key.settings.auto_trust,
                            "access_token_ttl": key.settings.lifetimes().access_token_ttl,
                            "refresh_token_ttl": key.settings.lifetimes().refresh_token_ttl,
                            "expires_at": key.settings.expires_at,
                        })
                    );
                }
            }
            ApiKeyCommand::Disable { id } => {
                store.disable_api_key(&id).await?;
                eprintln!("API key {id} disabled");
            }
        },
        Command::Device { command } => {
            let (client_id, action) = match command {
                DeviceCommand::List { status } => {
                    let status = DeviceStatus::parse(&status).ok_or_else(|| {
                        Error::invalid_request(format!(
                            "--status must be one of: {}",
                            DeviceStatus::expected()
                        ))
                    })?;
                    for d in admin::list_devices(store, status).await? {
                        println!(
                            "{}",
                            serde_json::json!({
                                "client_id": d.client_id, "client_type": d.client_type.as_str(),
                                "client_description": d.client_description, "status": d.status.as_str(),
                                "key_type": d.key.map(|k| k.key_type.as_str()),
                                "created_at": d.created_at, "updated_at": d.updated_at,
                            })
                        );
                    }
                    return Ok(());
                }
                DeviceCommand::Approve { client_id } => (client_id, DeviceAction::Approve),
                DeviceCommand::Deny { client_id } => (client_id, DeviceAction::Deny),
                DeviceCommand::Revoke { client_id } => (client_id, DeviceAction::Revoke),
            };
            let device = admin::act_on_device(store, &client_id, action, now()).await?;
            eprintln!(
                "device {} is now {}",
                device.client_id,
                device.status.as_str()
            );
        }
    }
    Ok(())
}
