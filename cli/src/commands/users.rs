//! `devicegate user`: create, list, disable, password, login-id, limits, unlock.

use clap::Subcommand;
use devicegate::api::admin::views::UserView;
use devicegate::http::now;
use devicegate::usecases::admin::{self, NewUser};
use devicegate::{Error, Store};

use super::{cli_origin, print_json, secret_from_stdin};

#[derive(Subcommand)]
pub enum UserCommand {
    /// Create a user; the password is read from the first line of stdin (never an argument,
    /// which other users of the machine could see).
    Create {
        #[arg(long)]
        username: String,
        #[arg(long)]
        display_name: Option<String>,
        #[arg(long)]
        email: Option<String>,
        /// Vouch for the email address (OpenID Connect's `email_verified`).
        #[arg(long)]
        email_verified: bool,
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
    /// Show the user's guessing limits as JSON lines (wrong codes; with --source, also the
    /// sign-in and login limits from that address and the address's own).
    Limits {
        username: String,
        #[arg(long)]
        source: Option<String>,
    },
    /// Lift the user's guessing limits (with --source, also those from that address), and show
    /// them as `limits` does.
    Unlock {
        username: String,
        #[arg(long)]
        source: Option<String>,
    },
    /// Link a user to an upstream account: signing in with that provider is signing in as them.
    Link {
        username: String,
        /// The identity provider's id (`devicegate idp list`).
        #[arg(long)]
        idp: String,
        /// The upstream account's `sub`.
        #[arg(long)]
        subject: String,
    },
}

pub async fn run(command: UserCommand, store: &Store) -> Result<(), Error> {
    match command {
        UserCommand::Create {
            username,
            display_name,
            email,
            email_verified,
        } => {
            let new = NewUser {
                username,
                password: secret_from_stdin()?,
                display_name,
                email,
                email_verified,
            };
            let user = admin::create_user(store, new, now(), &cli_origin()).await?;
            eprintln!("user {} created", user.username);
        }
        UserCommand::List => {
            for user in admin::list_users(store).await? {
                print_json(&UserView::from(&user))?;
            }
        }
        UserCommand::Disable { username } => {
            admin::disable_user(store, &username, now(), &cli_origin()).await?;
            eprintln!("user {username} disabled");
        }
        UserCommand::Password { username } => {
            let password = secret_from_stdin()?;
            admin::reset_password(store, &username, &password, now(), &cli_origin()).await?;
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
                Some(secret_from_stdin()?)
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
                &cli_origin(),
            )
            .await?;
            eprintln!(
                "{kind} of {username} {}",
                if clear { "cleared" } else { "set" }
            );
        }
        UserCommand::Limits { username, source } => {
            for limit in admin::user_limits(store, &username, source.as_deref(), now()).await? {
                print_json(&limit)?;
            }
        }
        UserCommand::Unlock { username, source } => {
            let limits =
                admin::lift_user_limits(store, &username, source.as_deref(), now(), &cli_origin())
                    .await?;
            for limit in limits {
                print_json(&limit)?;
            }
            eprintln!("limits of {username} lifted");
        }
        UserCommand::Link {
            username,
            idp,
            subject,
        } => {
            admin::link_user(store, &username, &idp, &subject, now(), &cli_origin()).await?;
            eprintln!("user {username} linked to {subject} at {idp}");
        }
    }
    Ok(())
}
