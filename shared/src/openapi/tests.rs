#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;

use super::{Dialect, operations};
use crate::routes;

/// Every route of the table is in exactly one document, and every operation is a route.
#[test]
fn every_route_has_one_operation_and_every_operation_a_route() {
    let routes: BTreeSet<(String, String)> = routes::table()
        .into_iter()
        .map(|(_, method, path)| (method.to_owned(), path.to_owned()))
        .collect();
    let mut documented = BTreeSet::new();
    for dialect in Dialect::ALL {
        for operation in operations(dialect) {
            assert!(
                documented.insert(operation.clone()),
                "{operation:?} is in two documents"
            );
        }
    }
    let undocumented: Vec<_> = routes.difference(&documented).collect();
    let unrouted: Vec<_> = documented.difference(&routes).collect();
    assert!(
        undocumented.is_empty(),
        "routes with no operation: {undocumented:?}"
    );
    assert!(
        unrouted.is_empty(),
        "operations with no route: {unrouted:?}"
    );
}

#[test]
fn every_document_is_openapi_3_1_and_resolves_its_references() {
    for dialect in Dialect::ALL {
        let text = super::document_json(dialect);
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(doc["openapi"], "3.1.0", "{}", dialect.name());
        let schemas = doc["components"]["schemas"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        let responses = doc["components"]["responses"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        for (prefix, defined) in [
            ("#/components/schemas/", &schemas),
            ("#/components/responses/", &responses),
        ] {
            for reference in text.match_indices(prefix) {
                let rest = &text[reference.0 + prefix.len()..];
                let name = &rest[..rest.find('"').unwrap()];
                assert!(
                    defined.contains_key(name),
                    "{}: {name} is referenced, not defined",
                    dialect.name()
                );
            }
        }
    }
}

#[test]
fn dialect_names_round_trip() {
    for dialect in Dialect::ALL {
        assert_eq!(Dialect::from_name(dialect.name()), Some(dialect));
    }
    assert_eq!(Dialect::from_name("soap"), None);
}
