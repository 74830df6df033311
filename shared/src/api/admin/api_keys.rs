//! `/admin/api-keys`: list, create, disable, change settings.

use lambda_http::Request;

use super::requests::{ApiKeySettingsBody, NewApiKeyBody};
use super::views::ApiKeyView;
use super::{Reply, param, unknown_action};
use crate::Deps;
use crate::http::{json_body, json_response, now};
use crate::usecases::admin;

/// `GET /admin/api-keys`.
pub async fn list(deps: &Deps, _req: Request) -> Reply {
    let keys = admin::list_api_keys(&deps.store).await?;
    let views: Vec<ApiKeyView> = keys.iter().map(|k| ApiKeyView::new(k, None)).collect();
    Ok(json_response(
        200,
        &serde_json::json!({ "api_keys": views }),
    ))
}

/// `POST /admin/api-keys`: the key is in the response this once.
pub async fn create(deps: &Deps, req: Request) -> Reply {
    let (name, settings) = json_body::<NewApiKeyBody>(&req)?.parse()?;
    let origin = crate::api::audit_origin(&req, "admin");
    let created = admin::create_api_key(&deps.store, &name, settings, now(), &origin).await?;
    Ok(json_response(
        201,
        &ApiKeyView::new(&created.key, Some(&created.value)),
    ))
}

/// `POST /admin/api-keys/{id}/{disable|settings}`.
pub async fn act(deps: &Deps, req: Request) -> Reply {
    let key = match param(&req, "action")?.as_str() {
        "disable" => {
            let origin = crate::api::audit_origin(&req, "admin");
            admin::disable_api_key(&deps.store, &param(&req, "id")?, &origin).await?
        }
        "settings" => {
            let change = json_body::<ApiKeySettingsBody>(&req)?.change()?;
            admin::change_api_key_settings(
                &deps.store,
                &param(&req, "id")?,
                change,
                now(),
                &crate::api::audit_origin(&req, "admin"),
            )
            .await?
        }
        other => return Err(unknown_action(other)),
    };
    Ok(json_response(200, &ApiKeyView::new(&key, None)))
}
