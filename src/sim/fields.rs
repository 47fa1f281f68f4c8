//! Field ownership, as the API server tracks it in `metadata.managedFields`: which manager set
//! which field, server-side apply's merge (a manager's applied configuration is merged in, and
//! fields it applied before but no longer does are removed), and its conflicts (applying a
//! field another manager set to a different value is refused unless forced).
//!
//! A field set is a set of paths; each path step is spelled as in `fieldsV1`: `f:name` for a
//! field, `k:{"name":"web"}` for a list item by its merge key, `v:"x"` for an item of a list
//! of scalars merged as a set. A path is owned; a path with owned children is owned too when
//! it is a list item (`.` in `fieldsV1`).

use super::patch::{element_context, merge_key, merges_as_set};
use serde_json::{Map, Value, json};
use std::collections::BTreeSet;

pub type Path = Vec<String>;
pub type FieldSet = BTreeSet<Path>;

/// Metadata fields the server owns; never part of anyone's field set.
const SERVER_METADATA: &[&str] = &[
    "name",
    "namespace",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "managedFields",
    "selfLink",
];

/// One `managedFields` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub manager: String,
    /// "Apply" or "Update".
    pub operation: String,
    pub api_version: String,
    pub time: String,
    pub subresource: Option<String>,
    pub fields: FieldSet,
}

impl Entry {
    fn to_json(&self) -> Value {
        let mut v = json!({
            "manager": self.manager,
            "operation": self.operation,
            "apiVersion": self.api_version,
            "time": self.time,
            "fieldsType": "FieldsV1",
            "fieldsV1": to_fields_v1(&self.fields),
        });
        if let Some(s) = &self.subresource {
            v["subresource"] = json!(s);
        }
        v
    }

    fn same_owner(&self, manager: &str, operation: &str, subresource: Option<&str>) -> bool {
        self.manager == manager
            && self.operation == operation
            && self.subresource.as_deref() == subresource
    }
}

/// The entries of an object's `metadata.managedFields`.
pub fn entries(obj: &Value) -> Vec<Entry> {
    obj["metadata"]["managedFields"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| Entry {
            manager: e["manager"].as_str().unwrap_or_default().to_string(),
            operation: e["operation"].as_str().unwrap_or("Update").to_string(),
            api_version: e["apiVersion"].as_str().unwrap_or_default().to_string(),
            time: e["time"].as_str().unwrap_or_default().to_string(),
            subresource: e["subresource"].as_str().map(str::to_string),
            fields: from_fields_v1(&e["fieldsV1"]),
        })
        .collect()
}

fn set_entries(obj: &mut Value, entries: &[Entry]) {
    let kept: Vec<Value> = entries
        .iter()
        .filter(|e| !e.fields.is_empty())
        .map(Entry::to_json)
        .collect();
    if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
        if kept.is_empty() {
            meta.remove("managedFields");
        } else {
            meta.insert("managedFields".into(), Value::Array(kept));
        }
    }
}

/// Whether two managedFields lists give the same fields to the same managers (times aside).
pub fn same_owners(a: &Value, b: &Value) -> bool {
    let owners = |v: &Value| -> Vec<(String, String, Option<String>, FieldSet)> {
        let mut list: Vec<_> = entries(&json!({"metadata": {"managedFields": v}}))
            .into_iter()
            .map(|e| (e.manager, e.operation, e.subresource, e.fields))
            .collect();
        list.sort();
        list
    };
    owners(a) == owners(b)
}

/// `fieldsV1` for a set: nested objects, `{}` for a leaf, `.` for a member with children.
pub fn to_fields_v1(set: &FieldSet) -> Value {
    fn node_at<'a>(
        m: &'a mut Map<String, Value>,
        path: &[String],
    ) -> Option<&'a mut Map<String, Value>> {
        match path.split_first() {
            None => Some(m),
            Some((first, rest)) => node_at(
                m.entry(first.clone())
                    .or_insert_with(|| Value::Object(Map::new()))
                    .as_object_mut()?,
                rest,
            ),
        }
    }
    let mut root = Map::new();
    for path in set {
        // Paths extending this one sort right after it.
        let has_children = set
            .range(path.clone()..)
            .nth(1)
            .is_some_and(|next| next.starts_with(path));
        if let Some(node) = node_at(&mut root, path)
            && has_children
        {
            node.insert(".".into(), json!({}));
        }
    }
    Value::Object(root)
}

