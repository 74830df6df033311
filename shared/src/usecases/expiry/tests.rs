use super::*;
use crate::model::Lifetimes;

const EXPIRES_AT: i64 = 1_796_601_600; // 2026-12-07T00:00:00Z

fn code(hash: &str, owner: Owner, status: CodeStatus) -> DeviceCode {
    DeviceCode {
        code_hash: hash.to_owned(),
        client_id: "printer-9".into(),
        owner,
        scope: None,
        user_code_hmac: None,
        status,
        created_at: EXPIRES_AT - 600,
        expires_at: EXPIRES_AT,
        interval: 5,
        next_poll_at: 0,
        last_poll_id: None,
        key: None,
        client_secret_hash: None,
        lifetimes: Lifetimes::default(),
        family_id: None,
        redeemed_by: None,
        started_from: None,
        ttl: EXPIRES_AT,
    }
}

fn device() -> Owner {
    Owner::Device {
        api_key_id: "ak_1".into(),
        api_key_hash: "h".into(),
    }
}

fn client(username: Option<&str>) -> Owner {
    Owner::Client {
        username: username.map(str::to_owned),
    }
}

fn origin() -> Origin {
    Origin::system("expiry").by(crate::model::Actor::admin("not-me"))
}

#[test]
fn a_pending_registration_and_a_pending_oauth_code_are_recorded_at_their_expiry() {
    let after = EXPIRES_AT + 3600;
    let paragon = expiry_event(&code("a", device(), CodeStatus::Pending), &origin(), after);
    let paragon = paragon.unwrap_or_else(|| panic!("a record is due"));
    assert_eq!(paragon.kind, AuditType::DeviceExpired);
    assert_eq!(
        paragon.time_ms,
        EXPIRES_AT * 1000,
        "the expiry, not when noticed"
    );
    assert_eq!(paragon.actor, "system", "whoever notices, the system acts");
    assert_eq!(paragon.subject, "printer-9");
    assert_eq!(paragon.outcome, Outcome::Failure);
    assert_eq!(
        paragon.reason.as_deref(),
        Some("expired at 2026-12-07T00:00:00Z without a decision")
    );
    assert_eq!(paragon.dialect, "expiry");

    let oauth = expiry_event(
        &code("b", client(None), CodeStatus::Pending),
        &origin(),
        after,
    );
    assert_eq!(oauth.map(|e| e.kind), Some(AuditType::DeviceCodeExpired));
}

#[test]
fn an_approved_code_never_redeemed_says_so_and_a_decided_one_has_no_record() {
    let after = EXPIRES_AT;
    let approved = code("c", client(Some("alice")), CodeStatus::Approved);
    let reason = expiry_event(&approved, &origin(), after).and_then(|e| e.reason);
    assert_eq!(
        reason.as_deref(),
        Some("expired at 2026-12-07T00:00:00Z approved by alice but never redeemed")
    );
    let trusted = code("d", device(), CodeStatus::Approved);
    let reason = expiry_event(&trusted, &origin(), after).and_then(|e| e.reason);
    assert!(reason.is_some_and(|r| r.ends_with("approved but never redeemed")));
    for status in [CodeStatus::Denied, CodeStatus::Redeemed] {
        assert_eq!(
            expiry_event(&code("e", device(), status), &origin(), after),
            None
        );
    }
    let early = code("f", device(), CodeStatus::Pending);
    assert_eq!(
        expiry_event(&early, &origin(), EXPIRES_AT - 1),
        None,
        "not expired yet"
    );
}

#[test]
fn the_id_is_the_same_for_the_same_code_and_differs_between_codes() {
    let one = code("hash-one", device(), CodeStatus::Pending);
    let two = code("hash-two", device(), CodeStatus::Pending);
    assert_eq!(expiry_id(&one), expiry_id(&one.clone()));
    assert_ne!(expiry_id(&one), expiry_id(&two));
    assert_eq!(expiry_id(&one).timestamp_ms(), 1_796_601_600_000);
    let first = expiry_event(&one, &origin(), EXPIRES_AT).map(|e| e.id);
    let again = expiry_event(&one, &Origin::system("serve"), EXPIRES_AT + 99).map(|e| e.id);
    assert_eq!(first, again, "another path, later: the same record");
    let mut far = one.clone();
    far.expires_at = i64::MAX;
    assert_eq!(expiry_id(&far).timestamp_ms(), (1 << 48) - 1, "clamped");
    assert_eq!(rfc3339(i64::MAX), i64::MAX.to_string());
}
