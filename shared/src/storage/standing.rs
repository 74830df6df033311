//! The rule of good standing, in its two encodings side by side: the condition checks a
//! redemption's or refresh's transaction carries (DynamoDB judges them as it writes), and the
//! judgement in Rust of the same records read in one round trip (introspection, the reads a
//! redemption makes before it writes). A holder is in good standing when: an OAuth client is
//! enabled and, if self-registered, not idle-expired, and the user it acts for (if any) is
//! enabled; a device is approved and its API key usable (enabled, unexpired); a user is enabled,
//! their API key usable and the device they signed in on (if any) approved with its family
//! active. The tests hold both encodings to one truth table.

use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, TransactWriteItem};

use crate::error::Error;
use crate::model::{
    ApiKey, Device, DeviceStatus, FamilyStatus, Holder, OAuthClient, TokenFamily, User,
};

use super::Store;
use super::checks::{API_KEY_EXPIRES_AT, is_self_registered};
use super::dynamo::{build_error, n, s, take};

/// What a redemption or refresh found no longer in good standing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Inactive {
    /// The Paragon device is no longer approved.
    Device,
    /// The API key is disabled or expired.
    ApiKey,
    /// The OAuth client is disabled.
    Client,
    /// The user who approved is disabled.
    User,
}

/// The records a token's standing depends on (absent ones are `None`).
#[derive(Debug, Default)]
pub struct Standing {
    pub family: Option<TokenFamily>,
    pub client: Option<OAuthClient>,
    pub user: Option<User>,
    pub device: Option<Device>,
    pub api_key: Option<ApiKey>,
    /// A user token's device's own token family, when it was issued on a device.
    pub device_family: Option<TokenFamily>,
}

impl Inactive {
    /// What the caller is told when this record lapsed (a redemption's or refresh's refusal).
    pub fn refusal(self) -> Error {
        match self {
            Inactive::Device => Error::InvalidGrant("the device is no longer approved".into()),
            Inactive::ApiKey => Error::InvalidClient("the API key is disabled or expired".into()),
            Inactive::Client => Error::InvalidClient("the client is disabled".into()),
            Inactive::User => Error::InvalidGrant("the user who approved is disabled".into()),
        }
    }
}

/// The first of a holder's records (read into `standing`) that is no longer in good standing,
/// in the order a redemption's or refresh's transaction would have checked them: an OAuth
/// client still active and its user enabled; a device approved and its API key usable; a
/// user enabled, their API key usable and their device, if any, approved with its family active.
pub fn lapse(standing: &Standing, holder: Holder<'_>, now: i64) -> Option<Inactive> {
    let client_ok = || standing.client.as_ref().is_some_and(|c| c.is_active(now));
    let user_ok = || standing.user.as_ref().is_some_and(|u| !u.disabled);
    let device_ok = || {
        standing
            .device
            .as_ref()
            .is_some_and(|d| d.status == DeviceStatus::Approved)
    };
    let api_key_ok = || standing.api_key.as_ref().is_some_and(|k| k.is_usable(now));
    let device_family_ok = || {
        standing
            .device_family
            .as_ref()
            .is_some_and(|f| f.status == FamilyStatus::Active)
    };
    let checks: &[(Inactive, &dyn Fn() -> bool)] = match holder {
        Holder::OAuthClient { username: None, .. } => &[(Inactive::Client, &client_ok)],
        Holder::OAuthClient { .. } => &[(Inactive::Client, &client_ok), (Inactive::User, &user_ok)],
        Holder::Device { .. } => &[
            (Inactive::Device, &device_ok),
            (Inactive::ApiKey, &api_key_ok),
        ],
        Holder::User { device: None, .. } => {
            &[(Inactive::User, &user_ok), (Inactive::ApiKey, &api_key_ok)]
        }
        Holder::User { .. } => &[
            (Inactive::User, &user_ok),
            (Inactive::ApiKey, &api_key_ok),
            (Inactive::Device, &device_ok),
            (Inactive::Device, &device_family_ok),
        ],
    };
    checks.iter().find(|(_, ok)| !ok()).map(|(which, _)| *which)
}

impl Store {
    /// Condition checks that a code's or token's holder is still in good standing, each with
    /// what its failure means.
    pub(super) fn holder_checks(
        &self,
        holder: Holder<'_>,
        now: i64,
    ) -> Result<Vec<(TransactWriteItem, Inactive)>, Error> {
        Ok(match holder {
            Holder::Device {
                client_id,
                api_key_hash,
            } => vec![
                (self.device_active_check(client_id)?, Inactive::Device),
                (
                    self.api_key_usable_check(api_key_hash, now)?,
                    Inactive::ApiKey,
                ),
            ],
            Holder::OAuthClient {
                client_id,
                username,
            } => {
                let mut checks =
                    vec![(self.client_enabled_check(client_id, now)?, Inactive::Client)];
                if let Some(username) = username {
                    checks.push((self.user_enabled_check(username)?, Inactive::User));
                }
                checks
            }
            Holder::User {
                username,
                api_key_hash,
                device,
            } => {
                let mut checks = vec![
                    (self.user_enabled_check(username)?, Inactive::User),
                    (
                        self.api_key_usable_check(api_key_hash, now)?,
                        Inactive::ApiKey,
                    ),
                ];
                if let Some(device) = device {
                    checks.push((
                        self.device_active_check(&device.client_id)?,
                        Inactive::Device,
                    ));
                    checks.push((
                        self.family_active_check(&device.family_id)?,
                        Inactive::Device,
                    ));
                }
                checks
            }
        })
    }

