use super::*;

const DEFAULTS: Defaults = Defaults {
    grant_types: &[GrantType::DeviceCode, GrantType::RefreshToken],
    response_types: &[],
    auth_method: TokenEndpointAuthMethod::ClientSecretPost,
    auth_methods: &[TokenEndpointAuthMethod::ClientSecretPost],
};

fn request() -> MetadataRequest {
    MetadataRequest {
        client_name: Some("CLI".into()),
        ..MetadataRequest::default()
    }
}

#[test]
fn defaults_fill_what_is_left_out() -> Result<(), Error> {
    let metadata = ClientMetadata::new(request(), &DEFAULTS)?;
    assert_eq!(
        metadata.grant_types,
        [GrantType::DeviceCode, GrantType::RefreshToken]
    );
    assert_eq!(
        metadata.auth_method,
        TokenEndpointAuthMethod::ClientSecretPost
    );
    Ok(())
}

#[test]
fn every_field_is_capped_and_checked() {
    let refused = |change: fn(&mut MetadataRequest)| {
        let mut r = request();
        change(&mut r);
        ClientMetadata::new(r, &DEFAULTS).err()
    };
    assert!(matches!(
        refused(|r| r.client_name = Some("x".repeat(1025))),
        Some(Error::InvalidClientMetadata(_))
    ));
    assert!(matches!(
        refused(|r| r.client_name = Some("  ".into())),
        Some(Error::InvalidClientMetadata(_))
    ));
    assert!(matches!(
        refused(|r| r.redirect_uris = vec!["https://a.example/cb".into(); 11]),
        Some(Error::InvalidClientMetadata(_))
    ));
    assert!(matches!(
        refused(|r| r.redirect_uris = vec!["http://evil.example/cb".into()]),
        Some(Error::InvalidRedirectUri(_))
    ));
    assert!(matches!(
        refused(|r| r.grant_types = Some(vec!["password".into()])),
        Some(Error::InvalidClientMetadata(_))
    ));
    assert!(matches!(
        refused(|r| r.grant_types = Some(vec![])),
        Some(Error::InvalidClientMetadata(_))
    ));
    assert!(matches!(
        refused(|r| r.response_types = Some(vec!["token".into()])),
        Some(Error::InvalidClientMetadata(_))
    ));
    assert!(matches!(
        refused(|r| r.token_endpoint_auth_method = Some("none".into())),
        Some(Error::InvalidClientMetadata(_))
    ));
    assert!(matches!(
        refused(|r| r.scopes = vec!["a\"b".into()]),
        Some(Error::InvalidClientMetadata(_))
    ));
    for name in [
        "Corp IT\u{201d} (verified)",
        "a \"b\"",
        "two\nlines",
        "mirror\u{202e}desrever",
        "zero\u{200b}width",
    ] {
        let mut r = request();
        r.client_name = Some(name.into());
        assert!(
            matches!(
                ClientMetadata::new(r, &DEFAULTS),
                Err(Error::InvalidClientMetadata(_))
            ),
            "{name:?}"
        );
    }
}
