//! `/admin/devices`: list them, decide a registration, revoke a device.

use lambda_http::Request;

use super::views::DeviceView;
use super::{Reply, param, query_param, unknown_action};
use crate::Deps;
use crate::http::{json_response, now};
use crate::model::DeviceStatus;
use crate::usecases::admin::{self, DeviceAction};

/// `GET /admin/devices?status=...` (default `pending`: every registration waiting for a decision).
pub async fn list(deps: &Deps, req: Request) -> Reply {
    let status = query_param(&req, "status").unwrap_or_else(|| "pending".to_owned());
    let status = DeviceStatus::parse_field("status", &status)?;
    let devices = admin::list_devices(&deps.store, status).await?;
    let views: Vec<DeviceView> = devices.iter().map(DeviceView::from).collect();
    Ok(json_response(200, &serde_json::json!({ "devices": views })))
}

/// `POST /admin/devices/{client_id}/{approve|deny|revoke}`.
pub async fn act(deps: &Deps, req: Request) -> Reply {
    let action = param(&req, "action")?;
    let action = DeviceAction::parse(&action).ok_or_else(|| unknown_action(&action))?;
    let device = admin::act_on_device(
        &deps.store,
        &param(&req, "client_id")?,
        action,
        now(),
        &crate::api::audit_origin(&req, "admin"),
    )
    .await?;
    Ok(json_response(200, &DeviceView::from(&device)))
}
