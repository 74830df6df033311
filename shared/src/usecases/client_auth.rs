//! Client authentication (RFC 6749 §2.3): a confidential client proves its secret
//! (`client_secret_basic` or `client_secret_post`), a public one sends only its `client_id`
//! (`none`). Where a write carries the proof as a condition, `explain_refusal` says why it was
//! refused.

use crate::error::Error;
use crate::model::*;
use crate::secrets::{hash_secret, hashes_match};
use crate::storage::*;

/// What a client presented to authenticate, as the dialect read it.
#[derive(Clone, Debug)]
pub struct ClientCredentials {
    pub client_id: String,
    /// `None`: the client claims to be public (method `none`).
    pub secret: Option<String>,
}

impl ClientCredentials {
    pub(crate) fn secret_hash(&self) -> Option<String> {
        self.secret.as_deref().map(hash_secret)
    }
}

/// Authenticates a client the caller has read: unknown, disabled, or wrong secret is
/// `invalid_client` (401), with one message for all so that probing learns nothing.
pub fn authenticate(
    client: Option<OAuthClient>,
    credentials: &ClientCredentials,
    now: i64,
) -> Result<OAuthClient, Error> {
    let refused = || Error::InvalidClient("client authentication failed".into());
    let client = client.ok_or_else(refused)?;
    if !client.is_active(now) {
        return Err(refused());
    }
    match (&client.secret_hash, credentials.secret_hash()) {
        (Some(stored), Some(presented)) if hashes_match(stored, &presented) => {
            // Said only to whoever knows the secret.
            if client.secret_expires_at.is_some_and(|at| at <= now) {
                return Err(Error::InvalidClient(
                    "the client secret has expired; register the client again".into(),
                ));
            }
            Ok(client)
        }
        (None, None) if client.client_type == OAuthClientType::Public => Ok(client),
        _ => Err(refused()),
    }
}

/// Judges the API key a Paragon device or user presents (`presented_hash`), as read now: an
/// unknown, disabled or expired key is `invalid_client`, and a key used from outside its
/// `allowed_sources` is refused (403). Every use of a key (registration, every poll, login,
/// refresh) is judged so, by the key as it is at that use.
pub(crate) fn admit_api_key(
    found: Option<ApiKey>,
    presented_hash: &str,
    source: &str,
    now: i64,
) -> Result<ApiKey, Error> {
    let key = found
        .filter(|k| hashes_match(&k.key_hash, presented_hash) && k.is_usable(now))
        .ok_or_else(|| Error::InvalidClient("unknown, disabled or expired API key".into()))?;
    key.settings.check_source(source)?;
    Ok(key)
}

/// Says why a write guarded by a [`ClientProof`] was refused, from the client as it was.
pub(crate) fn explain_refusal(
    client: Option<OAuthClient>,
    credentials: &ClientCredentials,
    grant: GrantType,
    scope: Option<&Scope>,
    now: i64,
) -> Error {
    let client = match authenticate(client, credentials, now) {
        Ok(client) => client,
        Err(e) => return e,
    };
    if !client.allows(grant) {
        return Error::UnauthorizedClient(format!(
            "this client may not use the {} grant",
            grant.as_str()
        ));
    }
    if let Some(scope) = scope
        && !scope.is_subset_of(&client.scopes)
    {
        return Error::InvalidScope(
            "the requested scope is not within the client's registered scope".into(),
        );
    }
    // Everything checks out now: the client changed between the write and this read.
    Error::InvalidClient("the client changed during the request; retry".into())
}

pub(crate) fn proof<'a>(
    credentials: &'a ClientCredentials,
    secret_hash: &'a Option<String>,
    grant: GrantType,
    scope: Option<&'a Scope>,
    now: i64,
) -> ClientProof<'a> {
    ClientProof {
        client_id: &credentials.client_id,
        secret_hash: secret_hash.as_deref(),
        grant,
        scope,
        now,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(kind: OAuthClientType, secret: Option<&str>) -> OAuthClient {
        OAuthClient::new(
            "c1",
            "CLI",
            kind,
            secret.map(hash_secret),
            vec![GrantType::DeviceCode],
            0,
        )
    }

    fn creds(secret: Option<&str>) -> ClientCredentials {
        ClientCredentials {
            client_id: "c1".into(),
            secret: secret.map(str::to_owned),
        }
    }

    #[test]
    fn confidential_clients_need_their_secret() {
        let c = client(OAuthClientType::Confidential, Some("s3cret"));
        assert!(authenticate(Some(c.clone()), &creds(Some("s3cret")), 0).is_ok());
        assert!(authenticate(Some(c.clone()), &creds(Some("wrong")), 0).is_err());
        assert!(authenticate(Some(c), &creds(None), 0).is_err());
    }

    #[test]
    fn public_clients_send_no_secret_and_disabled_clients_fail() {
        let mut c = client(OAuthClientType::Public, None);
        assert!(authenticate(Some(c.clone()), &creds(None), 0).is_ok());
        assert!(authenticate(Some(c.clone()), &creds(Some("x")), 0).is_err());
        c.disabled = true;
        assert!(matches!(
            authenticate(Some(c), &creds(None), 0),
            Err(Error::InvalidClient(_))
        ));
        assert!(authenticate(None, &creds(None), 0).is_err());
    }

    #[test]
    fn refusals_name_the_right_error() -> Result<(), Error> {
        let c = client(OAuthClientType::Public, None);
        let e = explain_refusal(
            Some(c.clone()),
            &creds(None),
            GrantType::RefreshToken,
            None,
            0,
        );
        assert!(matches!(e, Error::UnauthorizedClient(_)));
        let scope = Scope::parse("admin")?;
        let e = explain_refusal(
            Some(c),
            &creds(None),
            GrantType::DeviceCode,
            Some(&scope),
            0,
        );
        assert!(matches!(e, Error::InvalidScope(_)));
        Ok(())
    }
}
