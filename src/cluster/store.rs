//! The rows of one resource view, fed by `WatchMsg`s: keyed by uid, a relist swapped in whole
//! when complete (so nothing that is gone lingers and nothing flickers), and a note of when each
//! row last changed. Pure: no IO, no clock of its own.

use super::figures::{Figures, Measure, UsageColumn};
use super::rows::{Column, Row};
use super::watch::WatchMsg;
use std::collections::{BTreeMap, HashMap, VecDeque};

/// (namespace, name, uid): the default display order, kept sorted as rows come and go.
pub type OrderKey = (String, String, String);

fn order_key(row: &Row) -> OrderKey {
    (row.namespace.clone(), row.name.clone(), row.uid.clone())
}

/// How long a row's "changed N ago" mark stays (the list's CHANGED column).
pub const CHANGE_MARK_SECS: i64 = 600;

/// Changes a store remembers slot by slot, for views that keep derived rows up to date without
/// walking every row; past this a view derives its rows anew.
const JOURNAL_MAX: usize = 8192;

/// Where a row lives in a store: stable while the row stays, so a view can keep the rows it
/// shows as slots (four bytes each) rather than copies.
pub type Slot = u32;

#[derive(Debug, Clone, Default)]
pub struct RowStore {
    pub columns: Vec<Column>,
    /// The rows, by slot; a removed row leaves its slot free for the next.
    slots: Vec<Option<Row>>,
    free: Vec<Slot>,
    /// Every row's slot in namespace/name order, kept per event so a list needs no sort per
    /// frame and a frame walks the rows without a hash lookup each (at 100k rows that is most
    /// of its cost).
    order: BTreeMap<OrderKey, Slot>,
    /// uid → the row's slot.
    places: HashMap<String, Slot>,
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
    /// (generation, slot) of each row inserted, changed or removed, oldest first.
    journal: VecDeque<(u64, Slot)>,
    /// Changes up to this generation may be missing from the journal.
    journal_floor: u64,
    /// Columns kx adds after the server's (CPU and MEM from the metrics API).
    usage: Vec<UsageColumn>,
    /// Each row's last usage reading, by slot: numbers, written as text only for the rows on
    /// screen. Kept when the watch replaces a row, so a change does not blank its cells; None
    /// until a reading has the row.
    figures: Vec<Option<Figures>>,
    /// Bumped on every usage reading, so a list sorted by a usage column sorts anew.
    pub usage_generation: u64,
}

impl RowStore {
    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    pub fn get(&self, uid: &str) -> Option<&Row> {
        self.places.get(uid).and_then(|s| self.at(*s))
    }

    /// The row in a slot, if one is there.
    pub fn at(&self, slot: Slot) -> Option<&Row> {
        self.slots.get(slot as usize).and_then(Option::as_ref)
    }

    /// Every row, in namespace/name order.
    pub fn ordered(&self) -> impl Iterator<Item = &Row> {
        self.ordered_slots().map(|(_, r)| r)
    }

    /// Every row with its slot, in namespace/name order.
    pub fn ordered_slots(&self) -> impl Iterator<Item = (Slot, &Row)> {
        self.order
            .values()
            .filter_map(|s| self.at(*s).map(|r| (*s, r)))
    }

