//! `/admin/clients`: list (all, or one user's VMware app instances), create, disable, delete.

use lambda_http::Request;

use super::requests::NewClientBody;
use super::views::ClientView;
use super::{Reply, param, query_param, unknown_action};
use crate::Deps;
use crate::http::{json_body, json_response, now};
use crate::usecases::admin::{self, ClientAction};

/// `GET /admin/clients[?username=U]`: every client, or a user's app instances (VMware).
pub async fn list(deps: &Deps, req: Request) -> Reply {
    let username = query_param(&req, "username");
    let clients = admin::list_clients(&deps.store, username.as_deref()).await?;
    let views: Vec<ClientView> = clients.iter().map(|c| ClientView::new(c, None)).collect();
    Ok(json_response(200, &serde_json::json!({ "clients": views })))
}

/// `POST /admin/clients`: a confidential client's secret is in the response this once.
pub async fn create(deps: &Deps, req: Request) -> Reply {
    let input: NewClientBody = json_body(&req)?;
    let created = admin::create_client(
        &deps.store,
        input.parse()?,
        now(),
        &crate::api::audit_origin(&req, "admin"),
    )
    .await?;
    Ok(json_response(
        201,
        &ClientView::new(&created.client, created.secret.as_deref()),
    ))
}

/// `POST /admin/clients/{client_id}/disable` and, for self-registered clients, `/delete`.
pub async fn act(deps: &Deps, req: Request) -> Reply {
    let client_id = param(&req, "client_id")?;
    let action = param(&req, "action")?;
    let action = ClientAction::parse(&action).ok_or_else(|| unknown_action(&action))?;
    let client = admin::act_on_client(
        &deps.store,
        &client_id,
        action,
        now(),
        &crate::api::audit_origin(&req, "admin"),
    )
    .await?;
    Ok(json_response(200, &ClientView::new(&client, None)))
}
