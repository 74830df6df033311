//! devicegate as a relying party of an upstream OpenID Provider, through the `openidconnect`
//! crate: discovery (cached per warm function, refetched on an unknown `kid`), the
//! authorization request with PKCE (S256), `state` and `nonce`, the code exchange, and the ID
//! token verified as OIDC Core §3.1.3.7 asks (signature by a key of the provider's JWK Set
//! with an asymmetric `alg` it advertises, never `none` nor HS*; `iss`; `aud` and `azp`;
//! `exp`; `nonce`), with `iat` bounded here. The upstream tokens are not kept.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreIdToken, CoreJwsSigningAlgorithm, CoreProviderMetadata,
};
use openidconnect::reqwest;
use openidconnect::{
    AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret, CsrfToken, IssuerUrl,
    Nonce, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RequestTokenError, Scope,
    SignatureVerificationError, TokenResponse,
};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value};

use crate::error::Error;
use crate::model::IdentityProvider;

/// How long discovery and the JWK Set are trusted before they are fetched again.
const FRESH_FOR: i64 = 600;
/// An unknown `kid` fetches the JWK Set again, at most this often per provider.
const REFETCH_AFTER: i64 = 60;
/// Providers cached per warm function.
const MAX_CACHED: usize = 64;
/// How far an ID token's `iat` may be in the future (clock skew) or in the past.
pub const IAT_SKEW: i64 = 60;
pub const IAT_MAX_AGE: i64 = 600;

/// The signing algorithms accepted from any provider: the asymmetric ones.
const ASYMMETRIC: [CoreJwsSigningAlgorithm; 10] = [
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha384,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha512,
    CoreJwsSigningAlgorithm::RsaSsaPssSha256,
    CoreJwsSigningAlgorithm::RsaSsaPssSha384,
    CoreJwsSigningAlgorithm::RsaSsaPssSha512,
    CoreJwsSigningAlgorithm::EcdsaP256Sha256,
    CoreJwsSigningAlgorithm::EcdsaP384Sha384,
    CoreJwsSigningAlgorithm::EcdsaP521Sha512,
    CoreJwsSigningAlgorithm::EdDsa,
];

/// One HTTPS client per warm function: no redirects (SSRF), bounded time for a provider
/// that is down or slow, and no idle connections kept: a sign-in makes two or three calls a
/// few seconds apart, and a pooled connection is bound to the runtime that opened it (one per
/// test, or per `devicegate serve`).
static HTTP: LazyLock<Result<reqwest::Client, String>> = LazyLock::new(|| {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(0)
        .connect_timeout(Duration::from_secs(3))
        .timeout(Duration::from_secs(5))
        .build()
        .map_err(|e| e.to_string())
});

fn http() -> Result<&'static reqwest::Client, Error> {
    HTTP.as_ref()
        .map_err(|e| Error::internal(format!("the upstream HTTPS client: {e}")))
}

struct Cached {
    metadata: Arc<CoreProviderMetadata>,
    fetched_at: i64,
}

static CACHE: LazyLock<Mutex<HashMap<String, Cached>>> = LazyLock::new(Mutex::default);

fn unavailable(issuer: &str) -> Error {
    Error::Upstream(format!(
        "the identity provider at {issuer} could not be reached; try again later"
    ))
}

/// The provider's metadata and JWK Set: cached, or discovered. `refetch` asks for a fresh copy
/// (an unknown `kid`), honoured at most once a minute.
pub async fn metadata(
    issuer: &str,
    now: i64,
    refetch: bool,
) -> Result<Arc<CoreProviderMetadata>, Error> {
    if let Ok(cache) = CACHE.lock()
        && let Some(cached) = cache.get(issuer)
    {
        let age = now - cached.fetched_at;
        if age < FRESH_FOR && !(refetch && age >= REFETCH_AFTER) {
            return Ok(cached.metadata.clone());
        }
    }
    let issuer_url = IssuerUrl::new(issuer.to_owned()).map_err(|_| unavailable(issuer))?;
    let metadata = CoreProviderMetadata::discover_async(issuer_url, http()?)
        .await
        .map_err(|e| {
            tracing::warn!(issuer, error = %e, "upstream discovery failed");
            unavailable(issuer)
        })?;
    let metadata = Arc::new(metadata);
    if let Ok(mut cache) = CACHE.lock() {
        if cache.len() >= MAX_CACHED {
            cache.clear();
        }
        cache.insert(
            issuer.to_owned(),
            Cached {
                metadata: metadata.clone(),
                fetched_at: now,
            },
        );
    }
    Ok(metadata)
}

