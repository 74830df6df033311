//! Whether a redirect URI is one the client registered (RFC 6749 §3.1.2.3, RFC 8252 §7.3): the
//! authorization request and VMware's registration both ask before sending anyone there.

/// Whether `sent` is one of the client's redirect URIs: the same string, except that for a
/// loopback IP redirect (`http://127.0.0.1`, `http://[::1]`, and `localhost`) any port is
/// accepted (RFC 8252 §7.3: native apps listen on an ephemeral port).
pub fn redirect_uri_registered(registered: &[String], sent: &str) -> bool {
    if registered.iter().any(|r| r == sent) {
        return true;
    }
    let Ok(sent_url) = url::Url::parse(sent) else {
        return false;
    };
    if sent_url.scheme() != "http" || !is_loopback(&sent_url) {
        return false;
    }
    registered.iter().any(|r| {
        url::Url::parse(r).is_ok_and(|mut r| {
            if r.scheme() != "http" || !is_loopback(&r) {
                return false;
            }
            let mut s = sent_url.clone();
            let ports_cleared = r.set_port(None).is_ok() && s.set_port(None).is_ok();
            ports_cleared && r == s
        })
    })
}

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d == "localhost",
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_redirects_match_on_any_port_and_nothing_else_does() {
        let registered = vec![
            "http://127.0.0.1/oauth/callback".to_owned(),
            "https://app.example/cb".to_owned(),
            "com.example.app:/cb".to_owned(),
        ];
        for yes in [
            "http://127.0.0.1:51234/oauth/callback",
            "http://127.0.0.1/oauth/callback",
            "https://app.example/cb",
            "com.example.app:/cb",
        ] {
            assert!(redirect_uri_registered(&registered, yes), "{yes}");
        }
        for no in [
            "http://127.0.0.1:51234/oauth/callback2",
            "http://127.0.0.1:5/oauth/callback?x=1",
            "https://app.example:444/cb",
            "https://app.example/cb/",
            "http://localhost:5/oauth/callback",
            "com.example.app:/cb2",
            "not a uri",
        ] {
            assert!(!redirect_uri_registered(&registered, no), "{no}");
        }
    }
}
