//! What people and clients type outside of forms' structure: user codes, scopes, redirect URIs,
//! usernames, client ids, new passwords, and source addresses for rate limiting.
#![no_main]

use devicegate::model::{ClientId, RedirectUri, Scope, Username};
use devicegate::password;
use devicegate::usecases::sign_in::source_subject;
use devicegate::usercode::{self, UserCode};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let text: &str = &text;

    if let Ok(code) = UserCode::parse(text) {
        let shown = code.display();
        assert_eq!(shown.len(), usercode::LENGTH + 1);
        assert_eq!(UserCode::parse(&shown).ok(), Some(code.clone()));
        assert_eq!(UserCode::parse(&shown.to_lowercase()).ok(), Some(code));
    }

    if let Ok(scope) = Scope::parse(text) {
        assert!(scope.tokens().len() <= Scope::MAX_TOKENS);
        assert!(
            scope.tokens().windows(2).all(|w| w[0] < w[1]),
            "sorted, no repeats"
        );
        let wire = scope.to_wire();
        assert_eq!(wire.is_none(), scope.is_empty());
        let again = Scope::parse(wire.as_deref().unwrap_or("")).ok();
        assert_eq!(again.as_ref(), Some(&scope));
        assert!(scope.is_subset_of(&scope));
    }

    if let Ok(uri) = RedirectUri::parse(text) {
        assert_eq!(uri.as_str(), text);
        assert!(!text.contains('#') && !text.contains('*'));
        assert!(text.len() <= RedirectUri::MAX_LEN);
    }

    if let Ok(name) = Username::parse(text) {
        assert_eq!(name.as_str(), text);
        assert!(!text.is_empty() && text.len() <= Username::MAX_LEN);
    }

    if let Ok(id) = ClientId::parse(text) {
        assert_eq!(id.as_str(), text);
        assert!(!text.is_empty() && text.len() <= ClientId::MAX_LEN);
    }

    let _ = password::check_new(text);

    let subject = source_subject(text);
    assert!(subject.chars().count() <= 64);
    // Counting by subject must be stable: a subject is its own subject.
    assert_eq!(source_subject(&subject), subject, "input {text:?}");
});
