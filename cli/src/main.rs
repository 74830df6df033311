//! `devicegate`: the operator's command-line tool. It talks to DynamoDB with the operator's AWS
//! credentials, or to a local server named by `AWS_ENDPOINT_URL_DYNAMODB`; table names come from
//! the same environment variables the functions read (defaults: `devicegate-*`).

use clap::{Parser, Subcommand};
use devicegate::model::{ApiKeySettings, DeviceStatus, GrantType, OAuthClientType, Scope};
use devicegate::storage::schema;
use devicegate::usecases::admin::{self, DeviceAction, NewClient, NewUser};
use devicegate::usecases::client_registration::{self, NewInitialAccessToken};
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
}

#[derive(Subcommand)]
enum TemplateCommand {
    /// Define a template apps register as (`app_product_id`).
    Create {
        #[arg(long)]
        id: String,
        /// Redirect URIs the app may use (repeatable), e.g. com.example.app://oauth2redirect.
        #[arg(long = "redirect-uri", required = true)]
        redirect_uris: Vec<String>,
        /// Scopes instances may ask for (repeatable).
        #[arg(long = "scope")]
        scopes: Vec<String>,
        #[arg(long)]
        access_token_ttl: Option<i64>,
        #[arg(long)]
        refresh_token_ttl: Option<i64>,
        /// Instances may not use the refresh_token grant.
        #[arg(long)]
        no_refresh_tokens: bool,
    },
    /// List templates as JSON lines.
    List,
    /// Disable a template: no new registrations (instances keep working).
    Disable { id: String },
}

#[derive(Subcommand)]
enum InitialAccessTokenCommand {
    /// Issue a token and print it alone on stdout (shown this once).
    Create {
        #[arg(long)]
        name: String,
        /// How many registrations it allows; unlimited until it expires when left out.
        #[arg(long)]
        max_uses: Option<i64>,
        /// Seconds until it expires (at most 30 days).
        #[arg(long, default_value_t = 86_400)]
        expires_in: i64,
    },
    /// List tokens as JSON lines (never their values).
    List,
    /// Disable a token by id.
    Disable { id: String },
}

#[derive(Subcommand)]
enum ClientCommand {
    /// Create a client; prints {"client_id", "client_secret"?} as JSON on stdout (the secret,
    /// for a confidential client, is shown this once).
    Create {
        #[arg(long)]
        name: String,
        /// public (a CLI, an app: no secret) or confidential (a server: gets a secret).
        #[arg(long, default_value = "public")]
        client_type: String,
        /// Allowed grants (repeatable); default: the device code grant and refresh_token.
        #[arg(long = "grant-type")]
        grant_types: Vec<String>,
        /// Scopes the client may ask for (repeatable).
        #[arg(long = "scope")]
        scopes: Vec<String>,
        #[arg(long)]
        access_token_ttl: Option<i64>,
        #[arg(long)]
        refresh_token_ttl: Option<i64>,
        /// Allow this (confidential) client to introspect tokens: a resource server.
        #[arg(long)]
        introspection: bool,
    },
    /// List clients as JSON lines (`--username U`: that user's VMware app instances).
    List {
        #[arg(long)]
        username: Option<String>,
    },
    /// Disable a client: its tokens stop refreshing and introspect as inactive.
    Disable { client_id: String },
    /// Delete a self-registered client: its tokens are revoked and the client removed.
    Delete { client_id: String },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user; the password is read from the first line of stdin (never an argument,
    /// which other users of the machine could see).
    Create {
        #[arg(long)]
        username: String,
        #[arg(long)]
        display_name: Option<String>,
        #[arg(long)]
        email: Option<String>,
    },
    /// List users as JSON lines.
    List,
    /// Disable a user: they can no longer sign in, and tokens they approved stop working.
    Disable { username: String },
    /// Set a new password, read from the first line of stdin.
    Password { username: String },
    /// Set a password-less sign-in identifier (card id or short id), read from the first line
    /// of stdin (stored only as a keyed hash: needs SERVER_SECRET), or clear it.
    LoginId {
        username: String,
        #[arg(long, value_parser = ["card-id", "short-id"])]
        kind: String,
        #[arg(long)]
        clear: bool,
    },
}

fn password_from_stdin() -> Result<String, Error> {
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| Error::invalid_request(format!("reading the password from stdin: {e}")))?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
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
        #[command(flatten)]
        settings: ApiKeyFlags,
    },
    /// List API keys as JSON lines.
    List,
    /// Disable an API key by id: its devices' and users' tokens stop working.
    Disable { id: String },
    /// Change an API key's policies; only the flags given change.
    Update {
        id: String,
        #[arg(long)]
        auto_trust: Option<bool>,
        /// Let users sign in (POST /api/v1/login) without a device token.
        #[arg(long)]
        allow_untrusted_endpoints: Option<bool>,
        /// Let protected routes be called without a user token, and users sign in without a
        /// password from a trusted device.
        #[arg(long)]
        allow_unauthenticated_requests: Option<bool>,
        #[arg(long)]
        access_token_ttl: Option<i64>,
        #[arg(long)]
        refresh_token_ttl: Option<i64>,
        /// Epoch seconds after which the key stops working.
        #[arg(long)]
        expires_at: Option<i64>,
        /// Allow only these networks (CIDR, repeatable); replaces the list.
        #[arg(long = "allowed-source")]
        allowed_sources: Vec<String>,
        /// Allow every source address again.
        #[arg(long, conflicts_with = "allowed_sources")]
        any_source: bool,
    },
}

