//! The revision history of the objects kx watches, within a memory budget. Each object keeps
//! its newest revision whole (as compact JSON text) and every older one as the delta from its
//! successor, so a revision costs what changed, not the object's size. When the budget is
//! exceeded the oldest revisions of all objects go first, then objects with nothing but their
//! newest revision; an object open in a diff view is pinned and never trimmed. Pure: time
//! comes in with each call.

pub mod delta;

use delta::{Op, Step};
use serde_json::Value;
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;

/// The default budget, 64 MiB across all objects.
pub const DEFAULT_BUDGET: usize = 64 << 20;

/// Bookkeeping per revision beyond its text: the struct, the order queue entry, the map slot.
const REVISION_OVERHEAD: usize = 160;
const OBJECT_OVERHEAD: usize = 240;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HistoryKey {
    /// `deployments.apps`, `pods`: the resource's full name.
    pub resource: String,
    /// Empty for cluster-scoped objects.
    pub namespace: String,
    pub name: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// The first revision kx saw (earlier ones were before kx watched, or trimmed).
    FirstSeen,
    /// Created again after a deletion kx saw.
    Recreated,
    Modified,
    Deleted,
}

impl Change {
    pub fn label(self) -> &'static str {
        match self {
            Change::FirstSeen => "FIRST SEEN",
            Change::Recreated => "ADDED",
            Change::Modified => "MODIFIED",
            Change::Deleted => "DELETED",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Revision {
    pub serial: u64,
    /// Unix seconds when kx saw it.
    pub at: i64,
    pub resource_version: Box<str>,
    pub change: Change,
    /// What changed from the predecessor, noise left out (`spec.replicas 3→5`); when only noise
    /// changed, the noise, with `noise_only` set.
    pub summary: Box<str>,
    pub noise_only: bool,
    /// The delta that turns the next revision back into this one; None for the newest.
    back: Option<Box<str>>,
}

impl Revision {
    fn bytes(&self) -> usize {
        REVISION_OVERHEAD
            + self.resource_version.len()
            + self.summary.len()
            + self.back.as_ref().map_or(0, |b| b.len())
    }
}

#[derive(Debug, Clone)]
pub struct ObjectHistory {
    /// Oldest first; never empty.
    revisions: VecDeque<Revision>,
    latest: Box<str>,
    /// Older revisions dropped to stay within the budget.
    pub trimmed: u64,
    pub deleted: bool,
    bytes: usize,
}

impl ObjectHistory {
    pub fn revisions(&self) -> &VecDeque<Revision> {
        &self.revisions
    }

    pub fn newest(&self) -> &Revision {
        &self.revisions[self.revisions.len() - 1]
    }

    /// The object at revision `index` (0 = the oldest kept), rebuilt from the newest by
    /// applying the deltas back to it.
    pub fn object(&self, index: usize) -> Option<Value> {
        let mut value: Value = serde_json::from_str(&self.latest).ok()?;
        for rev in self.revisions.iter().skip(index).rev().skip(1) {
            let ops = delta::decode(rev.back.as_deref()?)?;
            delta::apply(&mut value, &ops);
        }
        Some(value)
    }

    /// Revisions `a` and `b` rebuilt in one walk back from the newest: one parse and one copy
    /// instead of two parses (a 1 MB object parses in ~15 ms).
    pub fn pair(&self, a: usize, b: usize) -> Option<(Value, Value)> {
        let (newer, older) = (a.max(b), a.min(b));
        let last = self.revisions.len().checked_sub(1)?;
        if newer > last {
            return None;
        }
        let mut value: Value = serde_json::from_str(&self.latest).ok()?;
        let back = |value: &mut Value, range: std::ops::Range<usize>| -> Option<()> {
            for idx in range.rev() {
                let ops = delta::decode(self.revisions[idx].back.as_deref()?)?;
                delta::apply(value, &ops);
            }
            Some(())
        };
        back(&mut value, newer..last)?;
        let at_newer = value.clone();
        back(&mut value, older..newer)?;
        Some(if a >= b {
            (at_newer, value)
        } else {
            (value, at_newer)
        })
    }
}

#[derive(Debug, Clone)]
pub struct History {
    budget: usize,
    used: usize,
    next_serial: u64,
    objects: HashMap<Arc<HistoryKey>, ObjectHistory>,
    /// Every revision kept, oldest first: the trimming order.
    order: VecDeque<(Arc<HistoryKey>, u64)>,
    pinned: HashSet<HistoryKey>,
    /// Queue entries of pinned objects met while trimming, put back when they are unpinned.
    held: Vec<(Arc<HistoryKey>, u64)>,
    /// Revisions and whole objects dropped so far.
    pub trimmed_revisions: u64,
    pub trimmed_objects: u64,
}

impl Default for History {
    fn default() -> Self {
        History::new(DEFAULT_BUDGET)
    }
}

/// Whether `a` is newer than `b`. resourceVersions are opaque to clients, but every API server
/// in use issues increasing integers; anything else counts as newer when it differs.
fn newer(a: &str, b: &str) -> bool {
    match (a.parse::<u64>(), b.parse::<u64>()) {
        (Ok(x), Ok(y)) => x > y,
        _ => a != b,
    }
}

impl History {
    pub fn new(budget: usize) -> History {
        History {
            budget,
            used: 0,
            next_serial: 1,
            objects: HashMap::new(),
            order: VecDeque::new(),
            pinned: HashSet::new(),
            held: Vec::new(),
            trimmed_revisions: 0,
            trimmed_objects: 0,
        }
    }

    pub fn budget(&self) -> usize {
        self.budget
    }

    /// Bytes the history holds by its own count (text plus bookkeeping).
    pub fn used(&self) -> usize {
        self.used
    }

    pub fn len(&self) -> usize {
        self.objects.len()
    }

    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }

    pub fn get(&self, key: &HistoryKey) -> Option<&ObjectHistory> {
        self.objects.get(key)
    }

    /// Records a watch event's object of `resource` (JSON text, kept as it came), keyed by its
    /// own namespace and name. Returns whether it was new: a revision already seen, or older
    /// than the newest (from a second stream of the same object), is ignored.
    pub fn record_watched(&mut self, resource: &str, text: &str, at: i64) -> bool {
        let Ok(value) = serde_json::from_str::<Value>(text) else {
            return false;
        };
        let meta = &value["metadata"];
        let key = HistoryKey {
            resource: resource.to_string(),
            namespace: meta["namespace"].as_str().unwrap_or("").to_string(),
            name: meta["name"].as_str().unwrap_or("").to_string(),
        };
        self.record_parsed(&key, &value, text.into(), at)
    }

    pub fn record(&mut self, key: &HistoryKey, object: &Value, at: i64) -> bool {
        self.record_parsed(key, object, object.to_string().into_boxed_str(), at)
    }

    fn record_parsed(&mut self, key: &HistoryKey, new: &Value, text: Box<str>, at: i64) -> bool {
        let rv = new["metadata"]["resourceVersion"].as_str().unwrap_or("");
        let serial = self.next_serial;
        let (shared_key, added) = match self.objects.get_key_value(key) {
            Some((k, h)) => {
                let newest = h.newest();
                if !newer(rv, &newest.resource_version) {
                    return false;
                }
                let Ok(old) = serde_json::from_str::<Value>(&h.latest) else {
                    return false;
                };
                let back = delta::between(new, &old);
                if back.is_empty() && !h.deleted {
                    return false;
                }
                let forward = delta::between(&old, new);
                let (summary, noise_only) = summarise(&old, &forward);
                let change = if h.deleted {
                    Change::Recreated
                } else {
                    Change::Modified
                };
                (
                    k.clone(),
                    Some((
                        delta::encode(&back).into_boxed_str(),
                        summary,
                        noise_only,
                        change,
                    )),
                )
            }
            None => (Arc::new(key.clone()), None),
        };
        self.next_serial += 1;
        let (back, summary, noise_only, change) =
            added.unwrap_or((Box::from(""), String::new(), false, Change::FirstSeen));
        let revision = Revision {
            serial,
            at,
            resource_version: rv.into(),
            change,
            summary: summary.into_boxed_str(),
            noise_only,
            back: None,
        };
        let grew = match self.objects.get_mut(key) {
            Some(h) => {
                let before = h.bytes;
                if let Some(prev) = h.revisions.back_mut() {
                    h.bytes += back.len();
                    h.bytes -= prev.back.as_ref().map_or(0, |b| b.len());
                    prev.back = Some(back);
                }
                h.bytes += revision.bytes() + text.len();
                h.bytes -= h.latest.len();
                h.revisions.push_back(revision);
                h.latest = text;
                h.deleted = false;
                h.bytes as isize - before as isize
            }
            None => {
                let h = ObjectHistory {
                    bytes: OBJECT_OVERHEAD + text.len() + revision.bytes(),
                    revisions: VecDeque::from([revision]),
                    latest: text,
                    trimmed: 0,
                    deleted: false,
                };
                let bytes = h.bytes as isize;
                self.objects.insert(shared_key.clone(), h);
                bytes
            }
        };
        self.used = (self.used as isize + grew).max(0) as usize;
        self.order.push_back((shared_key, serial));
        self.trim();
        true
    }

    /// The object was deleted: a final DELETED revision, the last copy kept.
    pub fn deleted(&mut self, key: &HistoryKey, at: i64) {
        let serial = self.next_serial;
        let Some((k, h)) = self.objects.get_key_value(key) else {
            return;
        };
        if h.deleted {
            return;
        }
        let k = k.clone();
        let Some(h) = self.objects.get_mut(key) else {
            return;
        };
        self.next_serial += 1;
        let rv = h.newest().resource_version.clone();
        if let Some(prev) = h.revisions.back_mut() {
            prev.back = Some(Box::from("[]"));
        }
        let revision = Revision {
            serial,
            at,
            resource_version: rv,
            change: Change::Deleted,
            summary: Box::from(""),
            noise_only: false,
            back: None,
        };
        let grew = revision.bytes() + 2;
        h.bytes += grew;
        h.revisions.push_back(revision);
        h.deleted = true;
        self.used += grew;
        self.order.push_back((k, serial));
        self.trim();
    }

    /// Keeps this object's history whole until `unpin`, whatever the budget.
    pub fn pin(&mut self, key: &HistoryKey) {
        self.pinned.insert(key.clone());
    }

    pub fn unpin(&mut self, key: &HistoryKey) {
        if !self.pinned.remove(key) {
            return;
        }
        // Its held entries are older than anything still queued: they go back in front.
        let (mine, others): (Vec<_>, Vec<_>) = self.held.drain(..).partition(|(k, _)| **k == *key);
        self.held = others;
        for entry in mine.into_iter().rev() {
            self.order.push_front(entry);
        }
        self.trim();
    }

    fn trim(&mut self) {
        while self.used > self.budget {
            let Some((key, serial)) = self.order.pop_front() else {
                return;
            };
            if self.pinned.contains(&*key) {
                self.held.push((key, serial));
                continue;
            }
            let Some(h) = self.objects.get_mut(&key) else {
                continue;
            };
            if h.revisions.front().is_none_or(|r| r.serial != serial) {
                continue;
            }
            if h.revisions.len() > 1 {
                if let Some(dropped) = h.revisions.pop_front() {
                    h.bytes -= dropped.bytes();
                    self.used -= dropped.bytes();
                }
                h.trimmed += 1;
                self.trimmed_revisions += 1;
            } else if let Some(gone) = self.objects.remove(&key) {
                self.used = self.used.saturating_sub(gone.bytes);
                self.trimmed_objects += 1;
            }
        }
    }
}

/// What changed, in `spec.replicas 3→5` form, from the old object and the forward delta.
/// Noise (versions, managedFields, generations, heartbeat and transition times) is left out
/// unless it is all that changed.
fn summarise(old: &Value, forward: &[Op]) -> (String, bool) {
    let secret = old["kind"] == "Secret" && old["apiVersion"] == "v1";
    let render = |ops: &mut dyn Iterator<Item = &Op>| -> String {
        let all: Vec<String> = ops
            .map(|Op(path, new)| {
                // A Secret's values never reach the screen, not even in a summary.
                if secret && matches!(path.first(), Some(Step::Key(k)) if k == "data" || k == "stringData") {
                    return format!("{} changed", dotted(path));
                }
                let before = lookup(old, path);
                format!(
                    "{} {}→{}",
                    dotted(path),
                    crate::diff::short(before),
                    crate::diff::short(new.as_ref())
                )
            })
            .collect();
        let shown = all.len().min(3);
        let mut text = all[..shown].join(", ");
        if all.len() > shown {
            text.push_str(&format!(" (+{} more)", all.len() - shown));
        }
        text
    };
    let mut meaningful = forward.iter().filter(|op| !is_noise(&op.0)).peekable();
    if meaningful.peek().is_some() {
        (render(&mut meaningful), false)
    } else {
        (render(&mut forward.iter()), true)
    }
}

fn lookup<'a>(mut at: &'a Value, path: &[Step]) -> Option<&'a Value> {
    for step in path {
        at = match step {
            Step::Key(k) => at.get(k)?,
            Step::Index(i) => at.get(i)?,
        };
    }
    Some(at)
}

fn dotted(path: &[Step]) -> String {
    let mut text = String::new();
    for step in path {
        match step {
            Step::Key(k) if text.is_empty() => text.push_str(k),
            Step::Key(k) => {
                text.push('.');
                text.push_str(k);
            }
            Step::Index(i) => text.push_str(&format!("[{i}]")),
        }
    }
    text
}

/// The fields `kx changes` leaves out by default (see `changes::diff::Noise::DEFAULT`).
fn is_noise(path: &[Step]) -> bool {
    let key = |i: usize| match path.get(i) {
        Some(Step::Key(k)) => k.as_str(),
        _ => "",
    };
    match (key(0), key(1)) {
        ("metadata", "resourceVersion" | "managedFields" | "generation") => return true,
        ("status", "observedGeneration") => return true,
        _ => {}
    }
    path.iter()
        .any(|s| matches!(s, Step::Key(k) if crate::diff::TIMESTAMP_KEYS.contains(&k.as_str())))
}

#[cfg(test)]
mod tests;
