//! Authorization codes (RFC 6749 §4.1): written when a person approves, redeemed exactly once.

use aws_sdk_dynamodb::types::{ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update};

use crate::error::Error;
use crate::model::{AuthorizationCode, OAuthClient, TokenFamily};

use super::dynamo::{build_error, describe, failed, first_failed, n, reason_item, s};
use super::{Inactive, Store};

/// What a redemption found.
#[derive(Debug)]
pub enum CodeRedemption {
    Redeemed,
    /// Redeemed before (or expired in between): the code as it is now, if it still exists.
    AlreadyUsed(Option<Box<AuthorizationCode>>),
    Inactive(Inactive),
}

impl Store {
    pub async fn put_authorization_code(&self, code: &AuthorizationCode) -> Result<(), Error> {
        self.put_new(&self.tables.authorization_codes, code, "code_hash")
            .await
    }

    /// The code and the client presenting it, in one round trip.
    pub async fn get_authorization_code_and_client(
        &self,
        code_hash: &str,
        client_id: &str,
    ) -> Result<(Option<AuthorizationCode>, Option<OAuthClient>), Error> {
        self.get_two(
            (&self.tables.authorization_codes, "code_hash", code_hash),
            (&self.tables.clients, "client_id", client_id),
        )
        .await
    }

    /// Redeems a code exactly once, in one transaction: the code is marked with the family it
    /// starts (only while unredeemed and unexpired), the client and user are checked still in
    /// good standing, and the family and both tokens are written.
    pub async fn redeem_authorization_code(
        &self,
        code: &AuthorizationCode,
        family: &TokenFamily,
        pair: super::NewPair<'_>,
        now: i64,
    ) -> Result<CodeRedemption, Error> {
        let mark = Update::builder()
            .table_name(&self.tables.authorization_codes)
            .key("code_hash", s(&code.code_hash))
            .update_expression("SET family_id = :fid")
            .condition_expression(
                "attribute_exists(code_hash) AND attribute_not_exists(family_id) \
                 AND expires_at > :now",
            )
            .expression_attribute_values(":fid", s(&family.family_id))
            .expression_attribute_values(":now", n(now))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(build_error)?;
        let holder = crate::model::Holder::OAuthClient {
            client_id: &code.client_id,
            username: Some(&code.username),
        };
        let mut items = vec![TransactWriteItem::builder().update(mark).build()];
        let (issue, inactive) = self.first_issue(holder, &[], family, pair.tokens, now)?;
        items.extend(issue);
        let Some(reasons) = self.transact_audited(items, &[pair.audit]).await? else {
            return Ok(CodeRedemption::Redeemed);
        };
        if failed(&reasons, 0) {
            let now_stored = reason_item(&reasons, 0)?;
            return Ok(CodeRedemption::AlreadyUsed(now_stored.map(Box::new)));
        }
        if let Some(which) = first_failed(&reasons, 1, &inactive) {
            return Ok(CodeRedemption::Inactive(which));
        }
        Err(Error::internal(format!(
            "authorization code redemption cancelled: {}",
            describe(&reasons)
        )))
    }
}
