//! The verification page's HTML: server-rendered, no scripts, one small inline style sheet
//! (allowed by its hash in the Content-Security-Policy), readable on a phone.

use std::fmt::Write as _;
use std::sync::OnceLock;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

use crate::usecases::verification::PendingRequest;

const STYLE: &str = "\
*{box-sizing:border-box}\
body{margin:0;font:16px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;background:#f4f5f7;color:#1d2430}\
main{max-width:26rem;margin:2rem auto;padding:0 1rem}\
.card{background:#fff;border-radius:.75rem;box-shadow:0 1px 3px #0002;padding:1.5rem}\
h1{font-size:1.35rem;margin:0 0 1rem}\
label{display:block;font-weight:600;margin:.75rem 0 .25rem}\
input[type=text],input[type=password]{width:100%;padding:.65rem .75rem;font-size:1.05rem;border:1px solid #b8bfcc;border-radius:.5rem}\
input.code{font:600 1.4rem/1 ui-monospace,monospace;letter-spacing:.15em;text-transform:uppercase;text-align:center}\
button{width:100%;margin-top:1rem;padding:.7rem;font-size:1rem;font-weight:600;border:0;border-radius:.5rem;background:#1f5fd6;color:#fff;cursor:pointer}\
button.deny{background:#fff;color:#a3261b;border:1px solid #a3261b}\
button.link{background:none;color:#1f5fd6;width:auto;padding:0;margin:0;font-weight:400}\
.msg{padding:.6rem .75rem;border-radius:.5rem;background:#fdecea;color:#8a1c13;margin-bottom:1rem}\
.ok{background:#e7f6ec;color:#155e2b}\
.warn{background:#fff4e0;color:#7a4b00}\
.code-shown{font:600 1.3rem ui-monospace,monospace;letter-spacing:.1em}\
ul{padding-left:1.2rem}\
footer{display:flex;justify-content:space-between;align-items:center;margin-top:1rem;color:#5b6475;font-size:.9rem}\
footer form{margin:0}";

/// The Content-Security-Policy: nothing but this page's own style sheet and forms.
pub fn content_security_policy() -> &'static str {
    static CSP: OnceLock<String> = OnceLock::new();
    CSP.get_or_init(|| {
        let hash = STANDARD.encode(Sha256::digest(STYLE.as_bytes()));
        format!(
            "default-src 'none'; style-src 'sha256-{hash}'; form-action 'self'; \
             frame-ancestors 'none'; base-uri 'none'"
        )
    })
}

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn layout(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <meta name=\"robots\" content=\"noindex\">\
         <title>{} · devicegate</title><style>{STYLE}</style></head>\
         <body><main><div class=\"card\">{body}</div></main></body></html>",
        escape(title)
    )
}

fn message(text: Option<&str>, class: &str) -> String {
    text.map(|t| format!("<p class=\"msg {class}\" role=\"alert\">{}</p>", escape(t)))
        .unwrap_or_default()
}

fn hidden(name: &str, value: &str) -> String {
    format!(
        "<input type=\"hidden\" name=\"{name}\" value=\"{}\">",
        escape(value)
    )
}

fn signed_in_footer(csrf: &str, who: &str) -> String {
    format!(
        "<footer><span>Signed in as <b>{}</b></span>\
         <form method=\"post\" action=\"/device\">{}{}<button class=\"link\" type=\"submit\">Sign out</button></form></footer>",
        escape(who),
        hidden("csrf", csrf),
        hidden("action", "sign_out"),
    )
}

pub fn sign_in(csrf: &str, user_code: Option<&str>, error: Option<&str>) -> String {
    let body = format!(
        "<h1>Sign in to connect a device</h1>{}\
         <form method=\"post\" action=\"/device\">{}{}{}\
         <label for=\"username\">Username</label>\
         <input type=\"text\" id=\"username\" name=\"username\" autocomplete=\"username\" autocapitalize=\"none\" required>\
         <label for=\"password\">Password</label>\
         <input type=\"password\" id=\"password\" name=\"password\" autocomplete=\"current-password\" required>\
         <button type=\"submit\">Sign in</button></form>",
        message(error, ""),
        hidden("csrf", csrf),
        hidden("action", "sign_in"),
        user_code
            .map(|c| hidden("user_code", c))
            .unwrap_or_default(),
    );
    layout("Sign in", &body)
}

