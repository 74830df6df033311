//! What the pages keep: sessions, and fixed-window counters of failed attempts.

use aws_sdk_dynamodb::types::{TransactWriteItem, Update};

use crate::error::Error;
use crate::model::Session;

use super::Store;
use super::dynamo::{build_error, describe, failed, n, put, s, strings, tx_put};

/// A fixed-window counter of failed attempts: its key (kind, subject, window start), its limit,
/// and when its window ends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttemptCounter {
    pub key: String,
    pub max: i64,
    pub window_end: i64,
}

impl Store {
    /// Starts a session and gives back the sign-in's attempts, in one transaction.
    pub async fn start_session(
        &self,
        session: &Session,
        attempts: &[AttemptCounter],
    ) -> Result<(), Error> {
        let mut items = vec![tx_put(
            put(&self.tables.sessions, session)?
                .condition_expression("attribute_not_exists(session_hash)"),
        )?];
        items.extend(self.return_attempt_items(attempts)?);
        match self.transact(items).await? {
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

    pub async fn delete_session(&self, session_hash: &str) -> Result<(), Error> {
        self.delete(&self.tables.sessions, "session_hash", session_hash)
            .await
    }

    /// Takes one attempt from each fixed-window counter, atomically and before the attempt is
    /// judged, so that concurrent attempts cannot all slip under a limit: each count goes up by
    /// one only while it is below its limit, all in one transaction. `Ok(Some(i))`: counter `i`
    /// was full and nothing changed. A counter's TTL is the end of its window.
    pub async fn take_attempts(&self, counters: &[AttemptCounter]) -> Result<Option<usize>, Error> {
        let items = counters
            .iter()
            .map(|counter| self.take_attempt_item(counter))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(self.transact(items).await?.map(|reasons| {
            (0..counters.len())
                .find(|i| failed(&reasons, *i))
                .unwrap_or(0)
        }))
    }

    /// One attempt taken from a counter, inside a transaction: the count goes up by one only
    /// while it is below the limit.
    pub(super) fn take_attempt_item(
        &self,
        counter: &AttemptCounter,
    ) -> Result<TransactWriteItem, Error> {
        let update = Update::builder()
            .table_name(&self.tables.rate_limits)
            .key("counter_key", s(&counter.key))
            .update_expression("ADD #c :one SET #t = if_not_exists(#t, :end)")
            .condition_expression("attribute_not_exists(#c) OR #c < :max")
            .expression_attribute_names("#c", "count")
            .expression_attribute_names("#t", "ttl")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":end", n(counter.window_end))
            .expression_attribute_values(":max", n(counter.max))
            .build()
            .map_err(build_error)?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// Gives attempts back once they succeeded (only failures count), in one transaction.
    pub async fn return_attempts(&self, counters: &[AttemptCounter]) -> Result<(), Error> {
        let items = self.return_attempt_items(counters)?;
        match self.transact(items).await? {
            None => Ok(()),
            Some(reasons) => Err(Error::internal(format!(
                "returning attempts cancelled: {}",
                describe(&reasons)
            ))),
        }
    }

    pub(super) fn return_attempt_items(
        &self,
        counters: &[AttemptCounter],
    ) -> Result<Vec<TransactWriteItem>, Error> {
        counters
            .iter()
            .map(|counter| {
                // No condition: should TTL have removed the counter already, the item this
                // makes belongs to a window that is over and expires at once.
                let update = Update::builder()
                    .table_name(&self.tables.rate_limits)
                    .key("counter_key", s(&counter.key))
                    .update_expression("ADD #c :minus SET #t = if_not_exists(#t, :end)")
                    .expression_attribute_names("#c", "count")
                    .expression_attribute_names("#t", "ttl")
                    .expression_attribute_values(":minus", n(-1))
                    .expression_attribute_values(":end", n(counter.window_end))
                    .build()
                    .map_err(build_error)?;
                Ok(TransactWriteItem::builder().update(update).build())
            })
            .collect()
    }
}
