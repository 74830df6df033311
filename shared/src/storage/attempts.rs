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
use super::dynamo::{build_error, describe, failed, n, s};

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
    /// Takes one attempt from each counter, atomically, all or none. `Ok(Some(full))`: a
    /// counter was full and nothing changed; it admits an attempt again in `full.wait` seconds.
    ///
    /// One round trip when no counter holds a recent failure (each is written as if empty);
    /// otherwise each further round writes the `tat` the previous one found, on the condition
    /// that it is still that. A round is lost only to another attempt's win on the same
    /// counter, so rounds are bounded by the attempts the counters can admit at all.
    pub async fn take_attempts(
        &self,
        counters: &[AttemptCounter],
        now: i64,
    ) -> Result<Option<Full>, Error> {
        let mut seen: Vec<Option<i64>> = vec![None; counters.len()];
        let rounds = 2 + counters.iter().map(|c| c.burst.max(0)).sum::<i64>();
        for _ in 0..rounds {
            let items = counters
                .iter()
                .zip(&seen)
                .map(|(counter, tat)| self.take_attempt_item(counter, *tat, now))
                .collect::<Result<Vec<_>, _>>()?;
            let Some(reasons) = self.transact(items).await? else {
                return Ok(None);
            };
            for (i, counter) in counters.iter().enumerate() {
                if !failed(&reasons, i) {
                    continue;
                }
                let tat = reasons
                    .get(i)
                    .and_then(|r| r.item())
                    .and_then(|item| item.get("tat"))
                    .and_then(|v| v.as_n().ok())
                    .and_then(|v| v.parse::<i64>().ok());
                let wait = counter.wait(tat, now);
                if let (true, Some(tat)) = (wait > 0, tat) {
                    return Ok(Some(Full {
                        counter: i,
                        tat,
                        wait,
                    }));
                }
                seen[i] = tat.filter(|t| *t > now);
            }
        }
        // Every round lost to concurrent attempts: as full as can be told (no trip recorded:
        // `tat` 0 matches no counter).
        Ok(Some(Full {
            counter: 0,
            tat: 0,
            wait: counters.iter().map(|c| c.interval).min().unwrap_or(1),
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

    /// One attempt taken from a counter, inside a transaction: from an empty counter (`tat`
    /// absent or past), or from the `tat` a previous round found.
    fn take_attempt_item(
        &self,
        counter: &AttemptCounter,
        seen: Option<i64>,
        now: i64,
    ) -> Result<TransactWriteItem, Error> {
        let update = Update::builder()
            .table_name(&self.tables.rate_limits)
            .key("counter_key", s(&counter.key))
            .update_expression("SET #tat = :next, #ttl = :next")
            .expression_attribute_names("#tat", "tat")
            .expression_attribute_names("#ttl", "ttl")
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        let update = match seen {
            None => update
                .condition_expression("attribute_not_exists(#tat) OR #tat <= :now")
                .expression_attribute_values(":now", n(now))
                .expression_attribute_values(":next", n(now + counter.interval)),
            Some(tat) => update
                .condition_expression("#tat = :seen")
                .expression_attribute_values(":seen", n(tat))
                .expression_attribute_values(":next", n(tat + counter.interval)),
        };
        Ok(TransactWriteItem::builder()
            .update(update.build().map_err(build_error)?)
            .build())
    }

    /// Gives attempts back once they succeeded (only failures count), in one transaction.
    pub async fn return_attempts(
        &self,
        counters: &[AttemptCounter],
        now: i64,
    ) -> Result<(), Error> {
        let items = self.return_attempt_items(counters, now)?;
        match self.transact(items).await? {
            None => Ok(()),
            Some(reasons) => Err(Error::internal(format!(
                "returning attempts cancelled: {}",
                describe(&reasons)
            ))),
        }
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
