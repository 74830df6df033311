//! The handlers, one module per Lambda function, one function per route (the table is
//! [`crate::routes`]). A handler only translates: it parses the request in its route's dialect,
//! calls one use case, and renders the result; [`crate::http::serve`] wraps it with logging and
//! renders its errors in the route's shape.

pub mod admin;
pub mod authorize_page;
pub mod authorizer;
pub mod client_registration;
pub mod console;
pub mod device_page;
pub mod expiry;
pub mod federation;
pub mod introspect;
pub mod login;
pub mod metadata;
pub mod openid;
pub mod origin;
pub mod register;
pub mod revoke;
pub mod token;
pub mod vmware;

pub use origin::audit_origin;
