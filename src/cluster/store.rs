//! The rows of one resource view, fed by `WatchMsg`s: keyed by uid, a relist swapped in whole
//! when complete (so nothing that is gone lingers and nothing flickers), and a note of when each
//! row last changed. Pure: no IO, no clock of its own.

use super::rows::{Column, Row};
use super::watch::WatchMsg;
use std::collections::{BTreeSet, HashMap};

/// (namespace, name, uid): the default display order, kept sorted as rows come and go.
pub type OrderKey = (String, String, String);

fn order_key(row: &Row) -> OrderKey {
    (row.namespace.clone(), row.name.clone(), row.uid.clone())
}

#[derive(Debug, Clone, Default)]
pub struct RowStore {
    pub columns: Vec<Column>,
    pub rows: HashMap<String, Row>,
    /// Every row in namespace/name order, maintained per event so a list needs no sort per frame.
    pub order: BTreeSet<OrderKey>,
    relist: Option<HashMap<String, Row>>,
    /// uid → Unix seconds of the last change seen live (not during a list).
    pub changed_at: HashMap<String, i64>,
    /// Rows deleted recently, kept to show "deleted" for a moment: uid → (row, when).
    pub deleted: HashMap<String, (Row, i64)>,
    pub loaded: bool,
    pub error: Option<String>,
    /// Bumped on every change, so views rebuild derived data only when it moved.
    pub generation: u64,
}

impl RowStore {
    pub fn apply(&mut self, msg: WatchMsg, now: i64) {
        self.generation += 1;
        match msg {
            WatchMsg::Columns(c) => self.columns = c,
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
                    for (uid, row) in self.rows.drain() {
                        if !fresh.contains_key(&uid) {
                            self.deleted.insert(uid, (row, now));
                        }
                    }
                    self.order = fresh.values().map(order_key).collect();
                    self.rows = fresh;
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
                if let Some(row) = self.rows.remove(&uid) {
                    self.order.remove(&order_key(&row));
                    self.deleted.insert(uid, (row, now));
                }
            }
            WatchMsg::Error(e) => self.error = Some(e),
        }
    }

    fn insert(&mut self, row: Row) {
        // Most events modify a row whose namespace and name stand: then the order is already
        // right, and building its key (three string copies per event) is skipped.
        let moved = match self.rows.get(&row.uid) {
            Some(old) if old.namespace == row.namespace && old.name == row.name => false,
            Some(old) => {
                self.order.remove(&order_key(old));
                true
            }
            None => true,
        };
        if moved {
            self.order.insert(order_key(&row));
        }
        self.rows.insert(row.uid.clone(), row);
    }

    /// Forgets deleted rows and change marks older than `keep_secs`.
    pub fn expire(&mut self, now: i64, keep_secs: i64) {
        self.deleted.retain(|_, (_, at)| now - *at < keep_secs);
        self.changed_at
            .retain(|_, at| now - *at < keep_secs.max(60));
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
        assert_eq!(s.rows.len(), 2);
        s.apply(WatchMsg::Init, 20);
        s.apply(WatchMsg::InitRow(row("a", "Running")), 20);
        assert_eq!(s.rows.len(), 2, "b stays until the relist is done");
        s.apply(WatchMsg::InitDone, 21);
        assert_eq!(s.rows.keys().collect::<Vec<_>>(), ["a"]);
        assert_eq!(
            s.order.iter().map(|k| k.2.as_str()).collect::<Vec<_>>(),
            ["a"],
            "the order follows the relist"
        );
        assert_eq!(s.deleted["b"].1, 21, "b shows as deleted for a moment");
        s.expire(30, 5);
        assert!(s.deleted.is_empty());
    }

    #[test]
    fn live_changes_are_marked_and_errors_clear_on_the_next_event() {
        let mut s = RowStore::default();
        s.apply(WatchMsg::Error("connection refused".into()), 1);
        assert_eq!(s.error.as_deref(), Some("connection refused"));
        s.apply(WatchMsg::Apply(row("a", "Pending")), 5);
        assert_eq!(s.error, None);
        assert_eq!(s.changed_at["a"], 5);
        s.apply(WatchMsg::Apply(row("a", "Running")), 6);
        assert_eq!(&*s.rows["a"].cells[1], "Running");
        assert_eq!(s.order.len(), 1, "a modification keeps one entry");
        s.apply(WatchMsg::Delete("a".into()), 7);
        assert!(s.rows.is_empty() && s.deleted.contains_key("a") && s.order.is_empty());
    }
}
