//! Re-registration with `HCP-Request-Signature`, and signed token requests, for every key format.

use std::str::FromStr;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use devicegate::model::{ApiKeySettings, DeviceStatus};
use devicegate_tests::*;
use ed25519_dalek::pkcs8::EncodePublicKey as _;
use rsa::signature::{RandomizedSigner as _, SignatureEncoding as _, Signer as _};
use sha2::Sha256;
use spki::der::Encode as _;

/// Something that signs request bodies the way a device does.
enum DeviceKey {
    Ed25519(ed25519_dalek::SigningKey),
    RsaPkcs1(rsa::RsaPrivateKey),
    RsaPss(rsa::RsaPrivateKey),
}

impl DeviceKey {
    fn sign(&self, body: &str) -> String {
        let bytes = match self {
            DeviceKey::Ed25519(k) => k.sign(body.as_bytes()).to_bytes().to_vec(),
            DeviceKey::RsaPkcs1(k) => rsa::pkcs1v15::SigningKey::<Sha256>::new(k.clone())
                .sign(body.as_bytes())
                .to_vec(),
            DeviceKey::RsaPss(k) => rsa::pss::SigningKey::<Sha256>::new(k.clone())
                .sign_with_rng(&mut rand::thread_rng(), body.as_bytes())
                .to_vec(),
        };
        B64.encode(bytes)
    }
}

fn rsa_private() -> rsa::RsaPrivateKey {
    rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 2048).unwrap()
}

fn rsa_spki(k: &rsa::RsaPrivateKey) -> String {
    use rsa::pkcs8::EncodePublicKey as _;
    B64.encode(k.to_public_key().to_public_key_der().unwrap().as_bytes())
}

fn rsa_certificate(k: &rsa::RsaPrivateKey) -> String {
    use x509_cert::builder::{Builder as _, CertificateBuilder, Profile};
    let signer = rsa::pkcs1v15::SigningKey::<Sha256>::new(k.clone());
    let spki = spki::SubjectPublicKeyInfoOwned::from_key(k.to_public_key()).unwrap();
    let builder = CertificateBuilder::new(
        Profile::Root,
        x509_cert::serial_number::SerialNumber::from(7u32),
        x509_cert::time::Validity::from_now(Duration::from_secs(3600)).unwrap(),
        x509_cert::name::Name::from_str("CN=printer-cert").unwrap(),
        spki,
        &signer,
    )
    .unwrap();
    let cert = builder.build::<rsa::pkcs1v15::Signature>().unwrap();
    B64.encode(cert.to_der().unwrap())
}

/// Registers a device with a key, approves it, then re-registers it with a signature and redeems
/// the new code with signed polls.
async fn reregistration_round_trip(key_type: &str, public_key: &str, key: &DeviceKey) {
    let (env, api_key, admin) = TestEnv::with_keys().await;
    let id = format!("dev-{key_type}");
    let first = format!(
        "{}&key_type={key_type}&public_key={}",
        register_body(&id, &api_key),
        enc(public_key)
    );
    let reg = env.register(&first, None).await;
    assert_eq!(reg.status, 200, "{:?}", reg.json);
    assert_eq!(env.device_action(&admin, &id, "approve").await.status, 200);

    // A keyed device may not re-register unsigned, and a wrong signature changes nothing.
    let again = register_body(&id, &api_key);
    let before = env.snapshot().await;
    assert_eq!(env.register(&again, None).await.error(), "invalid_client");
    let forged = env
        .register(&again, Some(&key.sign("some other body")))
        .await;
    assert_eq!((forged.status, forged.error()), (401, "invalid_client"));
    assert_eq!(env.snapshot().await, before);

    // A valid signature over the exact body is trusted at once.
    let signed = env.register(&again, Some(&key.sign(&again))).await;
    assert_eq!(signed.status, 200, "{:?}", signed.json);
    let code = signed.str("device_code");
    assert_eq!(
        env.device(&id).await.unwrap().status,
        DeviceStatus::Approved
    );

    // Every /token request of a keyed device must be signed.
    let poll = poll_body(&id, &api_key, &code);
    let unsigned = env.token(&poll, None).await;
    assert_eq!((unsigned.status, unsigned.error()), (401, "invalid_client"));
    let tokens = env.token(&poll, Some(&key.sign(&poll))).await;
    assert_eq!(tokens.status, 200, "{:?}", tokens.json);

    let refresh = refresh_body(&id, &api_key, &tokens.str("refresh_token"));
    assert_eq!(env.token(&refresh, None).await.error(), "invalid_client");
    assert_eq!(
        env.token(&refresh, Some(&key.sign("x"))).await.error(),
        "invalid_client"
    );
    let rotated = env.token(&refresh, Some(&key.sign(&refresh))).await;
    assert_eq!(rotated.status, 200, "{:?}", rotated.json);
}

#[tokio::test]
async fn ed25519_raw_key() {
    let signing = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]);
    let raw = B64.encode(signing.verifying_key().as_bytes());
    reregistration_round_trip("ed25519", &raw, &DeviceKey::Ed25519(signing)).await;
}

#[tokio::test]
async fn ed25519_spki_key() {
    let signing = ed25519_dalek::SigningKey::from_bytes(&[9u8; 32]);
    let spki = B64.encode(
        signing
            .verifying_key()
            .to_public_key_der()
            .unwrap()
            .as_bytes(),
    );
    reregistration_round_trip("ed25519", &spki, &DeviceKey::Ed25519(signing)).await;
}

