use super::*;

fn login_request(headers: &[(&str, &str)], content_type: &str, body: &str) -> Request {
    let mut builder = lambda_http::http::Request::builder()
        .method("POST")
        .uri("https://gate.test/api/v1/login")
        .header("content-type", content_type);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder
        .body(Body::Text(body.to_owned()))
        .unwrap_or_default()
}

#[test]
fn login_reads_every_kind_of_credentials_in_a_form_or_json() {
    let key = [("x-api-key", "dgk_k"), ("authorization", "Bearer dga_t")];
    let form = "application/x-www-form-urlencoded";
    let parsed = |ct: &str, body: &str| parse_login(&login_request(&key, ct, body));
    let Ok(login) = parsed(form, "username=ada&password=pw+pw+pw") else {
        panic!("a password login");
    };
    assert_eq!(login.api_key, "dgk_k");
    assert_eq!(login.device_token.as_deref(), Some("dga_t"));
    assert!(
        matches!(login.credentials, Credentials::Password { ref password, .. } if password == "pw pw pw")
    );
    let json = parsed("application/json", r#"{"card_id": " C-1 "}"#);
    assert!(
        matches!(json, Ok(ref l) if matches!(l.credentials, Credentials::LoginId(ref id) if id.kind() == LoginIdKind::CardId)),
        "{json:?}"
    );
    assert!(matches!(
        parsed(form, "username=ada").map(|l| l.credentials),
        Ok(Credentials::Username(u)) if u == "ada"
    ));
    for (body, why) in [
        ("password=pw", "a password needs a username"),
        ("card_id=1&email=a%40b.c", "one kind of credentials"),
        ("username=ada&short_id=1", "one kind of credentials"),
        ("", "send username and password"),
    ] {
        assert!(
            matches!(parsed(form, body), Err(Error::InvalidRequest(ref m)) if m.contains(why)),
            "{body}"
        );
    }
    let no_key = parse_login(&login_request(&[], form, "username=ada"));
    assert!(matches!(no_key, Err(Error::InvalidClient(_))), "{no_key:?}");
    let basic = parse_login(&login_request(
        &[("x-api-key", "k"), ("authorization", "Basic abc")],
        form,
        "username=ada",
    ));
    assert!(matches!(basic, Err(Error::InvalidToken(_))), "{basic:?}");
}

const KEY: &str = "HUUtnCdtG1x9oiSI4ODtvIEmI/qp7lFknsu1lpVk8T8=";

fn form(body: &str) -> Form {
    Form::parse(body.as_bytes()).unwrap_or_else(|e| panic!("{e}"))
}

fn base() -> String {
    "client_id=printer-1&client_secret=k&client_type=printer&response_type=device_code".into()
}

fn register_error(body: &str) -> Error {
    match parse_register(&form(body)) {
        Ok(r) => panic!("accepted: {r:?}"),
        Err(e) => e,
    }
}

#[test]
fn a_minimal_registration_parses() -> Result<(), Error> {
    let r = parse_register(&form(&base()))?;
    assert_eq!(r.client_id.as_str(), "printer-1");
    assert_eq!(r.client_type, ClientType::Printer);
    assert!(r.key.is_none() && r.state.is_none() && r.client_description.is_none());
    Ok(())
}

#[test]
fn a_full_registration_parses() -> Result<(), Error> {
    let body = format!(
        "{}&client_description=Floor+3&state=xyz&key_type=ed25519&public_key={}",
        base(),
        KEY.replace('+', "%2B")
            .replace('/', "%2F")
            .replace('=', "%3D")
    );
    let r = parse_register(&form(&body))?;
    assert_eq!(r.client_description.as_deref(), Some("Floor 3"));
    assert_eq!(r.state.as_deref(), Some("xyz"));
    assert_eq!(
        r.key.map(|k| (k.key_type, k.public_key)),
        Some((KeyType::Ed25519, KEY.to_owned()))
    );
    Ok(())
}

#[test]
fn every_required_field_is_required() {
    for field in ["client_id", "client_secret", "client_type", "response_type"] {
        let body: Vec<&str> = base()
            .leak()
            .split('&')
            .filter(|p| !p.starts_with(field))
            .collect();
        let e = register_error(&body.join("&"));
        assert!(
            matches!(&e, Error::InvalidRequest(m) if m.contains(field)),
            "{field}: {e:?}"
        );
    }
}

#[test]
fn enums_and_limits_are_enforced() {
    assert!(
        matches!(register_error(&base().replace("printer&", "toaster&")), Error::InvalidRequest(m) if m.contains("client_type"))
    );
    assert!(matches!(
        register_error(&base().replace("=device_code", "=code")),
        Error::UnsupportedResponseType(_)
    ));
    assert!(matches!(
        register_error(&format!(
            "{}&client_description={}",
            base(),
            "a".repeat(1025)
        )),
        Error::InvalidRequest(_)
    ));
    assert!(
        parse_register(&form(&format!(
            "{}&client_description={}",
            base(),
            "a".repeat(1024)
        )))
        .is_ok()
    );
    assert!(matches!(
        register_error(&format!("{}&state={}", base(), "s".repeat(513))),
        Error::InvalidRequest(_)
    ));
    assert!(matches!(
        register_error(&base().replace("printer-1", &"x".repeat(257))),
        Error::InvalidRequest(_)
    ));
}

#[test]
fn key_fields_come_together_and_must_parse() {
    assert!(
        matches!(register_error(&format!("{}&key_type=ed25519", base())), Error::InvalidRequest(m) if m.contains("together"))
    );
    assert!(
        matches!(register_error(&format!("{}&public_key=abc", base())), Error::InvalidRequest(m) if m.contains("together"))
    );
    assert!(
        matches!(register_error(&format!("{}&key_type=dsa&public_key=abc", base())), Error::InvalidRequest(m) if m.contains("key_type"))
    );
    assert!(
        matches!(register_error(&format!("{}&key_type=rsa&public_key=AAAA", base())), Error::InvalidRequest(m) if m.contains("rsa"))
    );
}

#[test]
fn token_grants_parse() -> Result<(), Error> {
    for grant in [
        "device_code",
        "urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code",
    ] {
        let t = parse_token(&form(&format!(
            "grant_type={grant}&client_id=c&client_secret=k&device_code=d"
        )))?;
        assert!(matches!(t, TokenRequest::DeviceCode(g) if g.device_code == "d"));
    }
    let t = parse_token(&form(
        "grant_type=refresh_token&client_id=c&client_secret=k&refresh_token=r",
    ))?;
    assert!(matches!(t, TokenRequest::Refresh(g) if g.refresh_token == "r"));
    Ok(())
}

#[test]
fn token_errors() {
    let err = |b: &str| parse_token(&form(b)).err();
    assert!(matches!(
        err("grant_type=password&client_id=c&client_secret=k"),
        Some(Error::UnsupportedGrantType(_))
    ));
    assert!(
        matches!(err("client_id=c&client_secret=k&device_code=d"), Some(Error::InvalidRequest(m)) if m.contains("grant_type"))
    );
    assert!(
        matches!(err("grant_type=device_code&client_id=c&client_secret=k"), Some(Error::InvalidRequest(m)) if m.contains("device_code"))
    );
    assert!(
        matches!(err("grant_type=device_code&client_secret=k&device_code=d"), Some(Error::InvalidRequest(m)) if m.contains("client_id"))
    );
    assert!(
        matches!(err("grant_type=device_code&client_id=c&device_code=d"), Some(Error::InvalidRequest(m)) if m.contains("client_secret"))
    );
}
