//! View models: pure functions from the state and a row store to what a list view shows —
//! the columns, and the ordered, filtered rows of the visible slice. No IO, `now` injected.

use crate::age::human_duration;
use crate::cluster::rows::Row;
use crate::cluster::store::RowStore;
use regex::{Regex, RegexBuilder};
use std::cmp::Ordering;

/// A row filter as typed after `/`: a regex (smart case), `!regex` inverse.
#[derive(Debug, Clone)]
pub struct RowFilter {
    pub text: String,
    regex: Regex,
    inverse: bool,
    /// `-f text`: the lower-cased characters that must appear in order in the name.
    fuzzy: Option<Vec<char>>,
}

/// Whether every char of `wanted` (lower case) appears in `name` in order, as fuzzy finders match.
fn fuzzy_match(wanted: &[char], name: &str) -> bool {
    let mut want = wanted.iter().peekable();
    for c in name.chars().flat_map(char::to_lowercase) {
        if want.peek() == Some(&&c) {
            want.next();
        }
    }
    want.peek().is_none()
}

impl RowFilter {
    pub fn parse(text: &str) -> Result<RowFilter, String> {
        if let Some(fuzzy) = text.strip_prefix("-f").map(str::trim) {
            return Ok(RowFilter {
                text: text.to_string(),
                regex: Regex::new("").map_err(|e| e.to_string())?,
                inverse: false,
                fuzzy: Some(
                    fuzzy
                        .chars()
                        .flat_map(char::to_lowercase)
                        .filter(|c| !c.is_whitespace())
                        .collect(),
                ),
            });
        }
        let (inverse, pattern) = match text.strip_prefix('!') {
            Some(p) => (true, p),
            None => (false, text),
        };
        let regex = Self::smart_case_regex(pattern)
            .map_err(|e| format!("invalid filter regex {pattern:?}: {e}"))?;
        Ok(RowFilter {
            text: text.to_string(),
            regex,
            inverse,
            fuzzy: None,
        })
    }

    /// Case-insensitive unless the pattern has a capital letter, like less and vim's smartcase.
    /// Multi-line, so `^` and `$` anchor each line of a row's search text.
    pub fn smart_case_regex(pattern: &str) -> Result<Regex, regex::Error> {
        let case_insensitive = !pattern.chars().any(|c| c.is_uppercase());
        RegexBuilder::new(pattern)
            .case_insensitive(case_insensitive)
            .multi_line(true)
            .size_limit(1 << 20)
            .build()
    }

    pub fn matches(&self, row: &Row) -> bool {
        let hit = match &self.fuzzy {
            Some(chars) => fuzzy_match(chars, &row.name),
            // One search over the row's precomputed text (namespace and cells, a line each).
            None => self.regex.is_match(&row.search),
        };
        hit != self.inverse
    }
}

/// One displayed column: where its text comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ColumnSource {
    Namespace,
    /// Index into the row's cells.
    Cell(usize),
    /// The server's Age cell, recomputed from creationTimestamp so it ticks.
    Age(usize),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayColumn {
    pub title: String,
    pub source: ColumnSource,
    pub numeric: bool,
}

/// The columns a list shows: NAMESPACE first across namespaces; priority-0 columns unless wide.
pub fn columns(store: &RowStore, all_namespaces: bool, wide: bool) -> Vec<DisplayColumn> {
    let mut out = Vec::new();
    if all_namespaces {
        out.push(DisplayColumn {
            title: "NAMESPACE".into(),
            source: ColumnSource::Namespace,
            numeric: false,
        });
    }
    for (i, c) in store.columns.iter().enumerate() {
        if c.priority > 0 && !wide {
            continue;
        }
        let is_age = c.name == "Age" || (c.type_ == "date" && c.name.eq_ignore_ascii_case("age"));
        out.push(DisplayColumn {
            title: c.name.to_uppercase(),
            source: if is_age {
                ColumnSource::Age(i)
            } else {
                ColumnSource::Cell(i)
            },
            numeric: matches!(c.type_.as_str(), "integer" | "number"),
        });
    }
    out
}

pub fn cell_text(row: &Row, col: &DisplayColumn, now: i64) -> String {
    match col.source {
        ColumnSource::Namespace => row.namespace.clone(),
        ColumnSource::Cell(i) => row.cells.get(i).map(|c| c.to_string()).unwrap_or_default(),
        ColumnSource::Age(i) => match row.created {
            Some(t) => human_duration(now - t),
            None => row.cells.get(i).map(|c| c.to_string()).unwrap_or_default(),
        },
    }
}

/// Leading number of a cell ("3", "2/3", "5 (2m ago)"), for numeric-aware sorting.
fn leading_number(text: &str) -> Option<f64> {
    let end = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    text[..end].parse().ok()
}

fn compare(a: &Row, b: &Row, col: &DisplayColumn) -> Ordering {
    match col.source {
        ColumnSource::Namespace => a.namespace.cmp(&b.namespace),
        // Older first when ascending by age means larger age first: compare creation times reversed.
        ColumnSource::Age(_) => b.created.cmp(&a.created),
        ColumnSource::Cell(i) => {
            let (x, y) = (
                a.cells.get(i).map(|c| &**c).unwrap_or(""),
                b.cells.get(i).map(|c| &**c).unwrap_or(""),
            );
            match (leading_number(x), leading_number(y)) {
                (Some(p), Some(q)) => p.partial_cmp(&q).unwrap_or(Ordering::Equal),
                _ => x.cmp(y),
            }
        }
    }
}

