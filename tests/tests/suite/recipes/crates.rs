//! The Rust crates' recipes of `docs/clients.md`: each recipe is the function between
//! `// recipe:begin NAME` and `// recipe:end`, which the page shows verbatim.

use devicegate::usecases::admin;

use super::{approve, gate};

// recipe:begin oauth2
/// The `oauth2` crate's device flow for a public client; `show` tells the person where to go.
async fn oauth2_device_flow(
    gate: &str,
    client_id: &str,
    show: impl FnOnce(&str, &str),
) -> Result<String, Box<dyn std::error::Error>> {
    use oauth2::basic::BasicClient;
    use oauth2::{AuthType, ClientId, DeviceAuthorizationUrl, Scope, TokenResponse, TokenUrl};
    use oauth2::{StandardDeviceAuthorizationResponse, reqwest};

    let client = BasicClient::new(ClientId::new(client_id.to_owned()))
        // A public client: client_id in the form body, no secret.
        .set_auth_type(AuthType::RequestBody)
        .set_device_authorization_url(DeviceAuthorizationUrl::new(format!(
            "{gate}/oauth2/device_authorization"
        ))?)
        .set_token_uri(TokenUrl::new(format!("{gate}/oauth2/token"))?);
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let details: StandardDeviceAuthorizationResponse = client
        .exchange_device_code()
        .add_scope(Scope::new("read".into()))
        .request_async(&http)
        .await?;
    let url = details.verification_uri_complete().ok_or("no URL")?;
    show(url.secret(), details.user_code().secret());
    // Polls at the given interval, slowing down when told to.
    let token = client
        .exchange_device_access_token(&details)
        .request_async(&http, tokio::time::sleep, None)
        .await?;
    Ok(token.access_token().secret().clone())
}
// recipe:end

// recipe:begin openidconnect
/// The `openidconnect` crate: discovery, the device flow, a verified ID token's subject.
async fn openidconnect_device_flow(
    gate: &str,
    client_id: &str,
    show: impl FnOnce(&str, &str),
) -> Result<String, Box<dyn std::error::Error>> {
    use openidconnect::core::{CoreClient, CoreDeviceAuthorizationResponse, CoreProviderMetadata};
    use openidconnect::{AuthType, ClientId, DeviceAuthorizationUrl, IssuerUrl, Nonce, Scope};
    use openidconnect::{TokenResponse, reqwest};

    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    // devicegate's base URL is its issuer.
    let metadata =
        CoreProviderMetadata::discover_async(IssuerUrl::new(gate.into())?, &http).await?;
    let client =
        CoreClient::from_provider_metadata(metadata, ClientId::new(client_id.to_owned()), None)
            // Discovery's core metadata has no device endpoint: set it.
            .set_device_authorization_url(DeviceAuthorizationUrl::new(format!(
                "{gate}/oauth2/device_authorization"
            ))?)
            .set_auth_type(AuthType::RequestBody);
    let details: CoreDeviceAuthorizationResponse = client
        .exchange_device_code()
        .add_scope(Scope::new("openid".into()))
        .request_async(&http)
        .await?;
    let url = details.verification_uri_complete().ok_or("no URL")?;
    show(url.secret(), details.user_code().secret());
    let tokens = client
        .exchange_device_access_token(&details)?
        .request_async(&http, tokio::time::sleep, None)
        .await?;
    let id_token = tokens.id_token().ok_or("no ID token")?;
    // A device grant has no nonce to check.
    let claims = id_token.claims(&client.id_token_verifier(), |_: Option<&Nonce>| {
        Ok::<_, String>(())
    })?;
    Ok(claims.subject().to_string())
}
// recipe:end

/// A `show` for the Rust recipes that hands what they show to the person approving.
fn shown_to_person() -> (
    impl FnOnce(&str, &str),
    tokio::sync::oneshot::Receiver<(String, String)>,
) {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let show = move |url: &str, code: &str| {
        let _ = tx.send((url.to_owned(), code.to_owned()));
    };
    (show, rx)
}

#[tokio::test]
async fn the_oauth2_crate_recipe_gets_a_token() {
    let (f, base, client) = gate().await;
    let (show, rx) = shown_to_person();
    let person = async {
        let (url, code) = rx.await.expect("the recipe shows a code");
        approve(&base, &url, &code).await;
    };
    let (token, ()) = tokio::join!(oauth2_device_flow(&base, &client, show), person);
    let token = token.unwrap();
    let introspected = f.env.introspect(&token).await;
    assert_eq!(introspected.json["active"], true, "{:?}", introspected.json);
    assert_eq!(introspected.json["username"], "ada");
}

#[tokio::test]
async fn the_openidconnect_crate_recipe_gets_a_verified_id_token() {
    let (f, base, client) = gate().await;
    let (show, rx) = shown_to_person();
    let person = async {
        let (url, code) = rx.await.expect("the recipe shows a code");
        approve(&base, &url, &code).await;
    };
    let (subject, ()) = tokio::join!(openidconnect_device_flow(&base, &client, show), person);
    let subject = subject.unwrap();
    let ada = admin::get_user(f.env.store(), "ada").await.unwrap();
    assert_eq!(Some(subject), ada.subject, "the ID token is ada's");
}
