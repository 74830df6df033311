//! `/admin/templates`: VMware mobile registration templates: list, create, disable.

use lambda_http::Request;

use super::requests::NewTemplateBody;
use super::views::TemplateView;
use super::{Reply, param, unknown_action};
use crate::Deps;
use crate::http::{json_body, json_response, now};
use crate::usecases::admin;

/// `GET /admin/templates`.
pub async fn list(deps: &Deps, _req: Request) -> Reply {
    let templates = admin::list_templates(&deps.store).await?;
    let views: Vec<TemplateView> = templates.iter().map(TemplateView::from).collect();
    Ok(json_response(
        200,
        &serde_json::json!({ "templates": views }),
    ))
}

/// `POST /admin/templates` `{"template_id", "redirect_uris", "scopes"?, "access_token_ttl"?,
/// "refresh_token_ttl"?, "issue_refresh_tokens"?}`.
pub async fn create(deps: &Deps, req: Request) -> Reply {
    let input: NewTemplateBody = json_body(&req)?;
    let template = admin::create_template(
        &deps.store,
        input.parse()?,
        now(),
        &crate::api::audit_origin(&req, "admin"),
    )
    .await?;
    Ok(json_response(201, &TemplateView::from(&template)))
}

/// `POST /admin/templates/{id}/disable`: no new registrations (instances keep working; disable
/// an instance through its client).
pub async fn act(deps: &Deps, req: Request) -> Reply {
    match param(&req, "action")?.as_str() {
        "disable" => {
            let template = admin::disable_template(
                &deps.store,
                &param(&req, "id")?,
                &crate::api::audit_origin(&req, "admin"),
            )
            .await?;
            Ok(json_response(200, &TemplateView::from(&template)))
        }
        other => Err(unknown_action(other)),
    }
}
