//! What each console section lists: the use cases of the JSON admin API's list routes.

use lambda_http::Request;

use super::{audit, identity_providers};
use crate::Deps;
use crate::dialect::rfc6749;
use crate::error::Error;
use crate::http::now;
use crate::model::DeviceStatus;
use crate::usecases::admin;
use crate::web::console::{Content, Section};

/// What a section lists: the use cases of the JSON API's list routes.
pub(super) async fn load(deps: &Deps, section: Section, req: &Request) -> Result<Content, Error> {
    let store = &deps.store;
    Ok(match section {
        Section::Devices => {
            let pending = admin::list_devices(store, DeviceStatus::Pending).await?;
            let mut by_status = Vec::new();
            for status in [
                DeviceStatus::Approved,
                DeviceStatus::Denied,
                DeviceStatus::Revoked,
            ] {
                by_status.push((status, admin::list_devices(store, status).await?));
            }
            Content::Devices { pending, by_status }
        }
        Section::ApiKeys => Content::ApiKeys(admin::list_api_keys(store).await?),
        Section::Clients => Content::Clients(admin::list_clients(store, None).await?),
        Section::Users => {
            let users = admin::list_users(store).await?;
            let names: Vec<&str> = users.iter().map(|u| u.username.as_str()).collect();
            let limits = admin::wrong_code_limits(store, &names, now()).await?;
            Content::Users(users, limits)
        }
        Section::Templates => Content::Templates(admin::list_templates(store).await?),
        Section::InitialAccessTokens => {
            Content::InitialAccessTokens(admin::list_initial_access_tokens(store).await?)
        }
        Section::IdentityProviders => {
            let base = rfc6749::base_url(req, &deps.settings)?;
            identity_providers::load(deps, &base).await?
        }
        Section::Audit => audit::load(deps, req).await?,
    })
}
