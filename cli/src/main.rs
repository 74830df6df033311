//! `devicegate`: the operator's command-line tool. It talks to DynamoDB with the operator's AWS
//! credentials, or to a local server named by `AWS_ENDPOINT_URL_DYNAMODB`; table names come from
//! the same environment variables the functions read (defaults: `devicegate-*`). This file
//! parses the arguments and dispatches; each administration command is in [`commands`].

mod commands;

use clap::{Parser, Subcommand};
use commands::api_keys::ApiKeyCommand;
use commands::clients::ClientCommand;
use commands::devices::DeviceCommand;
use commands::identity_providers::IdpCommand;
use commands::initial_access_tokens::InitialAccessTokenCommand;
use commands::keys::KeysCommand;
use commands::templates::TemplateCommand;
use commands::users::UserCommand;
use devicegate::{Error, Store, Tables};

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
    /// Serve only the embedded DynamoDB-compatible store (dynoxide) on a loopback address, its
    /// data in --data: for `cargo lambda watch`, and for load runs that measure the store's CPU
    /// apart from devicegate's.
    #[cfg(feature = "serve")]
    Store {
        #[arg(long, default_value = "127.0.0.1:8000")]
        listen: std::net::SocketAddr,
        #[arg(long, default_value = ".local")]
        data: std::path::PathBuf,
    },
    /// Serve every route of every function on one local address, over an embedded
    /// DynamoDB-compatible store (or --dynamodb-endpoint); Ctrl-C stops it.
    #[cfg(feature = "serve")]
    Serve {
        #[arg(long, default_value = "127.0.0.1:9000")]
        listen: std::net::SocketAddr,
        /// Where the embedded store's data and the server secret are kept.
        #[arg(long, default_value = ".local")]
        data: std::path::PathBuf,
        /// Use this DynamoDB endpoint instead of the embedded store (also read from
        /// AWS_ENDPOINT_URL_DYNAMODB).
        #[arg(long, env = "AWS_ENDPOINT_URL_DYNAMODB")]
        dynamodb_endpoint: Option<String>,
        /// Log lines as JSON (`json`) or readable text (`pretty`).
        #[arg(long, default_value = "pretty", value_parser = ["pretty", "json"])]
        log_format: String,
        /// Append each audit event, as the EventBridge bus would carry it, to this file (one
        /// JSON object a line) instead of the log.
        #[arg(long)]
        events_file: Option<std::path::PathBuf>,
    },
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
    /// Manage OAuth clients.
    Client {
        #[command(subcommand)]
        command: ClientCommand,
    },
    /// Manage the users who sign in on the verification page.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage VMware mobile registration templates (app_product_id).
    Template {
        #[command(subcommand)]
        command: TemplateCommand,
    },
    /// Issue, list and disable initial access tokens (RFC 7591 §3), which registration needs
    /// when the deployment's RegistrationPolicy is initial-access-token.
    InitialAccessToken {
        #[command(subcommand)]
        command: InitialAccessTokenCommand,
    },
    /// Manage the upstream OpenID Providers people may sign in with on the pages.
    Idp {
        #[command(subcommand)]
        command: IdpCommand,
    },
    /// Read the audit trail, newest first (one JSON line per record).
    Audit(commands::audit::AuditArgs),
    /// Print a dialect's OpenAPI 3.1 document (paragon, oauth2, aws, huawei, vmware, admin), or
    /// write every document into a folder (`--write docs/openapi`).
    Openapi {
        /// The dialect; all of them with --write.
        dialect: Option<String>,
        /// Write `<dialect>.json` for every dialect into this folder.
        #[arg(long, value_name = "DIR")]
        write: Option<std::path::PathBuf>,
    },
    /// Rotate and list the OpenID Connect signing keys (a key file or a Secrets Manager secret).
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
}

#[derive(Subcommand)]
enum TablesCommand {
    Create,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    #[cfg(feature = "serve")]
    if let Command::Store { listen, data } = cli.command {
        return match devicegate_cli::serve::run_store(listen, &data).await {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("devicegate store: {e}");
                std::process::ExitCode::FAILURE
            }
        };
    }
    #[cfg(feature = "serve")]
    if let Command::Serve {
        listen,
        data,
        dynamodb_endpoint,
        log_format,
        events_file,
    } = cli.command
    {
        let options = devicegate_cli::serve::Options {
            listen,
            data,
            dynamodb_endpoint,
            json_logs: log_format == "json",
            events_file,
        };
        return match devicegate_cli::serve::run(options).await {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("devicegate serve: {e}");
                std::process::ExitCode::FAILURE
            }
        };
    }
    if let Command::Openapi { dialect, write } = cli.command {
        return report(commands::openapi::run(dialect.as_deref(), write.as_deref()));
    }
    if let Command::Keys { command } = cli.command {
        return report(commands::keys::run(command).await);
    }
    let store = Store::new(devicegate::dynamodb_client().await, Tables::from_env());
    report(run(cli.command, &store).await)
}

fn report(result: Result<(), Error>) -> std::process::ExitCode {
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            let detail = match &e {
                Error::Internal(cause) => cause.clone(),
                other => other.description(),
            };
            eprintln!(
                "devicegate: {}: {detail}",
                devicegate::http::ErrorShape::Admin.wire(&e).1
            );
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, store: &Store) -> Result<(), Error> {
    match command {
        // Handled in `main`, before any store is made.
        #[cfg(feature = "serve")]
        Command::Serve { .. } | Command::Store { .. } => Ok(()),
        Command::Keys { .. } | Command::Openapi { .. } => Ok(()),
        Command::Bootstrap { name } => commands::admin_keys::bootstrap(store, &name).await,
        Command::SeedExamples => commands::local::seed_examples(store).await,
        Command::Tables {
            command: TablesCommand::Create,
        } => commands::local::create_tables(store).await,
        Command::ApiKey { command } => commands::api_keys::run(command, store).await,
        Command::Device { command } => commands::devices::run(command, store).await,
        Command::Client { command } => commands::clients::run(command, store).await,
        Command::Template { command } => commands::templates::run(command, store).await,
        Command::InitialAccessToken { command } => {
            commands::initial_access_tokens::run(command, store).await
        }
        Command::User { command } => commands::users::run(command, store).await,
        Command::Idp { command } => commands::identity_providers::run(command, store).await,
        Command::Audit(args) => commands::audit::run(args, store).await,
    }
}