/// The rows in display order: filtered, then in the chosen column's order, or by namespace and
/// name, which the store keeps sorted already, so the common case costs one pass and no sort.
pub fn ordered_rows<'a>(
    store: &'a RowStore,
    filter: Option<&RowFilter>,
    sort: Option<(&DisplayColumn, bool)>,
) -> Vec<&'a Row> {
    let mut rows: Vec<&Row> = store
        .ordered()
        .filter(|r| filter.is_none_or(|f| f.matches(r)))
        .collect();
    if let Some((col, descending)) = sort {
        // A stable sort keeps namespace/name order among equal cells.
        rows.sort_by(|a, b| {
            let o = compare(a, b, col);
            if descending { o.reverse() } else { o }
        });
    }
    rows
}

/// The first row to show so that `selected` is visible in `height` rows, keeping `offset` when possible.
pub fn scroll_offset(selected: usize, offset: usize, height: usize) -> usize {
    if height == 0 {
        return 0;
    }
    if selected < offset {
        selected
    } else if selected >= offset + height {
        selected + 1 - height
    } else {
        offset
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::rows::Column;
    use crate::cluster::watch::WatchMsg;

    fn store() -> RowStore {
        let mut s = RowStore::default();
        let col = |n: &str, t: &str, p| Column {
            name: n.into(),
            type_: t.into(),
            format: String::new(),
            priority: p,
        };
        s.apply(
            WatchMsg::Columns(vec![
                col("Name", "string", 0),
                col("Restarts", "string", 0),
                col("Age", "string", 0),
                col("IP", "string", 1),
            ]),
            0,
        );
        for (ns, name, restarts, created) in [
            ("b", "web-1", "10", 100),
            ("a", "web-2", "9 (3m ago)", 50),
            ("a", "db-0", "0", 200),
        ] {
            s.apply(
                WatchMsg::Apply(
                    Row {
                        uid: name.into(),
                        namespace: ns.into(),
                        name: name.into(),
                        resource_version: "1".into(),
                        created: Some(created),
                        deleting: false,
                        cells: vec![name.into(), restarts.into(), "x".into(), "10.0.0.1".into()],
                        search: Default::default(),
                    }
                    .refresh_search(),
                ),
                0,
            );
        }
        s
    }

    #[test]
    fn columns_add_namespace_across_namespaces_and_hide_wide_ones() {
        let s = store();
        let titles =
            |cols: Vec<DisplayColumn>| cols.into_iter().map(|c| c.title).collect::<Vec<_>>();
        assert_eq!(
            titles(columns(&s, true, false)),
            ["NAMESPACE", "NAME", "RESTARTS", "AGE"]
        );
        assert_eq!(
            titles(columns(&s, false, true)),
            ["NAME", "RESTARTS", "AGE", "IP"]
        );
    }

    #[test]
    fn sorting_is_numeric_and_age_aware_and_ties_fall_back_to_namespace_and_name() {
        let s = store();
        let cols = columns(&s, false, false);
        fn names(rows: Vec<&Row>) -> Vec<&str> {
            rows.into_iter()
                .map(|r| r.name.as_str())
                .collect::<Vec<_>>()
        }
        assert_eq!(
            names(ordered_rows(&s, None, None)),
            ["db-0", "web-2", "web-1"]
        );
        assert_eq!(
            names(ordered_rows(&s, None, Some((&cols[1], false)))),
            ["db-0", "web-2", "web-1"],
            "9 < 10, numerically"
        );
        assert_eq!(
            names(ordered_rows(&s, None, Some((&cols[2], false)))),
            ["db-0", "web-1", "web-2"],
            "youngest first"
        );
        assert_eq!(
            names(ordered_rows(&s, None, Some((&cols[2], true)))),
            ["web-2", "web-1", "db-0"]
        );
        assert_eq!(
            cell_text(ordered_rows(&s, None, None)[0], &cols[2], 260),
            "60s"
        );
    }

    #[test]
    fn filters_are_smart_case_regexes_and_can_be_inverted() {
        let s = store();
        let names = |f: &str| {
            ordered_rows(&s, Some(&RowFilter::parse(f).unwrap()), None)
                .into_iter()
                .map(|r| r.name.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            names("WEB"),
            Vec::<String>::new(),
            "capitals make it case-sensitive"
        );
        assert_eq!(names("web"), ["web-2", "web-1"]);
        assert_eq!(names("!web"), ["db-0"]);
        assert_eq!(names("^db|-1$"), ["db-0", "web-1"]);
        assert_eq!(names("-f wb1"), ["web-1"], "fuzzy: the letters in order");
        assert_eq!(names("-f W2"), ["web-2"]);
        let err = RowFilter::parse("web(").unwrap_err();
        assert!(err.contains("invalid filter regex \"web(\""), "{err}");
    }

    #[test]
    fn the_selection_stays_in_view() {
        assert_eq!(scroll_offset(0, 0, 10), 0);
        assert_eq!(scroll_offset(12, 0, 10), 3);
        assert_eq!(scroll_offset(5, 3, 10), 3);
        assert_eq!(scroll_offset(2, 3, 10), 2);
    }
}
