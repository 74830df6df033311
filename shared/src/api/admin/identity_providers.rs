//! `/admin/identity-providers`: upstream OpenID Providers people sign in with on the pages.
//! Every answer carries the `redirect_uri` to register at the provider; none carries the
//! client secret.

use lambda_http::Request;
use serde::Serialize;

use super::views::rfc3339;
use super::{Reply, param};
use crate::Deps;
use crate::dialect::rfc6749;
use crate::http::{json_body, json_response, now};
use crate::model::IdentityProvider;
use crate::usecases::admin::{self, IdentityProviderChanges, NewIdentityProvider};
use crate::usecases::federation::callback_url;

/// A provider as administrators see it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct IdentityProviderView<'a> {
    id: &'a str,
    name: &'a str,
    issuer: &'a str,
    client_id: &'a str,
    scopes: &'a [String],
    username_claim: &'a str,
    allowed_email_domains: &'a [String],
    required_claims: &'a std::collections::BTreeMap<String, String>,
    admin_claims: &'a std::collections::BTreeMap<String, String>,
    jit: bool,
    enabled: bool,
    /// The redirect URI to register at the provider for this client.
    redirect_uri: String,
    created_at: String,
    updated_at: String,
}

impl<'a> IdentityProviderView<'a> {
    pub fn new(p: &'a IdentityProvider, issuer: &str) -> Self {
        IdentityProviderView {
            id: &p.id,
            name: &p.name,
            issuer: &p.issuer,
            client_id: &p.client_id,
            scopes: &p.scopes,
            username_claim: &p.username_claim,
            allowed_email_domains: &p.allowed_email_domains,
            required_claims: &p.required_claims,
            admin_claims: &p.admin_claims,
            jit: p.jit,
            enabled: p.enabled,
            redirect_uri: callback_url(issuer),
            created_at: rfc3339(p.created_at),
            updated_at: rfc3339(p.updated_at),
        }
    }
}

/// `GET /admin/identity-providers`.
pub async fn list(deps: &Deps, req: Request) -> Reply {
    let issuer = rfc6749::base_url(&req, &deps.settings)?;
    let providers = admin::list_identity_providers(&deps.store).await?;
    let views: Vec<_> = providers
        .iter()
        .map(|p| IdentityProviderView::new(p, &issuer))
        .collect();
    Ok(json_response(
        200,
        &serde_json::json!({ "identity_providers": views }),
    ))
}

/// `POST /admin/identity-providers` `{"name", "issuer", "client_id", "client_secret",
/// "scopes"?, "username_claim"?, "allowed_email_domains"?, "required_claims"?, "admin_claims"?, "jit"?,
/// "enabled"?}`: 201; the issuer is discovered first.
pub async fn create(deps: &Deps, req: Request) -> Reply {
    let issuer = rfc6749::base_url(&req, &deps.settings)?;
    let input: NewIdentityProvider = json_body(&req)?;
    let provider = admin::create_identity_provider(
        &deps.store,
        deps.settings.server_secret()?,
        input,
        now(),
        &crate::api::audit_origin(&req, "admin"),
    )
    .await?;
    Ok(json_response(
        201,
        &IdentityProviderView::new(&provider, &issuer),
    ))
}

/// `GET /admin/identity-providers/{id}`.
pub async fn get(deps: &Deps, req: Request) -> Reply {
    let issuer = rfc6749::base_url(&req, &deps.settings)?;
    let provider = admin::get_identity_provider(&deps.store, &param(&req, "id")?).await?;
    Ok(json_response(
        200,
        &IdentityProviderView::new(&provider, &issuer),
    ))
}

/// `PATCH /admin/identity-providers/{id}`: the fields given change (`"enabled": false` stops
/// its sign-ins at once).
pub async fn update(deps: &Deps, req: Request) -> Reply {
    let issuer = rfc6749::base_url(&req, &deps.settings)?;
    let changes: IdentityProviderChanges = json_body(&req)?;
    let provider = admin::update_identity_provider(
        &deps.store,
        deps.settings.server_secret()?,
        &param(&req, "id")?,
        changes,
        now(),
        &crate::api::audit_origin(&req, "admin"),
    )
    .await?;
    Ok(json_response(
        200,
        &IdentityProviderView::new(&provider, &issuer),
    ))
}

/// `DELETE /admin/identity-providers/{id}`: 204.
pub async fn delete(deps: &Deps, req: Request) -> Reply {
    admin::delete_identity_provider(
        &deps.store,
        &param(&req, "id")?,
        &crate::api::audit_origin(&req, "admin"),
    )
    .await?;
    let mut response = lambda_http::Response::new(lambda_http::Body::Empty);
    *response.status_mut() = lambda_http::http::StatusCode::NO_CONTENT;
    Ok(response)
}
