//! HTTP plumbing shared by every function: strict body parsing, JSON responses, and the wrapper
//! that logs one line per request.

use std::collections::HashMap;
use std::future::Future;
use std::time::Instant;

use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Request, RequestExt, Response};
use serde::Serialize;
use tracing::Instrument as _;

use crate::error::Error;

/// Request bodies above this are refused before parsing.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// The exact bytes API Gateway delivered (lambda_http has already undone `isBase64Encoded`).
pub fn raw_body(req: &Request) -> &[u8] {
    match req.body() {
        Body::Empty => &[],
        Body::Text(text) => text.as_bytes(),
        Body::Binary(bytes) => bytes,
        _ => &[],
    }
}

/// One header's value, refusing a header sent twice or not in visible ASCII.
pub fn single_header<'a>(req: &'a Request, name: &str) -> Result<Option<&'a str>, Error> {
    let mut values = req.headers().get_all(name).iter();
    let Some(first) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(Error::invalid_request(format!(
            "{name} header sent more than once"
        )));
    }
    first
        .to_str()
        .map(Some)
        .map_err(|_| Error::invalid_request(format!("{name} header is not valid ASCII")))
}

/// A parsed `application/x-www-form-urlencoded` body: every name at most once.
#[derive(Debug, Default)]
pub struct Form {
    fields: HashMap<String, String>,
}

impl Form {
    /// Parses a form body strictly: the right content type, a bounded size, valid UTF-8 after
    /// percent-decoding, no parameter twice (RFC 6749 §3.1: "parameters MUST NOT be included
    /// more than once").
    pub fn from_request(req: &Request) -> Result<Form, Error> {
        let content_type = single_header(req, header::CONTENT_TYPE.as_str())?.unwrap_or("");
        let media_type = content_type.split(';').next().unwrap_or("").trim();
        if !media_type.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
            return Err(Error::invalid_request(
                "Content-Type must be application/x-www-form-urlencoded",
            ));
        }
        Form::parse(raw_body(req))
    }

    pub fn parse(body: &[u8]) -> Result<Form, Error> {
        if body.len() > MAX_BODY_BYTES {
            return Err(Error::invalid_request(format!(
                "request body is larger than {MAX_BODY_BYTES} bytes"
            )));
        }
        let text = std::str::from_utf8(body)
            .map_err(|_| Error::invalid_request("request body is not valid UTF-8"))?;
        let mut fields = HashMap::new();
        for pair in text.split('&').filter(|p| !p.is_empty()) {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let name = decode_component(name)?;
            let value = decode_component(value)?;
            if fields.insert(name.clone(), value).is_some() {
                return Err(Error::invalid_request(format!(
                    "parameter {name} is repeated"
                )));
            }
        }
        Ok(Form { fields })
    }

    /// A parameter, where an empty value counts as absent (RFC 6749 §3.1).
    pub fn optional(&self, name: &str) -> Option<&str> {
        self.fields
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    pub fn required(&self, name: &str) -> Result<&str, Error> {
        self.optional(name)
            .ok_or_else(|| Error::invalid_request(format!("missing parameter {name}")))
    }
}

fn decode_component(raw: &str) -> Result<String, Error> {
    let spaced = raw.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8()
        .map(|c| c.into_owned())
        .map_err(|_| Error::invalid_request("a parameter is not valid UTF-8 once decoded"))
}

/// A path parameter of the route (`{client_id}`), as API Gateway or the router decoded it.
pub fn path_param(req: &Request, name: &str) -> Result<String, Error> {
    req.path_parameters_ref()
        .and_then(|p| p.first(name))
        .map(str::to_owned)
        .ok_or_else(|| Error::invalid_request(format!("missing path parameter {name}")))
}