pub fn from_fields_v1(v: &Value) -> FieldSet {
    fn walk(v: &Value, path: &mut Path, out: &mut FieldSet) {
        let Some(m) = v.as_object() else { return };
        if (m.is_empty() || m.contains_key(".")) && !path.is_empty() {
            out.insert(path.clone());
        }
        for (k, child) in m {
            if k == "." {
                continue;
            }
            path.push(k.clone());
            walk(child, path, out);
            path.pop();
        }
    }
    let mut out = FieldSet::new();
    walk(v, &mut Vec::new(), &mut out);
    out
}

/// The key of a list item by its list's merge key, as `k:{"name":"web"}`. Ports are keyed by
/// their number and protocol together, as the API server keys them.
fn item_key(item: &Value, field: &str, key: &str) -> Option<String> {
    let mut m = Map::new();
    m.insert(key.to_string(), item.get(key)?.clone());
    if field == "ports"
        && let Some(protocol) = item.get("protocol")
    {
        m.insert("protocol".into(), protocol.clone());
    }
    Some(format!("k:{}", Value::Object(m)))
}

/// Maps whose entries are owned one by one, and which are owned themselves (`.`).
const GRANULAR_MAPS: &[&str] = &["labels", "annotations"];

/// Fields owned whole, never field by field (the API server's atomic types).
const ATOMIC: &[&str] = &["selector"];

/// Every field an object sets, as paths (what an applied configuration claims).
pub fn of_object(obj: &Value) -> FieldSet {
    let mut out = FieldSet::new();
    let Some(m) = obj.as_object() else {
        return out;
    };
    for (k, v) in m {
        if k == "apiVersion" || k == "kind" {
            continue;
        }
        if k == "metadata" {
            let Some(meta) = v.as_object() else { continue };
            for (mk, mv) in meta {
                if SERVER_METADATA.contains(&mk.as_str()) {
                    continue;
                }
                let mut path = vec!["f:metadata".to_string(), format!("f:{mk}")];
                walk_value(mv, "object", mk, &mut path, &mut out);
            }
            continue;
        }
        let mut path = vec![format!("f:{k}")];
        walk_value(v, "object", k, &mut path, &mut out);
    }
    out
}

fn walk_value(v: &Value, context: &str, field: &str, path: &mut Path, out: &mut FieldSet) {
    match v {
        _ if ATOMIC.contains(&field) => {
            out.insert(path.clone());
        }
        Value::Object(m) if !m.is_empty() => {
            if GRANULAR_MAPS.contains(&field) {
                out.insert(path.clone());
            }
            for (k, child) in m {
                path.push(format!("f:{k}"));
                walk_value(child, context, k, path, out);
                path.pop();
            }
        }
        Value::Array(items) if !items.is_empty() => {
            if merges_as_set(field) {
                for item in items {
                    path.push(format!("v:{item}"));
                    out.insert(path.clone());
                    path.pop();
                }
                return;
            }
            let Some(key) = merge_key(context, field) else {
                // An atomic list: owned whole.
                out.insert(path.clone());
                return;
            };
            let inner = element_context(field);
            for item in items {
                let Some(step) = item_key(item, field, key) else {
                    out.insert(path.clone());
                    return;
                };
                path.push(step);
                out.insert(path.clone());
                if let Some(fields) = item.as_object() {
                    for (k, child) in fields {
                        path.push(format!("f:{k}"));
                        walk_value(child, inner, k, path, out);
                        path.pop();
                    }
                }
                path.pop();
            }
        }
        _ => {
            out.insert(path.clone());
        }
    }
}

/// The value at a path, if the object has it.
pub fn value_at<'a>(obj: &'a Value, path: &[String]) -> Option<&'a Value> {
    let mut at = obj;
    for step in path {
        at = if let Some(name) = step.strip_prefix("f:") {
            at.get(name)?
        } else if let Some(key) = step.strip_prefix("k:") {
            let wanted: Map<String, Value> = serde_json::from_str(key).ok()?;
            at.as_array()?
                .iter()
                .find(|item| wanted.iter().all(|(k, v)| item.get(k) == Some(v)))?
        } else if let Some(value) = step.strip_prefix("v:") {
            let wanted: Value = serde_json::from_str(value).ok()?;
            at.as_array()?.iter().find(|item| **item == wanted)?
        } else {
            return None;
        };
    }
    Some(at)
}

