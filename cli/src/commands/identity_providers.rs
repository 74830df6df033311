//! `devicegate idp`: upstream OpenID Providers people sign in with (docs/federation.md): add,
//! list, update, remove. The client secret is read from stdin, sealed under SERVER_SECRET (the
//! stack's server secret), and never printed. Listings are the admin API's view, whose
//! `redirect_uri` is built from ISSUER (the URL to register at the provider).

use std::collections::BTreeMap;

use clap::Subcommand;
use devicegate::api::admin::identity_providers::IdentityProviderView;
use devicegate::http::now;
use devicegate::usecases::admin::{self, IdentityProviderChanges, NewIdentityProvider};
use devicegate::{Error, Store};

use super::{print_json, secret_from_stdin};

#[derive(Subcommand)]
pub enum IdpCommand {
    /// Add a provider (its issuer is discovered first); the client secret from stdin.
    Add {
        /// Shown on the sign-in button.
        #[arg(long)]
        name: String,
        /// The provider's issuer URL (https://, or http:// on loopback).
        #[arg(long)]
        issuer: String,
        #[arg(long)]
        client_id: String,
        /// Scopes to ask for (repeatable; default openid email profile).
        #[arg(long = "scope")]
        scopes: Vec<String>,
        /// The claim a new user's username comes from (default preferred_username, else email).
        #[arg(long)]
        username_claim: Option<String>,
        /// Only people with a verified email in this domain (repeatable).
        #[arg(long = "allowed-email-domain")]
        allowed_email_domains: Vec<String>,
        /// A claim the ID token must carry, as NAME=VALUE (repeatable), e.g. groups=fleet.
        #[arg(long = "require-claim", value_parser = claim_pair)]
        required_claims: Vec<(String, String)>,
        /// Make it an admin provider: a person whose ID token also carries this claim, as
        /// NAME=VALUE (repeatable), may sign in to the admin console with it.
        #[arg(long = "admin-claim", value_parser = claim_pair)]
        admin_claims: Vec<(String, String)>,
        /// Do not create users on first sign-in: only linked users may sign in.
        #[arg(long)]
        no_jit: bool,
        /// Add it disabled.
        #[arg(long)]
        disabled: bool,
    },
    /// List providers as JSON lines (never a secret).
    List,
    /// Change a provider: only the flags given change.
    Update {
        id: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        issuer: Option<String>,
        #[arg(long)]
        client_id: Option<String>,
        /// Read a new client secret from stdin.
        #[arg(long)]
        client_secret_from_stdin: bool,
        #[arg(long)]
        enabled: Option<bool>,
        #[arg(long)]
        jit: Option<bool>,
    },
    /// Remove a provider: its sign-ins stop; its users stay.
    Remove { id: String },
}

fn claim_pair(text: &str) -> Result<(String, String), String> {
    text.split_once('=')
        .map(|(n, v)| (n.to_owned(), v.to_owned()))
        .ok_or_else(|| "use NAME=VALUE".to_owned())
}

fn issuer() -> String {
    std::env::var("ISSUER").unwrap_or_else(|_| "http://127.0.0.1:9000".to_owned())
}

pub async fn run(command: IdpCommand, store: &Store) -> Result<(), Error> {
    let settings = || devicegate::Settings::from_env().map_err(Error::invalid_request);
    match command {
        IdpCommand::Add {
            name,
            issuer: upstream,
            client_id,
            scopes,
            username_claim,
            allowed_email_domains,
            required_claims,
            admin_claims,
            no_jit,
            disabled,
        } => {
            let settings = settings()?;
            let new = NewIdentityProvider {
                name,
                issuer: upstream,
                client_id,
                client_secret: secret_from_stdin()?,
                scopes: (!scopes.is_empty()).then_some(scopes),
                username_claim,
                allowed_email_domains: Some(allowed_email_domains),
                required_claims: Some(required_claims.into_iter().collect::<BTreeMap<_, _>>()),
                admin_claims: Some(admin_claims.into_iter().collect::<BTreeMap<_, _>>()),
                jit: Some(!no_jit),
                enabled: Some(!disabled),
            };
            let provider = admin::create_identity_provider(
                store,
                settings.server_secret()?,
                new,
                now(),
                &super::cli_origin(),
            )
            .await?;
            print_json(&IdentityProviderView::new(&provider, &issuer()))?;
            eprintln!("identity provider {} added", provider.id);
        }
        IdpCommand::List => {
            for provider in admin::list_identity_providers(store).await? {
                print_json(&IdentityProviderView::new(&provider, &issuer()))?;
            }
        }
        IdpCommand::Update {
            id,
            name,
            issuer: upstream,
            client_id,
            client_secret_from_stdin,
            enabled,
            jit,
        } => {
            let settings = settings()?;
            let changes = IdentityProviderChanges {
                name,
                issuer: upstream,
                client_id,
                client_secret: if client_secret_from_stdin {
                    Some(secret_from_stdin()?)
                } else {
                    None
                },
                enabled,
                jit,
                ..IdentityProviderChanges::default()
            };
            let provider = admin::update_identity_provider(
                store,
                settings.server_secret()?,
                &id,
                changes,
                now(),
                &super::cli_origin(),
            )
            .await?;
            print_json(&IdentityProviderView::new(&provider, &issuer()))?;
        }
        IdpCommand::Remove { id } => {
            admin::delete_identity_provider(store, &id, &super::cli_origin()).await?;
            eprintln!("identity provider {id} removed");
        }
    }
    Ok(())
}
