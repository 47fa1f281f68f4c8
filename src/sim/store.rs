//! The simulator's object store: every object as compact JSON plus the few fields that
//! lists, selectors and tables need, a global resourceVersion, and the recent history of
//! changes that watches replay from.

use super::registry::ResourceType;
use super::table;
use bytes::Bytes;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;

/// One stored object. Immutable: a write replaces it.
#[derive(Debug)]
pub struct Stored {
    /// The object as compact JSON, `apiVersion` and `kind` first.
    pub json: Bytes,
    /// Where the fields after `apiVersion` and `kind` begin in `json`: list items leave those
    /// two out, as the API server's lists do.
    body_at: usize,
    /// The object's `metadata` as compact JSON (managedFields left out), for metadata-only
    /// responses and Table rows; kept as bytes because at 100k objects parsed maps cost too much.
    pub metadata_json: Bytes,
    pub namespace: String,
    pub name: String,
    pub uid: String,
    pub rv: u64,
    pub labels: BTreeMap<String, String>,
    /// Fields that field selectors and controllers ask for often (`status.phase`, `spec.nodeName`).
    pub indexed: Vec<(&'static str, String)>,
    /// Server-side Table cells, with ages left as `{"$age": unix_seconds}` to fill at serving time.
    pub cells: Vec<Value>,
    pub deleting: bool,
}

impl Stored {
    pub fn new(rt: &ResourceType, value: &Value) -> Stored {
        let meta = &value["metadata"];
        let labels = meta["labels"]
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                    .collect()
            })
            .unwrap_or_default();
        let mut indexed = Vec::new();
        if rt.kind == "Pod" {
            indexed.push(("status.phase", str_at(value, &["status", "phase"])));
            indexed.push(("spec.nodeName", str_at(value, &["spec", "nodeName"])));
        }
        let metadata_json = match meta.as_object() {
            Some(m) if m.contains_key("managedFields") => {
                let mut trimmed = m.clone();
                trimmed.remove("managedFields");
                serde_json::to_vec(&trimmed).unwrap_or_default()
            }
            _ => serde_json::to_vec(meta).unwrap_or_default(),
        };
        let (json, body_at) = type_meta_first(value);
        Stored {
            json: Bytes::from(json),
            body_at,
            metadata_json: Bytes::from(metadata_json),
            namespace: meta["namespace"].as_str().unwrap_or_default().to_string(),
            name: meta["name"].as_str().unwrap_or_default().to_string(),
            uid: meta["uid"].as_str().unwrap_or_default().to_string(),
            rv: meta["resourceVersion"]
                .as_str()
                .and_then(|s| s.parse().ok())
                .unwrap_or_default(),
            labels,
            indexed,
            cells: table::cells(rt, value),
            deleting: meta["deletionTimestamp"].is_string(),
        }
    }

    /// The object as a list item: without `apiVersion` and `kind`.
    pub fn item_json(&self, out: &mut impl bytes::BufMut) {
        match self.json.get(self.body_at..) {
            Some(rest) if self.body_at > 0 => {
                out.put_u8(b'{');
                out.put_slice(rest);
            }
            _ => out.put_slice(&self.json),
        }
    }

    /// The object's metadata, parsed.
    pub fn metadata(&self) -> Value {
        serde_json::from_slice(&self.metadata_json).unwrap_or(Value::Null)
    }

    pub fn value(&self) -> Value {
        serde_json::from_slice(&self.json).unwrap_or(Value::Null)
    }

    /// The value of a field path for field selectors: indexed fields without parsing.
    pub fn field(&self, path: &str) -> String {
        match path {
            "metadata.name" => self.name.clone(),
            "metadata.namespace" => self.namespace.clone(),
            _ => self
                .indexed
                .iter()
                .find(|(p, _)| *p == path)
                .map(|(_, v)| v.clone())
                .unwrap_or_else(|| super::selector::field_of(&self.value(), path)),
        }
    }
}

/// The other fields of an object, serialized without copying it.
struct WithoutTypeMeta<'a>(&'a serde_json::Map<String, Value>);

impl serde::Serialize for WithoutTypeMeta<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(None)?;
        for (k, v) in self.0 {
            if k != "apiVersion" && k != "kind" {
                map.serialize_entry(k, v)?;
            }
        }
        map.end()
    }
}

