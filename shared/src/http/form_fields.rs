//! A parsed form's fields, all of them: for a page that shows a refused form again.

use super::Form;

impl Form {
    /// Every parameter, in no particular order.
    pub fn fields(&self) -> impl Iterator<Item = (&str, &str)> {
        self.fields.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}
