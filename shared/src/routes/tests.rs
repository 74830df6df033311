use super::*;

#[test]
fn every_function_has_a_route_and_no_route_is_listed_twice() {
    let table = table();
    for function in Function::ALL {
        assert!(table.iter().any(|(f, _, _)| *f == function));
    }
    for page in PAGES {
        assert!(
            table.iter().any(|(_, m, p)| p == page && *m == "GET"),
            "{page}"
        );
    }
    let mut seen = std::collections::HashSet::new();
    for (_, method, path) in &table {
        assert!(seen.insert((method, path)), "{method} {path}");
        assert!(matches!(
            *method,
            "GET" | "POST" | "PUT" | "PATCH" | "DELETE"
        ));
    }
}
