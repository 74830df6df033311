//! The verification page's answers to a code in a link, and its messages: one voice, each
//! saying what to do next.

use super::Visit;
use crate::error::Error;
use crate::model::Session;
use crate::usecases::verification;

/// A code that came in a link (`verification_uri_complete`), looked up as a typed one would
/// be: `Some` error when it cannot be approved, to say so on the first page.
pub(super) async fn check_link(
    visit: &Visit<'_>,
    session: &Session,
    typed: &str,
) -> Result<Option<Error>, Error> {
    let deps = visit.deps;
    let found = verification::find_request(
        &deps.store,
        &deps.settings,
        session,
        typed,
        &visit.origin,
        visit.now,
    )
    .await;
    match found {
        Ok(_) => Ok(None),
        Err(Error::Internal(cause)) => Err(Error::Internal(cause)),
        Err(e) => Ok(Some(e)),
    }
}

/// What went wrong, in the pages' voice, with what to do next.
pub(super) fn explain(error: &Error) -> String {
    let new_code = "Start again on your device to get a new code.";
    match error {
        Error::InvalidGrant(_) => {
            "That code is not valid. Check the code your device shows and enter it again.".into()
        }
        Error::ExpiredToken => format!("This code has expired. {new_code}"),
        Error::Conflict(_) => format!("This code has already been used. {new_code}"),
        Error::AccessDenied(text) if text.contains("username or password") => {
            "Wrong username or password. Check them and try again.".into()
        }
        Error::AccessDenied(text) if text.contains("disabled") => {
            "This application has been disabled. Ask your administrator.".into()
        }
        other => other.description(),
    }
}
