//! Device codes and user codes: starting a device authorization, recording polls, slowing
//! them down, the one redemption, and a user's decision on the verification page.

use aws_sdk_dynamodb::types::{ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update};

use crate::error::Error;
use crate::model::{
    ApiKey, AuditEvent, CodeStatus, DeviceCode, Lifetimes, OAuthClient, Owner, TokenFamily,
    UserCodeRecord,
};

use super::dynamo::{
    Conditional, build_error, conditional, describe, failed, first_failed, n, passed, put,
    reason_item, s, tx_put,
};
use super::{ClientProof, Inactive, NewPair, Store};

/// What happened to a pending poll's conditional write.
#[derive(Debug)]
pub enum PollWrite {
    /// The code is pending and the poll was recorded: answer `authorization_pending`.
    Recorded,
    /// A condition on the code failed; here is the item as it was (None: no such code).
    Refused(Option<Box<DeviceCode>>),
}

/// Who presents a device code at the token endpoint. Either way the proof is checked against
/// what the code recorded when it was issued, so a pending poll writes one item and reads none.
#[derive(Clone, Copy, Debug)]
pub enum PollPresenter<'a> {
    Device {
        client_id: &'a str,
        api_key_hash: &'a str,
        signed: bool,
    },
    /// An OAuth client: the SHA-256 of the secret it presented (None: a public client).
    OAuthClient {
        client_id: &'a str,
        secret_hash: Option<&'a str>,
    },
}

#[derive(Debug)]
pub enum RedeemOutcome {
    Redeemed,
    /// The code was no longer approved (another poll redeemed it, or it expired).
    CodeChanged(Option<Box<DeviceCode>>),
    Inactive(Inactive),
}

#[derive(Debug)]
pub enum StartOutcome {
    Started,
    /// The client did not authenticate or may not ask this; the client as it was, if it exists.
    ClientRefused(Option<Box<OAuthClient>>),
    /// The user code is live for another request (rare: 1 in 2.5e10 per live code); draw again.
    UserCodeTaken,
}

/// A user's decision on the verification page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PageDecision {
    Approve,
    Deny,
}