/// Removes the field at a path (a list item, for `k:`/`v:` steps).
fn remove_at(obj: &mut Value, path: &[String]) {
    let Some((last, parent)) = path.split_last() else {
        return;
    };
    let mut at = obj;
    for step in parent {
        let next = if let Some(name) = step.strip_prefix("f:") {
            at.get_mut(name)
        } else if let Some(key) = step.strip_prefix("k:") {
            let Ok(wanted) = serde_json::from_str::<Map<String, Value>>(key) else {
                return;
            };
            at.as_array_mut().and_then(|a| {
                a.iter_mut()
                    .find(|item| wanted.iter().all(|(k, v)| item.get(k) == Some(v)))
            })
        } else {
            None
        };
        match next {
            Some(n) => at = n,
            None => return,
        }
    }
    if let Some(name) = last.strip_prefix("f:") {
        if let Some(m) = at.as_object_mut() {
            m.remove(name);
        }
    } else if let Some(key) = last.strip_prefix("k:") {
        if let (Ok(wanted), Some(items)) = (
            serde_json::from_str::<Map<String, Value>>(key),
            at.as_array_mut(),
        ) {
            items.retain(|item| !wanted.iter().all(|(k, v)| item.get(k) == Some(v)));
        }
    } else if let Some(value) = last.strip_prefix("v:")
        && let (Ok(wanted), Some(items)) = (serde_json::from_str::<Value>(value), at.as_array_mut())
    {
        items.retain(|item| *item != wanted);
    }
}

/// A path as the API server words it in a conflict: `.spec.replicas`,
/// `.spec.template.spec.containers[name="web"].image`.
pub fn describe(path: &[String]) -> String {
    let mut out = String::new();
    for step in path {
        if let Some(name) = step.strip_prefix("f:") {
            out.push('.');
            out.push_str(name);
        } else if let Some(key) = step.strip_prefix("k:") {
            let parts: Vec<String> = serde_json::from_str::<Map<String, Value>>(key)
                .map(|m| m.iter().map(|(k, v)| format!("{k}={v}")).collect())
                .unwrap_or_default();
            out.push_str(&format!("[{}]", parts.join(",")));
        } else if let Some(value) = step.strip_prefix("v:") {
            out.push_str(&format!("[={value}]"));
        }
    }
    out
}

