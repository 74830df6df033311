//! Well-known credentials the sample events in `events/` use. They are written only by
//! `devicegate seed-examples`, which refuses to run against anything but a local endpoint.

pub const API_KEY: &str = "dgk_EXAMPLE_api_key_for_local_runs_only";
pub const ADMIN_KEY: &str = "dgadmin_EXAMPLE_admin_key_for_local_runs_only";
/// A pending device code of the device `printer-example`.
pub const DEVICE_CODE: &str = "dgc_EXAMPLE_device_code_for_local_runs_only";
/// The raw Ed25519 public key of `printer-signed` (its private key is 32 bytes of 7).
pub const SIGNED_DEVICE_KEY: &str = "6kpsY+KcUgq+9VB7Ey7F+ZVHdq6+vnuSQh7qaRRG0iw=";
/// A public OAuth client (a CLI) allowed the device code and refresh grants, scopes
/// `read write`.
pub const CLI_CLIENT_ID: &str = "example-cli";
/// A public native app allowed the authorization code grant (PKCE), redirecting to a
/// loopback port or to `com.example.app:/oauth2redirect`.
pub const APP_CLIENT_ID: &str = "example-app";
/// A VMware mobile registration template (`app_product_id`) and its redirect URI.
pub const TEMPLATE_ID: &str = "com.vmware.idm.samples";
pub const TEMPLATE_REDIRECT_URI: &str = "com.vmware.idm.samples.mobilesso://oauth2redirect";
/// A confidential OAuth client (a resource server that introspects tokens).
pub const API_CLIENT_ID: &str = "example-api";
pub const API_CLIENT_SECRET: &str = "dgs_EXAMPLE_client_secret_for_local_runs_only";
/// A client that registered itself through RFC 7591 (public), and the registration access
/// token that manages it (RFC 7592).
pub const REGISTERED_CLIENT_ID: &str = "dyn-example";
pub const REGISTRATION_ACCESS_TOKEN: &str =
    "dgrat_EXAMPLE_registration_access_token_for_local_runs_only";
/// A user who can sign in on the verification page.
pub const USERNAME: &str = "example";
pub const PASSWORD: &str = "example password";
pub const EMAIL: &str = "example@example.com";
/// The example user's password-less identifiers (stored only as keyed hashes).
pub const CARD_ID: &str = "EXAMPLE-CARD-0001";
pub const SHORT_ID: &str = "4711";
/// An API key that allows untrusted endpoints and unauthenticated requests, its id, an
/// approved device `kiosk-example` under it and that device's access token (a device token).
pub const OPEN_API_KEY: &str = "dgk_EXAMPLE_open_api_key_for_local_runs_only";
pub const OPEN_API_KEY_ID: &str = "01KEXAMPLEAPIKEY0000000000";
pub const KIOSK_CLIENT_ID: &str = "kiosk-example";
pub const DEVICE_TOKEN: &str = "dga_EXAMPLE_device_token_for_local_runs_only";
pub const DEVICE_FAMILY_ID: &str = "01KEXAMPLEDEVICEFAMILY0000";
/// The example user's user token, signed in on `kiosk-example` under the open key.
pub const USER_FAMILY_ID: &str = "01KEXAMPLEUSERFAMILY000000";
pub const USER_TOKEN: &str = "dgu_01KEXAMPLEUSERFAMILY000000.01KEXAMPLEDEVICEFAMILY0000.01KEXAMPLEAPIKEY0000000000.example.EXAMPLE_user_token_for_local_runs_only_0000";
