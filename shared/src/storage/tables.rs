//! The physical table names, from the environment `template.yaml` sets on every function.
//! Declared once here: the struct, the environment variables and the local defaults come from
//! one list.

macro_rules! tables {
    ($($(#[$doc:meta])* $field:ident: $env:literal = $default:literal,)+) => {
        /// The physical table names.
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub struct Tables {
            $($(#[$doc])* pub $field: String,)+
        }

        impl Tables {
            /// (environment variable, default name for local runs) of every table.
            pub const ENV: &'static [(&'static str, &'static str)] = &[$(($env, $default)),+];

            pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Tables {
                Tables {
                    $($field: lookup($env).unwrap_or_else(|| $default.to_owned()),)+
                }
            }

            /// The physical name behind an environment variable of [`Tables::ENV`].
            pub fn by_env(&self, var: &str) -> Option<&str> {
                match var {
                    $($env => Some(&self.$field),)+
                    _ => None,
                }
            }
        }
    };
}

tables! {
    devices: "DEVICES_TABLE" = "devicegate-devices",
    device_codes: "DEVICE_CODES_TABLE" = "devicegate-device-codes",
    tokens: "TOKENS_TABLE" = "devicegate-tokens",
    families: "FAMILIES_TABLE" = "devicegate-families",
    api_keys: "API_KEYS_TABLE" = "devicegate-api-keys",
    admin_keys: "ADMIN_KEYS_TABLE" = "devicegate-admin-keys",
    clients: "CLIENTS_TABLE" = "devicegate-clients",
    users: "USERS_TABLE" = "devicegate-users",
    user_codes: "USER_CODES_TABLE" = "devicegate-user-codes",
    sessions: "SESSIONS_TABLE" = "devicegate-sessions",
    rate_limits: "RATE_LIMITS_TABLE" = "devicegate-rate-limits",
    initial_access_tokens: "INITIAL_ACCESS_TOKENS_TABLE" = "devicegate-initial-access-tokens",
    authorization_codes: "AUTHORIZATION_CODES_TABLE" = "devicegate-authorization-codes",
    templates: "TEMPLATES_TABLE" = "devicegate-templates",
    identity_providers: "IDENTITY_PROVIDERS_TABLE" = "devicegate-identity-providers",
    audit: "AUDIT_TABLE" = "devicegate-audit",
}

impl Tables {
    pub fn from_env() -> Tables {
        Tables::from_lookup(|name| std::env::var(name).ok())
    }
}