/// Parses a JSON body strictly: `Content-Type: application/json`, a bounded size, valid UTF-8,
/// and the shape `T` declares. serde refuses a field sent twice; fields `T` does not name are
/// ignored, as RFC 7591 §2 and the AWS and Huawei SDKs (which add fields over time) expect.
pub fn json_body<T: serde::de::DeserializeOwned>(req: &Request) -> Result<T, Error> {
    let content_type = single_header(req, header::CONTENT_TYPE.as_str())?.unwrap_or("");
    let media_type = content_type.split(';').next().unwrap_or("").trim();
    if !media_type.eq_ignore_ascii_case("application/json") {
        return Err(Error::invalid_request(
            "Content-Type must be application/json",
        ));
    }
    let body = raw_body(req);
    if body.len() > MAX_BODY_BYTES {
        return Err(Error::invalid_request(format!(
            "request body is larger than {MAX_BODY_BYTES} bytes"
        )));
    }
    let text = std::str::from_utf8(body)
        .map_err(|_| Error::invalid_request("request body is not valid UTF-8"))?;
    serde_json::from_str(text).map_err(|e| {
        let why: String = e.to_string().chars().take(200).collect();
        Error::invalid_request(format!("request body is not the JSON expected: {why}"))
    })
}

/// A JSON response that no cache may keep (tokens and codes pass through here).
pub fn json_response(status: u16, body: &impl Serialize) -> Response<Body> {
    let (status, text) = match serde_json::to_string(body) {
        Ok(text) => (status, text),
        Err(e) => {
            tracing::error!(error = %e, "response serialisation failed");
            (500, r#"{"error":"server_error"}"#.to_owned())
        }
    };
    let mut response = Response::new(Body::Text(text));
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

/// How a family of endpoints writes its errors: the use cases name the kind of error, the shape
/// decides its status, wire name, body and headers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorShape {
    /// RFC 6749 §5.2, RFC 8628 §3.5, RFC 7591 §3.2.2 (`oauth2` and `paragon`): `{"error",
    /// "error_description"}`, 400 except `invalid_client` and `invalid_token` (401); 403, 429
    /// and 5xx as usual.
    OAuth,
    /// The admin API: the same body, with 401 `unauthorized`, 404 `not_found`, 409 `conflict`.
    Admin,
    /// AWS IAM Identity Center OIDC (rest-json): the OAuth body, the exception named in
    /// `x-amzn-ErrorType` (the AWS SDKs pick the typed error from it, not from the status) and
    /// the status the service model gives that exception.
    Aws,
    /// Huawei IAM Identity Center: `{"error_code", "error_msg"}` (what the Huawei SDKs read),
    /// with `error_code` the OAuth code so a polling client can tell the conditions apart, plus
    /// the OAuth pair; every response carries `X-Request-Id`.
    Huawei,
}

impl ErrorShape {
    /// The HTTP status and the OAuth-style error code of an error.
    pub fn wire(self, error: &Error) -> (u16, &'static str) {
        let code = match error {
            Error::InvalidRequest(_) => "invalid_request",
            Error::InvalidClient(_) => "invalid_client",
            Error::InvalidGrant(_) => "invalid_grant",
            Error::UnsupportedGrantType(_) => "unsupported_grant_type",
            Error::UnsupportedResponseType(_) => "unsupported_response_type",
            Error::InvalidScope(_) => "invalid_scope",
            Error::UnauthorizedClient(_) => "unauthorized_client",
            Error::InvalidRedirectUri(_) => "invalid_redirect_uri",
            Error::UnsupportedTokenType(_) => "unsupported_token_type",
            Error::InvalidClientMetadata(_) => "invalid_client_metadata",
            Error::UnapprovedSoftwareStatement(_) => "unapproved_software_statement",
            Error::InvalidToken(_) => "invalid_token",
            Error::Forbidden(_) => "access_denied",
            Error::AuthorizationPending => "authorization_pending",
            Error::SlowDown => "slow_down",
            Error::AccessDenied(_) => "access_denied",
            Error::ExpiredToken => "expired_token",
            Error::Unauthorized => "unauthorized",
            Error::TooManyAttempts(_) => "too_many_attempts",
            Error::NotFound(_) => "not_found",
            Error::Conflict(_) => "conflict",
            Error::Internal(_) => "server_error",
        };
        let status = match (self, error) {
            (_, Error::Internal(_)) => 500,
            (_, Error::InvalidClient(_)) => 401,
            // The sso-oidc model: every exception but these two is a 400.
            (ErrorShape::Aws, _) => 400,
            (_, Error::Unauthorized | Error::InvalidToken(_)) => 401,
            (_, Error::Forbidden(_)) => 403,
            (_, Error::NotFound(_)) => 404,
            (_, Error::Conflict(_)) => 409,
            (_, Error::TooManyAttempts(_)) => 429,
            _ => 400,
        };
        (status, code)
    }

    /// The exception an AWS SDK raises for an error (`x-amzn-ErrorType`).
    pub fn aws_exception(error: &Error) -> &'static str {
        match error {
            Error::InvalidClient(_) | Error::InvalidToken(_) => "InvalidClientException",
            Error::InvalidGrant(_) => "InvalidGrantException",
            Error::UnsupportedGrantType(_) => "UnsupportedGrantTypeException",
            Error::InvalidScope(_) => "InvalidScopeException",
            Error::UnauthorizedClient(_) => "UnauthorizedClientException",
            Error::InvalidRedirectUri(_) => "InvalidRedirectUriException",
            Error::InvalidClientMetadata(_) | Error::UnapprovedSoftwareStatement(_) => {
                "InvalidClientMetadataException"
            }
            Error::AuthorizationPending => "AuthorizationPendingException",
            Error::SlowDown | Error::TooManyAttempts(_) => "SlowDownException",
            Error::AccessDenied(_) | Error::Forbidden(_) => "AccessDeniedException",
            Error::ExpiredToken => "ExpiredTokenException",
            Error::Internal(_) => "InternalServerException",
            Error::InvalidRequest(_)
            | Error::UnsupportedResponseType(_)
            | Error::UnsupportedTokenType(_)
            | Error::Unauthorized
            | Error::NotFound(_)
            | Error::Conflict(_) => "InvalidRequestException",
        }
    }

    /// The error response in this shape, with `WWW-Authenticate` on a 401.
    pub fn render(self, error: &Error) -> Response<Body> {
        #[derive(Serialize)]
        struct OAuthBody<'a> {
            error: &'a str,
            error_description: String,
        }
        #[derive(Serialize)]
        struct HuaweiBody<'a> {
            error_code: &'a str,
            error_msg: String,
            error: &'a str,
            error_description: String,
        }
        let (status, code) = self.wire(error);
        let description = error.description();
        let mut response = match self {
            ErrorShape::Huawei => json_response(
                status,
                &HuaweiBody {
                    error_code: code,
                    error_msg: description.clone(),
                    error: code,
                    error_description: description,
                },
            ),
            _ => json_response(
                status,
                &OAuthBody {
                    error: code,
                    error_description: description,
                },
            ),
        };
        let headers = response.headers_mut();
        if self == ErrorShape::Aws {
            headers.insert(
                "x-amzn-ErrorType",
                HeaderValue::from_static(Self::aws_exception(error)),
            );
        }
        if status == 401 {
            let challenge = if matches!(error, Error::InvalidToken(_)) {
                r#"Bearer error="invalid_token""#
            } else {
                "Bearer"
            };
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(challenge),
            );
        }
        response
    }

    /// Marks every response of the shape with the request id where its clients look for it.
    fn stamp(self, response: &mut Response<Body>, request_id: &str) {
        let name = match self {
            ErrorShape::Aws => "x-amzn-RequestId",
            ErrorShape::Huawei => "X-Request-Id",
            ErrorShape::OAuth | ErrorShape::Admin => return,
        };
        if let Ok(value) = HeaderValue::from_str(request_id) {
            response.headers_mut().insert(name, value);
        }
    }
}

