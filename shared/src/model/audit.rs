//! The audit trail: one record per security-relevant decision, who made it, on what, from
//! where. A record never holds a secret, a token or a password, not even hashed: its fields are
//! names and identifiers an administrator already sees in the admin API.

use serde::{Deserialize, Serialize};

wire_enum! {
    /// The closed list of what the trail records (docs/audit.md explains each).
    AuditType {
        DeviceRegistered = "device.registered",
        DeviceReregistered = "device.reregistered",
        DeviceApproved = "device.approved",
        DeviceDenied = "device.denied",
        DeviceRevoked = "device.revoked",
        DeviceCodeIssued = "device_code.issued",
        DeviceCodeApproved = "device_code.approved",
        DeviceCodeDenied = "device_code.denied",
        DeviceCodeRedeemed = "device_code.redeemed",
        AuthorizationCodeRedeemed = "authorization_code.redeemed",
        TokenRefreshed = "token.refreshed",
        TokenReuseDetected = "token.reuse_detected",
        TokenRevoked = "token.revoked",
        ApiKeyCreated = "api_key.created",
        ApiKeyChanged = "api_key.changed",
        ApiKeyDisabled = "api_key.disabled",
        AdminKeyCreated = "admin_key.created",
        UserCreated = "user.created",
        SigninSucceeded = "signin.succeeded",
        SigninFailed = "signin.failed",
        LoginSucceeded = "login.succeeded",
        LoginRefused = "login.refused",
        LimitTripped = "limit.tripped",
        UserCodeRejected = "user_code.rejected",
        ClientRegistered = "client.registered",
        IdentityProviderCreated = "identity_provider.created",
        IdentityProviderChanged = "identity_provider.changed",
        IdentityProviderDeleted = "identity_provider.deleted",
        ClientDisabled = "client.disabled",
        ClientDeleted = "client.deleted",
        ClientUpdated = "client.updated",
        UserDisabled = "user.disabled",
        UserPasswordReset = "user.password_reset",
        UserChanged = "user.changed",
        LimitLifted = "limit.lifted",
        TemplateCreated = "template.created",
        TemplateDisabled = "template.disabled",
        InitialAccessTokenCreated = "initial_access_token.created",
        InitialAccessTokenDisabled = "initial_access_token.disabled",
        SigningKeyRotated = "signing_key.rotated",
        DeviceExpired = "device.expired",
        DeviceCodeExpired = "device_code.expired",
    }
}

wire_enum! {
    /// Whether the decision granted what was asked.
    Outcome {
        Success = "success",
        Failure = "failure",
    }
}

/// Who made a decision, as the trail names them: `admin:<admin key id>` (an administrator,
/// or `admin:<provider id>:<sub>` through an admin identity provider), `user:<username>`,
/// `device:<client id>`, `client:<client id>`, `cli:<account>` (the command-line tool), or
/// `system`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor(String);

impl Actor {
    pub fn admin(id: &str) -> Actor {
        Actor(format!("admin:{id}"))
    }
    pub fn user(username: &str) -> Actor {
        Actor(format!("user:{username}"))
    }
    pub fn device(client_id: &str) -> Actor {
        Actor(format!("device:{client_id}"))
    }
    pub fn client(client_id: &str) -> Actor {
        Actor(format!("client:{client_id}"))
    }
    /// Someone running the `devicegate` command on a host with access to the tables.
    pub fn cli(account: &str) -> Actor {
        Actor(format!("cli:{account}"))
    }
    pub fn system() -> Actor {
        Actor("system".into())
    }
    /// Someone not yet known (a sign-in that failed, an anonymous registration).
    pub fn anonymous() -> Actor {
        Actor("anonymous".into())
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl crate::model::Holder<'_> {
    /// Who acts when a token's holder uses it: the device, the client, or the signed-in user.
    pub fn actor(&self) -> Actor {
        match self {
            crate::model::Holder::Device { client_id, .. } => Actor::device(client_id),
            crate::model::Holder::OAuthClient { client_id, .. } => Actor::client(client_id),
            crate::model::Holder::User { username, .. } => Actor::user(username),
        }
    }

    /// The trail's subject for what a holder owns: its client id, or a user's username.
    pub fn subject(&self) -> &str {
        match self {
            crate::model::Holder::Device { client_id, .. }
            | crate::model::Holder::OAuthClient { client_id, .. } => client_id,
            crate::model::Holder::User { username, .. } => username,
        }
    }
}

/// What a request tells the trail about where a decision came from: filled in once per
/// request by the API layer ([`crate::api::audit_origin`]).
#[derive(Clone, Debug)]
pub struct Origin {
    pub actor: Actor,
    pub source_ip: String,
    pub user_agent: Option<String>,
    pub request_id: String,
    pub dialect: &'static str,
}

impl Origin {
    /// The same request, with the actor it turned out to be.
    pub fn by(&self, actor: Actor) -> Origin {
        Origin {
            actor,
            ..self.clone()
        }
    }

