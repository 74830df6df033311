//! What a router answers a request no route takes: 404 for a path it does not serve, 405 with
//! `Allow` for a method a path does not accept. Each is said the way the path's family speaks:
//! an error page for a page's path, the dialect's JSON error for an API's (the dialect of the
//! routes the path shares the most leading segments with), plain OAuth-style JSON for a path
//! that belongs to no family. It passes through [`http::serve`] like any request: request id,
//! one log line.
//!
//! API Gateway answers a path outside `template.yaml` itself; a function's router sees one only
//! behind a catch-all route, and `devicegate serve` (one router for every function) sees them all.

use std::sync::Arc;

use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Request, Response};

use super::is_page;
use crate::error::Error;
use crate::http::{self, ErrorShape};
use crate::web;

/// A route as the fallback sees it.
#[derive(Clone, Copy, Debug)]
pub struct Row {
    pub method: &'static str,
    pub path: &'static str,
    pub shape: ErrorShape,
}

/// The router with its answers to requests no route takes, for the routes of `rows`; their
/// metrics name `function` and the route `unrouted`.
pub fn with_fallbacks(
    router: axum::Router,
    rows: Vec<Row>,
    function: &'static str,
) -> axum::Router {
    let site = http::Site {
        function,
        route: "unrouted",
    };
    let rows: Arc<[Row]> = rows.into();
    let handler = move |req: axum::extract::Request| {
        let rows = rows.clone();
        async move {
            let (parts, _) = req.into_parts();
            let req = Request::from_parts(parts, Body::Empty);
            let (shape, response) = answer(&rows, &req);
            http::into_axum(http::serve(req, site, shape, |_| async move { Ok(response) }).await)
        }
    };
    router
        .method_not_allowed_fallback(handler.clone())
        .fallback(handler)
}

/// The answer to a request no route of `rows` takes, and the shape its response is stamped in.
pub fn answer(rows: &[Row], req: &Request) -> (ErrorShape, Response<Body>) {
    let method = req.method().as_str();
    let path = req.uri().path();
    let shown = http::loggable_path(path);
    let matching: Vec<&Row> = rows.iter().filter(|r| matches(r.path, path)).collect();
    let mut allowed: Vec<&str> = Vec::new();
    for row in &matching {
        if !allowed.contains(&row.method) {
            allowed.push(row.method);
        }
    }
    let (row, status, error) = match matching.first() {
        Some(row) if !allowed.contains(&method) => (
            Some(**row),
            StatusCode::METHOD_NOT_ALLOWED,
            Error::invalid_request(format!(
                "{shown} does not accept {method}; it accepts {}",
                allowed.join(", ")
            )),
        ),
        _ => (
            nearest(rows, path),
            StatusCode::NOT_FOUND,
            Error::NotFound(format!("nothing answers {method} {shown}")),
        ),
    };
    let shape = row.map_or(ErrorShape::OAuth, |r| r.shape);
    let mut response = match row {
        Some(row) if is_page(row.path) => {
            let text = if status == StatusCode::NOT_FOUND {
                "There is no page at this address.".to_owned()
            } else {
                format!("This page does not accept {method} requests.")
            };
            let start = if row.path.starts_with("/admin/console") {
                "/admin/console"
            } else {
                "/device"
            };
            web::html(status, web::pages::failure(&text, Some(start)))
        }
        _ => shape.render(&error, None),
    };
    *response.status_mut() = status;
    if status == StatusCode::METHOD_NOT_ALLOWED
        && let Ok(allow) = HeaderValue::from_str(&allowed.join(", "))
    {
        response.headers_mut().insert(header::ALLOW, allow);
    }
    (shape, response)
}

/// Whether a path matches a route's pattern (`{name}` is one non-empty segment).
fn matches(pattern: &str, path: &str) -> bool {
    let (mut p, mut q) = (pattern.split('/'), path.split('/'));
    loop {
        match (p.next(), q.next()) {
            (None, None) => return true,
            (Some(a), Some(b)) if a == b || (a.starts_with('{') && !b.is_empty()) => {}
            _ => return false,
        }
    }
}

/// The route a path belongs with: of the routes sharing the most leading segments with it (one
/// at least), an API's before a page's; none when no route shares its first segment.
fn nearest(rows: &[Row], path: &str) -> Option<Row> {
    let shared = |row: &Row| {
        row.path
            .split('/')
            .zip(path.split('/'))
            .skip(1)
            .take_while(|(a, b)| a == b && !b.is_empty())
            .count()
    };
    let most = rows.iter().map(shared).max().filter(|n| *n > 0)?;
    let closest = rows.iter().filter(|r| shared(r) == most);
    closest
        .clone()
        .find(|r| !is_page(r.path))
        .or_else(|| closest.clone().next())
        .copied()
}

#[cfg(test)]
mod tests;
