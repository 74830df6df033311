//! OpenAPI 3.1 documents, one per dialect (`docs/openapi/<dialect>.json`, served by
//! `devicegate serve` at `/openapi/<dialect>.json`). Bodies are the codecs' own types (their
//! `utoipa::ToSchema` derives sit beside their serde derives, so a renamed field renames its
//! schema); form bodies list the fields their parser reads. Every route of [`crate::routes`]
//! is in exactly one document, and a test holds the two equal both ways.

mod admin;
mod aws;
mod builder;
mod huawei;
mod oauth2;
mod paragon;
mod vmware;

use utoipa::openapi::OpenApi;

pub use builder::Doc;

/// The dialects a document describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dialect {
    Paragon,
    OAuth2,
    Aws,
    Huawei,
    Vmware,
    Admin,
}

impl Dialect {
    pub const ALL: [Dialect; 6] = [
        Dialect::Paragon,
        Dialect::OAuth2,
        Dialect::Aws,
        Dialect::Huawei,
        Dialect::Vmware,
        Dialect::Admin,
    ];

    /// The name in `docs/openapi/<name>.json` and `/openapi/<name>.json`.
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Paragon => "paragon",
            Dialect::OAuth2 => "oauth2",
            Dialect::Aws => "aws",
            Dialect::Huawei => "huawei",
            Dialect::Vmware => "vmware",
            Dialect::Admin => "admin",
        }
    }

    pub fn from_name(name: &str) -> Option<Dialect> {
        Dialect::ALL.into_iter().find(|d| d.name() == name)
    }
}

/// The dialect's document.
pub fn document(dialect: Dialect) -> OpenApi {
    match dialect {
        Dialect::Paragon => paragon::document(),
        Dialect::OAuth2 => oauth2::document(),
        Dialect::Aws => aws::document(),
        Dialect::Huawei => huawei::document(),
        Dialect::Vmware => vmware::document(),
        Dialect::Admin => admin::document(),
    }
}

/// The document as committed: pretty JSON with a final newline.
pub fn document_json(dialect: Dialect) -> String {
    let mut text = document(dialect)
        .to_pretty_json()
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    text.push('\n');
    text
}

/// Every (method, path) a document describes, uppercase methods, paths as the route table
/// writes them.
pub fn operations(dialect: Dialect) -> Vec<(String, String)> {
    let doc = document(dialect);
    let mut out = Vec::new();
    for (path, item) in &doc.paths.paths {
        let methods = [
            ("GET", item.get.is_some()),
            ("POST", item.post.is_some()),
            ("PUT", item.put.is_some()),
            ("PATCH", item.patch.is_some()),
            ("DELETE", item.delete.is_some()),
        ];
        for (method, present) in methods {
            if present {
                out.push((method.to_owned(), path.clone()));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests;
