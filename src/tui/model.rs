//! The list's view model: pure functions from a row store to what a list shows — the columns,
//! the filter, and the rows in display order, kept up to date change by change. No IO, `now`
//! injected.

use crate::age::human_duration;
use crate::cluster::figures::{Figures, Measure};
use crate::cluster::health::{HealthColumns, RowHealth};
use crate::cluster::rows::{Column, Row};
use crate::cluster::store::{RowStore, Slot};
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
    /// Faults only (ctrl-z): rows the columns say are not healthy, judged by these columns.
    faults: Option<Box<(HealthColumns, Vec<Column>)>>,
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
                faults: None,
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
            faults: None,
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
        if let Some(f) = &self.faults
            && f.0.judge(&f.1, row) == RowHealth::Healthy
        {
            return false;
        }
        let hit = match &self.fuzzy {
            Some(chars) => fuzzy_match(chars, &row.name),
            // One search over the row's precomputed text (namespace and cells, a line each).
            None => self.regex.is_match(&row.search),
        };
        hit != self.inverse
    }

    /// Faults only on or off, keeping the text filter; None when nothing is left to filter.
    pub fn toggle_faults(filter: Option<RowFilter>, columns: &[Column]) -> Option<RowFilter> {
        match filter {
            Some(mut f) if f.faults.is_some() => {
                f.faults = None;
                (!f.text.is_empty()).then_some(f)
            }
            other => {
                let mut f = match other {
                    Some(f) => f,
                    None => RowFilter::parse("").ok()?,
                };
                f.faults = Some(Box::new((HealthColumns::of(columns), columns.to_vec())));
                Some(f)
            }
        }
    }

    pub fn faults_only(&self) -> bool {
        self.faults.is_some()
    }

    /// The same faults-only setting over a new text filter.
    pub fn keeping_faults(mut self, from: Option<&RowFilter>) -> RowFilter {
        self.faults = from.and_then(|f| f.faults.clone());
        self
    }

    /// What identifies this filter for a view that caches what it derived.
    pub fn key(&self) -> String {
        if self.faults.is_some() {
            format!("{}\u{0}faults", self.text)
        } else {
            self.text.clone()
        }
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
    /// A usage column: written from the row's last reading.
    Usage(Measure),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayColumn {
    pub title: String,
    pub source: ColumnSource,
    pub numeric: bool,
    /// Shown in wide mode only (the server's priority > 0): on a terminal too narrow for every
    /// column it may be squeezed to three cells, where the others keep their titles whole.
    pub wide_only: bool,
}

impl DisplayColumn {
    /// One of the CPU/MEM columns kx adds from a usage reading.
    pub fn is_usage(&self) -> bool {
        matches!(self.source, ColumnSource::Usage(_))
    }
}

/// The columns a list shows: NAMESPACE first across namespaces; priority-0 columns unless wide.
pub fn columns(store: &RowStore, all_namespaces: bool, wide: bool) -> Vec<DisplayColumn> {
    let mut out = Vec::new();
    if all_namespaces {
        out.push(DisplayColumn {
            title: "NAMESPACE".into(),
            source: ColumnSource::Namespace,
            numeric: false,
            wide_only: false,
        });
    }
    for (i, c) in store.columns.iter().enumerate() {
        if c.priority > 0 && !wide {
            continue;
        }
        let is_age = c.name == "Age" || (c.type_ == "date" && c.name.eq_ignore_ascii_case("age"));
        out.push(DisplayColumn {
            title: c.name.to_uppercase(),
            source: match store.usage_measure(i) {
                Some(m) => ColumnSource::Usage(m),
                None if is_age => ColumnSource::Age(i),
                None => ColumnSource::Cell(i),
            },
            numeric: matches!(c.type_.as_str(), "integer" | "number"),
            wide_only: c.priority > 0,
        });
    }
    out
}

/// A cell's text; `figures` is the row's last usage reading (`RowStore::figures_at`).
pub fn cell_text(row: &Row, figures: Option<&Figures>, col: &DisplayColumn, now: i64) -> String {
    let mut text = String::new();
    write_cell(&mut text, row, figures, col, now);
    text
}

/// Appends a cell's text to `out` (a list writes all its visible cells into one string a
/// frame); returns the number a usage cell shows.
pub fn write_cell(
    out: &mut String,
    row: &Row,
    figures: Option<&Figures>,
    col: &DisplayColumn,
    now: i64,
) -> Option<u64> {
    let server_cell = |i: usize| row.cells.get(i).map_or("", |c| &**c);
    match col.source {
        ColumnSource::Namespace => out.push_str(&row.namespace),
        ColumnSource::Cell(i) => out.push_str(server_cell(i)),
        ColumnSource::Age(i) => match row.created {
            Some(t) => out.push_str(&human_duration(now - t)),
            None => out.push_str(server_cell(i)),
        },
        // No reading has the row yet: blank until the next one.
        ColumnSource::Usage(m) => return figures.and_then(|f| m.write(f, out)),
    }
    None
}

/// Leading number of a cell ("3", "2/3", "5 (2m ago)"), for numeric-aware sorting.
fn leading_number(text: &str) -> Option<f64> {
    let end = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    text[..end].parse().ok()
}

/// A row with its last usage reading, as sorting sees it.
type Ranked<'a> = (&'a Row, Option<&'a Figures>);

fn ranked(store: &RowStore, slot: Slot) -> Option<Ranked<'_>> {
    store.at(slot).map(|r| (r, store.figures_at(slot)))
}

