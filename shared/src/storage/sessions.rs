//! Sessions: a person signed in at `/device` or `/oauth2/authorize`, and admin console sessions.

use crate::error::Error;
use crate::model::{AuditEvent, ConsoleSession, Session};

use super::dynamo::{describe, put, strings, tx_put};
use super::{AttemptCounter, Store};

impl Store {
    /// Starts a session and gives back the sign-in's attempts, in one transaction.
    pub async fn start_session(
        &self,
        session: &Session,
        attempts: &[AttemptCounter],
        audit: &AuditEvent,
    ) -> Result<(), Error> {
        let mut items = vec![tx_put(
            put(&self.tables.sessions, session)?
                .condition_expression("attribute_not_exists(session_hash)"),
        )?];
        items.extend(self.return_attempt_items(attempts, session.created_at)?);
        match self.transact_audited(items, &[audit]).await? {
            None => Ok(()),
            Some(reasons) => Err(Error::internal(format!(
                "session write cancelled: {}",
                describe(&reasons)
            ))),
        }
    }

    /// A session that exists and has not expired (TTL deletion is late, so expiry is checked).
    pub async fn get_live_session(
        &self,
        session_hash: &str,
        now: i64,
    ) -> Result<Option<Session>, Error> {
        let session: Option<Session> = self
            .get(&self.tables.sessions, "session_hash", session_hash)
            .await?;
        Ok(session.filter(|s| s.expires_at > now))
    }

    /// Ends every session of a user (after a password reset, or when the user is disabled):
    /// one query on the index `by_username`, then one delete per session.
    pub async fn end_sessions_of(&self, username: &str) -> Result<usize, Error> {
        let items = self
            .query_index(&self.tables.sessions, "by_username", "username", username)
            .await?;
        let hashes = strings(&items, "session_hash");
        for hash in &hashes {
            self.delete_session(hash).await?;
        }
        Ok(hashes.len())
    }

    pub async fn put_console_session(&self, session: &ConsoleSession) -> Result<(), Error> {
        self.put_new(&self.tables.sessions, session, "session_hash")
            .await
    }

    /// A console session that exists and has not expired.
    pub async fn get_live_console_session(
        &self,
        session_hash: &str,
        now: i64,
    ) -> Result<Option<ConsoleSession>, Error> {
        let session: Option<ConsoleSession> = self
            .get(&self.tables.sessions, "session_hash", session_hash)
            .await?;
        Ok(session.filter(|s| s.expires_at > now))
    }

    pub async fn delete_session(&self, session_hash: &str) -> Result<(), Error> {
        self.delete(&self.tables.sessions, "session_hash", session_hash)
            .await
    }
}
