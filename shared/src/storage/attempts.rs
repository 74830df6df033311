//! Limits on attempts, taken before an attempt is judged so that concurrent attempts cannot all
//! slip under a limit.
//!
//! Guessing limits (user codes, sign-ins, logins) refill steadily, whatever the time of day: a
//! counter holds at most `burst` failures in a row, then admits one more every `interval`
//! (the generic cell rate algorithm: the item keeps `tat`, the time at which the counter is
//! empty again). Flood limits (registrations per source) count in fixed windows.

use aws_sdk_dynamodb::types::{ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update};

use crate::error::Error;
use crate::model::AuditEvent;

use super::Store;
use super::dynamo::{Conditional, build_error, conditional, describe, failed, n, s};

/// A guessing limit for one subject: at most `burst` failures in a row, then one every
/// `interval` seconds (so `burst` per `burst * interval` seconds in the long run).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttemptCounter {
    pub key: String,
    pub burst: i64,
    pub interval: i64,
    /// Whom the trail names when this limit trips: a username, a source address, or a login
    /// id's kind; never a secret nor its hash (the key may hold a login id's keyed hash).
    pub shown: String,
}

/// A guessing counter found full: which one (its index), the `tat` that made it full, and
/// how long until it admits an attempt again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Full {
    pub counter: usize,
    pub tat: i64,
    pub wait: i64,
}

impl AttemptCounter {
    /// The latest `tat` that still admits an attempt at `now`.
    fn last_admitting(&self, now: i64) -> i64 {
        now + (self.burst - 1) * self.interval
    }

    /// How long until this counter admits an attempt, if its `tat` is `tat`; 0 when it does now.
    pub fn wait(&self, tat: Option<i64>, now: i64) -> i64 {
        tat.map_or(0, |t| (t - self.last_admitting(now)).max(0))
    }
}

/// A fixed-window counter: its key (kind, subject, window start), its limit, and when its
/// window ends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WindowCounter {
    pub key: String,
    pub max: i64,
    pub window_end: i64,
}

impl Store {
    /// Takes one attempt from each counter, in order, each by a conditional update of its own.
    /// `Ok(Some(full))`: a counter was full; the attempts already taken from the counters
    /// before it are given back, and it admits an attempt again in `full.wait` seconds.
    ///
    /// Not one transaction, and still never more attempts than a counter admits: each counter
    /// admits an attempt only through its own conditional write. What is given up is that a
    /// refused attempt holds a slot of the counters before the full one until it gives it back
    /// (a moment; for ever if the give-back fails): a concurrent attempt may then be refused
    /// where it would have been admitted, never admitted where it should be refused. Half the
    /// write units of a transaction (1 per counter instead of 2), and a refusal by the first
    /// counter costs its one refused write and nothing else.
    pub async fn take_attempts(
        &self,
        counters: &[AttemptCounter],
        now: i64,
    ) -> Result<Option<Full>, Error> {
        for (i, counter) in counters.iter().enumerate() {
            if let Some(full) = self.take_attempt(counter, now).await? {
                let taken = counters.get(..i).unwrap_or_default();
                self.return_attempts(taken, now).await?;
                return Ok(Some(Full { counter: i, ..full }));
            }
        }
        Ok(None)
    }

