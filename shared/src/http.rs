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
/// decides its status, wire name and body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorShape {
    /// RFC 6749 §5.2 and RFC 8628 §3.5 (`oauth2` and `paragon`): `{"error",
    /// "error_description"}`, 400 except `invalid_client` (401); 429 and 5xx as usual.
    OAuth,
    /// The admin API: the same body, with 401 `unauthorized`, 404 `not_found`, 409 `conflict`.
    Admin,
}

impl ErrorShape {
    /// The HTTP status and the wire error code of an error.
    pub fn wire(self, error: &Error) -> (u16, &'static str) {
        let status = match error {
            Error::InvalidClient(_) | Error::Unauthorized => 401,
            Error::NotFound(_) => 404,
            Error::Conflict(_) => 409,
            Error::TooManyAttempts(_) => 429,
            Error::Internal(_) => 500,
            _ => 400,
        };
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
        (status, code)
    }

    /// The error response: `{"error", "error_description"}`, with `WWW-Authenticate` on a 401.
    pub fn render(self, error: &Error) -> Response<Body> {
        #[derive(Serialize)]
        struct Out<'a> {
            error: &'a str,
            error_description: String,
        }
        let (status, code) = self.wire(error);
        let mut response = json_response(
            status,
            &Out {
                error: code,
                error_description: error.description(),
            },
        );
        if status == 401 {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
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
    let request_id = req
        .lambda_context_ref()
        .map(|c| c.request_id.clone())
        .unwrap_or_default();
    let method = req.method().to_string();
    let route = req.uri().path().to_owned();
    let span = tracing::info_span!("request", request_id = %request_id);
    async move {
        let started = Instant::now();
        let response = match handler(req).await {
            Ok(response) => response,
            Err(error) => {
                if let Error::Internal(cause) = &error {
                    tracing::error!(%cause, "internal error");
                }
                shape.render(&error)
            }
        };
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