/// `{"apiVersion":…,"kind":…,REST}` and where REST begins (0: no fields beyond the two).
fn type_meta_first(value: &Value) -> (Vec<u8>, usize) {
    let Some(m) = value.as_object() else {
        return (serde_json::to_vec(value).unwrap_or_default(), 0);
    };
    let mut out = Vec::with_capacity(256);
    out.extend_from_slice(b"{\"apiVersion\":");
    out.extend(serde_json::to_vec(m.get("apiVersion").unwrap_or(&Value::Null)).unwrap_or_default());
    out.extend_from_slice(b",\"kind\":");
    out.extend(serde_json::to_vec(m.get("kind").unwrap_or(&Value::Null)).unwrap_or_default());
    let rest = serde_json::to_vec(&WithoutTypeMeta(m)).unwrap_or_default();
    if rest.len() <= 2 {
        out.push(b'}');
        return (out, 0);
    }
    out.push(b',');
    let body_at = out.len();
    // `rest` is `{…}`: its fields follow the comma.
    out.extend_from_slice(&rest[1..]);
    (out, body_at)
}

fn str_at(v: &Value, path: &[&str]) -> String {
    let mut cur = v;
    for p in path {
        cur = &cur[*p];
    }
    cur.as_str().unwrap_or_default().to_string()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    Added,
    Modified,
    Deleted,
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Added => "ADDED",
            EventType::Modified => "MODIFIED",
            EventType::Deleted => "DELETED",
        }
    }
}

/// One change, as watches see it.
#[derive(Debug)]
pub struct Event {
    pub rv: u64,
    pub type_: EventType,
    /// `group/plural` of the object's type.
    pub type_key: String,
    pub object: Arc<Stored>,
    /// The object before this change (for selector transitions and controllers).
    pub previous: Option<Arc<Stored>>,
}

pub type ObjectKey = (String, String);

/// Every object and the change history. Kept behind one lock by the cluster.
pub struct Store {
    pub types: Vec<ResourceType>,
    pub objects: HashMap<String, BTreeMap<ObjectKey, Arc<Stored>>>,
    pub rv: u64,
    pub history: VecDeque<Arc<Event>>,
    pub history_cap: usize,
}

pub fn type_key(group: &str, plural: &str) -> String {
    format!("{group}/{plural}")
}

impl Store {
    pub fn new(types: Vec<ResourceType>, history_cap: usize) -> Self {
        Store {
            types,
            objects: HashMap::new(),
            rv: 1000,
            history: VecDeque::new(),
            history_cap,
        }
    }

    pub fn next_rv(&mut self) -> u64 {
        self.rv += 1;
        self.rv
    }

    /// The oldest resourceVersion a watch may resume from; older ones get 410 Gone.
    pub fn oldest_resumable_rv(&self) -> u64 {
        match self.history.front() {
            Some(e) if self.history.len() >= self.history_cap => e.rv,
            _ => 0,
        }
    }

    pub fn find_type(&self, group: &str, version: &str, plural: &str) -> Option<&ResourceType> {
        self.types
            .iter()
            .find(|t| t.group == group && t.version == version && t.plural == plural)
    }

    pub fn find_kind(&self, api_version: &str, kind: &str) -> Option<&ResourceType> {
        self.types
            .iter()
            .find(|t| t.kind == kind && t.api_version() == api_version)
    }

    pub fn get(&self, key: &str, ns: &str, name: &str) -> Option<Arc<Stored>> {
        self.objects
            .get(key)?
            .get(&(ns.to_string(), name.to_string()))
            .cloned()
    }

    /// Objects of one type, in one namespace or (with `ns` empty) all of them, in key order.
    pub fn list(&self, key: &str, ns: &str) -> Vec<Arc<Stored>> {
        let Some(map) = self.objects.get(key) else {
            return Vec::new();
        };
        if ns.is_empty() {
            map.values().cloned().collect()
        } else {
            map.range((ns.to_string(), String::new())..)
                .take_while(|((n, _), _)| n == ns)
                .map(|(_, v)| v.clone())
                .collect()
        }
    }

    pub fn count(&self, key: &str) -> usize {
        self.objects.get(key).map_or(0, BTreeMap::len)
    }

