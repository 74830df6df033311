//! The names clients and devices give themselves, which pages show to people: an OAuth
//! client's `client_name` (every dialect and the admin API), a VMware app's `device_name` and
//! the `user_device` details shown beside it, a Paragon device's `client_description`. Such a
//! name is only a claim, shown as one between quotation marks, so it may hold only what a
//! person sees for what it is: nothing invisible, and nothing that could pass for the marks
//! around it.

use icu_properties::props::{
    BidiControl, DefaultIgnorableCodePoint, GeneralCategory, QuotationMark,
};
use icu_properties::{CodePointMapData, CodePointSetData};

use crate::error::Error;

/// A self-asserted name that passed [`DisplayName::parse`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    /// The name, trimmed: 1 to `max_chars` characters, each shown for what it is (see
    /// [`DisplayName::check_shown`]). `field` names it in the error.
    pub fn parse(field: &str, text: &str, max_chars: usize) -> Result<DisplayName, Error> {
        let text = text.trim();
        if text.is_empty() {
            return Err(Error::invalid_request(format!("{field} must not be empty")));
        }
        if text.chars().count() > max_chars {
            return Err(Error::invalid_request(format!(
                "{field} must be at most {max_chars} characters"
            )));
        }
        Self::check_shown(field, text)?;
        Ok(DisplayName(text.to_owned()))
    }

    /// Refuses text a page would show that holds a character a person cannot see for what it
    /// is (see [`refusal`]).
    pub fn check_shown(field: &str, text: &str) -> Result<(), Error> {
        match text.chars().find_map(|c| refusal(c).map(|why| (c, why))) {
            None => Ok(()),
            Some((c, why)) => Err(Error::invalid_request(format!(
                "{field} may not contain U+{:04X} ({why})",
                c as u32
            ))),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// Why a character may not be shown in a self-asserted name, by its Unicode properties:
/// - the general categories that show nothing, or nothing certain: controls (Cc), format
///   characters (Cf, among them every bidi control), surrogates, private-use and unassigned
///   code points, line and paragraph separators, and every space but U+0020;
/// - default-ignorable code points, which render as nothing whatever their category (the
///   Hangul fillers are letters, variation selectors are marks);
/// - quotation marks (the Quotation_Mark property) and characters whose UTS #39 skeleton holds
///   one (U+2033 DOUBLE PRIME looks like `"`), except those whose skeleton is the apostrophe
///   alone: a single quote cannot close the double quotes a name is shown between, and the
///   apostrophe is in many names (`Ada’s iPhone`).
fn refusal(c: char) -> Option<&'static str> {
    const CATEGORY: icu_properties::CodePointMapDataBorrowed<'static, GeneralCategory> =
        CodePointMapData::<GeneralCategory>::new();
    const IGNORABLE: icu_properties::CodePointSetDataBorrowed<'static> =
        CodePointSetData::new::<DefaultIgnorableCodePoint>();
    const BIDI: icu_properties::CodePointSetDataBorrowed<'static> =
        CodePointSetData::new::<BidiControl>();
    const QUOTE: icu_properties::CodePointSetDataBorrowed<'static> =
        CodePointSetData::new::<QuotationMark>();
    use GeneralCategory as Gc;
    match CATEGORY.get(c) {
        Gc::Control | Gc::LineSeparator | Gc::ParagraphSeparator => {
            return Some("a control character or line break");
        }
        Gc::Format | Gc::Surrogate | Gc::PrivateUse | Gc::Unassigned => {
            return Some("an invisible, private-use or unassigned code point");
        }
        Gc::SpaceSeparator if c != ' ' => return Some("a space other than U+0020"),
        _ => {}
    }
    if IGNORABLE.contains(c) || BIDI.contains(c) {
        return Some("an invisible character");
    }
    let skeleton: String = unicode_security::skeleton(c.encode_utf8(&mut [0; 4])).collect();
    let quote_like = QUOTE.contains(c) || skeleton.chars().any(|s| QUOTE.contains(s));
    (quote_like && skeleton != "'").then_some("a quotation mark or a look-alike of one")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invisible_characters_and_look_alike_quotes_are_refused() {
        for c in [
            '\u{61c}', '\u{ad}', '\u{3164}', '\u{2033}', '\u{ff02}', '\u{201e}', '\u{200f}',
            '\u{202e}', '\u{2067}', '\u{feff}', '\u{fe0f}', '\u{e000}', '\u{378}', '\u{a0}',
            '\u{3000}', '\u{2028}', '\n', '"', '\u{201c}', '\u{201d}', '\u{ab}', '\u{300c}',
            '\u{2bA}', '\u{3003}',
        ] {
            assert!(refusal(c).is_some(), "U+{:04X}", c as u32);
        }
    }

    #[test]
    fn names_people_use_pass() -> Result<(), Error> {
        for name in [
            "Ada\u{2019}s iPhone",
            "O'Brien's CLI (v2) \u{2013} build #7 & more!",
            "Caf\u{e9} Z\u{fc}rich",
            "e\u{301}l\u{e8}ve",
            "\u{6771}\u{4eac}\u{30a2}\u{30d7}\u{30ea}\u{30fb}\u{6771}",
            "\u{5e2}\u{5d1}\u{5e8}\u{5d9}\u{5ea}",
            "\u{41c}\u{43e}\u{441}\u{43a}\u{432}\u{430}",
            "\u{939}\u{93f}\u{928}\u{94d}\u{926}\u{940}",
            "\u{d55c}\u{ad6d}\u{c5b4}",
            "\u{645}\u{631}\u{62d}\u{628}\u{627}",
        ] {
            assert_eq!(DisplayName::parse("name", name, 64)?.as_str(), name);
        }
        Ok(())
    }

    #[test]
    fn names_are_trimmed_bounded_and_never_empty() {
        assert!(matches!(
            DisplayName::parse("n", "  ", 8),
            Err(Error::InvalidRequest(_))
        ));
        assert!(DisplayName::parse("n", "123456789", 8).is_err());
        assert_eq!(
            DisplayName::parse("n", " kiosk ", 8)
                .ok()
                .map(DisplayName::into_string),
            Some("kiosk".to_owned())
        );
    }
}