impl Store {
    /// OAuth device codes still waiting for a person (a user code, pending, unexpired), for the
    /// console. A filtered Scan: the table holds only codes in flight (they live minutes and TTL
    /// removes them), so it reads little, and no index costs every flow a write.
    pub async fn list_waiting_device_codes(&self, now: i64) -> Result<Vec<DeviceCode>, Error> {
        let items = self
            .client
            .scan()
            .table_name(&self.tables.device_codes)
            .filter_expression(
                "#status = :pending AND expires_at > :now AND attribute_exists(user_code_hmac)",
            )
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":pending", s(CodeStatus::Pending.as_str()))
            .expression_attribute_values(":now", n(now))
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| super::dynamo::db_error("Scan", e))?;
        items.into_iter().map(super::dynamo::from_item).collect()
    }

    pub async fn get_device_code(&self, code_hash: &str) -> Result<Option<DeviceCode>, Error> {
        self.get(&self.tables.device_codes, "code_hash", code_hash)
            .await
    }

    /// A device code and the API key presented with it, in one round trip (a signed poll).
    pub async fn get_device_code_and_api_key(
        &self,
        code_hash: &str,
        api_key_hash: &str,
    ) -> Result<(Option<DeviceCode>, Option<ApiKey>), Error> {
        self.get_two(
            (&self.tables.device_codes, "code_hash", code_hash),
            (&self.tables.api_keys, "key_hash", api_key_hash),
        )
        .await
    }

    /// Records a poll of a pending code in one round trip: a conditional write to the code
    /// alone (one write unit). It succeeds only when the code is pending, unexpired, polled no
    /// sooner than its interval, and presented by whom it was issued to: a Paragon device under
    /// its API key (and, unsigned, only for a code bound to no device key), or the OAuth client
    /// with the secret it authenticated with when the code was issued. The client itself is not
    /// read or checked here: the redemption reads and authenticates it as it is then, so a
    /// disabled client's polls stay pending until they fail there. Otherwise it changes nothing
    /// and returns what it found, for the caller to say why.
    pub async fn record_pending_poll(
        &self,
        code_hash: &str,
        presenter: PollPresenter<'_>,
        now: i64,
    ) -> Result<PollWrite, Error> {
        let mut condition =
            "#s = :pending AND expires_at > :now AND next_poll_at <= :now AND client_id = :cid"
                .to_owned();
        let mut names = vec![("#s", "status"), ("#i", "interval"), ("#o", "owner")];
        let mut values = vec![
            (":pending", s(CodeStatus::Pending.as_str())),
            (":now", n(now)),
        ];
        match presenter {
            PollPresenter::Device {
                client_id,
                api_key_hash,
                signed,
            } => {
                condition.push_str(" AND #o.api_key_hash = :akh");
                if !signed {
                    condition.push_str(" AND attribute_not_exists(#k)");
                    names.push(("#k", "key"));
                }
                values.push((":cid", s(client_id)));
                values.push((":akh", s(api_key_hash)));
            }
            PollPresenter::OAuthClient {
                client_id,
                secret_hash,
            } => {
                condition.push_str(" AND #o.#kd = :client");
                names.push(("#kd", "kind"));
                values.push((":cid", s(client_id)));
                values.push((":client", s(Owner::CLIENT_KIND)));
                match secret_hash {
                    Some(hash) => {
                        condition.push_str(" AND client_secret_hash = :csh");
                        values.push((":csh", s(hash)));
                    }
                    None => condition.push_str(" AND attribute_not_exists(client_secret_hash)"),
                }
            }
        }
        // The SDK retries a write whose answer was lost; the retry is refused (the first one
        // moved next_poll_at on) and must not read as a too-early poll.
        let poll_id = ulid::Ulid::new().to_string();
        values.push((":pid", s(&poll_id)));
        let mut update = self
            .client
            .update_item()
            .table_name(&self.tables.device_codes)
            .key("code_hash", s(code_hash))
            .update_expression("SET next_poll_at = #i + :now, last_poll_id = :pid")
            .condition_expression(condition)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        for (k, v) in names {
            update = update.expression_attribute_names(k, v);
        }
        for (k, v) in values {
            update = update.expression_attribute_values(k, v);
        }
        Ok(
            match conditional::<DeviceCode>(update.send().await, "UpdateItem device code")? {
                Conditional::Written => PollWrite::Recorded,
                Conditional::Refused(Some(old))
                    if old.last_poll_id.as_deref() == Some(poll_id.as_str()) =>
                {
                    PollWrite::Recorded
                }
                Conditional::Refused(old) => PollWrite::Refused(old.map(Box::new)),
            },
        )
    }

    /// A poll came too soon: the interval grows by 5 s and stays grown (RFC 8628 §3.5).
    pub async fn slow_down(&self, code: &DeviceCode, now: i64) -> Result<(), Error> {
        let grown = code.interval + 5;
        let result = self
            .client
            .update_item()
            .table_name(&self.tables.device_codes)
            .key("code_hash", s(&code.code_hash))
            .update_expression("SET #i = :grown, next_poll_at = :next")
            .condition_expression("#s = :pending AND #i = :old")
            .expression_attribute_names("#s", "status")
            .expression_attribute_names("#i", "interval")
            .expression_attribute_values(":pending", s(CodeStatus::Pending.as_str()))
            .expression_attribute_values(":old", n(code.interval))
            .expression_attribute_values(":grown", n(grown))
            .expression_attribute_values(":next", n(now + grown))
            .send()
            .await;
        // Refused: another poll grew it first, or the code was decided meanwhile; either way
        // the answer `slow_down` stands and there is nothing more to write.
        conditional::<DeviceCode>(result, "UpdateItem slow_down")?;
        Ok(())
    }

    /// Redeems an approved device code exactly once: the code flips approved -> redeemed, its
    /// holder is checked still in good standing (but for the records the caller read and
    /// `judged`), and the token family and both tokens are written, all in one transaction.
    pub async fn redeem(
        &self,
        code: &DeviceCode,
        judged: &[Inactive],
        family: &TokenFamily,
        pair: NewPair<'_>,
        now: i64,
    ) -> Result<RedeemOutcome, Error> {
        let mut code_update = Update::builder()
            .table_name(&self.tables.device_codes)
            .key("code_hash", s(&code.code_hash))
            .update_expression("SET #s = :redeemed, family_id = :fid")
            .condition_expression("#s = :approved AND expires_at > :now")
            .expression_attribute_names("#s", "status")
            .expression_attribute_values(":redeemed", s(CodeStatus::Redeemed.as_str()))
            .expression_attribute_values(":approved", s(CodeStatus::Approved.as_str()))
            .expression_attribute_values(":fid", s(&family.family_id))
            .expression_attribute_values(":now", n(now))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        if let Some(by) = pair.replay_key {
            code_update = code_update
                .update_expression("SET #s = :redeemed, family_id = :fid, redeemed_by = :by")
                .expression_attribute_values(":by", s(by));
        }
        let code_update = code_update.build().map_err(build_error)?;
        let mut items = vec![TransactWriteItem::builder().update(code_update).build()];
        let (issue, inactive) =
            self.first_issue(code.holder(), judged, family, pair.tokens, now)?;
        items.extend(issue);
        let Some(reasons) = self.transact_audited(items, &[pair.audit]).await? else {
            return Ok(RedeemOutcome::Redeemed);
        };
        if failed(&reasons, 0) {
            let old = reason_item(&reasons, 0)?;
            return Ok(RedeemOutcome::CodeChanged(old.map(Box::new)));
        }
        if let Some(which) = first_failed(&reasons, 1, &inactive) {
            return Ok(RedeemOutcome::Inactive(which));
        }
        Err(Error::internal(format!(
            "redeem cancelled: {}",
            describe(&reasons)
        )))
    }

    /// Starts a device authorization in one round trip: the client authenticates and is checked
    /// for the grant and scope, the device code is written, and the user code is claimed unless
    /// a live code holds it (an expired one is taken over), with the issue's audit record.
    pub async fn start_device_authorization(
        &self,
        proof: &ClientProof<'_>,
        code: &DeviceCode,
        user_code: &UserCodeRecord,
        audit: &AuditEvent,
    ) -> Result<StartOutcome, Error> {
        let now = proof.now;
        let items = vec![
            self.client_proof_at_start(proof)?,
            tx_put(
                put(&self.tables.device_codes, code)?
                    .condition_expression("attribute_not_exists(code_hash)"),
            )?,
            tx_put(
                put(&self.tables.user_codes, user_code)?
                    .condition_expression("attribute_not_exists(code_hmac) OR expires_at <= :now")
                    .expression_attribute_values(":now", n(now)),
            )?,
        ];
        let Some(reasons) = self.transact_audited(items, &[audit]).await? else {
            return Ok(StartOutcome::Started);
        };
        if !passed(&reasons, 0) {
            let client = reason_item(&reasons, 0)?;
            return Ok(StartOutcome::ClientRefused(client.map(Box::new)));
        }
        if failed(&reasons, 2) {
            return Ok(StartOutcome::UserCodeTaken);
        }
        Err(Error::internal("device code collided with an existing one"))
    }

    pub async fn get_user_code(&self, code_hmac: &str) -> Result<Option<UserCodeRecord>, Error> {
        self.get(&self.tables.user_codes, "code_hmac", code_hmac)
            .await
    }

    /// A device code and the client it was issued to, in one round trip (the page shows both).
    pub async fn get_code_and_client(
        &self,
        code_hash: &str,
        client_id: &str,
    ) -> Result<(Option<DeviceCode>, Option<OAuthClient>), Error> {
        self.get_two(
            (&self.tables.device_codes, "code_hash", code_hash),
            (&self.tables.clients, "client_id", client_id),
        )
        .await
    }

    /// A signed-in user's decision on a pending OAuth device code, with its audit record: one
    /// transaction of the conditional write to the code and the record. `Ok(false)`: the code
    /// is no longer pending (decided, expired); nothing changed. On approval the code also
    /// takes the scope the user saw and the client's token lifetimes. The user is not checked
    /// here: the page read them enabled moments ago, the redemption reads and judges them
    /// again before any token exists, and every use of the tokens reads them once more.
    pub async fn decide_on_page(
        &self,
        code_hash: &str,
        username: &str,
        decision: PageDecision,
        granted: (Option<&str>, Lifetimes),
        now: i64,
        audit: &AuditEvent,
    ) -> Result<bool, Error> {
        let (scope, lifetimes) = granted;
        let decided = match decision {
            PageDecision::Approve => CodeStatus::Approved,
            PageDecision::Deny => CodeStatus::Denied,
        };
        let update = Update::builder()
            .table_name(&self.tables.device_codes)
            .key("code_hash", s(code_hash))
            .update_expression(match scope {
                Some(_) => "SET #s = :decided, #o.username = :u, lifetimes = :lt, #sc = :sc",
                None => "SET #s = :decided, #o.username = :u, lifetimes = :lt",
            })
            .condition_expression("#s = :pending AND expires_at > :now AND #o.#kd = :client")
            .expression_attribute_names("#s", "status")
            .expression_attribute_values(":decided", s(decided.as_str()))
            .expression_attribute_values(":pending", s(CodeStatus::Pending.as_str()))
            .expression_attribute_values(":u", s(username))
            .expression_attribute_names("#o", "owner")
            .expression_attribute_names("#kd", "kind")
            .expression_attribute_values(":client", s(Owner::CLIENT_KIND))
            .expression_attribute_values(":now", n(now))
            .expression_attribute_values(
                ":lt",
                serde_dynamo::to_attribute_value(lifetimes)
                    .map_err(|e| Error::internal(format!("encode lifetimes: {e}")))?,
            );
        let update = match scope {
            Some(scope) => update
                .expression_attribute_names("#sc", "scope")
                .expression_attribute_values(":sc", s(scope)),
            None => update,
        };
        let update = update
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(build_error)?;
        let items = vec![TransactWriteItem::builder().update(update).build()];
        let Some(reasons) = self.transact_audited(items, &[audit]).await? else {
            return Ok(true);
        };
        if !failed(&reasons, 0) {
            return Err(Error::internal(format!(
                "page decision cancelled: {}",
                describe(&reasons)
            )));
        }
        // The SDK retries a write whose answer was lost: finding this very decision by this
        // user already made is that write (and its record) having happened.
        let old: Option<DeviceCode> = reason_item(&reasons, 0)?;
        Ok(old.is_some_and(|c| c.status == decided && c.owner.username() == Some(username)))
    }
}