pub fn enter_code(csrf: &str, who: &str, typed: Option<&str>, error: Option<&str>) -> String {
    let body = format!(
        "<h1>Connect a device</h1>{}\
         <p>Enter the code shown on your device.</p>\
         <form method=\"post\" action=\"/device\">{}{}\
         <label for=\"user_code\">Code</label>\
         <input class=\"code\" type=\"text\" id=\"user_code\" name=\"user_code\" value=\"{}\" \
         placeholder=\"XXXX-XXXX\" autocomplete=\"off\" autocapitalize=\"characters\" spellcheck=\"false\" maxlength=\"16\" required>\
         <button type=\"submit\">Continue</button></form>{}",
        message(error, ""),
        hidden("csrf", csrf),
        hidden("action", "find"),
        escape(typed.unwrap_or("")),
        signed_in_footer(csrf, who),
    );
    layout("Enter code", &body)
}

pub fn confirm(csrf: &str, who: &str, request: &PendingRequest) -> String {
    let client = &request.client;
    let mut scopes = String::new();
    if request.scope.is_empty() {
        scopes.push_str("<p>It asks for no particular scope.</p>");
    } else {
        scopes.push_str("<p>It asks for:</p><ul>");
        for token in request.scope.tokens() {
            let _ = write!(scopes, "<li><code>{}</code></li>", escape(token));
        }
        scopes.push_str("</ul>");
    }
    let unverified = if client.self_registered {
        message(
            Some("This application registered itself; devicegate has not verified who made it."),
            "warn",
        )
    } else {
        String::new()
    };
    let code = request.user_code.display();
    let body = format!(
        "<h1>Approve this device?</h1>{unverified}\
         <p><b>{}</b> wants to act on your behalf.</p>\
         <p>Code: <span class=\"code-shown\">{}</span><br>Check that your device shows the same code.</p>{scopes}\
         <form method=\"post\" action=\"/device\">{}{}\
         <button type=\"submit\" name=\"action\" value=\"approve\">Approve</button>\
         <button class=\"deny\" type=\"submit\" name=\"action\" value=\"deny\">Deny</button></form>{}",
        escape(&client.client_name),
        escape(&code),
        hidden("csrf", csrf),
        hidden("user_code", &code),
        signed_in_footer(csrf, who),
    );
    layout("Approve device", &body)
}

pub fn done(approved: bool, client_name: &str) -> String {
    let body = if approved {
        format!(
            "<h1>Device connected</h1><p class=\"msg ok\">You approved <b>{}</b>.</p>\
             <p>You can close this page and return to your device.</p>",
            escape(client_name)
        )
    } else {
        format!(
            "<h1>Request denied</h1><p class=\"msg\">You denied <b>{}</b>. It gets no access.</p>\
             <p>You can close this page.</p>",
            escape(client_name)
        )
    };
    layout(if approved { "Approved" } else { "Denied" }, &body)
}

pub fn failure(text: &str) -> String {
    layout(
        "Something went wrong",
        &format!(
            "<h1>Something went wrong</h1>{}<p><a href=\"/device\">Start again</a></p>",
            message(Some(text), "")
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape("<b a=\"x\">&'"),
            "&lt;b a=&quot;x&quot;&gt;&amp;&#39;"
        );
    }

    #[test]
    fn csp_pins_the_style_sheet() {
        let csp = content_security_policy();
        assert!(csp.contains("style-src 'sha256-"));
        assert!(!csp.contains("unsafe-inline"));
    }

    #[test]
    fn sign_in_page_carries_the_code_and_csrf() {
        let html = sign_in("tok\"en", Some("BCDF-GHJK"), Some("<script>"));
        assert!(html.contains("value=\"tok&quot;en\""));
        assert!(html.contains("value=\"BCDF-GHJK\""));
        assert!(!html.contains("<script>"));
        assert!(html.contains("width=device-width"));
    }
}
