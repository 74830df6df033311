//! `devicegate initial-access-token`: create, list, disable.

use clap::Subcommand;
use devicegate::api::admin::views::InitialAccessTokenView;
use devicegate::http::now;
use devicegate::usecases::admin::{self, NewInitialAccessToken};
use devicegate::{Error, Store};

use super::{cli_origin, print_json};

#[derive(Subcommand)]
pub enum InitialAccessTokenCommand {
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

pub async fn run(command: InitialAccessTokenCommand, store: &Store) -> Result<(), Error> {
    match command {
        InitialAccessTokenCommand::Create {
            name,
            max_uses,
            expires_in,
        } => {
            let new = NewInitialAccessToken {
                name,
                max_uses,
                expires_in,
            };
            let (_, value) =
                admin::issue_initial_access_token(store, new, now(), &cli_origin()).await?;
            println!("{value}");
        }
        InitialAccessTokenCommand::List => {
            for token in admin::list_initial_access_tokens(store).await? {
                print_json(&InitialAccessTokenView::new(&token, None))?;
            }
        }
        InitialAccessTokenCommand::Disable { id } => {
            admin::disable_initial_access_token(store, &id, &cli_origin()).await?;
            eprintln!("initial access token {id} disabled");
        }
    }
    Ok(())
}