fn compare((a, fa): Ranked, (b, fb): Ranked, col: &DisplayColumn) -> Ordering {
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
        // Numbers, not their text (`1500m` is more than `250m`); n/a and not yet read sort
        // below every number, so the busiest come first when descending.
        ColumnSource::Usage(m) => {
            let value = |f: Option<&Figures>| f.and_then(|f| m.value(f));
            value(fa).cmp(&value(fb))
        }
    }
}

/// Where two rows go in a list: by the sort column if there is one (reversed when descending),
/// then by namespace, name and uid, the store's own order.
fn display_order(a: Ranked, b: Ranked, sort: Option<(&DisplayColumn, bool)>) -> Ordering {
    let by_column = sort.map_or(Ordering::Equal, |(col, descending)| {
        let o = compare(a, b, col);
        if descending { o.reverse() } else { o }
    });
    let ((a, _), (b, _)) = (a, b);
    by_column.then_with(|| (&a.namespace, &a.name, &a.uid).cmp(&(&b.namespace, &b.name, &b.uid)))
}

/// Changes of the store up to which a list is brought up to date row by row; more, and it is
/// derived anew (one pass over the store).
const INCREMENTAL_MAX: usize = 2048;

/// What the visible rows were derived for.
#[derive(Debug, Clone, PartialEq)]
struct Derived {
    generation: u64,
    filter: Option<String>,
    sort: Option<(DisplayColumn, bool)>,
    /// The usage reading sorted by, when the sort column is a usage column (else 0: a reading
    /// moves no row).
    usage: u64,
}

/// The rows a list shows, as store slots in display order: filtered, sorted, and kept up to
/// date from the store's journal of changes, so a key press or a frame costs nothing when the
/// rows did not move and a handful of binary searches when a few did (not a filter and sort of
/// the whole store, which at 100k rows is tens of milliseconds).
#[derive(Debug, Clone, Default)]
pub struct VisibleRows {
    pub slots: Vec<Slot>,
    derived: Option<Derived>,
}

impl VisibleRows {
    /// Brings the rows up to date; true when they may have changed.
    pub fn refresh(
        &mut self,
        store: &RowStore,
        filter: Option<&RowFilter>,
        sort: Option<(&DisplayColumn, bool)>,
    ) -> bool {
        let wanted = Derived {
            generation: store.generation,
            filter: filter.map(RowFilter::key),
            sort: sort.map(|(c, d)| (c.clone(), d)),
            usage: match sort {
                Some((c, _)) if c.is_usage() => store.usage_generation,
                _ => 0,
            },
        };
        let Some(derived) = &self.derived else {
            self.derive(store, filter, sort, wanted);
            return true;
        };
        if *derived == wanted {
            return false;
        }
        let same_view = derived.filter == wanted.filter
            && derived.sort == wanted.sort
            && derived.usage == wanted.usage;
        let changed: Option<Vec<Slot>> = if same_view {
            store
                .changed_since(derived.generation)
                .map(|c| c.take(INCREMENTAL_MAX + 1).collect())
        } else {
            None
        };
        match changed {
            Some(mut changed) if changed.len() <= INCREMENTAL_MAX => {
                changed.sort_unstable();
                changed.dedup();
                self.patch(store, filter, sort, &changed);
                self.derived = Some(wanted);
            }
            _ => self.derive(store, filter, sort, wanted),
        }
        true
    }

    fn derive(
        &mut self,
        store: &RowStore,
        filter: Option<&RowFilter>,
        sort: Option<(&DisplayColumn, bool)>,
        wanted: Derived,
    ) {
        self.slots.clear();
        self.slots.extend(
            store
                .ordered_slots()
                .filter(|(_, r)| filter.is_none_or(|f| f.matches(r)))
                .map(|(s, _)| s),
        );
        if let Some((col, descending)) = sort {
            // A stable sort keeps namespace/name order among equal cells.
            self.slots
                .sort_by(|a, b| match (ranked(store, *a), ranked(store, *b)) {
                    (Some(a), Some(b)) => {
                        let o = compare(a, b, col);
                        if descending { o.reverse() } else { o }
                    }
                    _ => Ordering::Equal,
                });
        }
        self.derived = Some(wanted);
    }