#[tokio::test]
async fn rsa_spki_key_with_pkcs1v15() {
    rsa_round_trip("rsa", rsa_spki, DeviceKey::RsaPkcs1).await;
}

#[tokio::test]
async fn x509_certificate_key_with_pss() {
    rsa_round_trip("x509", rsa_certificate, DeviceKey::RsaPss).await;
}

/// The round trip with a fresh 2048-bit RSA key, published as `public_key` writes it and
/// signing as `device_key` does.
async fn rsa_round_trip(
    key_type: &str,
    public_key: fn(&rsa::RsaPrivateKey) -> String,
    device_key: fn(rsa::RsaPrivateKey) -> DeviceKey,
) {
    let private = rsa_private();
    let published = public_key(&private);
    reregistration_round_trip(key_type, &published, &device_key(private)).await;
}

#[tokio::test]
async fn rsa_below_2048_bits_is_refused_at_registration() {
    let env = TestEnv::new().await;
    let api_key = env.api_key(ApiKeySettings::default()).await;
    let small = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 1024).unwrap();
    let before = env.snapshot().await;
    let body = format!(
        "{}&key_type=rsa&public_key={}",
        register_body("small", &api_key),
        enc(&rsa_spki(&small))
    );
    let reply = env.register(&body, None).await;
    assert_eq!((reply.status, reply.error()), (400, "invalid_request"));
    assert!(
        reply.json["error_description"]
            .as_str()
            .unwrap()
            .contains("2048")
    );
    assert_eq!(env.snapshot().await, before);
}

/// The signature carries no nonce, so a captured signed /register can be replayed; what the
/// replay yields is a device code only the key holder can redeem.
#[tokio::test]
async fn a_replayed_signed_register_cannot_be_redeemed_without_a_fresh_signature() {
    let (env, api_key, admin) = TestEnv::with_keys().await;
    let device = ed25519_dalek::SigningKey::from_bytes(&[11u8; 32]);
    let key = DeviceKey::Ed25519(device.clone());
    let public = B64.encode(device.verifying_key().as_bytes());
    env.register(
        &format!(
            "{}&key_type=ed25519&public_key={}",
            register_body("victim", &api_key),
            enc(&public)
        ),
        None,
    )
    .await;
    env.device_action(&admin, "victim", "approve").await;

    // The device re-registers and polls; an attacker records both requests.
    let register = register_body("victim", &api_key);
    let register_sig = key.sign(&register);
    let genuine = env
        .register(&register, Some(&register_sig))
        .await
        .str("device_code");
    let genuine_poll = poll_body("victim", &api_key, &genuine);
    let genuine_poll_sig = key.sign(&genuine_poll);
    assert_eq!(
        env.token(&genuine_poll, Some(&genuine_poll_sig))
            .await
            .status,
        200
    );

    // Replaying /register works: it yields a fresh approved code...
    let replayed = env.register(&register, Some(&register_sig)).await;
    assert_eq!(replayed.status, 200);
    let stolen = replayed.str("device_code");
    // ...which cannot be redeemed unsigned, nor with the captured signature of another body.
    let attack = poll_body("victim", &api_key, &stolen);
    assert_eq!(env.token(&attack, None).await.error(), "invalid_client");
    assert_eq!(
        env.token(&attack, Some(&genuine_poll_sig)).await.error(),
        "invalid_client"
    );
    assert_eq!(
        env.token(&attack, Some(&register_sig)).await.error(),
        "invalid_client"
    );
    // Replaying the captured poll itself is a second redemption: refused.
    assert_eq!(
        env.token(&genuine_poll, Some(&genuine_poll_sig))
            .await
            .error(),
        "invalid_grant"
    );
}

#[tokio::test]
async fn the_vendor_vector_verifies_over_raw_bytes_delivered_base64_encoded() {
    // API Gateway may deliver a form body base64-encoded; the signature covers the decoded bytes.
    let body = "client_id=0966a26c-a5fc-4276-9c6b-587d02aceb91&client_secret=mykey&grant_type=device_code&device_code=wVgzOcLwemGJPfY_d01E3PA8H3k";
    let event = serde_json::json!({
        "version": "2.0", "routeKey": "POST /oauth/v1/token", "rawPath": "/oauth/v1/token", "rawQueryString": "",
        "headers": {"content-type": "application/x-www-form-urlencoded"},
        "requestContext": {"accountId": "1", "apiId": "a", "domainName": "d", "domainPrefix": "d",
            "http": {"method": "POST", "path": "/oauth/v1/token", "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "t"},
            "requestId": "r", "routeKey": "POST /oauth/v1/token", "stage": "$default", "time": "22/Nov/2026:00:00:00 +0000", "timeEpoch": 0},
        "body": B64.encode(body), "isBase64Encoded": true
    });
    let req = lambda_http::request::from_str(&event.to_string()).unwrap();
    let raw = devicegate::http::raw_body(&req);
    assert_eq!(raw, body.as_bytes());
    let key = devicegate::signatures::DevicePublicKey::parse(
        devicegate::model::KeyType::Ed25519,
        "MCowBQYDK2VwAyEAHUUtnCdtG1x9oiSI4ODtvIEmI/qp7lFknsu1lpVk8T8=",
    )
    .unwrap();
    key.verify(
        raw,
        "MKS1dCmgp4rLbZ2oaQeFb9pultWjI0zU7si5lb3oLCJWH8t8jgps4LLz/isPSa5OWfQAtFB3NAu04axirmF9CA==",
    )
    .unwrap();
}