/// A request as axum hands it over, made into the `lambda_http::Request` every handler reads:
/// the body collected (at most one byte past [`MAX_BODY_BYTES`], so that the parsers can say a
/// body is too large), every extension (the API Gateway request context, query parameters)
/// kept, and the route's path parameters where API Gateway puts them.
pub async fn from_axum(
    req: axum::extract::Request,
    params: &axum::extract::RawPathParams,
) -> Request {
    let (parts, body) = req.into_parts();
    let path_parameters: HashMap<String, String> = params
        .iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let body = match axum::body::to_bytes(body, MAX_BODY_BYTES + 1).await {
        Ok(bytes) if bytes.is_empty() => Body::Empty,
        Ok(bytes) => Body::Binary(bytes.to_vec()),
        // Over the limit: hand on a body the parsers refuse as too large.
        Err(_) => Body::Binary(vec![0; MAX_BODY_BYTES + 1]),
    };
    let req = Request::from_parts(parts, body);
    if path_parameters.is_empty() {
        req
    } else {
        req.with_path_parameters(path_parameters)
    }
}

/// A handler's response, for axum.
pub fn into_axum(response: Response<Body>) -> axum::response::Response {
    let (parts, body) = response.into_parts();
    let bytes = match body {
        Body::Text(text) => text.into_bytes(),
        Body::Binary(bytes) => bytes,
        _ => Vec::new(),
    };
    axum::response::Response::from_parts(parts, axum::body::Body::from(bytes))
}

