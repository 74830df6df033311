//! The console's actions: each the admin use case the JSON admin API calls for it.

use super::super::admin::unknown_action;
use super::{forms, identity_providers};
use crate::Deps;
use crate::error::Error;
use crate::http::{Form, now};
use crate::model::ApiKeySettings;
use crate::usecases::admin::{self, ClientAction, DeviceAction, NewUser};
use crate::web::console::{Notice, Section};

/// One action of a section: the use case the JSON admin API calls for it.
pub(super) async fn act(
    deps: &Deps,
    section: Section,
    action: &str,
    form: &Form,
    origin: &crate::model::Origin,
) -> Result<Notice, Error> {
    let store = &deps.store;
    let done = |what: &str, name: &str| -> Result<Notice, Error> {
        Ok(Notice::Done(format!("{what} {name}.")))
    };
    match (section, action) {
        (Section::Devices, action) => {
            let client_id = form.key("client_id")?;
            let action = DeviceAction::parse(action).ok_or_else(|| unknown_action(action))?;
            let device = admin::act_on_device(store, client_id, action, now(), origin).await?;
            done(
                &format!("Device is now {}:", device.status.as_str()),
                &device.client_id,
            )
        }
        (Section::ApiKeys, "create") => {
            let settings = ApiKeySettings {
                auto_trust: form.optional("auto_trust").is_some(),
                allow_untrusted_endpoints: form.optional("allow_untrusted_endpoints").is_some(),
                allow_unauthenticated_requests: form
                    .optional("allow_unauthenticated_requests")
                    .is_some(),
                access_token_ttl: seconds(form, "access_token_ttl")?,
                refresh_token_ttl: seconds(form, "refresh_token_ttl")?,
                expires_at: None,
                allowed_sources: Vec::new(),
            };
            let name = form.required("name")?;
            let created = admin::create_api_key(store, name, settings, now(), origin).await?;
            Ok(Notice::NewApiKey(created))
        }
        (Section::ApiKeys, "settings") => {
            let change = forms::settings_change(form)?;
            let id = form.key("id")?;
            let key = admin::change_api_key_settings(store, id, change, now(), origin).await?;
            done("Saved the settings of API key", &key.name)
        }
        (Section::ApiKeys, "disable") => {
            let key = admin::disable_api_key(store, form.key("id")?, origin).await?;
            done("Disabled API key", &key.name)
        }
        (Section::Clients, "create") => {
            let created =
                admin::create_client(store, forms::new_client(form)?, now(), origin).await?;
            let c = &created.client;
            let text = format!("Created client {} ({})", c.client_name, c.client_id);
            Ok(match created.secret {
                Some(value) => Notice::Secret {
                    text: format!("{text}; its secret is below."),
                    value,
                },
                None => Notice::Done(format!("{text}.")),
            })
        }
        (Section::Clients, action) => {
            let action = ClientAction::parse(action).ok_or_else(|| unknown_action(action))?;
            let client =
                admin::act_on_client(store, form.key("client_id")?, action, now(), origin).await?;
            let what = match action {
                ClientAction::Disable => "Disabled client",
                ClientAction::Delete => "Deleted client",
            };
            done(what, &client.client_id)
        }
        (Section::Users, "create") => {
            let new = NewUser {
                username: form.required("username")?.to_owned(),
                password: form.required("password")?.to_owned(),
                display_name: form.optional("display_name").map(str::to_owned),
                email: form.optional("email").map(str::to_owned),
                email_verified: form.optional("email_verified") == Some("on"),
            };
            let user = admin::create_user(store, new, now(), origin).await?;
            done("Created user", &user.username)
        }
        (Section::Users, "disable") => {
            let user = admin::disable_user(store, form.key("username")?, now(), origin).await?;
            done("Disabled user", &user.username)
        }
        (Section::Users, "unlock") => {
            let username = form.key("username")?;
            admin::lift_user_limits(store, username, None, now(), origin).await?;
            done("Lifted the limits of", username)
        }
        (Section::Users, "password") => {
            let username = form.key("username")?;
            let password = form.required("password")?;
            let user = admin::reset_password(store, username, password, now(), origin).await?;
            done("Set a new password for", &user.username)
        }
        (Section::Templates, "create") => {
            let template =
                admin::create_template(store, forms::new_template(form)?, now(), origin).await?;
            done("Created template", &template.template_id)
        }
        (Section::Templates, "disable") => {
            let template = admin::disable_template(store, form.key("id")?, origin).await?;
            done("Disabled template", &template.template_id)
        }
        (Section::InitialAccessTokens, "create") => {
            let new = forms::new_token(form)?;
            let (token, value) =
                admin::issue_initial_access_token(store, new, now(), origin).await?;
            Ok(Notice::Secret {
                text: format!(
                    "Issued initial access token {}; its value is below.",
                    token.name
                ),
                value,
            })
        }
        (Section::InitialAccessTokens, "disable") => {
            let id = form.key("id")?;
            let token = admin::disable_initial_access_token(store, id, origin).await?;
            done("Disabled initial access token", &token.name)
        }
        (Section::IdentityProviders, action) => {
            identity_providers::act(deps, action, form, origin).await
        }
        (_, other) => Err(unknown_action(other)),
    }
}

/// An optional whole number of seconds from a form field.
fn seconds(form: &Form, field: &str) -> Result<Option<i64>, Error> {
    form.optional(field)
        .map(|text| {
            text.trim()
                .parse()
                .map_err(|_| Error::invalid_request(format!("{field} must be whole seconds")))
        })
        .transpose()
}
