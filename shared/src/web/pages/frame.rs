//! The frame every page is drawn in: one inline style sheet, allowed by its hash in the
//! Content-Security-Policy, and the small pieces (messages, hidden fields) every form uses.

use std::sync::OnceLock;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use maud::{DOCTYPE, Markup, PreEscaped, html};
use sha2::{Digest, Sha256};

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
footer form{margin:0}\
main.wide{max-width:60rem}\
nav{display:flex;flex-wrap:wrap;gap:.25rem 1rem;align-items:center;margin:0 0 1rem}\
nav form{margin:0 0 0 auto}\
h2{font-size:1.1rem;margin:1.5rem 0 .5rem}\
.item{border-top:1px solid #e3e6ec;padding:.75rem 0}\
.item form{display:inline-block;margin:0 .5rem 0 0}\
.item button,button.inline{width:auto;margin:.5rem 0 0;padding:.4rem .9rem}\
.meta{color:#5b6475;font-size:.9rem;overflow-wrap:anywhere}\
code{overflow-wrap:anywhere}\
.check{display:flex;gap:.5rem;align-items:center;font-weight:400}\
a.button{display:block;margin-top:1rem;padding:.7rem;text-align:center;font-weight:600;border:1px solid #1f5fd6;border-radius:.5rem;color:#1f5fd6;text-decoration:none}\
select,input[type=datetime-local]{width:100%;padding:.55rem .75rem;font-size:1rem;border:1px solid #b8bfcc;border-radius:.5rem;background:#fff}\
a.history{display:inline-block;margin:.5rem 0 0;font-size:.9rem}\
.scroll{overflow-x:auto;max-width:100%;margin-top:1rem}\
table{border-collapse:collapse;font-size:.85rem}\
th,td{text-align:left;vertical-align:top;padding:.35rem .5rem;border-top:1px solid #e3e6ec}\
th,td.time,td code{white-space:nowrap;overflow-wrap:normal}\
td.ua{min-width:12rem}\
header.brand{display:flex;gap:.5rem;align-items:center;font-weight:600;color:#5b6475;margin:0 0 1rem}\
header.brand img{border-radius:.25rem}\
.badge{display:inline-block;padding:.15rem .5rem;border-radius:1rem;font-size:.85rem;margin:0 0 .5rem;background:#e7f6ec;color:#155e2b}\
ul.context{list-style:none;padding:0;color:#5b6475;font-size:.9rem}\
time{white-space:nowrap}\
.deny-line{margin:1rem 0 0;font-size:.9rem;color:#5b6475}";

/// What only the console's wide pages use (forms of many fields, search, pages): kept apart so
/// that a person's pages stay under 5 KB (`oauth_device_flow::page::the_page_stays_light`).
const CONSOLE_STYLE: &str = "\
input[type=email],input[type=url],input[type=number],textarea{width:100%;padding:.65rem .75rem;font-size:1.05rem;border:1px solid #b8bfcc;border-radius:.5rem}\
textarea{font:inherit;font-size:1rem}\
fieldset{border:0;padding:0;margin:.75rem 0 0}legend{font-weight:600;padding:0}\
details.edit{margin:.5rem 0 0}details.edit summary{cursor:pointer;color:#1f5fd6}\
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}\
input[type=search]{padding:.55rem .75rem;font-size:1rem;border:1px solid #b8bfcc;border-radius:.5rem}\
p.pager{display:flex;gap:1rem;align-items:center}\
form.search{display:flex;gap:.5rem;align-items:flex-end;flex-wrap:wrap}form.search input{flex:1 1 12rem;width:auto}form.search button{width:auto;margin:0}";

/// The origin of the organisation's logo (`ORGANIZATION_LOGO_URL`), once a page has shown it:
/// the one place an image may come from.
static LOGO_ORIGIN: OnceLock<String> = OnceLock::new();

/// Allows images from `url`'s origin on every page from now on (the setting is fixed for the
/// process's life).
pub(super) fn allow_logo(url: &str) {
    if let Ok(url) = url::Url::parse(url) {
        let _ = LOGO_ORIGIN.set(url.origin().ascii_serialization());
    }
}

/// The Content-Security-Policy: nothing but this page's own style sheet and forms (and the
/// organisation's logo, when one is configured).
pub fn content_security_policy() -> String {
    static CSP: OnceLock<String> = OnceLock::new();
    let csp = CSP.get_or_init(|| {
        let hash = |sheet: &str| STANDARD.encode(Sha256::digest(sheet.as_bytes()));
        format!(
            "default-src 'none'; style-src 'sha256-{}' 'sha256-{}'; form-action 'self'; \
             frame-ancestors 'none'; base-uri 'none'",
            hash(STYLE),
            hash(CONSOLE_STYLE)
        )
    });
    match LOGO_ORIGIN.get() {
        Some(origin) => format!("{csp}; img-src {origin}"),
        None => csp.clone(),
    }
}

pub(super) fn layout(title: &str, body: Markup) -> String {
    page(title, false, body)
}

/// The page around `body`: `wide` for the console's lists.
pub(in crate::web) fn page(title: &str, wide: bool, body: Markup) -> String {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width,initial-scale=1";
                meta name="robots" content="noindex";
                title { (title) " · devicegate" }
                style { (PreEscaped(STYLE)) }
                @if wide { style { (PreEscaped(CONSOLE_STYLE)) } }
            }
            body { main.wide[wide] { div.card { (body) } } }
        }
    }
    .into_string()
}

/// A message in the pages' one voice: a sentence (capital first, a full stop last).
pub(in crate::web) fn message(text: Option<&str>, class: &str) -> Markup {
    html! {
        @if let Some(text) = text {
            p class={ "msg " (class) } role="alert" { (sentence(text)) }
        }
    }
}

/// `text` as a sentence: its first letter capitalised, and a full stop unless it ends in one.
pub(in crate::web) fn sentence(text: &str) -> String {
    let text = text.trim();
    let mut chars = text.chars();
    let mut out: String = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => return String::new(),
    };
    if !out.ends_with(['.', '!', '?']) {
        out.push('.');
    }
    out
}

pub(in crate::web) fn hidden(name: &str, value: &str) -> Markup {
    html! { input type="hidden" name=(name) value=(value); }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csp_pins_the_style_sheet() {
        let csp = content_security_policy();
        assert!(csp.contains("style-src 'sha256-"));
        assert!(!csp.contains("unsafe-inline"));
    }

    #[test]
    fn messages_are_sentences() {
        assert_eq!(sentence("wrong code; try again"), "Wrong code; try again.");
        assert_eq!(sentence(" Done. "), "Done.");
        assert_eq!(sentence(""), "");
    }
}
