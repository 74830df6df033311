use super::*;

fn request(auth: Option<&str>, body: &str) -> Request {
    let mut builder = lambda_http::http::Request::builder()
        .method("POST")
        .uri("https://gate.test/oauth2/token")
        .header("content-type", "application/x-www-form-urlencoded");
    if let Some(auth) = auth {
        builder = builder.header("authorization", auth);
    }
    builder
        .body(Body::Text(body.to_owned()))
        .unwrap_or_default()
}

#[test]
fn basic_credentials_are_form_decoded() -> Result<(), Error> {
    // id "a b", secret "p:w%" => "a+b:p%3Aw%25"
    let header = format!("Basic {}", STANDARD.encode("a+b:p%3Aw%25"));
    let req = request(Some(&header), "grant_type=refresh_token");
    let form = Form::from_request(&req)?;
    let creds = client_credentials(&req, &form)?;
    assert_eq!(creds.client_id, "a b");
    assert_eq!(creds.secret.as_deref(), Some("p:w%"));
    Ok(())
}

#[test]
fn two_methods_at_once_are_refused() -> Result<(), Error> {
    let header = format!("Basic {}", STANDARD.encode("id:secret"));
    let req = request(Some(&header), "client_secret=secret");
    let form = Form::from_request(&req)?;
    assert!(matches!(
        client_credentials(&req, &form),
        Err(Error::InvalidRequest(_))
    ));
    Ok(())
}

#[test]
fn public_clients_send_only_their_id() -> Result<(), Error> {
    let req = request(None, "client_id=cli");
    let form = Form::from_request(&req)?;
    let creds = client_credentials(&req, &form)?;
    assert_eq!(creds.secret, None);
    let req = request(None, "grant_type=x");
    let form = Form::from_request(&req)?;
    assert!(matches!(
        client_credentials(&req, &form),
        Err(Error::InvalidClient(_))
    ));
    Ok(())
}

#[test]
fn unknown_grants_are_unsupported() -> Result<(), Error> {
    let req = request(None, "grant_type=password&client_id=c");
    let form = Form::from_request(&req)?;
    assert!(matches!(
        parse_token(&req, &form),
        Err(Error::UnsupportedGrantType(_))
    ));
    Ok(())
}
