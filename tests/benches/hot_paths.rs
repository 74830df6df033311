//! `cargo bench -p devicegate-tests`: signature verification, ID token signing and verifying,
//! and the register and pending-poll use cases against dynoxide on loopback (so they include
//! the local round trips).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use criterion::{Criterion, criterion_group, criterion_main};
use devicegate::model::{ApiKeySettings, ClientId, ClientType, KeyType};
use devicegate::signatures::DevicePublicKey;
use devicegate::usecases::device_grant::{
    DeviceCodeGrant, TooFastPolls, poll_as_device as poll_device_code,
};
use devicegate::usecases::device_trust::{RegisterRequest, register};
use devicegate_tests::TestEnv;
use rsa::pkcs8::EncodePublicKey as _;
use rsa::signature::{SignatureEncoding as _, Signer as _};

fn signatures(c: &mut Criterion) {
    let body = "client_id=0966a26c-a5fc-4276-9c6b-587d02aceb91&client_secret=mykey&grant_type=device_code&device_code=wVgzOcLwemGJPfY_d01E3PA8H3k";
    let ed = DevicePublicKey::parse(
        KeyType::Ed25519,
        "HUUtnCdtG1x9oiSI4ODtvIEmI/qp7lFknsu1lpVk8T8=",
    )
    .unwrap();
    let ed_sig =
        "MKS1dCmgp4rLbZ2oaQeFb9pultWjI0zU7si5lb3oLCJWH8t8jgps4LLz/isPSa5OWfQAtFB3NAu04axirmF9CA==";
    c.bench_function("verify ed25519", |b| {
        b.iter(|| ed.verify(body.as_bytes(), ed_sig).unwrap())
    });

    let private = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 2048).unwrap();
    let spki = B64.encode(
        private
            .to_public_key()
            .to_public_key_der()
            .unwrap()
            .as_bytes(),
    );
    let rsa_key = DevicePublicKey::parse(KeyType::Rsa, &spki).unwrap();
    let rsa_sig = B64.encode(
        rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(private)
            .sign(body.as_bytes())
            .to_bytes(),
    );
    c.bench_function("verify rsa-2048 pkcs1v15", |b| {
        b.iter(|| rsa_key.verify(body.as_bytes(), &rsa_sig).unwrap())
    });
    c.bench_function("parse rsa-2048 spki", |b| {
        b.iter(|| DevicePublicKey::parse(KeyType::Rsa, &spki).unwrap())
    });
}

/// The runtime the use-case benches drive dynoxide and the store with.
fn bench_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap()
}

/// Registers an unsigned printer through the register use case; returns its device code.
fn register_printer(
    rt: &tokio::runtime::Runtime,
    env: &TestEnv,
    api_key: &str,
    client_id: &str,
) -> String {
    let request = RegisterRequest {
        client_id: ClientId::parse(client_id).unwrap(),
        api_key: api_key.to_owned(),
        client_type: ClientType::Printer,
        client_description: None,
        state: None,
        key: None,
    };
    rt.block_on(register(
        env.store(),
        &env.deps.settings,
        request,
        None,
        &devicegate::model::Origin::system("bench"),
        devicegate::http::now(),
    ))
    .unwrap()
    .device_code
}

fn use_cases(c: &mut Criterion) {
    let rt = bench_runtime();
    let env = rt.block_on(TestEnv::new());
    let api_key = rt.block_on(env.api_key(ApiKeySettings::default()));
    let mut n = 0u64;
    c.bench_function("register use case (dynoxide)", |b| {
        b.iter(|| {
            n += 1;
            register_printer(&rt, &env, &api_key, &format!("bench-{n}"))
        })
    });

    let code = register_printer(&rt, &env, &api_key, "bench-poll");
    let grant = DeviceCodeGrant {
        client_id: "bench-poll".into(),
        api_key,
        device_code: code,
    };
    // Each poll is made 'interval' seconds after the last, so every one is a recorded pending poll.
    let mut at = devicegate::http::now();
    c.bench_function("pending poll use case (dynoxide)", |b| {
        b.iter(|| {
            at += 5;
            let result = rt.block_on(poll_device_code(
                env.store(),
                &grant,
                None,
                TooFastPolls::SlowDown,
                &devicegate_tests::origin_from("127.0.0.1"),
                at,
            ));
            assert!(matches!(
                result,
                Err(devicegate::Error::AuthorizationPending)
            ));
        })
    });
}

