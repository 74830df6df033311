//! `devicegate api-key`: create, list, disable, update.

use clap::Subcommand;
use devicegate::api::admin::views::ApiKeyView;
use devicegate::http::now;
use devicegate::model::ApiKeySettings;
use devicegate::usecases::admin::{self, ApiKeySettingsChange};
use devicegate::{Error, Store};

use super::{cli_origin, print_json};

#[derive(Subcommand)]
pub enum ApiKeyCommand {
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
pub struct ApiKeyFlags {
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

pub async fn run(command: ApiKeyCommand, store: &Store) -> Result<(), Error> {
    match command {
        ApiKeyCommand::Create { name, settings } => {
            let created =
                admin::create_api_key(store, &name, settings.into(), now(), &cli_origin()).await?;
            eprintln!("API key id {}", created.key.id);
            println!("{}", created.value);
        }
        ApiKeyCommand::List => {
            for key in admin::list_api_keys(store).await? {
                print_json(&ApiKeyView::new(&key, None))?;
            }
        }
        ApiKeyCommand::Disable { id } => {
            admin::disable_api_key(store, &id, &cli_origin()).await?;
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
            let change = ApiKeySettingsChange {
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
            let key =
                admin::change_api_key_settings(store, &id, change, now(), &cli_origin()).await?;
            print_json(&ApiKeyView::new(&key, None))?;
        }
    }
    Ok(())
}
