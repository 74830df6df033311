//! `/admin/initial-access-tokens`: list, issue, disable.

use lambda_http::Request;

use super::requests::NewInitialAccessTokenBody;
use super::views::InitialAccessTokenView;
use super::{Reply, param, unknown_action};
use crate::Deps;
use crate::http::{json_body, json_response, now};
use crate::usecases::admin;

/// `GET /admin/initial-access-tokens`.
pub async fn list(deps: &Deps, _req: Request) -> Reply {
    let tokens = admin::list_initial_access_tokens(&deps.store).await?;
    let views: Vec<InitialAccessTokenView> = tokens
        .iter()
        .map(|t| InitialAccessTokenView::new(t, None))
        .collect();
    Ok(json_response(
        200,
        &serde_json::json!({ "initial_access_tokens": views }),
    ))
}

/// `POST /admin/initial-access-tokens`: the token is in the response this once.
pub async fn create(deps: &Deps, req: Request) -> Reply {
    let input: NewInitialAccessTokenBody = json_body(&req)?;
    let (token, value) = admin::issue_initial_access_token(
        &deps.store,
        input.into(),
        now(),
        &crate::api::audit_origin(&req, "admin"),
    )
    .await?;
    Ok(json_response(
        201,
        &InitialAccessTokenView::new(&token, Some(&value)),
    ))
}

/// `POST /admin/initial-access-tokens/{id}/disable`.
pub async fn act(deps: &Deps, req: Request) -> Reply {
    match param(&req, "action")?.as_str() {
        "disable" => {
            let token = admin::disable_initial_access_token(
                &deps.store,
                &param(&req, "id")?,
                &crate::api::audit_origin(&req, "admin"),
            )
            .await?;
            Ok(json_response(
                200,
                &InitialAccessTokenView::new(&token, None),
            ))
        }
        other => Err(unknown_action(other)),
    }
}