/// User codes: drawing one from the OS generator, reading a typed one (normalise + HMAC), and
/// the lookup the verification page makes (GetItem by HMAC on dynoxide, loopback included).
fn user_codes(c: &mut Criterion) {
    use devicegate::config::ServerSecret;
    use devicegate::model::UserCodeRecord;
    use devicegate::usercode::UserCode;

    let secret = ServerSecret::from_bytes(devicegate_tests::TEST_SERVER_SECRET.to_vec());
    c.bench_function("user code generate", |b| {
        b.iter(|| UserCode::generate().unwrap())
    });
    c.bench_function("user code parse + hmac", |b| {
        b.iter(|| UserCode::parse(" tnxx mpqq ").unwrap().hmac(&secret))
    });

    let rt = bench_runtime();
    let env = rt.block_on(TestEnv::new());
    let code = UserCode::generate().unwrap();
    let now = devicegate::http::now();
    let record = UserCodeRecord {
        code_hmac: code.hmac(&secret),
        device_code_hash: "h".into(),
        client_id: "c".into(),
        expires_at: now + 3600,
        ttl: now + 3600,
    };
    rt.block_on(async {
        let tables = env.store().tables();
        env.store()
            .client()
            .put_item()
            .table_name(&tables.user_codes)
            .set_item(Some(serde_dynamo::to_item(&record).unwrap()))
            .send()
            .await
            .unwrap();
    });
    let typed = code.display().to_lowercase();
    c.bench_function("user code lookup (parse + hmac + GetItem, dynoxide)", |b| {
        b.iter(|| {
            rt.block_on(async {
                let hmac = UserCode::parse(&typed).unwrap().hmac(&secret);
                assert!(env.store().get_user_code(&hmac).await.unwrap().is_some());
            })
        })
    });
}

/// The OpenID provider's JOSE: one ID token signed and verified per algorithm, with the keys
/// loaded once as a function holds them.
fn jose(c: &mut Criterion) {
    use devicegate::oidc::id_token::IdTokenClaims;
    use devicegate::oidc::{SigningAlg, SigningKeySet};
    let now = devicegate::http::now();
    let keys = SigningKeySet::generate(now).unwrap();
    let claims = IdTokenClaims {
        iss: "https://id.example.com".into(),
        sub: "alice".into(),
        aud: "0966a26c-a5fc-4276-9c6b-587d02aceb91".into(),
        exp: now + 3600,
        iat: now,
        auth_time: Some(now),
        nonce: Some("n-0S6_WzA2Mj".into()),
        at_hash: Some("77QmUPtjPfzWtF2AnpK9RQ".into()),
        azp: None,
        sid: None,
        name: Some("Alice Example".into()),
        preferred_username: Some("alice".into()),
        email: Some("alice@example.com".into()),
        email_verified: Some(true),
    };
    for (alg, name) in [(SigningAlg::RS256, "rs256"), (SigningAlg::EdDSA, "eddsa")] {
        c.bench_function(&format!("sign id token {name}"), |b| {
            b.iter(|| claims.sign(&keys, alg).unwrap())
        });
        let token = claims.sign(&keys, alg).unwrap();
        c.bench_function(&format!("verify id token {name}"), |b| {
            b.iter(|| IdTokenClaims::verify(&keys, &token, &claims.iss, &claims.aud, now).unwrap())
        });
    }
}

criterion_group!(benches, signatures, use_cases, user_codes, jose);
criterion_main!(benches);
