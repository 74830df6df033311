//! Where a request comes from, as the audit trail records it: the address API Gateway saw,
//! the user agent, the request id [`crate::http::serve`] gave it, its dialect, and the actor
//! when one is already known (the admin key the route table checked).

use lambda_http::Request;

use crate::http::{RequestId, single_header, source_address};
use crate::model::{Actor, Origin};

/// The request's [`Origin`], with the actor the route table set, else `anonymous` (a use case
/// names the actor once it knows it: [`Origin::by`]).
pub fn audit_origin(req: &Request, dialect: &'static str) -> Origin {
    Origin {
        actor: req
            .extensions()
            .get::<Actor>()
            .cloned()
            .unwrap_or_else(Actor::anonymous),
        source_ip: source_address(req),
        user_agent: single_header(req, "user-agent")
            .ok()
            .flatten()
            .map(str::to_owned),
        request_id: req
            .extensions()
            .get::<RequestId>()
            .map(|id| id.0.clone())
            .unwrap_or_else(|| ulid::Ulid::new().to_string()),
        dialect,
    }
}
