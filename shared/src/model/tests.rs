//! The model's validation rules, by example.

use super::*;
use crate::error::Error;

#[test]
fn api_key_source_lists_hold_addresses_and_networks() {
    let settings = ApiKeySettings {
        allowed_sources: vec![
            "10.0.0.0/8".into(),
            "2001:db8::/32".into(),
            "192.0.2.7".into(),
        ],
        ..Default::default()
    };
    assert!(settings.validate(0).is_ok());
    for inside in ["10.1.2.3", "2001:db8::1", "192.0.2.7", "::ffff:10.9.9.9"] {
        assert!(settings.allows_source(inside), "{inside}");
    }
    for outside in ["11.0.0.1", "2001:db9::1", "192.0.2.8", "unknown", ""] {
        assert!(!settings.allows_source(outside), "{outside}");
    }
    assert!(ApiKeySettings::default().allows_source("unknown"));
    let bad = ApiKeySettings {
        allowed_sources: vec!["10.0.0.0/33".into()],
        ..Default::default()
    };
    assert!(bad.validate(0).is_err());
}

#[test]
fn client_id_limits() {
    assert!(ClientId::parse("0966a26c-a5fc-4276-9c6b-587d02aceb91").is_ok());
    assert!(ClientId::parse("").is_err());
    assert!(ClientId::parse(&"a".repeat(256)).is_ok());
    assert!(ClientId::parse(&"a".repeat(257)).is_err());
    assert!(ClientId::parse("tab\there").is_err());
    assert!(ClientId::parse("café").is_err());
}

#[test]
fn enums_parse_only_their_values() {
    assert_eq!(
        ClientType::parse("chrome_extension"),
        Some(ClientType::ChromeExtension)
    );
    assert_eq!(ClientType::parse("Printer"), None);
    assert_eq!(KeyType::parse("x509"), Some(KeyType::X509));
    assert_eq!(KeyType::parse("dsa"), None);
    assert_eq!(ClientType::ALL.len(), 5);
}

#[test]
fn bounded_text_counts_characters() -> Result<(), Error> {
    assert_eq!(
        bounded_text("d", Some(&"é".repeat(1024)), 1024)?.map(|s| s.chars().count()),
        Some(1024)
    );
    assert!(bounded_text("d", Some(&"é".repeat(1025)), 1024).is_err());
    assert!(bounded_text("d", Some("bell\u{7}"), 1024).is_err());
    assert_eq!(bounded_text("d", None, 10)?, None);
    Ok(())
}

#[test]
fn api_key_settings_bound_lifetimes() {
    let ok = ApiKeySettings {
        access_token_ttl: Some(600),
        ..Default::default()
    };
    assert!(ok.validate(0).is_ok());
    let too_long = ApiKeySettings {
        access_token_ttl: Some(MAX_ACCESS_TTL + 1),
        ..Default::default()
    };
    assert!(too_long.validate(0).is_err());
    let past = ApiKeySettings {
        expires_at: Some(10),
        ..Default::default()
    };
    assert!(past.validate(10).is_err());
    assert_eq!(ApiKeySettings::default().lifetimes(), Lifetimes::default());
}

#[test]
fn api_key_usable_until_disabled_or_expired() {
    let mut key = ApiKey {
        key_hash: "h".into(),
        id: "k".into(),
        name: "n".into(),
        settings: ApiKeySettings {
            expires_at: Some(100),
            ..Default::default()
        },
        disabled: false,
        created_at: 0,
    };
    assert!(key.is_usable(99));
    assert!(!key.is_usable(100));
    key.settings.expires_at = None;
    assert!(key.is_usable(i64::MAX));
    key.disabled = true;
    assert!(!key.is_usable(0));
}

#[test]
fn scope_parses_sorts_and_refuses_bad_tokens() -> Result<(), Error> {
    let scope = Scope::parse("write  read read")?;
    assert_eq!(scope.tokens(), ["read", "write"]);
    assert_eq!(scope.to_wire().as_deref(), Some("read write"));
    assert!(Scope::parse("a\"b").is_err());
    assert!(Scope::parse("caf\u{e9}").is_err());
    assert!(Scope::parse(&"x".repeat(129)).is_err());
    assert!(Scope::parse("")?.is_empty());
    assert!(Scope::parse("read")?.is_subset_of(&scope));
    assert!(!Scope::parse("admin")?.is_subset_of(&scope));
    Ok(())
}

#[test]
fn username_limits() {
    assert!(Username::parse("ada.lovelace@example.com").is_ok());
    assert!(Username::parse("").is_err());
    assert!(Username::parse("with space").is_err());
    assert!(Username::parse(&"a".repeat(65)).is_err());
}