    /// An origin for work no request asked for (tests, maintenance commands).
    pub fn system(dialect: &'static str) -> Origin {
        Origin {
            actor: Actor::system(),
            source_ip: "local".into(),
            user_agent: None,
            request_id: ulid::Ulid::new().to_string(),
            dialect,
        }
    }
}

/// The longest user agent a record keeps (longer ones are cut on a character boundary).
pub const MAX_USER_AGENT: usize = 256;
/// The longest reason a record keeps.
pub const MAX_REASON: usize = 300;

/// One audit record as it is stored and answered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    /// A ULID: sorts by time, unique.
    pub id: String,
    /// Milliseconds since the Unix epoch.
    pub time_ms: i64,
    #[serde(rename = "type")]
    pub kind: AuditType,
    pub actor: String,
    pub subject: String,
    pub outcome: Outcome,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub source_ip: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    pub request_id: String,
    pub dialect: String,
}

impl AuditEvent {
    /// A record of `kind` on `subject`, made now by `origin`'s actor.
    pub fn new(kind: AuditType, origin: &Origin, subject: &str, outcome: Outcome) -> AuditEvent {
        let id = ulid::Ulid::new();
        AuditEvent {
            id: id.to_string(),
            time_ms: i64::try_from(id.timestamp_ms()).unwrap_or(i64::MAX),
            kind,
            actor: origin.actor.as_str().to_owned(),
            subject: cut(subject, 256),
            outcome,
            reason: None,
            source_ip: origin.source_ip.clone(),
            user_agent: origin
                .user_agent
                .as_deref()
                .map(|ua| cut(ua, MAX_USER_AGENT)),
            request_id: origin.request_id.clone(),
            dialect: origin.dialect.to_owned(),
        }
    }

    /// As [`AuditEvent::new`], with a given id: its time is the id's (a record whose id is
    /// derived from what it records, so writing it twice finds the first).
    pub fn with_id(
        id: ulid::Ulid,
        kind: AuditType,
        origin: &Origin,
        subject: &str,
        outcome: Outcome,
    ) -> AuditEvent {
        AuditEvent {
            id: id.to_string(),
            time_ms: i64::try_from(id.timestamp_ms()).unwrap_or(i64::MAX),
            ..AuditEvent::new(kind, origin, subject, outcome)
        }
    }

    pub fn success(kind: AuditType, origin: &Origin, subject: &str) -> AuditEvent {
        AuditEvent::new(kind, origin, subject, Outcome::Success)
    }

    pub fn failure(kind: AuditType, origin: &Origin, subject: &str, reason: &str) -> AuditEvent {
        AuditEvent::new(kind, origin, subject, Outcome::Failure).because(reason)
    }

    pub fn because(mut self, reason: &str) -> AuditEvent {
        self.reason = Some(cut(reason, MAX_REASON));
        self
    }
}

fn cut(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_names_its_type_with_dots_and_cuts_long_fields() {
        let mut origin = Origin::system("admin");
        origin.user_agent = Some("é".repeat(200));
        let event = AuditEvent::success(AuditType::DeviceCodeRedeemed, &origin, "printer-1");
        assert_eq!(event.kind.as_str(), "device_code.redeemed");
        assert!(
            event
                .user_agent
                .as_deref()
                .is_some_and(|ua| ua.len() <= 256)
        );
        assert_eq!(event.actor, "system");
        let json = serde_json::to_value(&event).unwrap_or_default();
        assert_eq!(json["type"], "device_code.redeemed");
        assert!(event.time_ms > 1_700_000_000_000);
    }
}