    /// One attempt from one counter. One round trip when it holds no recent failure (it is
    /// written as if empty); otherwise each further round writes the `tat` the previous one
    /// found, on the condition that it is still that. A round is lost only to another
    /// attempt's win on the same counter, so rounds are bounded by what it can admit at all.
    async fn take_attempt(
        &self,
        counter: &AttemptCounter,
        now: i64,
    ) -> Result<Option<Full>, Error> {
        #[derive(serde::Deserialize)]
        struct Counter {
            tat: Option<i64>,
        }
        let mut seen = None;
        for _ in 0..2 + counter.burst.max(0) {
            let request = self
                .client
                .update_item()
                .table_name(&self.tables.rate_limits)
                .key("counter_key", s(&counter.key))
                .update_expression("SET #tat = :next, #ttl = :next")
                .expression_attribute_names("#tat", "tat")
                .expression_attribute_names("#ttl", "ttl")
                .return_values_on_condition_check_failure(
                    ReturnValuesOnConditionCheckFailure::AllOld,
                );
            let request = match seen {
                None => request
                    .condition_expression("attribute_not_exists(#tat) OR #tat <= :now")
                    .expression_attribute_values(":now", n(now))
                    .expression_attribute_values(":next", n(now + counter.interval)),
                Some(tat) => request
                    .condition_expression("#tat = :seen")
                    .expression_attribute_values(":seen", n(tat))
                    .expression_attribute_values(":next", n(tat + counter.interval)),
            };
            let tat = match conditional::<Counter>(request.send().await, "UpdateItem counter")? {
                Conditional::Written => return Ok(None),
                Conditional::Refused(found) => found.and_then(|c| c.tat),
            };
            let wait = counter.wait(tat, now);
            if let (true, Some(tat)) = (wait > 0, tat) {
                return Ok(Some(Full {
                    counter: 0,
                    tat,
                    wait,
                }));
            }
            seen = tat.filter(|t| *t > now);
        }
        // Every round lost to concurrent attempts: as full as can be told (no trip recorded:
        // `tat` 0 matches no counter).
        Ok(Some(Full {
            counter: 0,
            tat: 0,
            wait: counter.interval,
        }))
    }

    /// Records that a counter tripped, once per time it fills: the counter remembers the `tat`
    /// it was found full at, and the record is written with that mark in one transaction, on
    /// the condition that the counter is still full at that `tat` and not yet marked for it.
    /// Blocked attempts after the first write nothing, so a flood costs one record per refill
    /// interval, not one per attempt. `Ok(false)`: already recorded, or the counter moved on.
    pub async fn record_limit_trip(
        &self,
        counter: &AttemptCounter,
        full: &Full,
        audit: &AuditEvent,
    ) -> Result<bool, Error> {
        let mark = Update::builder()
            .table_name(&self.tables.rate_limits)
            .key("counter_key", s(&counter.key))
            .update_expression("SET #tripped = :tat")
            .condition_expression(
                "#tat = :tat AND (attribute_not_exists(#tripped) OR #tripped <> :tat)",
            )
            .expression_attribute_names("#tat", "tat")
            .expression_attribute_names("#tripped", "tripped_at_tat")
            .expression_attribute_values(":tat", n(full.tat))
            .build()
            .map_err(build_error)?;
        self.mark_trip(mark, audit).await
    }

    /// A trip's mark on its counter and its record, in one transaction: `Ok(false)` when the
    /// mark's condition found it already marked (or the counter moved on).
    async fn mark_trip(&self, mark: Update, audit: &AuditEvent) -> Result<bool, Error> {
        let items = vec![TransactWriteItem::builder().update(mark).build()];
        match self.transact_audited(items, &[audit]).await? {
            None => Ok(true),
            Some(reasons) if failed(&reasons, 0) => Ok(false),
            Some(reasons) => Err(Error::internal(format!(
                "recording a tripped limit cancelled: {}",
                describe(&reasons)
            ))),
        }
    }

    /// Gives attempts back once they succeeded (only failures count): one unconditional update
    /// per counter (a counter TTL already removed comes back as one already empty).
    pub async fn return_attempts(
        &self,
        counters: &[AttemptCounter],
        now: i64,
    ) -> Result<(), Error> {
        for counter in counters {
            self.client
                .update_item()
                .table_name(&self.tables.rate_limits)
                .key("counter_key", s(&counter.key))
                .update_expression("SET #tat = if_not_exists(#tat, :now) - :interval")
                .expression_attribute_names("#tat", "tat")
                .expression_attribute_values(":now", n(now))
                .expression_attribute_values(":interval", n(counter.interval))
                .send()
                .await
                .map_err(|e| super::dynamo::db_error("UpdateItem counter", e))?;
        }
        Ok(())
    }