    /// Takes the changed slots out and puts back those whose rows are there and pass.
    fn patch(
        &mut self,
        store: &RowStore,
        filter: Option<&RowFilter>,
        sort: Option<(&DisplayColumn, bool)>,
        changed: &[Slot],
    ) {
        if changed.len() <= 32 {
            for slot in changed {
                if let Some(i) = self.slots.iter().position(|s| s == slot) {
                    self.slots.remove(i);
                }
            }
        } else {
            self.slots.retain(|s| changed.binary_search(s).is_err());
        }
        for slot in changed {
            let Some(row) = ranked(store, *slot) else {
                continue;
            };
            if !filter.is_none_or(|f| f.matches(row.0)) {
                continue;
            }
            let at = self.slots.partition_point(|s| {
                ranked(store, *s).is_some_and(|r| display_order(r, row, sort) == Ordering::Less)
            });
            self.slots.insert(at, *slot);
        }
    }

    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }
}

/// The rows in display order, filtered and sorted (the list's derivation, whole).
pub fn ordered_rows<'a>(
    store: &'a RowStore,
    filter: Option<&RowFilter>,
    sort: Option<(&DisplayColumn, bool)>,
) -> Vec<&'a Row> {
    let mut visible = VisibleRows::default();
    visible.refresh(store, filter, sort);
    visible.slots.iter().filter_map(|s| store.at(*s)).collect()
}

/// Where a cursor over `len` lines goes for a movement key (`page` lines a page), or None when
/// the key does not move it.
pub fn moved(
    action: crate::config::keys::KeyAction,
    at: usize,
    len: usize,
    page: usize,
) -> Option<usize> {
    use crate::config::keys::KeyAction;
    let last = len.saturating_sub(1);
    Some(match action {
        KeyAction::Up => at.saturating_sub(1),
        KeyAction::Down => (at + 1).min(last),
        KeyAction::PageUp => at.saturating_sub(page.max(1)),
        KeyAction::PageDown => (at + page.max(1)).min(last),
        KeyAction::Top => 0,
        KeyAction::Bottom => last,
        _ => return None,
    })
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
            cell_text(ordered_rows(&s, None, None)[0], None, &cols[2], 260),
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
    fn rows_kept_up_to_date_change_by_change_match_rows_derived_anew() {
        let mut s = store();
        let cols = columns(&s, false, false);
        let filter = RowFilter::parse("web|db").unwrap();
        for sort in [None, Some((&cols[1], false)), Some((&cols[2], true))] {
            let mut kept = VisibleRows::default();
            kept.refresh(&s, Some(&filter), sort);
            for (i, (ns, name, restarts)) in [
                ("a", "web-0", "3"),
                ("c", "web-9", "12"),
                ("b", "web-1", "1"),
                ("a", "cache-1", "0"),
                ("a", "db-0", "7"),
            ]
            .into_iter()
            .enumerate()
            {
                let row = Row {
                    uid: name.into(),
                    namespace: ns.into(),
                    name: name.into(),
                    resource_version: "2".into(),
                    created: Some(10 * i as i64),
                    deleting: false,
                    cells: vec![name.into(), restarts.into(), "x".into(), "10.0.0.2".into()],
                    search: Default::default(),
                }
                .refresh_search();
                s.apply(WatchMsg::Apply(row), 1);
                if i == 2 {
                    s.apply(WatchMsg::Delete("web-2".into()), 1);
                }
                assert!(kept.refresh(&s, Some(&filter), sort));
                let names = |slots: &[Slot]| {
                    slots
                        .iter()
                        .filter_map(|x| s.at(*x).map(|r| r.name.clone()))
                        .collect::<Vec<_>>()
                };
                let fresh: Vec<String> = ordered_rows(&s, Some(&filter), sort)
                    .into_iter()
                    .map(|r| r.name.clone())
                    .collect();
                assert_eq!(names(&kept.slots), fresh, "after change {i}, sort {sort:?}");
            }
            assert!(!kept.refresh(&s, Some(&filter), sort), "nothing moved");
        }
    }

    #[test]
    fn the_selection_stays_in_view() {
        assert_eq!(scroll_offset(0, 0, 10), 0);
        assert_eq!(scroll_offset(12, 0, 10), 3);
        assert_eq!(scroll_offset(5, 3, 10), 3);
        assert_eq!(scroll_offset(2, 3, 10), 2);
    }
}
