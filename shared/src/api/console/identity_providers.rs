//! The console's identity-provider actions and listing: the admin use cases the JSON routes
//! under `/admin/identity-providers` call, with the form's text fields read as lists.

use std::collections::BTreeMap;

use super::super::admin::unknown_action;
use crate::Deps;
use crate::error::Error;
use crate::http::{Form, now};
use crate::model::IdentityProvider;
use crate::usecases::admin::{self, IdentityProviderChanges, NewIdentityProvider};
use crate::usecases::federation::callback_url;
use crate::web::console::{Content, Notice, ProviderRow};

/// Space- or comma-separated words, or nothing when the field is empty.
fn words(form: &Form, field: &str) -> Option<Vec<String>> {
    form.optional(field).map(|text| {
        text.split([' ', ',', '\n'])
            .filter(|w| !w.trim().is_empty())
            .map(|w| w.trim().to_owned())
            .collect()
    })
}

/// `claim=value` pairs.
fn claims(form: &Form, field: &str) -> Result<Option<BTreeMap<String, String>>, Error> {
    let Some(pairs) = words(form, field) else {
        return Ok(None);
    };
    pairs
        .iter()
        .map(|pair| match pair.split_once('=') {
            Some((claim, value)) => Ok((claim.to_owned(), value.to_owned())),
            None => Err(Error::invalid_request(format!(
                "{field}: \"{pair}\" is not claim=value"
            ))),
        })
        .collect::<Result<_, _>>()
        .map(Some)
}

pub(super) async fn act(
    deps: &Deps,
    action: &str,
    form: &Form,
    origin: &crate::model::Origin,
) -> Result<Notice, Error> {
    let store = &deps.store;
    let secret = deps.settings.server_secret()?;
    let done = |what: &str, name: &str| Ok(Notice::Done(format!("{what} {name}.")));
    match action {
        "create" => {
            let new = NewIdentityProvider {
                name: form.required("name")?.to_owned(),
                issuer: form.required("issuer")?.to_owned(),
                client_id: form.required("client_id")?.to_owned(),
                client_secret: form.required("client_secret")?.to_owned(),
                scopes: words(form, "scopes"),
                username_claim: form.optional("username_claim").map(str::to_owned),
                allowed_email_domains: words(form, "allowed_email_domains"),
                required_claims: claims(form, "required_claims")?,
                admin_claims: claims(form, "admin_claims")?,
                // A checkbox left unticked is absent from the form.
                jit: Some(form.optional("jit").is_some()),
                enabled: Some(form.optional("enabled").is_some()),
            };
            let provider =
                admin::create_identity_provider(store, secret, new, now(), origin).await?;
            done("Added identity provider", &provider.name)
        }
        "enable" | "disable" => {
            let changes = IdentityProviderChanges {
                enabled: Some(action == "enable"),
                ..IdentityProviderChanges::default()
            };
            let id = form.key("id")?;
            let provider =
                admin::update_identity_provider(store, secret, id, changes, now(), origin).await?;
            let what = if provider.enabled {
                "Enabled"
            } else {
                "Disabled"
            };
            done(&format!("{what} identity provider"), &provider.name)
        }
        "delete" => {
            let id = form.key("id")?;
            admin::delete_identity_provider(store, id, origin).await?;
            done("Removed identity provider", id)
        }
        other => Err(unknown_action(other)),
    }
}

/// The providers, each with the redirect URI to register at it (the same for all).
pub(super) fn rows(providers: Vec<IdentityProvider>, base: &str) -> Content {
    let redirect_uri = callback_url(base);
    let rows = providers
        .into_iter()
        .map(|provider| ProviderRow {
            provider,
            redirect_uri: redirect_uri.clone(),
        })
        .collect();
    Content::IdentityProviders(rows, redirect_uri)
}