/// An authorization request on its way: where to send the browser, and what to keep.
pub struct Authorization {
    pub url: String,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

fn redirect_url(redirect_uri: &str) -> Result<RedirectUrl, Error> {
    RedirectUrl::new(redirect_uri.to_owned())
        .map_err(|_| Error::internal(format!("the callback URL {redirect_uri} is not a URL")))
}

/// The authorization request (code, PKCE S256, a fresh `state` and `nonce`).
pub fn authorization(
    metadata: &CoreProviderMetadata,
    provider: &IdentityProvider,
    redirect_uri: &str,
) -> Result<Authorization, Error> {
    let client = CoreClient::from_provider_metadata(
        metadata.clone(),
        ClientId::new(provider.client_id.clone()),
        None,
    )
    .set_redirect_uri(redirect_url(redirect_uri)?);
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scopes(
            provider
                .scopes
                .iter()
                .filter(|s| s.as_str() != "openid")
                .map(|s| Scope::new(s.clone())),
        )
        .set_pkce_challenge(challenge)
        .url();
    Ok(Authorization {
        url: url.to_string(),
        state: state.secret().clone(),
        nonce: nonce.secret().clone(),
        pkce_verifier: verifier.secret().clone(),
    })
}

/// Who the provider says signed in: `sub`, and every claim of the verified ID token.
#[derive(Clone, Debug, PartialEq)]
pub struct Verified {
    pub subject: String,
    pub claims: Map<String, Value>,
}

/// What the callback brought back, and what the start kept.
pub struct Redemption<'a> {
    pub code: &'a str,
    pub nonce: &'a str,
    pub pkce_verifier: &'a str,
    pub redirect_uri: &'a str,
}

/// Exchanges the code and verifies the ID token.
pub async fn redeem(
    provider: &IdentityProvider,
    client_secret: &SecretString,
    redemption: Redemption<'_>,
    now: i64,
) -> Result<Verified, Error> {
    let metadata = metadata(&provider.issuer, now, false).await?;
    let client = CoreClient::from_provider_metadata(
        (*metadata).clone(),
        ClientId::new(provider.client_id.clone()),
        Some(ClientSecret::new(client_secret.expose_secret().to_owned())),
    )
    .set_redirect_uri(redirect_url(redemption.redirect_uri)?);
    let response = client
        .exchange_code(AuthorizationCode::new(redemption.code.to_owned()))
        .map_err(|_| unavailable(&provider.issuer))?
        .set_pkce_verifier(PkceCodeVerifier::new(redemption.pkce_verifier.to_owned()))
        .request_async(http()?)
        .await
        .map_err(|e| match e {
            RequestTokenError::ServerResponse(refusal) => Error::AccessDenied(format!(
                "{} refused the sign-in ({})",
                provider.name,
                refusal.error()
            )),
            other => {
                tracing::warn!(issuer = %provider.issuer, error = %other, "upstream code exchange failed");
                unavailable(&provider.issuer)
            }
        })?;
    let id_token = response
        .id_token()
        .ok_or_else(|| refused(provider, "its answer carried no ID token"))?;
    let nonce = Nonce::new(redemption.nonce.to_owned());
    let subject = match verify(provider, &metadata, id_token, &nonce) {
        Err(ClaimsVerificationError::SignatureVerification(
            SignatureVerificationError::NoMatchingKey,
        )) => {
            // Perhaps a key the provider rotated in since the JWK Set was fetched.
            let metadata = self::metadata(&provider.issuer, now, true).await?;
            verify(provider, &metadata, id_token, &nonce)
        }
        other => other,
    }
    .map_err(|e| {
        tracing::info!(issuer = %provider.issuer, error = %e, "upstream ID token refused");
        refused(provider, &why(&e))
    })?;
    let claims = payload(id_token)?;
    check_issue_time(provider, &claims, now)?;
    Ok(Verified { subject, claims })
}

