//! What each console section lists: the use cases of the JSON admin API's list routes,
//! narrowed and paged by the admin search use case (`?q=` and `?page=`).

use lambda_http::{Request, RequestExt};

use super::{audit, identity_providers};
use crate::Deps;
use crate::dialect::rfc6749;
use crate::error::Error;
use crate::http::now;
use crate::model::DeviceStatus;
use crate::usecases::admin::{self, ListQuery, search};
use crate::web::console::{Content, Paging, Section};

/// The search box and page the address asks for.
fn query(req: &Request) -> Result<ListQuery, Error> {
    let q = req.query_string_parameters_ref();
    let get = |name: &str| q.and_then(|q| q.first(name));
    ListQuery::parse(get("q"), get("page"), get("per_page"))
}

/// A section's content, and (but for the audit trail's own filters) where its pages are.
pub(super) async fn load(
    deps: &Deps,
    section: Section,
    req: &Request,
) -> Result<(Content, Option<Paging>), Error> {
    let store = &deps.store;
    let q = query(req)?;
    let mut paging = Paging::new(q.clone());
    let content = match section {
        Section::Devices => {
            let pending = paging.take(search(
                admin::list_devices(store, DeviceStatus::Pending).await?,
                &q,
            ));
            let mut by_status = Vec::new();
            for status in [
                DeviceStatus::Approved,
                DeviceStatus::Denied,
                DeviceStatus::Revoked,
            ] {
                let listed = search(admin::list_devices(store, status).await?, &q);
                by_status.push((status, paging.take(listed)));
            }
            let waiting = paging.take(search(
                admin::list_waiting_device_flows(store, now()).await?,
                &q,
            ));
            Content::Devices {
                waiting,
                pending,
                by_status,
            }
        }
        Section::ApiKeys => {
            Content::ApiKeys(paging.take(search(admin::list_api_keys(store).await?, &q)))
        }
        Section::Clients => {
            Content::Clients(paging.take(search(admin::list_clients(store, None).await?, &q)))
        }
        Section::Users => {
            let users = paging.take(search(admin::list_users(store).await?, &q));
            let names: Vec<&str> = users.iter().map(|u| u.username.as_str()).collect();
            let limits = admin::wrong_code_limits(store, &names, now()).await?;
            Content::Users(users, limits)
        }
        Section::Templates => {
            Content::Templates(paging.take(search(admin::list_templates(store).await?, &q)))
        }
        Section::InitialAccessTokens => {
            let tokens = admin::list_initial_access_tokens(store).await?;
            Content::InitialAccessTokens(paging.take(search(tokens, &q)))
        }
        Section::IdentityProviders => {
            let base = rfc6749::base_url(req, &deps.settings)?;
            let providers = admin::list_identity_providers(store).await?;
            identity_providers::rows(paging.take(search(providers, &q)), &base)
        }
        Section::Audit => return Ok((audit::load(deps, req).await?, None)),
    };
    Ok((content, Some(paging)))
}
