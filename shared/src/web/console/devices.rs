//! The console's devices section: registrations waiting for a decision (approve or deny),
//! then every device by status (revoke).

use maud::{Markup, html};

use super::format::time;
use super::{Section, button, history, status_title};
use crate::model::{Device, DeviceStatus};
use crate::usecases::admin::WaitingDeviceFlow;

/// Device flows waiting for a person: which client, since when, until when, from where.
pub(super) fn waiting(now: i64, waiting: &[WaitingDeviceFlow]) -> Markup {
    html! {
        h2 { "Device sign-ins waiting for a person (" (waiting.len()) ")" }
        @if waiting.is_empty() { p.meta { "No device is waiting for someone to enter its code." } }
        @for w in waiting {
            div.item.waiting {
                b { (w.client_name.as_deref().unwrap_or(&w.client_id)) }
                " · " code { (w.client_id) }
                div.meta {
                    "started " (time(w.created_at, now))
                    " · expires " (time(w.expires_at, now))
                    @if let Some(from) = &w.started_from { " · from " (from) }
                    @if let Some(scope) = &w.scope { " · scope " code { (scope) } }
                }
            }
        }
    }
}

pub(super) fn list(
    csrf: &str,
    now: i64,
    pending: &[Device],
    by_status: &[(DeviceStatus, Vec<Device>)],
) -> Markup {
    let s = Section::Devices;
    html! {
        h2 { "Waiting for a decision (" (pending.len()) ")" }
        @if pending.is_empty() { p.meta { "No registration is waiting." } }
        @for d in pending {
            @if let Some(p) = &d.pending {
                div.item id={ "pending-" (d.client_id) } {
                    b { code { (d.client_id) } } " · " (p.client_type.as_str())
                    @if let Some(text) = &p.client_description { br; bdi { (text) } }
                    div.meta {
                        "Key: " (p.key.as_ref().map_or("none", |k| k.key_type.as_str()))
                        " · registered " (time(p.created_at, now))
                        " · API key " (d.api_key_name)
                        @if d.status != DeviceStatus::Pending { " · now " (d.status.as_str()) }
                    }
                    (button(csrf, s, "approve", ("client_id", &d.client_id), "Approve"))
                    (button(csrf, s, "deny", ("client_id", &d.client_id), "Deny"))
                    (history(&d.client_id))
                }
            }
        }
        @for (status, list) in by_status {
            h2 { (status_title(*status)) " (" (list.len()) ")" }
            @for d in list {
                div.item id={ (status.as_str()) "-" (d.client_id) } {
                    b { code { (d.client_id) } } " · " (d.client_type.as_str())
                    @if let Some(text) = &d.client_description { br; bdi { (text) } }
                    div.meta {
                        "Key: " (d.key.as_ref().map_or("none", |k| k.key_type.as_str()))
                        " · registered " (time(d.created_at, now))
                        " · updated " (time(d.updated_at, now))
                        " · API key " (d.api_key_name)
                    }
                    @if d.status != DeviceStatus::Revoked {
                        (button(csrf, s, "revoke", ("client_id", &d.client_id), "Revoke"))
                    }
                    (history(&d.client_id))
                }
            }
        }
    }
}