    /// Puts an object (already carrying its resourceVersion) and records the event.
    pub fn put(&mut self, key: &str, stored: Stored) -> Arc<Event> {
        let stored = Arc::new(stored);
        let map = self.objects.entry(key.to_string()).or_default();
        let previous = map.insert(
            (stored.namespace.clone(), stored.name.clone()),
            stored.clone(),
        );
        let type_ = if previous.is_some() {
            EventType::Modified
        } else {
            EventType::Added
        };
        self.record(Event {
            rv: stored.rv,
            type_,
            type_key: key.to_string(),
            object: stored,
            previous,
        })
    }

    /// Removes an object for good. `stored` is its final state, with a fresh resourceVersion.
    pub fn remove(&mut self, key: &str, stored: Stored) -> Option<Arc<Event>> {
        let map = self.objects.get_mut(key)?;
        let previous = map.remove(&(stored.namespace.clone(), stored.name.clone()))?;
        Some(self.record(Event {
            rv: stored.rv,
            type_: EventType::Deleted,
            type_key: key.to_string(),
            object: Arc::new(stored),
            previous: Some(previous),
        }))
    }

    fn record(&mut self, event: Event) -> Arc<Event> {
        let event = Arc::new(event);
        self.history.push_back(event.clone());
        while self.history.len() > self.history_cap {
            self.history.pop_front();
        }
        event
    }

    /// Events after `rv` for one type, or `None` when that history has been trimmed away.
    pub fn events_since(&self, key: &str, rv: u64) -> Option<Vec<Arc<Event>>> {
        if rv < self.oldest_resumable_rv() {
            return None;
        }
        let start = self.history.partition_point(|e| e.rv <= rv);
        Some(
            self.history
                .range(start..)
                .filter(|e| e.type_key == key)
                .cloned()
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::registry::builtin_types;
    use serde_json::json;

    fn cm(name: &str, rv: u64) -> Value {
        json!({"apiVersion": "v1", "kind": "ConfigMap",
               "metadata": {"name": name, "namespace": "a", "resourceVersion": rv.to_string(), "uid": name}})
    }

    fn cm_type() -> ResourceType {
        builtin_types()
            .into_iter()
            .find(|t| t.plural == "configmaps")
            .unwrap()
    }

    #[test]
    fn history_replays_events_after_a_version_and_forgets_old_ones() {
        let rt = cm_type();
        let mut store = Store::new(builtin_types(), 3);
        for (i, name) in ["x", "y", "z", "w"].iter().enumerate() {
            let rv = store.next_rv();
            let ev = store.put("/configmaps", Stored::new(&rt, &cm(name, rv)));
            assert_eq!(ev.rv, 1001 + i as u64);
        }
        // Only the last three are kept: resuming from the first is Gone.
        assert!(store.events_since("/configmaps", 1000).is_none());
        let since = store.events_since("/configmaps", 1002).unwrap();
        let names: Vec<_> = since.iter().map(|e| e.object.name.as_str()).collect();
        assert_eq!(names, ["z", "w"]);
    }

    #[test]
    fn second_put_is_a_modification_and_remove_is_a_deletion_with_the_previous_state() {
        let rt = cm_type();
        let mut store = Store::new(builtin_types(), 100);
        store.put("/configmaps", Stored::new(&rt, &cm("x", 1)));
        let ev = store.put("/configmaps", Stored::new(&rt, &cm("x", 2)));
        assert_eq!(ev.type_, EventType::Modified);
        assert_eq!(ev.previous.as_ref().unwrap().rv, 1);
        let ev = store
            .remove("/configmaps", Stored::new(&rt, &cm("x", 3)))
            .unwrap();
        assert_eq!(ev.type_, EventType::Deleted);
        assert!(store.get("/configmaps", "a", "x").is_none());
    }

    #[test]
    fn namespace_listing_takes_only_that_namespace() {
        let rt = cm_type();
        let mut store = Store::new(builtin_types(), 100);
        for (ns, name) in [("a", "1"), ("b", "2"), ("ab", "3"), ("a", "4")] {
            let mut v = cm(name, 1);
            v["metadata"]["namespace"] = json!(ns);
            store.put("/configmaps", Stored::new(&rt, &v));
        }
        let names: Vec<_> = store
            .list("/configmaps", "a")
            .iter()
            .map(|s| s.name.clone())
            .collect();
        assert_eq!(names, ["1", "4"]);
        assert_eq!(store.list("/configmaps", "").len(), 4);
    }
}