    pub(super) fn device_active_check(&self, client_id: &str) -> Result<TransactWriteItem, Error> {
        let check = ConditionCheck::builder()
            .table_name(&self.tables.devices)
            .key("client_id", s(client_id))
            .condition_expression("#s = :approved")
            .expression_attribute_names("#s", "status")
            .expression_attribute_values(":approved", s(DeviceStatus::Approved.as_str()))
            .build()
            .map_err(build_error)?;
        Ok(TransactWriteItem::builder().condition_check(check).build())
    }

    pub(super) fn api_key_usable_check(
        &self,
        key_hash: &str,
        now: i64,
    ) -> Result<TransactWriteItem, Error> {
        let check = ConditionCheck::builder()
            .table_name(&self.tables.api_keys)
            .key("key_hash", s(key_hash))
            // The expiry is an API key setting: `ApiKey.settings.expires_at`.
            .condition_expression(
                "disabled = :f AND (attribute_not_exists(#st.#ex) OR #st.#ex > :now)",
            )
            .expression_attribute_names("#st", API_KEY_EXPIRES_AT.0)
            .expression_attribute_names("#ex", API_KEY_EXPIRES_AT.1)
            .expression_attribute_values(":f", AttributeValue::Bool(false))
            .expression_attribute_values(":now", n(now))
            .build()
            .map_err(build_error)?;
        Ok(TransactWriteItem::builder().condition_check(check).build())
    }

    /// That a token's client is still enabled and, if self-registered, not idle-expired; for a
    /// self-registered client the redemption or refresh also counts as a use.
    pub(super) fn client_enabled_check(
        &self,
        client_id: &str,
        now: i64,
    ) -> Result<TransactWriteItem, Error> {
        let condition = "disabled = :f AND (attribute_not_exists(expires_at) OR expires_at > :now)";
        if is_self_registered(client_id) {
            let enabled = vec![(":f".to_owned(), AttributeValue::Bool(false))];
            let update = self
                .client_use(client_id, condition, enabled, now)
                .build()
                .map_err(build_error)?;
            return Ok(TransactWriteItem::builder().update(update).build());
        }
        let check = ConditionCheck::builder()
            .table_name(&self.tables.clients)
            .key("client_id", s(client_id))
            .condition_expression(condition)
            .expression_attribute_values(":f", AttributeValue::Bool(false))
            .expression_attribute_values(":now", n(now))
            .build()
            .map_err(build_error)?;
        Ok(TransactWriteItem::builder().condition_check(check).build())
    }

    pub(super) fn user_enabled_check(&self, username: &str) -> Result<TransactWriteItem, Error> {
        let check = ConditionCheck::builder()
            .table_name(&self.tables.users)
            .key("username", s(username))
            .condition_expression("disabled = :f")
            .expression_attribute_values(":f", AttributeValue::Bool(false))
            .build()
            .map_err(build_error)?;
        Ok(TransactWriteItem::builder().condition_check(check).build())
    }
    pub(super) fn family_active_check(&self, family_id: &str) -> Result<TransactWriteItem, Error> {
        let check = ConditionCheck::builder()
            .table_name(&self.tables.families)
            .key("family_id", s(family_id))
            .condition_expression("#s = :active")
            .expression_attribute_names("#s", "status")
            .expression_attribute_values(":active", s(FamilyStatus::Active.as_str()))
            .build()
            .map_err(build_error)?;
        Ok(TransactWriteItem::builder().condition_check(check).build())
    }

    /// What a token's standing depends on (introspection, a redemption's judgement): its family
    /// and its holder's records in one round trip, and a second for a user token issued on a
    /// device, whose device's family lives in the same table as the token's own.
    pub async fn get_standing(
        &self,
        family_id: Option<&str>,
        holder: Holder<'_>,
    ) -> Result<Standing, Error> {
        let mut keys = Vec::new();
        if let Some(family_id) = family_id {
            keys.push((&self.tables.families, "family_id", family_id));
        }
        match holder {
            Holder::OAuthClient {
                client_id,
                username,
            } => {
                keys.push((&self.tables.clients, "client_id", client_id));
                if let Some(username) = username {
                    keys.push((&self.tables.users, "username", username));
                }
            }
            Holder::Device {
                client_id,
                api_key_hash,
            } => {
                keys.push((&self.tables.devices, "client_id", client_id));
                keys.push((&self.tables.api_keys, "key_hash", api_key_hash));
            }
            Holder::User {
                username,
                api_key_hash,
                device,
            } => {
                keys.push((&self.tables.users, "username", username));
                keys.push((&self.tables.api_keys, "key_hash", api_key_hash));
                if let Some(device) = device {
                    keys.push((&self.tables.devices, "client_id", &device.client_id));
                }
            }
        }
        let mut found = self.batch_get(&keys).await?;
        let device_family = match holder {
            Holder::User {
                device: Some(device),
                ..
            } => self.get_family(&device.family_id).await?,
            _ => None,
        };
        Ok(Standing {
            family: take(&mut found, &self.tables.families)?,
            client: take(&mut found, &self.tables.clients)?,
            user: take(&mut found, &self.tables.users)?,
            device: take(&mut found, &self.tables.devices)?,
            api_key: take(&mut found, &self.tables.api_keys)?,
            device_family,
        })
    }
}

/// Whether a holder check must still ride in the transaction: not when the request has just
/// read and judged that record (`judged`), except a self-registered client's, whose check also
/// records the use.
pub(super) fn still_checked(judged: &[Inactive], which: Inactive, client_id: &str) -> bool {
    !judged.contains(&which) || (which == Inactive::Client && is_self_registered(client_id))
}

#[cfg(test)]
mod tests;
