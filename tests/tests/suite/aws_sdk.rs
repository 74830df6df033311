//! The AWS SDK for Rust (`aws-sdk-ssooidc`, unmodified) against devicegate's `aws` dialect on
//! loopback, as an AWS SSO client would use it with an endpoint override: register a client,
//! start a device authorization, poll (typed `AuthorizationPendingException` and
//! `SlowDownException`), approve on the `/device` page, get and refresh tokens. The three
//! operations are unsigned, so the SDK needs no credentials.

use aws_sdk_ssooidc::config::{BehaviorVersion, Region};
use aws_sdk_ssooidc::error::SdkError;
use devicegate_tests::oauth::{Person, fixture};
use devicegate_tests::server;

fn sso_oidc(base: &str) -> aws_sdk_ssooidc::Client {
    let config = aws_sdk_ssooidc::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("eu-west-1"))
        .endpoint_url(base)
        .build();
    aws_sdk_ssooidc::Client::from_conf(config)
}

#[tokio::test]
async fn the_aws_sdk_registers_polls_with_typed_errors_and_gets_and_refreshes_tokens() {
    let mut f = fixture().await;
    // Polls are timed in whole seconds: a 1 s interval could let the "too early" poll through
    // when it lands on the next second.
    f.env.deps.settings.poll_interval = 5;
    let base = server::serve(f.env.deps.clone()).await;
    let sso = sso_oidc(&base);
    let now = devicegate::http::now();

    let registered = sso
        .register_client()
        .client_name("aws-sdk test")
        .client_type("public")
        .scopes("sso:account:access")
        .send()
        .await
        .unwrap();
    let client_id = registered.client_id().unwrap().to_owned();
    let client_secret = registered.client_secret().unwrap().to_owned();
    assert!(client_id.starts_with("dyn-"), "{client_id}");
    assert!((now - 5..=now + 5).contains(&registered.client_id_issued_at()));
    // A self-registered client's secret expires (90 days by default, as AWS's do).
    assert_eq!(
        registered.client_secret_expires_at(),
        registered.client_id_issued_at() + 90 * 86_400
    );
    assert_eq!(registered.token_endpoint(), Some(&*format!("{base}/token")));

    let started = sso
        .start_device_authorization()
        .client_id(&client_id)
        .client_secret(&client_secret)
        .start_url("https://example.awsapps.com/start")
        .send()
        .await
        .unwrap();
    let device_code = started.device_code().unwrap().to_owned();
    let user_code = started.user_code().unwrap().to_owned();
    assert_eq!(user_code.len(), 9);
    assert_eq!(started.verification_uri(), Some(&*format!("{base}/device")));
    assert_eq!(
        started.verification_uri_complete(),
        Some(&*format!("{base}/device?user_code={user_code}"))
    );
    assert_eq!(started.expires_in(), 600);
    assert_eq!(started.interval(), 5);

    let poll = || {
        sso.create_token()
            .client_id(&client_id)
            .client_secret(&client_secret)
            .grant_type("urn:ietf:params:oauth:grant-type:device_code")
            .device_code(&device_code)
            .send()
    };
    let pending = poll().await.unwrap_err();
    let service = service_error(pending);
    assert!(service.is_authorization_pending_exception(), "{service:?}");
    let too_fast = poll().await.unwrap_err();
    let service = service_error(too_fast);
    assert!(service.is_slow_down_exception(), "{service:?}");

    let person = Person::new(&base);
    assert_eq!(person.sign_in("correct horse battery").await.0, 200);
    let (_, confirm) = person.find(&user_code).await;
    assert!(
        confirm
            .contains("calling itself <b>\u{201c}<bdi>aws-sdk test</bdi>\u{201d}</b> (unverified)"),
        "a self-registered client's name is quoted and marked unverified: {confirm}"
    );
    let (status, page) = person.decide(&user_code, "approve").await;
    assert_eq!(status, 200, "{page}");
    f.env.force_poll_due(&device_code).await;

    let tokens = poll().await.unwrap();
    let access_token = tokens.access_token().unwrap().to_owned();
    let refresh_token = tokens.refresh_token().unwrap().to_owned();
    assert_eq!(tokens.token_type(), Some("Bearer"));
    assert!(tokens.expires_in() > 0);
    assert_eq!(f.env.introspect(&access_token).await.json["active"], true);

    let refresh = || {
        sso.create_token()
            .client_id(&client_id)
            .client_secret(&client_secret)
            .grant_type("refresh_token")
            .refresh_token(&refresh_token)
            .send()
    };
    let refreshed = refresh().await.unwrap();
    assert_ne!(refreshed.access_token().unwrap(), access_token);
    assert_ne!(refreshed.refresh_token().unwrap(), refresh_token);

    // Reusing the rotated-out refresh token is an InvalidGrantException (and revokes the family).
    let reused = refresh().await.unwrap_err();
    assert!(service_error(reused).is_invalid_grant_exception());

    let wrong_secret = sso
        .start_device_authorization()
        .client_id(&client_id)
        .client_secret("dgs_wrong")
        .start_url("https://example.awsapps.com/start")
        .send()
        .await
        .unwrap_err();
    assert!(
        service_error(wrong_secret).is_invalid_client_exception(),
        "a wrong secret is InvalidClientException"
    );
}

#[tokio::test]
async fn the_aws_sdk_sees_registration_refusals_as_typed_errors() {
    let f = fixture().await;
    let base = server::serve(f.env.deps.clone()).await;
    let sso = sso_oidc(&base);
    let before = f.env.snapshot().await;

    let confidential = sso.register_client().client_type("confidential");
    assert!(
        refused(confidential)
            .await
            .is_invalid_client_metadata_exception(),
        "only public clients register"
    );
    let public = || sso.register_client().client_type("public");
    let bad_redirect = public().redirect_uris("http://evil.example/callback");
    assert!(
        refused(bad_redirect)
            .await
            .is_invalid_redirect_uri_exception()
    );
    let bad_grant = public().grant_types("password");
    assert!(
        refused(bad_grant)
            .await
            .is_invalid_client_metadata_exception()
    );
    assert_eq!(f.env.snapshot().await, before, "nothing is stored");

    // `aws sso login` (v2.22+) registers for the authorization code flow with a portless
    // loopback redirect URI; that registration is accepted.
    let cli = sso
        .register_client()
        .client_name("botocore-client-id")
        .client_type("public")
        .scopes("sso:account:access")
        .grant_types("authorization_code")
        .grant_types("refresh_token")
        .redirect_uris("http://127.0.0.1/oauth/callback")
        .issuer_url("https://example.awsapps.com/start")
        .send()
        .await
        .unwrap();
    assert!(cli.client_id().is_some());
}

/// Sends a registration (named `x`) that must be refused, and gives the typed error.
async fn refused(
    request: aws_sdk_ssooidc::operation::register_client::builders::RegisterClientFluentBuilder,
) -> aws_sdk_ssooidc::operation::register_client::RegisterClientError {
    service_error(request.client_name("x").send().await.unwrap_err())
}

fn service_error<E, R>(error: SdkError<E, R>) -> E
where
    E: std::fmt::Debug,
    R: std::fmt::Debug,
{
    match error {
        SdkError::ServiceError(e) => e.into_err(),
        other => panic!("expected a service error, got {other:?}"),
    }
}
