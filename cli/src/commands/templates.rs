//! `devicegate template`: VMware mobile registration templates: create, list, disable.

use clap::Subcommand;
use devicegate::api::admin::views::TemplateView;
use devicegate::http::now;
use devicegate::model::Scope;
use devicegate::usecases::admin::{self, NewTemplate};
use devicegate::{Error, Store};

use super::{cli_origin, print_json};

#[derive(Subcommand)]
pub enum TemplateCommand {
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

pub async fn run(command: TemplateCommand, store: &Store) -> Result<(), Error> {
    match command {
        TemplateCommand::Create {
            id,
            redirect_uris,
            scopes,
            access_token_ttl,
            refresh_token_ttl,
            no_refresh_tokens,
        } => {
            let new = NewTemplate {
                template_id: id,
                redirect_uris,
                scopes: Scope::from_tokens(scopes.iter().map(String::as_str))?,
                access_token_ttl,
                refresh_token_ttl,
                issue_refresh_tokens: !no_refresh_tokens,
            };
            let template = admin::create_template(store, new, now(), &cli_origin()).await?;
            eprintln!("template {} created", template.template_id);
        }
        TemplateCommand::List => {
            for template in admin::list_templates(store).await? {
                print_json(&TemplateView::from(&template))?;
            }
        }
        TemplateCommand::Disable { id } => {
            admin::disable_template(store, &id, &cli_origin()).await?;
            eprintln!("template {id} disabled");
        }
    }
    Ok(())
}