/// Verifies signature, `alg`, `iss`, `aud` (no other audience trusted), `azp`, `exp` and
/// `nonce`; gives the `sub`.
fn verify(
    provider: &IdentityProvider,
    metadata: &CoreProviderMetadata,
    id_token: &CoreIdToken,
    nonce: &Nonce,
) -> Result<String, ClaimsVerificationError> {
    let client = CoreClient::from_provider_metadata(
        metadata.clone(),
        ClientId::new(provider.client_id.clone()),
        None,
    );
    let verifier = client
        .id_token_verifier()
        .set_allowed_algs(advertised_asymmetric(metadata))
        .set_other_audience_verifier_fn(|_| false);
    let claims = id_token.claims(&verifier, nonce)?;
    // OIDC Core §3.1.3.7 step 5, which the crate leaves to its users: an `azp` must be us.
    if let Some(azp) = claims.authorized_party()
        && azp.as_str() != provider.client_id
    {
        return Err(ClaimsVerificationError::InvalidAudience(
            "the authorized party is another client".into(),
        ));
    }
    Ok(claims.subject().as_str().to_owned())
}

fn refused(provider: &IdentityProvider, why: &str) -> Error {
    Error::AccessDenied(format!(
        "the sign-in with {} could not be accepted: {why}",
        provider.name
    ))
}

/// A person-readable reason, without the token's contents.
fn why(e: &ClaimsVerificationError) -> String {
    match e {
        ClaimsVerificationError::Expired(_) => "the ID token has expired".into(),
        ClaimsVerificationError::InvalidAudience(_) => "the ID token is for another client".into(),
        ClaimsVerificationError::InvalidIssuer(_) => "the ID token is from another issuer".into(),
        ClaimsVerificationError::InvalidNonce(_) => {
            "the ID token answers another sign-in (nonce)".into()
        }
        ClaimsVerificationError::SignatureVerification(_) => {
            "the ID token's signature does not verify".into()
        }
        _ => "the ID token is not valid".into(),
    }
}

fn advertised_asymmetric(metadata: &CoreProviderMetadata) -> Vec<CoreJwsSigningAlgorithm> {
    let advertised = metadata.id_token_signing_alg_values_supported();
    ASYMMETRIC
        .iter()
        .filter(|alg| advertised.contains(alg))
        .cloned()
        .collect()
}

/// The claims of an ID token whose signature has been verified: its payload, as JSON.
fn payload(id_token: &CoreIdToken) -> Result<Map<String, Value>, Error> {
    let compact = id_token.to_string();
    let part = compact
        .split('.')
        .nth(1)
        .ok_or_else(|| Error::internal("a verified ID token without a payload"))?;
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| Error::internal("a verified ID token's payload is not base64url"))?;
    serde_json::from_slice(&bytes)
        .map_err(|_| Error::internal("a verified ID token's payload is not a JSON object"))
}

/// `iat` within [now - IAT_MAX_AGE, now + IAT_SKEW] (the crate checks `exp`).
fn check_issue_time(
    provider: &IdentityProvider,
    claims: &Map<String, Value>,
    now: i64,
) -> Result<(), Error> {
    let iat = claims.get("iat").and_then(Value::as_i64);
    match iat {
        Some(iat) if iat <= now + IAT_SKEW && iat >= now - IAT_MAX_AGE => Ok(()),
        _ => Err(refused(
            provider,
            "the ID token's issue time is not plausible",
        )),
    }
}

#[cfg(test)]
#[path = "relying_party_tests.rs"]
mod tests;
