//! The search box and pager of a console list: a GET form (`?q=`) that only reads, and
//! "Previous" / "Next" links that keep the search (`?q=&page=`).

use maud::{Markup, html};

use super::Section;
use crate::usecases::admin::{ListQuery, Listed};

/// Where a section's list is: the query it was read with, how many items match it, and
/// whether a next page has more (a section of several lists adds each).
#[derive(Debug)]
pub struct Paging {
    query: ListQuery,
    matched: usize,
    more: bool,
}

impl Paging {
    pub fn new(query: ListQuery) -> Paging {
        Paging {
            query,
            matched: 0,
            more: false,
        }
    }

    /// One list's page: counted, and its items handed on.
    pub fn take<T>(&mut self, listed: Listed<T>) -> Vec<T> {
        self.matched += listed.matched;
        self.more |= listed.more;
        listed.items
    }

    fn href(&self, section: Section, page: usize) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        if let Some(text) = &self.query.text {
            query.append_pair("q", text);
        }
        if self.query.per_page != ListQuery::default().per_page {
            query.append_pair("per_page", &self.query.per_page.to_string());
        }
        query.append_pair("page", &page.to_string());
        format!("{}?{}", section.path(), query.finish())
    }
}

/// The search form, above a section's list.
pub(super) fn search_form(section: Section, paging: &Paging) -> Markup {
    let text = paging.query.text.as_deref().unwrap_or("");
    html! {
        form.search method="get" action=(section.path()) role="search" {
            label.sr for="q" { "Search" }
            input type="search" id="q" name="q" value=(text) autocomplete="off"
                autocapitalize="none" placeholder="Name, id or email";
            button type="submit" { "Search" }
        }
        @if !text.is_empty() {
            p.meta.found {
                (paging.matched) (if paging.matched == 1 { " match" } else { " matches" })
                " for “" (text) "”. " a href=(section.path()) { "Show all" }
            }
        }
    }
}

/// "Previous" and "Next", below the list, when there are other pages.
pub(super) fn pager(section: Section, paging: &Paging) -> Markup {
    let page = paging.query.page;
    html! {
        @if page > 1 || paging.more {
            p.pager {
                @if page > 1 { a.previous href=(paging.href(section, page - 1)) rel="prev" { "Previous" } " " }
                "Page " (page)
                @if paging.more { " " a.next href=(paging.href(section, page + 1)) rel="next" { "Next" } }
            }
        }
    }
}
