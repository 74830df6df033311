//! Running one step and what it answered.

use super::*;

/// What a step answered: status, error code (empty on success), the body as sent, and for
/// introspection whether the token was active.
#[derive(Clone, Debug)]
pub(super) struct Outcome {
    pub(super) status: u16,
    pub(super) error: String,
    pub(super) body: String,
    pub(super) active: Option<bool>,
}

impl Outcome {
    pub(super) fn of_reply(reply: Reply) -> Outcome {
        Outcome {
            status: reply.status,
            error: reply.error().to_owned(),
            body: reply.json.to_string(),
            active: reply.json.get("active").and_then(Value::as_bool),
        }
    }

    /// A use case's result as the page would answer it (its status and code, and only the
    /// description that may be sent).
    pub(super) fn of_result(result: Result<(), Error>) -> Outcome {
        match result {
            Ok(()) => Outcome {
                status: 200,
                error: String::new(),
                body: String::new(),
                active: None,
            },
            Err(e) => {
                let (status, code) = devicegate::http::ErrorShape::OAuth.wire(&e);
                Outcome {
                    status,
                    error: code.to_owned(),
                    body: serde_json::json!({"error": code, "error_description": e.description()})
                        .to_string(),
                    active: None,
                }
            }
        }
    }

    pub(super) fn is_server_error(&self) -> bool {
        self.status == 500
    }

    /// The same answer as the step gives without faults.
    pub(super) fn same_as(&self, normal: &Outcome) -> bool {
        self.status == normal.status && self.error == normal.error && self.active == normal.active
    }
}

pub(super) async fn run(step: Step, c: &Ctx) -> Outcome {
    let env = &c.env;
    let now = http::now();
    match step {
        Step::ParagonRegister => Outcome::of_reply(
            env.register(&register_body(&c.printer, &c.api_key), None)
                .await,
        ),
        Step::ParagonPendingPoll | Step::ParagonRedeem => {
            Outcome::of_reply(env.poll(&c.printer, &c.api_key, &c.device_code).await)
        }
        Step::ParagonRefresh => {
            Outcome::of_reply(env.refresh(&c.printer, &c.api_key, &c.refresh).await)
        }
        Step::OAuthDeviceAuthorization => Outcome::of_reply(
            env.oauth2(
                "/oauth2/device_authorization",
                &format!("client_id={}&scope=read", enc(&c.cli_id)),
                None,
            )
            .await,
        ),
        Step::OAuthPendingPoll | Step::OAuthRedeem => {
            Outcome::of_reply(env.oauth2("/oauth2/token", &oauth_poll_body(c), None).await)
        }
        Step::OAuthRefresh => Outcome::of_reply(
            env.oauth2(
                "/oauth2/token",
                &format!(
                    "grant_type=refresh_token&refresh_token={}&client_id={}",
                    enc(&c.refresh),
                    enc(&c.cli_id)
                ),
                None,
            )
            .await,
        ),
        Step::OAuthRevoke => Outcome::of_reply(
            env.oauth2(
                "/oauth2/revoke",
                &format!("token={}&client_id={}", enc(&c.refresh), enc(&c.cli_id)),
                None,
            )
            .await,
        ),
        Step::OAuthIntrospect => Outcome::of_reply(
            env.oauth2(
                "/oauth2/introspect",
                &format!("token={}", enc(&c.access)),
                Some((&c.rs_id, &c.rs_secret)),
            )
            .await,
        ),
        Step::AdminApprove | Step::AdminDeny | Step::AdminRevoke => {
            let action = match step {
                Step::AdminApprove => "approve",
                Step::AdminDeny => "deny",
                _ => "revoke",
            };
            Outcome::of_reply(
                env.admin_post(
                    &c.admin,
                    &format!("/admin/devices/{}/{action}", c.printer),
                    None,
                )
                .await,
            )
        }
        Step::PageSignIn => Outcome::of_result(
            sign_in::sign_in(
                env.store(),
                &env.deps.settings,
                &c.username,
                PASSWORD,
                &devicegate_tests::origin_from(&c.source),
                now,
            )
            .await
            .map(|_| ()),
        ),
        Step::PageApprove => {
            let session = c.session.as_ref().unwrap();
            let result = async {
                let request = verification::find_request(
                    env.store(),
                    &env.deps.settings,
                    session,
                    &c.user_code,
                    &devicegate_tests::origin_from(&c.source),
                    now,
                )
                .await?;
                verification::decide(
                    env.store(),
                    session,
                    &request,
                    PageDecision::Approve,
                    &devicegate_tests::origin(),
                    now,
                )
                .await
            }
            .await;
            Outcome::of_result(result)
        }
    }
}
