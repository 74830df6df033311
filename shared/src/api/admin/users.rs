//! `/admin/users`: list, create, disable, set a password or login ids, see and lift guessing
//! limits.

use lambda_http::Request;

use super::requests::{LinkBody, LoginIdsBody, NewUserBody, PasswordBody};
use super::views::UserView;
use super::{Reply, param, query_param, unknown_action};
use crate::Deps;
use crate::http::{json_body, json_response, now};
use crate::usecases::admin;

/// `GET /admin/users`.
pub async fn list(deps: &Deps, _req: Request) -> Reply {
    let users = admin::list_users(&deps.store).await?;
    let views: Vec<UserView> = users.iter().map(UserView::from).collect();
    Ok(json_response(200, &serde_json::json!({ "users": views })))
}

/// `POST /admin/users`: the password is never echoed.
pub async fn create(deps: &Deps, req: Request) -> Reply {
    let input: NewUserBody = json_body(&req)?;
    let user = admin::create_user(
        &deps.store,
        input.into(),
        now(),
        &crate::api::audit_origin(&req, "admin"),
    )
    .await?;
    Ok(json_response(201, &UserView::from(&user)))
}

/// `GET /admin/users/{username}/limits[?source=<address>]`: the user's guessing limits (and
/// those from the address) as they stand.
pub async fn limits(deps: &Deps, req: Request) -> Reply {
    let username = param(&req, "username")?;
    let source = query_param(&req, "source");
    let limits = admin::user_limits(&deps.store, &username, source.as_deref(), now()).await?;
    Ok(json_response(200, &serde_json::json!({ "limits": limits })))
}

/// `POST /admin/users/{username}/{disable|login-ids|link|password|unlock}` (`link`:
/// `{"identity_provider", "subject"}`, the upstream account they sign in as); `unlock` (with an
/// optional `?source=<address>`) lifts the guessing limits and answers them as `limits` does.
pub async fn act(deps: &Deps, req: Request) -> Reply {
    let username = param(&req, "username")?;
    let action = param(&req, "action")?;
    if action == "unlock" {
        let source = query_param(&req, "source");
        let limits = admin::lift_user_limits(
            &deps.store,
            &username,
            source.as_deref(),
            now(),
            &crate::api::audit_origin(&req, "admin"),
        )
        .await?;
        return Ok(json_response(200, &serde_json::json!({ "limits": limits })));
    }
    if action == "link" {
        let input: LinkBody = json_body(&req)?;
        admin::link_user(
            &deps.store,
            &username,
            &input.identity_provider,
            &input.subject,
            now(),
            &crate::api::audit_origin(&req, "admin"),
        )
        .await?;
    }
    let user = match action.as_str() {
        "link" => admin::get_user(&deps.store, &username).await?,
        "disable" => {
            admin::disable_user(
                &deps.store,
                &username,
                now(),
                &crate::api::audit_origin(&req, "admin"),
            )
            .await?
        }
        "login-ids" => {
            let input: LoginIdsBody = json_body(&req)?;
            admin::set_login_ids(
                &deps.store,
                deps.settings.server_secret()?,
                &username,
                input.card_id.as_ref().map(|c| c.as_deref()),
                input.short_id.as_ref().map(|c| c.as_deref()),
                now(),
                &crate::api::audit_origin(&req, "admin"),
            )
            .await?
        }
        "password" => {
            let input: PasswordBody = json_body(&req)?;
            admin::reset_password(
                &deps.store,
                &username,
                &input.password,
                now(),
                &crate::api::audit_origin(&req, "admin"),
            )
            .await?
        }
        other => return Err(unknown_action(other)),
    };
    Ok(json_response(200, &UserView::from(&user)))
}
