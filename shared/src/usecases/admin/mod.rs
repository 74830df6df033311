//! Administration, one module per resource: [`admin_keys`], [`devices`], [`api_keys`],
//! [`clients`], [`users`], [`templates`] (VMware registration templates),
//! [`identity_providers`] (upstream OpenID Providers people sign in with),
//! [`initial_access_tokens`], [`audit`] (the trail, read), [`limits`] (guessing limits, seen and lifted), [`signing_keys`] (their rotation, recorded) and [`search`] (a text filter and pages over any list). Each admin operation is one function here, called alike by the
//! admin API ([`crate::api::admin`]), the console ([`crate::api::console`]) and the
//! `devicegate` command-line tool; none of them reaches the store another way. The index
//! re-exports every operation, so `usecases::admin::create_client` and
//! `usecases::admin::clients::create_client` are the same function.

pub mod admin_keys;
pub mod api_keys;
pub mod audit;
pub mod clients;
pub mod devices;
pub mod identity_providers;
pub mod initial_access_tokens;
pub mod limits;
pub mod search;
pub mod signing_keys;
pub mod templates;
pub mod users;

pub use admin_keys::{authenticate, authenticate_hash, create_admin_key};
pub use api_keys::{
    ApiKeySettingsChange, CreatedApiKey, change_api_key_settings, create_api_key, disable_api_key,
    list_api_keys,
};
pub use audit::{AuditFilter, AuditListing, list_audit};
pub use clients::{
    ClientAction, CreatedClient, NewClient, act_on_client, create_client, delete_client,
    disable_client, list_clients,
};
pub use devices::{
    DeviceAction, WaitingDeviceFlow, act_on_device, list_devices, list_waiting_device_flows,
};
pub use identity_providers::{
    IdentityProviderChanges, NewIdentityProvider, create_identity_provider,
    delete_identity_provider, get_identity_provider, link_user, list_identity_providers,
    update_identity_provider,
};
pub use initial_access_tokens::{
    NewInitialAccessToken, disable_initial_access_token, issue_initial_access_token,
    list_initial_access_tokens,
};
pub use limits::{LimitState, lift_user_limits, user_limits, wrong_code_limits};
pub use search::{ListQuery, Listed, Searchable, search};
pub use signing_keys::record_rotation;
pub use templates::{NewTemplate, create_template, disable_template, list_templates};
pub use users::{
    NewUser, create_user, disable_user, get_user, list_users, reset_password, set_login_ids,
};
