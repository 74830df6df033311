//! The pages a person sees, rendered with maud (which escapes every interpolated value, in text
//! and in attributes): server-rendered, no scripts, one small inline style sheet allowed by its
//! hash in the Content-Security-Policy, readable on a phone.
//!
//! - [`frame`]: what every page shares: the style sheet and the policy that pins it, the page
//!   around a body, messages and hidden fields.
//! - [`sign_in`]: the sign-in pages, with a password and through an identity provider.
//! - [`verification`]: the device verification page (`/device`): the code, its approval.
//! - [`consent`]: the authorization endpoint's consent pages (a client, VMware's registration).

mod consent;
mod frame;
mod sign_in;
mod verification;

use maud::html;

pub use consent::{ConsentForm, consent, register_app};
pub use frame::content_security_policy;
pub(super) use frame::{hidden, message, page};
pub use sign_in::{SignInChoices, authorize_sign_in, sign_in};
pub use verification::{ConfirmForm, confirm, done, enter_code};

use frame::layout;

/// An error page, with a link to where the person can start again: `start` (a page that works
/// without parameters), or, for a request an application made (`None`), back to it.
pub fn failure(text: &str, start: Option<&str>) -> String {
    layout(
        "Something went wrong",
        html! {
            h1 { "Something went wrong" }
            (message(Some(text), ""))
            @if let Some(start) = start {
                p { a href=(start) { "Start again" } }
            } @else {
                p { "Go back to the application you came from and sign in from there again." }
                p { a href="/device" { "Or connect a device with a code" } }
            }
        },
    )
}
