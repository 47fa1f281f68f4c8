//! The rows of one resource view, fed by `WatchMsg`s: keyed by uid, a relist swapped in whole
//! when complete (so nothing that is gone lingers and nothing flickers), and a note of when each
//! row last changed. Pure: no IO, no clock of its own.

use super::rows::{Column, Row};
use super::watch::WatchMsg;
use std::collections::{BTreeMap, HashMap};

/// (namespace, name, uid): the default display order, kept sorted as rows come and go.
pub type OrderKey = (String, String, String);

fn order_key(row: &Row) -> OrderKey {
    (row.namespace.clone(), row.name.clone(), row.uid.clone())
}

/// How long a row's "changed N ago" mark stays (the list's CHANGED column).
pub const CHANGE_MARK_SECS: i64 = 600;

#[derive(Debug, Clone, Default)]
pub struct RowStore {
    pub columns: Vec<Column>,
    /// Every row in namespace/name order, kept per event so a list needs no sort per frame and
    /// a frame walks the rows without a hash lookup each (at 100k rows that is most of its cost).
    rows: BTreeMap<OrderKey, Row>,
    /// uid → the row's place in `rows`.
    places: HashMap<String, OrderKey>,
    relist: Option<HashMap<String, Row>>,
    /// uid → Unix seconds of the last change seen live (not during a list).
    pub changed_at: HashMap<String, i64>,
    /// Rows deleted recently, kept to show "deleted" for a moment: uid → (row, when).
    pub deleted: HashMap<String, (Row, i64)>,
    pub loaded: bool,
    /// Whether the list came with whole objects (history from the moment it opened); None
    /// until the first list says.
    pub whole_objects: Option<bool>,
    pub error: Option<super::backoff::Trouble>,
    /// Bumped on every change, so views rebuild derived data only when it moved.
    pub generation: u64,
}

impl RowStore {
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub fn get(&self, uid: &str) -> Option<&Row> {
        self.places.get(uid).and_then(|k| self.rows.get(k))
    }

    /// Every row, in namespace/name order.
    pub fn ordered(&self) -> impl Iterator<Item = &Row> {
        self.rows.values()
    }

    pub fn apply(&mut self, msg: WatchMsg, now: i64) {
        if matches!(msg, WatchMsg::Revision(_)) {
            return; // for the revision history, not the rows
        }
        self.generation += 1;
        match msg {
            WatchMsg::Columns(c) => self.columns = c,
            WatchMsg::WholeObjects(whole) => self.whole_objects = Some(whole),
            WatchMsg::Init => self.relist = Some(HashMap::with_capacity(self.rows.len())),
            WatchMsg::InitRow(row) => match self.relist.as_mut() {
                Some(fresh) => {
                    fresh.insert(row.uid.clone(), row);
                }
                None => self.insert(row),
            },
            WatchMsg::InitDone => {
                if let Some(fresh) = self.relist.take() {
                    // Whatever the relist no longer has is gone.
                    for (_, row) in std::mem::take(&mut self.rows) {
                        if !fresh.contains_key(&row.uid) {
                            self.deleted.insert(row.uid.clone(), (row, now));
                        }
                    }
                    self.places = fresh
                        .iter()
                        .map(|(uid, row)| (uid.clone(), order_key(row)))
                        .collect();
                    self.rows = fresh.into_values().map(|r| (order_key(&r), r)).collect();
                }
                self.loaded = true;
                self.error = None;
            }
            WatchMsg::Apply(row) => {
                self.error = None;
                self.changed_at.insert(row.uid.clone(), now);
                self.deleted.remove(&row.uid);
                self.insert(row);
            }
            WatchMsg::Delete(uid) => {
                self.error = None;
                self.changed_at.remove(&uid);
                if let Some(row) = self.places.remove(&uid).and_then(|k| self.rows.remove(&k)) {
                    self.deleted.insert(uid, (row, now));
                }
            }
            WatchMsg::Error(e) => self.error = Some(e),
            WatchMsg::Revision(_) => {}
        }
    }

