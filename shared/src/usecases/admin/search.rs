//! Search and paging of the admin lists: a text filter (any of an item's names, ids, emails
//! contains it, case folded) and pages of a fixed size, newest first. The lists are read
//! whole from the store (they are small: keys, clients, users, templates); this narrows and
//! pages what was read, for the console and any other front end alike.

use crate::error::Error;
use crate::model::vmware::RegistrationTemplate;
use crate::model::{ApiKey, Device, IdentityProvider, InitialAccessToken, OAuthClient, User};

/// A page holds this many items unless asked otherwise.
pub const PAGE_SIZE: usize = 25;
/// The most a page may hold.
pub const MAX_PAGE_SIZE: usize = 200;

/// What to show of a list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListQuery {
    /// Text every item shown contains (in a name, an id, an email), case folded.
    pub text: Option<String>,
    /// 1-based.
    pub page: usize,
    pub per_page: usize,
}

impl Default for ListQuery {
    fn default() -> ListQuery {
        ListQuery {
            text: None,
            page: 1,
            per_page: PAGE_SIZE,
        }
    }
}

impl ListQuery {
    /// The query as a request gives it (each field absent or as typed).
    pub fn parse(
        text: Option<&str>,
        page: Option<&str>,
        per_page: Option<&str>,
    ) -> Result<ListQuery, Error> {
        let number = |value: Option<&str>, name: &str, max: usize, default: usize| match value
            .map(str::trim)
            .filter(|v| !v.is_empty())
        {
            None => Ok(default),
            Some(v) => v
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=max).contains(n))
                .ok_or_else(|| {
                    Error::invalid_request(format!(
                        "{name} must be a whole number from 1 to {max}: correct the address"
                    ))
                }),
        };
        let text = text.map(str::trim).filter(|t| !t.is_empty());
        if text.is_some_and(|t| t.chars().count() > 200) {
            return Err(Error::invalid_request("search for at most 200 characters"));
        }
        Ok(ListQuery {
            text: text.map(str::to_owned),
            page: number(page, "page", 100_000, 1)?,
            per_page: number(per_page, "per_page", MAX_PAGE_SIZE, PAGE_SIZE)?,
        })
    }
}

/// One page of a list.
#[derive(Debug)]
pub struct Listed<T> {
    pub items: Vec<T>,
    /// How many items match the text, on every page.
    pub matched: usize,
    /// Whether a next page has items.
    pub more: bool,
}

/// What the text filter reads of an item, and its place in the list.
pub trait Searchable {
    fn created_at(&self) -> i64;
    fn words(&self) -> Vec<&str>;
}

/// The page `query` asks for of `items`: those containing the text, newest first.
pub fn search<T: Searchable>(items: Vec<T>, query: &ListQuery) -> Listed<T> {
    let needle = query.text.as_deref().map(str::to_lowercase);
    let mut found: Vec<T> = items
        .into_iter()
        .filter(|item| match &needle {
            None => true,
            Some(n) => item.words().iter().any(|w| w.to_lowercase().contains(n)),
        })
        .collect();
    found.sort_by_key(|item| std::cmp::Reverse(item.created_at()));
    let matched = found.len();
    let skip = query.page.saturating_sub(1).saturating_mul(query.per_page);
    let items: Vec<T> = found.into_iter().skip(skip).take(query.per_page).collect();
    Listed {
        more: skip.saturating_add(items.len()) < matched,
        items,
        matched,
    }
}

fn with<'a>(mut words: Vec<&'a str>, more: &'a Option<String>) -> Vec<&'a str> {
    words.extend(more.as_deref());
    words
}

impl Searchable for super::WaitingDeviceFlow {
    fn created_at(&self) -> i64 {
        self.created_at
    }
    fn words(&self) -> Vec<&str> {
        let mut words = vec![self.client_id.as_str()];
        words.extend(self.client_name.as_deref());
        words
    }
}

impl Searchable for ApiKey {
    fn created_at(&self) -> i64 {
        self.created_at
    }
    fn words(&self) -> Vec<&str> {
        vec![&self.id, &self.name]
    }
}

impl Searchable for OAuthClient {
    fn created_at(&self) -> i64 {
        self.created_at
    }
    fn words(&self) -> Vec<&str> {
        vec![&self.client_id, &self.client_name]
    }
}

impl Searchable for User {
    fn created_at(&self) -> i64 {
        self.created_at
    }
    fn words(&self) -> Vec<&str> {
        with(with(vec![&self.username], &self.display_name), &self.email)
    }
}

impl Searchable for Device {
    fn created_at(&self) -> i64 {
        self.created_at
    }
    fn words(&self) -> Vec<&str> {
        let words = vec![
            self.client_id.as_str(),
            self.api_key_name.as_str(),
            self.client_type.as_str(),
        ];
        with(words, &self.client_description)
    }
}

impl Searchable for RegistrationTemplate {
    fn created_at(&self) -> i64 {
        self.created_at
    }
    fn words(&self) -> Vec<&str> {
        vec![&self.template_id]
    }
}

impl Searchable for InitialAccessToken {
    fn created_at(&self) -> i64 {
        self.created_at
    }
    fn words(&self) -> Vec<&str> {
        vec![&self.id, &self.name]
    }
}

impl Searchable for IdentityProvider {
    fn created_at(&self) -> i64 {
        self.created_at
    }
    fn words(&self) -> Vec<&str> {
        vec![&self.id, &self.name, &self.issuer]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Item(i64, &'static str);
    impl Searchable for Item {
        fn created_at(&self) -> i64 {
            self.0
        }
        fn words(&self) -> Vec<&str> {
            vec![self.1]
        }
    }

    #[test]
    fn a_search_narrows_and_pages_newest_first() -> Result<(), Error> {
        let items = || (0..7).map(|i| Item(i, if i % 2 == 0 { "Printer" } else { "lamp" }));
        let q = ListQuery::parse(Some(" print "), None, Some("2"))?;
        let first = search(items().collect(), &q);
        assert_eq!(first.items.iter().map(|i| i.0).collect::<Vec<_>>(), [6, 4]);
        assert_eq!((first.matched, first.more), (4, true));
        let last = search(items().collect(), &ListQuery { page: 2, ..q });
        assert_eq!(last.items.iter().map(|i| i.0).collect::<Vec<_>>(), [2, 0]);
        assert!(!last.more);
        assert!(ListQuery::parse(None, Some("0"), None).is_err());
        assert!(ListQuery::parse(None, Some("x"), None).is_err());
        assert_eq!(
            ListQuery::parse(Some(" "), None, None)?,
            ListQuery::default()
        );
        Ok(())
    }
}
