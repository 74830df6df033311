//! `devicegate client`: create, list, disable, delete.

use clap::Subcommand;
use devicegate::api::admin::views::ClientView;
use devicegate::http::now;
use devicegate::model::{GrantType, OAuthClientType, Scope};
use devicegate::usecases::admin::{self, ClientAction, NewClient};
use devicegate::{Error, Store};

use super::{cli_origin, print_json};

#[derive(Subcommand)]
pub enum ClientCommand {
    /// Create a client; prints it as JSON on stdout, with `client_secret` for a confidential
    /// client (shown this once).
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

pub async fn run(command: ClientCommand, store: &Store) -> Result<(), Error> {
    let (client_id, action) = match command {
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
            let new = NewClient {
                scopes: Scope::from_tokens(scopes.iter().map(String::as_str))?,
                access_token_ttl,
                refresh_token_ttl,
                introspection,
                ..NewClient::new(name, client_type, grant_types)
            };
            let created = admin::create_client(store, new, now(), &cli_origin()).await?;
            return print_json(&ClientView::new(&created.client, created.secret.as_deref()));
        }
        ClientCommand::List { username } => {
            for client in admin::list_clients(store, username.as_deref()).await? {
                print_json(&ClientView::new(&client, None))?;
            }
            return Ok(());
        }
        ClientCommand::Disable { client_id } => (client_id, ClientAction::Disable),
        ClientCommand::Delete { client_id } => (client_id, ClientAction::Delete),
    };
    admin::act_on_client(store, &client_id, action, now(), &cli_origin()).await?;
    match action {
        ClientAction::Disable => eprintln!("client {client_id} disabled"),
        ClientAction::Delete => eprintln!("client {client_id} deleted; its tokens are revoked"),
    }
    Ok(())
}
