//! The authorization request as sent: every parameter the endpoint reads, unchecked. Its own
//! module because the pages, PKCE and the judgement of the request all read it.

/// What the authorization endpoint was asked, as sent (query or re-posted form).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuthorizationRequest {
    pub response_type: Option<String>,
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    pub scope: Option<String>,
    pub state: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    /// OpenID Connect (Core §3.1.2.1): echoed in the ID token.
    pub nonce: Option<String>,
    /// `none`, `login`, `consent` (space-separated; `none` alone).
    pub prompt: Option<String>,
    /// Seconds: a sign-in older than this is asked again.
    pub max_age: Option<String>,
    /// The username to offer on the sign-in form.
    pub login_hint: Option<String>,
}