/// Merges an applied configuration into the object: maps field by field, lists with a merge
/// key item by item, lists of scalars merged as sets by union, other lists replaced.
fn merge_into(target: &mut Value, config: &Value, context: &str, field: &str) {
    match (target, config) {
        (Value::Object(t), Value::Object(c)) => {
            for (k, v) in c {
                match t.get_mut(k) {
                    Some(slot) => merge_into(slot, v, context, k),
                    None => {
                        t.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (Value::Array(t), Value::Array(c)) if merges_as_set(field) => {
            for item in c {
                if !t.contains(item) {
                    t.push(item.clone());
                }
            }
        }
        (Value::Array(t), Value::Array(c)) => match merge_key(context, field) {
            Some(key) => {
                let inner = element_context(field);
                for item in c {
                    let existing = t
                        .iter_mut()
                        .find(|x| x.get(key).is_some() && x.get(key) == item.get(key));
                    match existing {
                        Some(slot) => merge_into(slot, item, inner, ""),
                        None => t.push(item.clone()),
                    }
                }
            }
            None => *t = c.clone(),
        },
        (slot, value) => *slot = value.clone(),
    }
}

/// A conflict: which manager (and subresource) owns the path, and the path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    pub manager: String,
    pub subresource: Option<String>,
    pub api_version: String,
    pub path: String,
}

impl Conflict {
    /// `conflict with "kubectl-scale" with subresource "scale" using apps/v1`.
    pub fn owner(&self) -> String {
        match &self.subresource {
            Some(s) => format!(
                "conflict with \"{}\" with subresource \"{s}\" using {}",
                self.manager, self.api_version
            ),
            None => format!(
                "conflict with \"{}\" using {}",
                self.manager, self.api_version
            ),
        }
    }
}

/// Server-side apply of `config` by `manager` onto `current` (None: it does not exist yet).
/// Returns the new object with its managedFields, or the conflicts when not forced.
pub fn apply(
    current: Option<&Value>,
    config: &Value,
    manager: &str,
    api_version: &str,
    force: bool,
    now: &str,
) -> Result<Value, Vec<Conflict>> {
    let applied = of_object(config);
    let Some(current) = current else {
        let mut obj = config.clone();
        set_entries(
            &mut obj,
            &[Entry {
                manager: manager.to_string(),
                operation: "Apply".into(),
                api_version: api_version.to_string(),
                time: now.to_string(),
                subresource: None,
                fields: applied,
            }],
        );
        return Ok(obj);
    };
    let mut owners = entries(current);
    let mine = |e: &Entry| e.same_owner(manager, "Apply", None);
    let mut conflicts = Vec::new();
    for e in owners.iter_mut().filter(|e| !mine(e)) {
        // Only values conflict: a list item or a map that both claim is shared, whatever
        // their other fields hold.
        let contested: Vec<Path> = e
            .fields
            .intersection(&applied)
            .filter(|p| is_leaf(&applied, p))
            .filter(|p| value_at(current, p) != value_at(config, p))
            .cloned()
            .collect();
        if force {
            for p in &contested {
                e.fields.remove(p);
            }
        } else {
            conflicts.extend(contested.iter().map(|p| Conflict {
                manager: e.manager.clone(),
                subresource: e.subresource.clone(),
                api_version: e.api_version.clone(),
                path: describe(p),
            }));
        }
    }
    if !conflicts.is_empty() {
        return Err(conflicts);
    }
    let mut merged = current.clone();
    // What this manager applied before and no longer does goes, unless another owns it too.
    let before = owners
        .iter()
        .find(|e| mine(e))
        .map(|e| e.fields.clone())
        .unwrap_or_default();
    let mut dropped: Vec<&Path> = before
        .difference(&applied)
        .filter(|p| !owners.iter().any(|e| !mine(e) && e.fields.contains(*p)))
        .collect();
    // Deepest first, so a removed list item does not hide a field removed inside it.
    dropped.sort_by_key(|p| std::cmp::Reverse(p.len()));
    for p in dropped {
        remove_at(&mut merged, p);
    }
    merge_into(&mut merged, config, "object", "");
    // The object as stored keeps the server's metadata, whatever the configuration said.
    for field in SERVER_METADATA {
        match current["metadata"].get(*field) {
            Some(v) => merged["metadata"][*field] = v.clone(),
            None => {
                if let Some(m) = merged["metadata"].as_object_mut() {
                    m.remove(*field);
                }
            }
        }
    }
    owners.retain(|e| !mine(e));
    owners.push(Entry {
        manager: manager.to_string(),
        operation: "Apply".into(),
        api_version: api_version.to_string(),
        time: now.to_string(),
        subresource: None,
        fields: applied,
    });
    set_entries(&mut merged, &owners);
    Ok(merged)
}

/// Whether no other path of the set lies under this one (paths extending it sort right after).
fn is_leaf(set: &FieldSet, path: &Path) -> bool {
    !set.range(path.clone()..)
        .nth(1)
        .is_some_and(|next| next.starts_with(path))
}

/// Records an ordinary write (create, update, patch) by `manager`: the fields it changed
/// become its own and no one else's, and fields that are gone are no one's.
pub fn record_update(
    old: Option<&Value>,
    new: &mut Value,
    manager: &str,
    subresource: Option<&str>,
    api_version: &str,
    now: &str,
) {
    let present = of_object(new);
    let mut owners = old.map(entries).unwrap_or_default();
    // A value changed, or a list item or map that was not there: a changed field inside an
    // item does not make the item itself change hands.
    let changed: FieldSet = present
        .iter()
        .filter(|p| match old {
            None => true,
            Some(o) if is_leaf(&present, p) => value_at(o, p) != value_at(new, p),
            Some(o) => value_at(o, p).is_none(),
        })
        .cloned()
        .collect();
    for e in owners.iter_mut() {
        e.fields
            .retain(|p| present.contains(p) && !changed.contains(p));
    }
    if !changed.is_empty() {
        match owners
            .iter_mut()
            .find(|e| e.same_owner(manager, "Update", subresource))
        {
            Some(e) => {
                e.fields.extend(changed);
                e.time = now.to_string();
            }
            None => owners.push(Entry {
                manager: manager.to_string(),
                operation: "Update".into(),
                api_version: api_version.to_string(),
                time: now.to_string(),
                subresource: subresource.map(str::to_string),
                fields: changed,
            }),
        }
    }
    set_entries(new, &owners);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deployment(replicas: i64, image: &str, extra_label: bool) -> Value {
        let mut d = json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "labels": {"app": "web"}},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
                "template": {"metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{"name": "web", "image": image}]}}}});
        if extra_label {
            d["metadata"]["labels"]["tier"] = json!("front");
        }
        d
    }

    #[test]
    fn field_sets_name_list_items_by_key_and_round_trip_through_fields_v1() {
        let set = of_object(&deployment(3, "nginx:1", false));
        let image: Path = [
            "f:spec",
            "f:template",
            "f:spec",
            "f:containers",
            "k:{\"name\":\"web\"}",
            "f:image",
        ]
        .map(String::from)
        .to_vec();
        assert!(set.contains(&image));
        assert_eq!(
            describe(&image),
            ".spec.template.spec.containers[name=\"web\"].image"
        );
        let v1 = to_fields_v1(&set);
        assert_eq!(v1["f:spec"]["f:replicas"], json!({}));
        assert_eq!(
            v1["f:spec"]["f:template"]["f:spec"]["f:containers"]["k:{\"name\":\"web\"}"]["."],
            json!({})
        );
        assert_eq!(from_fields_v1(&v1), set);
        assert!(
            !set.iter()
                .any(|p| p.contains(&"f:name".to_string()) && p.len() == 2)
        );
    }

    #[test]
    fn applying_merges_removes_what_was_dropped_and_conflicts_with_other_managers() {
        let now = "2026-11-30T00:00:00Z";
        let first = apply(
            None,
            &deployment(3, "nginx:1", true),
            "alice",
            "apps/v1",
            false,
            now,
        )
        .unwrap();
        // Someone scales it: they own spec.replicas now.
        let mut scaled = first.clone();
        scaled["spec"]["replicas"] = json!(5);
        record_update(
            Some(&first),
            &mut scaled,
            "kubectl-scale",
            Some("scale"),
            "apps/v1",
            now,
        );
        let owners = entries(&scaled);
        assert_eq!(owners.len(), 2);
        let replicas: Path = vec!["f:spec".into(), "f:replicas".into()];
        assert!(!owners[0].fields.contains(&replicas) && owners[1].fields.contains(&replicas));
        // Applying replicas 3 again conflicts with the scaler.
        let err = apply(
            Some(&scaled),
            &deployment(3, "nginx:2", true),
            "alice",
            "apps/v1",
            false,
            now,
        )
        .unwrap_err();
        assert_eq!(
            err,
            vec![Conflict {
                manager: "kubectl-scale".into(),
                subresource: Some("scale".into()),
                api_version: "apps/v1".into(),
                path: ".spec.replicas".into()
            }]
        );
        assert_eq!(
            err[0].owner(),
            "conflict with \"kubectl-scale\" with subresource \"scale\" using apps/v1"
        );
        // The same value is no conflict: both own it.
        let same = apply(
            Some(&scaled),
            &deployment(5, "nginx:2", true),
            "alice",
            "apps/v1",
            false,
            now,
        )
        .unwrap();
        assert_eq!(same["spec"]["replicas"], 5);
        // Forced: alice takes the field; and the label she no longer applies is removed.
        let forced = apply(
            Some(&scaled),
            &deployment(3, "nginx:2", false),
            "alice",
            "apps/v1",
            true,
            now,
        )
        .unwrap();
        assert_eq!(forced["spec"]["replicas"], 3);
        assert_eq!(forced["metadata"]["labels"], json!({"app": "web"}));
        assert_eq!(
            forced["spec"]["template"]["spec"]["containers"][0]["image"],
            "nginx:2"
        );
        let owners = entries(&forced);
        assert!(
            owners
                .iter()
                .all(|e| e.manager != "kubectl-scale" || !e.fields.contains(&replicas))
        );
    }

    #[test]
    fn lists_with_keys_merge_by_item_and_others_are_replaced() {
        let mut target = json!({"spec": {"containers": [{"name": "a", "image": "x"}, {"name": "b", "image": "y"}],
                                        "args": ["1", "2"]}});
        merge_into(
            &mut target,
            &json!({"spec": {"containers": [{"name": "b", "image": "z"}], "args": ["3"]}}),
            "object",
            "",
        );
        assert_eq!(
            target,
            json!({"spec": {"containers": [{"name": "a", "image": "x"}, {"name": "b", "image": "z"}], "args": ["3"]}})
        );
    }
}