/// Runs one request: a span carrying the Lambda request id around every log line, one summary
/// line with route, status and latency, every 5xx logged with its cause, and errors rendered in
/// the endpoint's shape.
pub async fn serve<F, Fut>(req: Request, shape: ErrorShape, handler: F) -> Response<Body>
where
    F: FnOnce(Request) -> Fut,
    Fut: Future<Output = Result<Response<Body>, Error>>,
{
    // Lambda's request id; a local server that has none gets a fresh one, so that every
    // response a client may quote has an id to find in the log.
    let request_id = req
        .lambda_context_ref()
        .map(|c| c.request_id.clone())
        .filter(|id| !id.is_empty())
        .unwrap_or_else(|| ulid::Ulid::new().to_string());
    let method = req.method().to_string();
    let route = req.uri().path().to_owned();
    let span = tracing::info_span!("request", request_id = %request_id);
    async move {
        let started = Instant::now();
        let mut response = match handler(req).await {
            Ok(response) => response,
            Err(error) => {
                if let Error::Internal(cause) = &error {
                    tracing::error!(%cause, "internal error");
                }
                shape.render(&error)
            }
        };
        shape.stamp(&mut response, &request_id);
        tracing::info!(
            method,
            route,
            status = response.status().as_u16(),
            latency_ms = started.elapsed().as_secs_f64() * 1000.0,
            "request"
        );
        response
    }
    .instrument(span)
    .await
}

/// The client's address as API Gateway saw it (never a header the client could set), or as the
/// local server saw the connection's peer (it fills in the same request context).
pub fn source_address(req: &Request) -> String {
    use lambda_http::request::RequestContext;
    let found = match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx.http.source_ip.clone(),
        Some(RequestContext::ApiGatewayV1(ctx)) => ctx.identity.source_ip.clone(),
        _ => None,
    };
    found.unwrap_or_else(|| "unknown".to_owned())
}

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_decodes_plus_and_percent() -> Result<(), Error> {
        let form = Form::parse(b"a=hello+world&b=%C3%A9t%C3%A9&c=&d")?;
        assert_eq!(form.optional("a"), Some("hello world"));
        assert_eq!(form.optional("b"), Some("été"));
        assert_eq!(form.optional("c"), None);
        assert_eq!(form.optional("d"), None);
        assert!(form.required("c").is_err());
        Ok(())
    }

    #[test]
    fn form_refuses_repeats_bad_encoding_and_size() {
        assert!(
            matches!(Form::parse(b"a=1&a=2"), Err(Error::InvalidRequest(m)) if m.contains("repeated"))
        );
        assert!(Form::parse(b"a=%FF").is_err());
        assert!(Form::parse(&[b'a', b'=', 0xff]).is_err());
        assert!(Form::parse(&vec![b'a'; MAX_BODY_BYTES + 1]).is_err());
    }

    #[test]
    fn json_responses_are_not_cacheable() {
        let r = json_response(200, &serde_json::json!({"a": 1}));
        assert_eq!(
            r.headers()
                .get("cache-control")
                .and_then(|v| v.to_str().ok()),
            Some("no-store")
        );
        assert_eq!(
            r.headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok()),
            Some("application/json")
        );
    }
}
