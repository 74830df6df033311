//! The AWS SDK's configuration and HTTP client, shared by every function and tool.

/// The AWS SDK configuration every function and tool shares: region and credentials from the
/// environment, and one HTTPS client ([`https_client`]).
///
/// Stalled-stream protection is off: DynamoDB and Secrets Manager bodies are a few KB, the
/// function's timeout bounds a hung call, and the protection's throughput checks cost about
/// 4% of a request's instructions (scripts/callgrind). A connection must open within 3 s.
pub async fn sdk_config() -> aws_config::SdkConfig {
    use aws_config::stalled_stream_protection::StalledStreamProtectionConfig;
    use aws_config::timeout::TimeoutConfig;
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(https_client())
        .stalled_stream_protection(StalledStreamProtectionConfig::disabled())
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(std::time::Duration::from_secs(3))
                .build(),
        )
        .load()
        .await
}

/// Builds the DynamoDB client once per cold start. `AWS_ENDPOINT_URL_DYNAMODB` points it at a
/// local server.
pub async fn dynamodb_client() -> aws_sdk_dynamodb::Client {
    metered_dynamodb_client(&sdk_config().await)
}

/// The DynamoDB client whose round trips each request's metrics count
/// ([`crate::metrics::StoreCalls`]).
pub fn metered_dynamodb_client(config: &aws_config::SdkConfig) -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::config::Builder::from(config)
            .interceptor(crate::metrics::StoreCalls)
            .build(),
    )
}

/// The roots AWS service endpoints chain to (Amazon Root CA 1-4 and the Starfield root they are
/// cross-signed by), compiled in.
const AWS_ROOTS: &[u8] = include_bytes!("../certs/aws-roots.pem");

/// The HTTP client for AWS calls: rustls with the `ring` provider, trusting only
/// [`AWS_ROOTS`]. The SDK's default client scans the system store at cold start (about 5 ms,
/// 150 file opens) and links a second TLS stack (aws-lc); plain `http://` endpoints (a local
/// store) work as before.
pub fn https_client() -> aws_sdk_dynamodb::config::SharedHttpClient {
    use aws_smithy_http_client::tls::{self, TlsContext, TrustStore, rustls_provider::CryptoMode};
    let trust = TrustStore::empty()
        .with_native_roots(false)
        .with_pem_certificate(AWS_ROOTS);
    let builder = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::Ring));
    match TlsContext::builder().with_trust_store(trust).build() {
        Ok(context) => builder.tls_context(context).build_https(),
        // Not reached (the roots are fixed); the provider's own default context still verifies.
        Err(_) => builder.build_https(),
    }
}