    /// Gives attempts back inside another transaction. No condition: a counter TTL already
    /// removed comes back as one already empty.
    pub(super) fn return_attempt_items(
        &self,
        counters: &[AttemptCounter],
        now: i64,
    ) -> Result<Vec<TransactWriteItem>, Error> {
        counters
            .iter()
            .map(|counter| {
                let update = Update::builder()
                    .table_name(&self.tables.rate_limits)
                    .key("counter_key", s(&counter.key))
                    .update_expression("SET #tat = if_not_exists(#tat, :now) - :interval")
                    .expression_attribute_names("#tat", "tat")
                    .expression_attribute_values(":now", n(now))
                    .expression_attribute_values(":interval", n(counter.interval))
                    .build()
                    .map_err(build_error)?;
                Ok(TransactWriteItem::builder().update(update).build())
            })
            .collect()
    }

    /// When each guessing counter is empty again (`None`: empty, or never used), read
    /// consistently, a hundred counters a round trip.
    pub async fn attempt_counter_tats(
        &self,
        counters: &[AttemptCounter],
    ) -> Result<Vec<Option<i64>>, Error> {
        let mut tats = std::collections::HashMap::new();
        for chunk in counters.chunks(100) {
            let keys: Vec<_> = chunk
                .iter()
                .map(|c| (&self.tables.rate_limits, "counter_key", c.key.as_str()))
                .collect();
            for item in self.batch_get(&keys).await?.into_values().flatten() {
                let key = item.get("counter_key").and_then(|v| v.as_s().ok()).cloned();
                let tat = item
                    .get("tat")
                    .and_then(|v| v.as_n().ok())
                    .and_then(|v| v.parse::<i64>().ok());
                if let (Some(key), Some(tat)) = (key, tat) {
                    tats.insert(key, tat);
                }
            }
        }
        Ok(counters.iter().map(|c| tats.get(&c.key).copied()).collect())
    }

    /// Empties guessing counters, with the record of the administrator who lifted them, in
    /// one transaction.
    pub async fn clear_attempt_counters(
        &self,
        counters: &[AttemptCounter],
        audit: &AuditEvent,
    ) -> Result<(), Error> {
        let items = counters
            .iter()
            .map(|counter| {
                let delete = aws_sdk_dynamodb::types::Delete::builder()
                    .table_name(&self.tables.rate_limits)
                    .key("counter_key", s(&counter.key))
                    .build()
                    .map_err(build_error)?;
                Ok(TransactWriteItem::builder().delete(delete).build())
            })
            .collect::<Result<Vec<_>, Error>>()?;
        match self.transact_audited(items, &[audit]).await? {
            None => Ok(()),
            Some(reasons) => Err(Error::internal(format!(
                "lifting limits cancelled: {}",
                describe(&reasons)
            ))),
        }
    }

    /// Records that a window counter refused its first attempt: marked once per window, with
    /// the record, in one transaction. `Ok(false)`: this window's trip is already recorded.
    pub async fn record_window_trip(
        &self,
        counter: &WindowCounter,
        audit: &AuditEvent,
    ) -> Result<bool, Error> {
        let mark = Update::builder()
            .table_name(&self.tables.rate_limits)
            .key("counter_key", s(&counter.key))
            .update_expression("SET #tripped = :t")
            .condition_expression("attribute_exists(#c) AND attribute_not_exists(#tripped)")
            .expression_attribute_names("#c", "count")
            .expression_attribute_names("#tripped", "tripped")
            .expression_attribute_values(":t", aws_sdk_dynamodb::types::AttributeValue::Bool(true))
            .build()
            .map_err(build_error)?;
        self.mark_trip(mark, audit).await
    }

    /// One attempt counted in a fixed window, inside a transaction: the count goes up by one
    /// only while it is below the limit. The counter's TTL is the end of its window.
    pub(super) fn take_window_item(
        &self,
        counter: &WindowCounter,
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
}