    /// The slots whose rows changed (inserted, modified or removed; a slot may be listed more
    /// than once) after `generation`; None when the journal does not reach back that far (a
    /// relist, new columns, or more changes than it keeps): then derive everything anew.
    pub fn changed_since(&self, generation: u64) -> Option<impl Iterator<Item = Slot> + '_> {
        if generation < self.journal_floor {
            return None;
        }
        let start = self.journal.partition_point(|(g, _)| *g <= generation);
        Some(self.journal.range(start..).map(|(_, s)| *s))
    }

    fn note(&mut self, slot: Slot) {
        if self.journal.len() == JOURNAL_MAX
            && let Some((g, _)) = self.journal.pop_front()
        {
            self.journal_floor = g;
        }
        self.journal.push_back((self.generation, slot));
    }

    /// Everything may have changed: views derive their rows anew.
    fn forget_journal(&mut self) {
        self.journal.clear();
        self.journal_floor = self.generation;
    }

    pub fn apply(&mut self, msg: WatchMsg, now: i64) {
        if matches!(msg, WatchMsg::Revision(_)) {
            return; // for the revision history, not the rows
        }
        self.generation += 1;
        match msg {
            WatchMsg::Columns(mut c) => {
                c.extend(self.usage.iter().map(UsageColumn::column));
                self.columns = c;
                self.forget_journal();
            }
            WatchMsg::WholeObjects(whole) => self.whole_objects = Some(whole),
            WatchMsg::Init => self.relist = Some(HashMap::with_capacity(self.len())),
            WatchMsg::InitRow(row) => match self.relist.as_mut() {
                Some(fresh) => {
                    fresh.insert(row.uid.clone(), row);
                }
                None => self.insert(row),
            },
            WatchMsg::InitDone => {
                if let Some(fresh) = self.relist.take() {
                    // Whatever the relist no longer has is gone; what it has keeps its usage
                    // figures (slots are dealt anew).
                    let old_figures = std::mem::take(&mut self.figures);
                    let mut carried = HashMap::new();
                    for (slot, row) in std::mem::take(&mut self.slots).into_iter().enumerate() {
                        let Some(row) = row else { continue };
                        if !fresh.contains_key(&row.uid) {
                            self.deleted.insert(row.uid.clone(), (row, now));
                        } else if let Some(Some(f)) = old_figures.get(slot) {
                            carried.insert(row.uid, *f);
                        }
                    }
                    self.free.clear();
                    self.order.clear();
                    self.places.clear();
                    self.slots.reserve(fresh.len());
                    for row in fresh.into_values() {
                        self.insert(row);
                    }
                    if !carried.is_empty() {
                        self.figures.resize(self.slots.len(), None);
                    }
                    for (uid, f) in carried {
                        if let Some(Some(place)) = self
                            .places
                            .get(&uid)
                            .map(|slot| self.figures.get_mut(*slot as usize))
                        {
                            *place = Some(f);
                        }
                    }
                    self.forget_journal();
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
                if let Some(row) = self.remove(&uid) {
                    self.deleted.insert(uid, (row, now));
                }
            }
            WatchMsg::Error(e) => self.error = Some(e),
            WatchMsg::Revision(_) => {}
        }
    }

    fn remove(&mut self, uid: &str) -> Option<Row> {
        let slot = self.places.remove(uid)?;
        let row = self.slots.get_mut(slot as usize)?.take()?;
        self.order.remove(&order_key(&row));
        self.free.push(slot);
        self.note(slot);
        Some(row)
    }

    /// Sets the usage columns and every row's figures from a reading (`figures` of a row).
    pub fn set_usage(&mut self, columns: &[UsageColumn], mut figures: impl FnMut(&Row) -> Figures) {
        if self.usage != columns {
            let server = self.columns.len() - self.usage.len().min(self.columns.len());
            self.columns.truncate(server);
            self.columns.extend(columns.iter().map(UsageColumn::column));
            self.usage = columns.to_vec();
            // The lists' columns moved.
            self.generation += 1;
            self.forget_journal();
        }
        self.figures.clear();
        self.figures
            .extend(self.slots.iter().map(|row| row.as_ref().map(&mut figures)));
        self.usage_generation += 1;
    }

    /// What the column at `index` of `columns` shows, if it is a usage column.
    pub fn usage_measure(&self, index: usize) -> Option<Measure> {
        let server = self.columns.len().checked_sub(self.usage.len())?;
        index
            .checked_sub(server)
            .and_then(|i| self.usage.get(i))
            .map(|c| c.measure)
    }

    /// The last usage reading of the row in `slot`.
    pub fn figures_at(&self, slot: Slot) -> Option<&Figures> {
        self.figures.get(slot as usize).and_then(Option::as_ref)
    }

    /// The last usage reading of the row with this uid.
    pub fn figures_of(&self, uid: &str) -> Option<&Figures> {
        self.slot_of(uid).and_then(|s| self.figures_at(s))
    }

    /// A slot taken by a new row starts without figures.
    fn clear_figures(&mut self, slot: Slot) {
        if let Some(f) = self.figures.get_mut(slot as usize) {
            *f = None;
        }
    }

    fn insert(&mut self, row: Row) {
        // Most events modify a row whose namespace and name stand: then it is replaced in its
        // slot, and no key (three string copies) is built.
        if let Some(&slot) = self.places.get(&row.uid)
            && let Some(Some(old)) = self.slots.get_mut(slot as usize)
        {
            if old.namespace != row.namespace || old.name != row.name {
                self.order.remove(&order_key(old));
                self.order.insert(order_key(&row), slot);
            }
            *old = row;
            self.note(slot);
            return;
        }
        let slot = match self.free.pop() {
            Some(s) => s,
            None => {
                self.slots.push(None);
                (self.slots.len() - 1) as Slot
            }
        };
        self.order.insert(order_key(&row), slot);
        self.places.insert(row.uid.clone(), slot);
        self.slots[slot as usize] = Some(row);
        self.clear_figures(slot);
        self.note(slot);
    }

    /// The slot of the row with this uid.
    pub fn slot_of(&self, uid: &str) -> Option<Slot> {
        self.places.get(uid).copied()
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

    fn column(name: &str) -> Column {
        Column {
            name: name.into(),
            type_: "string".into(),
            format: String::new(),
            priority: 0,
        }
    }

    #[test]
    fn usage_figures_survive_changes_and_relists_and_new_rows_have_none() {
        use super::super::figures::{Amounts, POD_COLUMNS, Resource};
        let mut s = RowStore::default();
        s.apply(WatchMsg::Columns(vec![column("Name"), column("Status")]), 0);
        for m in [
            WatchMsg::Init,
            WatchMsg::InitRow(row("a", "Running")),
            WatchMsg::InitDone,
        ] {
            s.apply(m, 0);
        }
        let reading = |cpu: u64| Figures::default().with_used(Some(Amounts { cpu, mem: 0 }));
        let (generation, columns) = (s.generation, POD_COLUMNS[..1].to_vec());
        s.set_usage(&columns, |r| reading(r.name.len() as u64));
        let cpu = |s: &RowStore, uid: &str| s.figures_of(uid).and_then(|f| f.used(Resource::Cpu));
        assert_eq!(cpu(&s, "a"), Some(1));
        assert_eq!(
            s.get("a").unwrap().cells.len(),
            2,
            "no text is kept for usage"
        );
        assert!(
            s.generation > generation,
            "new columns: the lists derive anew"
        );
        assert_eq!(s.usage_measure(2), Some(POD_COLUMNS[0].measure));
        assert_eq!(s.usage_measure(1), None, "a server column");
        // A change from the watch keeps the last reading.
        s.apply(WatchMsg::Apply(row("a", "Error")), 1);
        assert_eq!(cpu(&s, "a"), Some(1));
        // A new row has no figures until the next reading, even in a slot a gone row left.
        s.apply(WatchMsg::Delete("a".into()), 1);
        s.apply(WatchMsg::Apply(row("b", "Running")), 1);
        assert_eq!(s.figures_of("b"), None);
        s.apply(WatchMsg::Apply(row("a", "Running")), 1);
        s.set_usage(&columns, |r| reading(if r.name == "b" { 7 } else { 1 }));
        // A relist (new server columns too) keeps both, though slots are dealt anew.
        s.apply(WatchMsg::Columns(vec![column("Name"), column("Status")]), 2);
        for m in [
            WatchMsg::Init,
            WatchMsg::InitRow(row("c", "Running")),
            WatchMsg::InitRow(row("b", "Running")),
            WatchMsg::InitRow(row("a", "Running")),
            WatchMsg::InitDone,
        ] {
            s.apply(m, 2);
        }
        assert_eq!(
            s.columns
                .iter()
                .map(|c| c.name.as_str())
                .collect::<Vec<_>>(),
            vec!["Name", "Status", "CPU"]
        );
        assert_eq!((cpu(&s, "a"), cpu(&s, "b")), (Some(1), Some(7)));
        assert_eq!(s.figures_of("c"), None);
        // The same columns again: no new generation, only a new reading.
        let (generation, usage) = (s.generation, s.usage_generation);
        s.set_usage(&columns, |_| reading(3));
        assert_eq!(s.generation, generation);
        assert_eq!(s.usage_generation, usage + 1);
        assert_eq!(cpu(&s, "c"), Some(3));
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
    fn the_journal_lists_changed_slots_until_a_relist_or_its_limit() {
        let mut s = RowStore::default();
        s.apply(WatchMsg::Apply(row("a", "Running")), 1);
        let seen = s.generation;
        s.apply(WatchMsg::Apply(row("b", "Running")), 1);
        s.apply(WatchMsg::Apply(row("a", "Failed")), 1);
        s.apply(WatchMsg::Delete("b".into()), 1);
        let (a, b) = (0, 1);
        let changed: Vec<Slot> = s
            .changed_since(seen)
            .map(Iterator::collect)
            .unwrap_or_default();
        assert_eq!(changed, [b, a, b]);
        assert_eq!(s.changed_since(s.generation).map(Iterator::count), Some(0));
        s.apply(WatchMsg::Init, 2);
        s.apply(WatchMsg::InitDone, 2);
        assert!(s.changed_since(seen).is_none(), "a relist: derive anew");
        let after = s.generation;
        for i in 0..JOURNAL_MAX + 1 {
            s.apply(WatchMsg::Apply(row(&format!("r{i}"), "Running")), 3);
        }
        assert!(
            s.changed_since(after).is_none(),
            "more than the journal keeps"
        );
        assert!(s.changed_since(s.generation - 10).is_some());
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
