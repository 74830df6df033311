//! What a deployed stack is given: no function configuration holds the server secret, which is
//! read from Secrets Manager; a deployed stack needs an HTTPS issuer and is throttled, and
//! without an issuer only loopback hosts name the server.

use devicegate_tests::*;

fn template() -> serde_json::Value {
    template_json()
}

fn functions(template: &serde_json::Value) -> Vec<(String, serde_json::Value)> {
    template["Resources"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, r)| r["Type"] == "AWS::Serverless::Function")
        .map(|(id, r)| (id.clone(), r.clone()))
        .collect()
}

#[test]
fn no_function_configuration_holds_the_server_secret() {
    let template = template();
    let globals = template["Globals"]["Function"]["Environment"]["Variables"].to_string();
    assert!(!globals.contains("SERVER_SECRET"), "{globals}");
    let mut readers = 0;
    for (id, function) in functions(&template) {
        let env = &function["Properties"]["Environment"]["Variables"];
        let text = env.to_string();
        assert!(env.get("SERVER_SECRET").is_none(), "{id}: {text}");
        assert!(!text.contains("resolve:secretsmanager"), "{id}: {text}");
        if env.get("SERVER_SECRET_ARN").is_some() {
            readers += 1;
            assert_eq!(env["SERVER_SECRET_ARN"]["Ref"], "ServerSecret", "{id}");
            let policies = function["Properties"]["Policies"].to_string();
            assert!(
                policies.contains("secretsmanager:GetSecretValue")
                    && policies.contains(r#""Ref":"ServerSecret""#),
                "{id} may read the secret: {policies}"
            );
        }
    }
    assert!(readers >= 2, "register and device-redirect read the secret");
}

#[tokio::test]
async fn the_server_secret_is_read_from_secrets_manager() {
    use http_body_util::BodyExt as _;
    // A stand-in for Secrets Manager on loopback that records what it is asked.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let asked = std::sync::Arc::new(std::sync::Mutex::new(Vec::<(String, String)>::new()));
    let record = asked.clone();
    tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let service = hyper::service::service_fn(
            move |req: hyper::Request<hyper::body::Incoming>| {
                let record = record.clone();
                async move {
                    let target = req.headers()["x-amz-target"].to_str().unwrap().to_owned();
                    let body = req.into_body().collect().await.unwrap().to_bytes();
                    record
                        .lock()
                        .unwrap()
                        .push((target, String::from_utf8_lossy(&body).into_owned()));
                    let answer = serde_json::json!({
                        "ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:devicegate-x",
                        "Name": "devicegate-x",
                        "SecretString": "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ01",
                        "VersionId": "v1",
                    });
                    Ok::<_, std::convert::Infallible>(
                        hyper::Response::builder()
                            .header("content-type", "application/x-amz-json-1.1")
                            .body(http_body_util::Full::new(hyper::body::Bytes::from(
                                answer.to_string(),
                            )))
                            .unwrap(),
                    )
                }
            },
        );
        let _ = hyper::server::conn::http1::Builder::new()
            .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
            .await;
    });
    let config = aws_sdk_secretsmanager::Config::builder()
        .behavior_version(aws_sdk_secretsmanager::config::BehaviorVersion::latest())
        .endpoint_url(format!("http://{addr}"))
        .region(aws_sdk_secretsmanager::config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_secretsmanager::config::Credentials::new(
            "test", "test", None, None, "tests",
        ))
        .build();
    let client = aws_sdk_secretsmanager::Client::from_conf(config);
    let arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:devicegate-x";
    let secret = devicegate::config::fetch_server_secret(&client, arn)
        .await
        .unwrap();
    assert_eq!(secret.bytes().len(), 64);
    let asked = asked.lock().unwrap().clone();
    assert_eq!(asked.len(), 1);
    assert_eq!(asked[0].0, "secretsmanager.GetSecretValue");
    assert!(asked[0].1.contains(arn), "{}", asked[0].1);
}

#[test]
fn a_deployed_stack_needs_an_issuer_and_is_throttled() {
    let template = template();
    let issuer = &template["Parameters"]["Issuer"];
    assert!(
        issuer.get("Default").is_none(),
        "Issuer must be given: {issuer}"
    );
    assert!(
        issuer["AllowedPattern"]
            .as_str()
            .unwrap()
            .starts_with("^https://"),
        "{issuer}"
    );
    let api = &template["Resources"]["HttpApi"]["Properties"];
    let limits = &api["DefaultRouteSettings"];
    assert!(
        limits.get("ThrottlingBurstLimit").is_some() && limits.get("ThrottlingRateLimit").is_some(),
        "{api}"
    );
}

#[test]
fn without_an_issuer_only_loopback_hosts_name_the_server() {
    let settings = devicegate::Settings {
        issuer: None,
        ..devicegate::Settings::with_secret(devicegate::config::ServerSecret::from_bytes(vec![
            7;
            32
        ]))
    };
    let request = |host: &str| {
        lambda_http::http::Request::builder()
            .uri("/.well-known/oauth-authorization-server")
            .header("host", host)
            .body(lambda_http::Body::Empty)
            .unwrap()
    };
    assert_eq!(
        devicegate::dialect::rfc6749::base_url(&request("127.0.0.1:9000"), &settings).unwrap(),
        "http://127.0.0.1:9000"
    );
    assert_eq!(
        devicegate::dialect::rfc6749::base_url(&request("localhost:9000"), &settings).unwrap(),
        "http://localhost:9000"
    );
    assert!(devicegate::dialect::rfc6749::base_url(&request("evil.example"), &settings).is_err());
    assert!(
        devicegate::dialect::rfc6749::base_url(&request("gate.example.com"), &settings).is_err()
    );
}
