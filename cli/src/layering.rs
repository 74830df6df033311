//! The admin front ends reach the store only through the admin use cases: no handler under
//! `shared/src/api` and no command here calls a `Store` method itself. Exempt are the wiring of
//! `devicegate serve` (`serve/`), the fixed example records of `seed-examples`
//! (`examples.rs`), which no admin operation makes, and this file, whose test text holds calls.

use std::path::{Path, PathBuf};

const EXEMPT: &[&str] = &["serve", "examples.rs", "layering.rs"];

/// Every `.rs` file under `dir`.
fn sources(dir: &Path, found: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries.map_while(Result::ok) {
        let path = entry.path();
        if path.is_dir() {
            sources(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

/// The 1-based lines of `text` where a store method is called: `store` as a whole word, then
/// `.`, a method name and `(`, with any whitespace (line breaks too) between them, outside
/// `//` comments.
fn store_calls(text: &str) -> Vec<usize> {
    let code: String = text
        .lines()
        .map(|line| line.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n");
    let bytes = code.as_bytes();
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let skip_space = |mut i: usize| {
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        i
    };
    let mut lines = Vec::new();
    for (start, _) in code.match_indices("store") {
        let end = start + "store".len();
        if (start > 0 && word(bytes[start - 1])) || (end < bytes.len() && word(bytes[end])) {
            continue;
        }
        let dot = skip_space(end);
        if bytes.get(dot) != Some(&b'.') {
            continue;
        }
        let name_start = skip_space(dot + 1);
        let mut name_end = name_start;
        while name_end < bytes.len() && word(bytes[name_end]) {
            name_end += 1;
        }
        if name_end > name_start && bytes.get(skip_space(name_end)) == Some(&b'(') {
            lines.push(code[..start].matches('\n').count() + 1);
        }
    }
    lines
}

#[test]
fn admin_front_ends_call_no_store_method() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    sources(&root.join("../shared/src/api"), &mut files);
    sources(&root.join("src"), &mut files);
    // A file or folder directly under `src/` named in EXEMPT is left out, with all it holds.
    files.retain(|f| {
        let Ok(inside) = f.strip_prefix(root.join("src")) else {
            return true;
        };
        let top = inside.components().next();
        !top.is_some_and(|c| EXEMPT.contains(&c.as_os_str().to_str().unwrap_or("")))
    });
    assert!(files.len() > 10, "found only {files:?}");
    let mut calls = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{file:?}: {e}"));
        for line in store_calls(&text) {
            let shown = file.strip_prefix(root).unwrap_or(file);
            calls.push(format!("{}:{line}", shown.display()));
        }
    }
    assert!(
        calls.is_empty(),
        "store calls outside the admin use cases (call a usecases::admin function instead):\n{}",
        calls.join("\n")
    );
}

#[test]
fn a_store_call_is_found_across_lines_and_not_in_comments() {
    let text = "let a = deps.store.list_users().await;\n// store.x()\nlet b = deps\n    .store\n    .disable_client(&id);\nf(&deps.store, x);\nlet c = restore.run();\n";
    assert_eq!(store_calls(text), vec![1, 4]);
}
