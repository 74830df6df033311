//! Starting an RFC 8628 device authorization: the device code and its user code, in one
//! transaction.

use super::{DeviceAuthorization, DeviceAuthorizationRequest};
use crate::config::Settings;
use crate::error::Error;
use crate::model::*;
use crate::secrets::{self, SecretKind};
use crate::storage::*;
use crate::usecases::client_auth::{explain_refusal, proof};
use crate::usercode::UserCode;

/// How many fresh user codes to try when one is already live (each collision has odds of about
/// live codes / 2.56e10).
pub(super) const USER_CODE_ATTEMPTS: usize = 3;

/// Starts an RFC 8628 device authorization: one round trip (a transaction that authenticates
/// the client, checks grant and scope, writes the device code and claims the user code). The
/// code keeps `started_from`, for the page that approves it, and the trail records the issue.
pub async fn start_device_authorization(
    store: &Store,
    settings: &Settings,
    request: &DeviceAuthorizationRequest,
    started_from: Option<StartedFrom>,
    origin: &Origin,
    now: i64,
) -> Result<DeviceAuthorization, Error> {
    let secret_hash = request.client.secret_hash();
    let scope = (!request.scope.is_empty()).then_some(&request.scope);
    let proof = proof(
        &request.client,
        &secret_hash,
        GrantType::DeviceCode,
        scope,
        now,
    );
    let expires_at = now + settings.device_code_ttl;
    for _ in 0..USER_CODE_ATTEMPTS {
        let device_code = secrets::issue(SecretKind::DeviceCode)?;
        let user_code = UserCode::generate()?;
        let code_hmac = user_code.hmac(settings.server_secret()?);
        let code = DeviceCode {
            code_hash: device_code.hash().to_owned(),
            client_id: request.client.client_id.clone(),
            owner: Owner::Client { username: None },
            scope: request.scope.to_wire(),
            user_code_hmac: Some(code_hmac.clone()),
            status: CodeStatus::Pending,
            created_at: now,
            expires_at,
            interval: settings.poll_interval,
            next_poll_at: now,
            last_poll_id: None,
            key: None,
            // The transaction below writes the code only if this is the client's secret.
            client_secret_hash: secret_hash.clone(),
            // Lifetimes are the client's; they are read when the user approves.
            lifetimes: crate::model::Lifetimes::default(),
            family_id: None,
            redeemed_by: None,
            started_from: started_from.clone(),
            ttl: expires_at,
        };
        let record = UserCodeRecord {
            code_hmac,
            device_code_hash: code.code_hash.clone(),
            client_id: code.client_id.clone(),
            expires_at,
            ttl: expires_at,
        };
        let audit = AuditEvent::success(
            AuditType::DeviceCodeIssued,
            &origin.by(Actor::client(&code.client_id)),
            &code.client_id,
        )
        .because(&match code.scope.as_deref() {
            Some(scope) => format!("scope {scope}"),
            None => "the client's whole scope".to_owned(),
        });
        match store
            .start_device_authorization(&proof, &code, &record, &audit)
            .await?
        {
            StartOutcome::Started => {
                tracing::info!(client_id = %code.client_id, "device authorization started");
                return Ok(DeviceAuthorization {
                    device_code: device_code.into_value(),
                    user_code,
                    expires_in: settings.device_code_ttl,
                    interval: settings.poll_interval,
                });
            }
            StartOutcome::ClientRefused(client) => {
                return Err(explain_refusal(
                    client.map(|c| *c),
                    &request.client,
                    GrantType::DeviceCode,
                    scope,
                    now,
                ));
            }
            StartOutcome::UserCodeTaken => continue,
        }
    }
    Err(Error::internal(
        "no free user code after several attempts; the code space is crowded",
    ))
}
