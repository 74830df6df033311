//! HTTP plumbing shared by every function: strict body parsing, JSON responses, the wrapper
//! that logs one line per request, and (`errors`) each endpoint family's error responses.

use std::collections::HashMap;
use std::future::Future;
use std::time::Instant;

use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Request, RequestExt, Response};
use serde::Serialize;
use tracing::Instrument as _;

use crate::error::Error;
use crate::metrics;

mod errors;
mod form_fields;
pub use errors::{AuthScheme, BASIC_CHALLENGE, ErrorShape};
pub(crate) use errors::{HuaweiBody, OAuthBody};

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

    /// A required parameter that names a stored item, bounded as [`bounded_key`] bounds it.
    pub fn key(&self, name: &str) -> Result<&str, Error> {
        bounded_key(name, self.required(name)?)
    }
}

/// The longest identifier a request may name: a device's `client_id` is up to 256 bytes, and
/// every other identifier devicegate keeps (client, API key, token and template ids, usernames)
/// is shorter. DynamoDB refuses a key over 2,048 bytes with an error of its own.
pub const MAX_KEY_BYTES: usize = 256;

/// An identifier a request names (a path parameter, a form field naming an item): one longer
/// than [`MAX_KEY_BYTES`] names nothing, and is answered as not found before the store is asked.
pub fn bounded_key<'a>(name: &str, value: &'a str) -> Result<&'a str, Error> {
    if value.len() > MAX_KEY_BYTES {
        return Err(Error::NotFound(format!(
            "no {name} is longer than {MAX_KEY_BYTES} bytes"
        )));
    }
    Ok(value)
}

fn decode_component(raw: &str) -> Result<String, Error> {
    let spaced = raw.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8()
        .map(|c| c.into_owned())
        .map_err(|_| Error::invalid_request("a parameter is not valid UTF-8 once decoded"))
}

/// A path parameter of the route (`{client_id}`), as API Gateway or the router decoded it. Every
/// one names a stored item or an action, and is bounded by [`bounded_key`].
pub fn path_param(req: &Request, name: &str) -> Result<String, Error> {
    let value = req
        .path_parameters_ref()
        .and_then(|p| p.first(name))
        .ok_or_else(|| Error::invalid_request(format!("missing path parameter {name}")))?;
    bounded_key(name, value).map(str::to_owned)
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

/// The id of the request being served (Lambda's, or a fresh ULID locally), as a request
/// extension: responses and audit records quote it.
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

/// Where a request was routed, as its metrics name it: the function's binary name (`token`;
/// `serve` for what only `devicegate serve` answers) and the route as the table writes it
/// (`/oauth2/register/{client_id}`, never the path with its parameters).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Site {
    pub function: &'static str,
    pub route: &'static str,
}

/// Runs one request: a span carrying the Lambda request id around every log line, one summary
/// line with route, status and latency (and, unless `METRICS=off`, the request's metrics in
/// CloudWatch's embedded format, [`crate::metrics`]), every 5xx logged with its cause, and
/// errors rendered in the endpoint's shape.
pub async fn serve<F, Fut>(
    req: Request,
    site: Site,
    shape: ErrorShape,
    handler: F,
) -> Response<Body>
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
    let mut req = req;
    req.extensions_mut().insert(RequestId(request_id.clone()));
    let method = req.method().to_string();
    let route = loggable_path(req.uri().path()).into_owned();
    let presented = AuthScheme::of(&req);
    let span = tracing::info_span!("request", request_id = %request_id);
    async move {
        let started = Instant::now();
        let (outcome, store) = metrics::counted(handler(req)).await;
        let mut response = match outcome {
            Ok(response) => response,
            Err(error) => {
                if let Error::Internal(cause) = &error {
                    tracing::error!(%cause, "internal error");
                }
                shape.render(&error, presented)
            }
        };
        shape.stamp(&mut response, &request_id);
        let status = response.status().as_u16();
        let latency_ms = millis(started.elapsed());
        if metrics::enabled() {
            let emf = metrics::RequestMetrics {
                function: site.function,
                route: site.route,
                status,
                latency_ms,
                store,
            }
            .emf();
            tracing::info!(method, route, status, latency_ms, emf = %emf, "request");
        } else {
            tracing::info!(method, route, status, latency_ms, "request");
        }
        response
    }
    .instrument(span)
    .await
}

/// A duration in milliseconds to two decimals, as the request line gives latencies (`1.85`,
/// not `1.8483569999999998`).
pub fn millis(elapsed: std::time::Duration) -> f64 {
    (elapsed.as_secs_f64() * 100_000.0).round() / 100.0
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

/// The longest path a log line carries: every route's path is far shorter, with any parameter
/// it names (a longer one names nothing, see [`bounded_key`]).
const MAX_LOGGED_PATH: usize = 256;

/// A request path as the log shows it: whole when it is of a plausible length, else its first
/// [`MAX_LOGGED_PATH`] bytes and the length of the rest.
pub fn loggable_path(path: &str) -> std::borrow::Cow<'_, str> {
    if path.len() <= MAX_LOGGED_PATH {
        return path.into();
    }
    let mut end = MAX_LOGGED_PATH;
    while !path.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} more bytes)", &path[..end], path.len() - end).into()
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
    fn latencies_are_logged_to_two_decimals() {
        use std::time::Duration;
        let logged = |d: Duration| millis(d).to_string();
        assert_eq!(logged(Duration::from_nanos(1_848_357)), "1.85");
        assert_eq!(logged(Duration::from_nanos(12_300_000)), "12.3");
        assert_eq!(logged(Duration::from_nanos(999)), "0");
        assert_eq!(logged(Duration::from_secs(2)), "2000");
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