/// The settings of a new API key, as flags.
#[derive(clap::Args)]
struct ApiKeyFlags {
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
    /// Allow only these source networks (CIDR, repeatable); any when left out.
    #[arg(long = "allowed-source")]
    allowed_sources: Vec<String>,
}

impl From<ApiKeyFlags> for ApiKeySettings {
    fn from(flags: ApiKeyFlags) -> ApiKeySettings {
        ApiKeySettings {
            auto_trust: flags.auto_trust,
            allow_untrusted_endpoints: flags.allow_untrusted_endpoints,
            allow_unauthenticated_requests: flags.allow_unauthenticated_requests,
            access_token_ttl: flags.access_token_ttl,
            refresh_token_ttl: flags.refresh_token_ttl,
            expires_at: flags.expires_at,
            allowed_sources: flags.allowed_sources,
        }
    }
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
    } = cli.command
    {
        let options = devicegate_cli::serve::Options {
            listen,
            data,
            dynamodb_endpoint,
            json_logs: log_format == "json",
        };
        return match devicegate_cli::serve::run(options).await {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("devicegate serve: {e}");
                std::process::ExitCode::FAILURE
            }
        };
    }
    let store = Store::new(devicegate::dynamodb_client().await, Tables::from_env());
    match run(cli.command, &store).await {
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

/// Prints a listing as JSON lines (one object per item), so that it pipes into `jq`.
fn print_json_lines<T>(items: Vec<T>, row: impl Fn(T) -> serde_json::Value) {
    for item in items {
        println!("{}", row(item));
    }
}

async fn run(command: Command, store: &Store) -> Result<(), Error> {
    match command {
        // Handled in `main`, before any store is made.
        #[cfg(feature = "serve")]
        Command::Serve { .. } | Command::Store { .. } => {}
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
            let seeded = devicegate_cli::examples::seed_examples(store, &settings, now()).await?;
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
            ApiKeyCommand::Create { name, settings } => {
                let created = admin::create_api_key(store, &name, settings.into(), now()).await?;
                eprintln!("API key id {}", created.key.id);
                println!("{}", created.value);
            }
            ApiKeyCommand::List => {
                print_json_lines(store.list_api_keys().await?, |key| {
                    serde_json::json!({
                        "id": key.id, "name": key.name, "disabled": key.disabled,
                        "auto_trust": key.settings.auto_trust,
                        "allow_untrusted_endpoints": key.settings.allow_untrusted_endpoints,
                        "allow_unauthenticated_requests": key.settings.allow_unauthenticated_requests,
                        "allowed_sources": key.settings.allowed_sources,
                        "access_token_ttl": key.settings.lifetimes().access_token_ttl,
                        "refresh_token_ttl": key.settings.lifetimes().refresh_token_ttl,
                        "expires_at": key.settings.expires_at,
                    })
                });
            }
            ApiKeyCommand::Disable { id } => {
                admin::disable_api_key(store, &id).await?;
                eprintln!("API key {id} disabled");
            }
            ApiKeyCommand::Update {
                id,
                auto_trust,
                allow_untrusted_endpoints,
                allow_unauthenticated_requests,
                access_token_ttl,
                refresh_token_ttl,
                expires_at,
                allowed_sources,
                any_source,
            } => {
                let change = admin::ApiKeySettingsChange {
                    auto_trust,
                    allow_untrusted_endpoints,
                    allow_unauthenticated_requests,
                    access_token_ttl,
                    refresh_token_ttl,
                    expires_at,
                    allowed_sources: if any_source {
                        Some(Vec::new())
                    } else {
                        (!allowed_sources.is_empty()).then_some(allowed_sources)
                    },
                };
                let key = admin::change_api_key_settings(store, &id, change, now()).await?;
                println!(
                    "{}",
                    serde_json::json!({
                        "id": key.id, "auto_trust": key.settings.auto_trust,
                        "allow_untrusted_endpoints": key.settings.allow_untrusted_endpoints,
                        "allow_unauthenticated_requests": key.settings.allow_unauthenticated_requests,
                        "allowed_sources": key.settings.allowed_sources,
                        "expires_at": key.settings.expires_at,
                    })
                );
            }
        },
        Command::Device { command } => {
            let (client_id, action) = match command {
                DeviceCommand::List { status } => {
                    let status = DeviceStatus::parse_field("--status", &status)?;
                    print_json_lines(admin::list_devices(store, status).await?, |d| {
                        serde_json::json!({
                            "client_id": d.client_id, "client_type": d.client_type.as_str(),
                            "client_description": d.client_description, "status": d.status.as_str(),
                            "key_type": d.key.map(|k| k.key_type.as_str()),
                            "created_at": d.created_at, "updated_at": d.updated_at,
                        })
                    });
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
        Command::Client { command } => match command {
            ClientCommand::Create {
                name,
                client_type,
                grant_types,
                scopes,
                access_token_ttl,
                refresh_token_ttl,
                introspection,
            } => {
                let client_type = OAuthClientType::parse_field("--client-type", &client_type)?;
                let grant_types = if grant_types.is_empty() {
                    vec![GrantType::DeviceCode, GrantType::RefreshToken]
                } else {
                    grant_types
                        .iter()
                        .map(|g| GrantType::parse_field("--grant-type", g))
                        .collect::<Result<_, _>>()?
                };
                let created = admin::create_client(
                    store,
                    NewClient {
                        client_name: name,
                        client_type,
                        grant_types,
                        scopes: Scope::from_tokens(scopes.iter().map(String::as_str))?,
                        redirect_uris: vec![],
                        access_token_ttl,
                        refresh_token_ttl,
                        introspection,
                    },
                    now(),
                )
                .await?;
                println!(
                    "{}",
                    serde_json::json!({
                        "client_id": created.client.client_id,
                        "client_secret": created.secret,
                    })
                );
            }
            ClientCommand::List { username } => {
                let mut clients = store.list_clients().await?;
                if let Some(username) = username {
                    clients.retain(|c| c.instance.as_ref().is_some_and(|i| i.username == username));
                }
                print_json_lines(clients, |c| {
                    serde_json::json!({
                        "client_id": c.client_id, "client_name": c.client_name,
                        "client_type": c.client_type.as_str(),
                        "grant_types": c.grant_types.iter().map(|g| g.as_str()).collect::<Vec<_>>(),
                        "scopes": c.scopes.tokens(), "disabled": c.disabled,
                        "origin": c.origin.as_str(), "last_used_at": c.last_used_at,
                        "expires_at": c.expires_at, "instance": c.instance,
                    })
                });
            }
            ClientCommand::Disable { client_id } => {
                store.disable_client(&client_id).await?;
                eprintln!("client {client_id} disabled");
            }
            ClientCommand::Delete { client_id } => {
                admin::delete_client(store, &client_id, now()).await?;
                eprintln!("client {client_id} deleted; its tokens are revoked");
            }
        },
        Command::Template { command } => match command {
            TemplateCommand::Create {
                id,
                redirect_uris,
                scopes,
                access_token_ttl,
                refresh_token_ttl,
                no_refresh_tokens,
            } => {
                let template = devicegate::usecases::vmware::create_template(
                    store,
                    devicegate::usecases::vmware::NewTemplate {
                        template_id: id,
                        redirect_uris,
                        scopes: devicegate::model::Scope::from_tokens(
                            scopes.iter().map(String::as_str),
                        )?,
                        access_token_ttl,
                        refresh_token_ttl,
                        issue_refresh_tokens: !no_refresh_tokens,
                    },
                    now(),
                )
                .await?;
                eprintln!("template {} created", template.template_id);
            }
            TemplateCommand::List => {
                print_json_lines(store.list_templates().await?, |t| {
                    serde_json::json!({
                        "template_id": t.template_id, "redirect_uris": t.redirect_uris,
                        "scopes": t.scopes.tokens(), "disabled": t.disabled,
                        "issue_refresh_tokens": t.issue_refresh_tokens,
                    })
                });
            }
            TemplateCommand::Disable { id } => {
                store.disable_template(&id).await?;
                eprintln!("template {id} disabled");
            }
        },
        Command::InitialAccessToken { command } => match command {
            InitialAccessTokenCommand::Create {
                name,
                max_uses,
                expires_in,
            } => {
                let (_, value) = client_registration::issue_initial_access_token(
                    store,
                    NewInitialAccessToken {
                        name,
                        max_uses,
                        expires_in,
                    },
                    now(),
                )
                .await?;
                println!("{value}");
            }
            InitialAccessTokenCommand::List => {
                print_json_lines(store.list_initial_access_tokens().await?, |t| {
                    serde_json::json!({
                        "id": t.id, "name": t.name, "max_uses": t.max_uses, "uses": t.uses,
                        "expires_at": t.expires_at, "disabled": t.disabled,
                    })
                });
            }
            InitialAccessTokenCommand::Disable { id } => {
                store.disable_initial_access_token(&id).await?;
                eprintln!("initial access token {id} disabled");
            }
        },
        Command::User { command } => match command {
            UserCommand::Create {
                username,
                display_name,
                email,
            } => {
                let password = password_from_stdin()?;
                let user = admin::create_user(
                    store,
                    NewUser {
                        username,
                        password,
                        display_name,
                        email,
                    },
                    now(),
                )
                .await?;
                eprintln!("user {} created", user.username);
            }
            UserCommand::List => {
                print_json_lines(store.list_users().await?, |u| {
                    serde_json::json!({
                        "username": u.username, "display_name": u.display_name,
                        "email": u.email, "disabled": u.disabled,
                    })
                });
            }
            UserCommand::Disable { username } => {
                admin::disable_user(store, &username, now()).await?;
                eprintln!("user {username} disabled");
            }
            UserCommand::Password { username } => {
                let password = password_from_stdin()?;
                admin::reset_password(store, &username, &password, now()).await?;
                eprintln!("password of {username} changed");
            }
            UserCommand::LoginId {
                username,
                kind,
                clear,
            } => {
                let settings = devicegate::Settings::from_env().map_err(Error::invalid_request)?;
                let value = if clear {
                    None
                } else {
                    Some(password_from_stdin()?)
                };
                let change = Some(value.as_deref());
                let (card_id, short_id) = if kind == "card-id" {
                    (change, None)
                } else {
                    (None, change)
                };
                admin::set_login_ids(
                    store,
                    settings.server_secret()?,
                    &username,
                    card_id,
                    short_id,
                    now(),
                )
                .await?;
                eprintln!(
                    "{kind} of {username} {}",
                    if clear { "cleared" } else { "set" }
                );
            }
        },
    }
    Ok(())
}