    fn insert(&mut self, row: Row) {
        // Most events modify a row whose namespace and name stand: then it is replaced in its
        // place, and no key (three string copies) is built.
        if let Some(key) = self.places.get(&row.uid) {
            if key.0 == row.namespace
                && key.1 == row.name
                && let Some(slot) = self.rows.get_mut(key)
            {
                *slot = row;
                return;
            }
            let old = key.clone();
            self.rows.remove(&old);
        }
        let key = order_key(&row);
        self.places.insert(row.uid.clone(), key.clone());
        self.rows.insert(key, row);
    }

    /// Forgets deleted rows and change marks older than `keep_secs`.
    pub fn expire(&mut self, now: i64, keep_secs: i64) {
        self.deleted.retain(|_, (_, at)| now - *at < keep_secs);
        self.changed_at
            .retain(|_, at| now - *at < keep_secs.max(CHANGE_MARK_SECS));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(uid: &str, status: &str) -> Row {
        Row {
            uid: uid.into(),
            namespace: "ns".into(),
            name: uid.into(),
            resource_version: "1".into(),
            created: Some(0),
            deleting: false,
            cells: vec![uid.into(), status.into()],
            search: Default::default(),
        }
        .refresh_search()
    }

    #[test]
    fn a_relist_removes_what_is_gone_only_when_complete() {
        let mut s = RowStore::default();
        for m in [
            WatchMsg::Init,
            WatchMsg::InitRow(row("a", "Running")),
            WatchMsg::InitRow(row("b", "Running")),
            WatchMsg::InitDone,
        ] {
            s.apply(m, 10);
        }
        assert_eq!(s.len(), 2);
        s.apply(WatchMsg::Init, 20);
        s.apply(WatchMsg::InitRow(row("a", "Running")), 20);
        assert_eq!(s.len(), 2, "b stays until the relist is done");
        s.apply(WatchMsg::InitDone, 21);
        assert_eq!(
            s.ordered().map(|r| r.uid.as_str()).collect::<Vec<_>>(),
            ["a"],
            "the order follows the relist"
        );
        assert!(s.get("b").is_none() && s.get("a").is_some());
        assert_eq!(s.deleted["b"].1, 21, "b shows as deleted for a moment");
        s.expire(30, 5);
        assert!(s.deleted.is_empty());
    }

    #[test]
    fn live_changes_are_marked_and_errors_clear_on_the_next_event() {
        let mut s = RowStore::default();
        let refused = super::super::backoff::Trouble::once(super::super::errors::KxError::Other(
            "connection refused".into(),
        ));
        s.apply(WatchMsg::Error(refused.clone()), 1);
        assert_eq!(s.error, Some(refused));
        s.apply(WatchMsg::Apply(row("a", "Pending")), 5);
        assert_eq!(s.error, None);
        assert_eq!(s.changed_at["a"], 5);
        s.apply(WatchMsg::Apply(row("a", "Running")), 6);
        assert_eq!(
            &*s.get("a").map(|r| r.cells[1].clone()).unwrap_or_default(),
            "Running"
        );
        assert_eq!(s.len(), 1, "a modification keeps one entry");
        s.apply(WatchMsg::Delete("a".into()), 7);
        assert!(s.is_empty() && s.deleted.contains_key("a") && s.get("a").is_none());
    }

    #[test]
    fn a_renamed_row_moves_to_its_new_place() {
        let mut s = RowStore::default();
        s.apply(WatchMsg::Apply(row("a", "Running")), 1);
        s.apply(WatchMsg::Apply(row("b", "Running")), 1);
        let mut moved = row("a", "Running");
        moved.name = "z".into();
        s.apply(WatchMsg::Apply(moved), 2);
        assert_eq!(
            s.ordered().map(|r| r.name.as_str()).collect::<Vec<_>>(),
            ["b", "z"]
        );
        assert_eq!(s.len(), 2);
    }
}
