//! VMware mobile registration templates (`app_product_id`): what an app registers as.

use crate::error::Error;
use crate::model::vmware::RegistrationTemplate;
use crate::model::{AuditEvent, AuditType, Origin};
use crate::storage::Store;
pub use crate::usecases::vmware::NewTemplate;

/// Defines a template; its rules are the VMware use case's ([`crate::usecases::vmware`]).
pub async fn create_template(
    store: &Store,
    new: NewTemplate,
    now: i64,
    origin: &Origin,
) -> Result<RegistrationTemplate, Error> {
    crate::usecases::vmware::create_template(store, new, now, origin).await
}

pub async fn list_templates(store: &Store) -> Result<Vec<RegistrationTemplate>, Error> {
    store.list_templates().await
}

/// Disables a template: no new registrations (instances keep working; disable an instance
/// through its client).
pub async fn disable_template(
    store: &Store,
    id: &str,
    origin: &Origin,
) -> Result<RegistrationTemplate, Error> {
    let audit = AuditEvent::success(AuditType::TemplateDisabled, origin, id);
    store.disable_template(id, &audit).await
}
