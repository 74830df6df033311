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

/// The error body every OAuth dialect shares: `{"error", "error_description"}`.
pub fn oauth_error_response(error: &Error) -> Response<Body> {
    #[derive(Serialize)]
    struct Body<'a> {
        error: &'a str,
        error_description: String,
    }
    let mut response = json_response(
        error.status(),
        &Body {
            error: error.code(),
            error_description: error.description(),
        },
    );
    if error.status() == 401 {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    response
}

/// Runs one request: a span carrying the Lambda request id around every log line, one summary
/// line with route, status and latency, and every 5xx logged with its cause.
pub async fn serve<F, Fut>(req: Request, handler: F) -> Result<Response<Body>, lambda_http::Error>
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
                oauth_error_response(&error)
            }
        };
        tracing::info!(
            method,
            route,
            status = response.status().as_u16(),
            latency_ms = started.elapsed().as_secs_f64() * 1000.0,
            "request"
        );
        Ok(response)
    }
    .instrument(span)
    .await
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
