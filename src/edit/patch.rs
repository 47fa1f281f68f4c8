//! What an edit changed, and whether someone else changed the same fields meanwhile. Pure.
//!
//! The patch is a two-way JSON merge patch (RFC 7386) from the object as the editor opened it
//! to the object as saved: only the fields the user changed, `null` for removed ones, lists
//! whole. Before it is sent, every field it touches is compared between the object the edit
//! started from and the latest one; a field someone else changed meanwhile is a conflict
//! (unless they changed it to exactly what the user wrote).

use serde_json::{Map, Value};

/// The merge patch that turns `from` into `to`.
pub fn merge_patch(from: &Value, to: &Value) -> Value {
    match (from, to) {
        (Value::Object(a), Value::Object(b)) => {
            let mut patch = Map::new();
            for (k, old) in a {
                match b.get(k) {
                    None => {
                        patch.insert(k.clone(), Value::Null);
                    }
                    Some(new) if new != old => {
                        let sub = match (old, new) {
                            (Value::Object(_), Value::Object(_)) => merge_patch(old, new),
                            _ => new.clone(),
                        };
                        patch.insert(k.clone(), sub);
                    }
                    Some(_) => {}
                }
            }
            for (k, new) in b.iter().filter(|(k, _)| !a.contains_key(*k)) {
                patch.insert(k.clone(), new.clone());
            }
            Value::Object(patch)
        }
        _ => to.clone(),
    }
}

/// Whether a patch changes nothing.
pub fn is_empty(patch: &Value) -> bool {
    patch.as_object().is_some_and(Map::is_empty)
}

/// The fields a merge patch sets or removes, as paths (`spec.replicas`, a whole list, …),
/// relative to the object it was made from.
pub fn touched(patch: &Value, from: &Value) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut path = Vec::new();
    walk(patch, Some(from), &mut path, &mut out);
    out
}

fn walk(patch: &Value, from: Option<&Value>, path: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    match (patch, from) {
        // An object patched into an object: only its own keys are touched.
        (Value::Object(p), Some(Value::Object(f))) => {
            for (k, v) in p {
                path.push(k.clone());
                walk(v, f.get(k), path, out);
                path.pop();
            }
        }
        _ => out.push(path.clone()),
    }
}

pub fn at<'a>(v: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter().try_fold(v, |v, k| v.get(k))
}

/// A field changed by someone else while the user edited it.
#[derive(Debug, Clone, PartialEq)]
pub struct Conflict {
    pub path: String,
    pub was: Option<Value>,
    pub now: Option<Value>,
    pub yours: Option<Value>,
}

/// The touched fields whose value in `latest` differs from `original`, unless it is already
/// what the user wrote in `edited`.
pub fn conflicts(original: &Value, latest: &Value, edited: &Value, patch: &Value) -> Vec<Conflict> {
    touched(patch, original)
        .into_iter()
        .filter_map(|path| {
            let (was, now, yours) = (at(original, &path), at(latest, &path), at(edited, &path));
            (was != now && now != yours).then(|| Conflict {
                path: path.join("."),
                was: was.cloned(),
                now: now.cloned(),
                yours: yours.cloned(),
            })
        })
        .collect()
}

/// `3`, `"web:2"`, `{…3 fields}`, `(absent)`: a value short enough for a comment line.
pub fn brief(v: &Option<Value>) -> String {
    match v {
        None => "(absent)".into(),
        Some(Value::Object(m)) => format!("{{…{} fields}}", m.len()),
        Some(Value::Array(a)) => format!("[…{} items]", a.len()),
        Some(other) => {
            let text = other.to_string();
            if text.chars().count() > 60 {
                format!("{}…", text.chars().take(60).collect::<String>())
            } else {
                text
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn deploy() -> Value {
        json!({"metadata": {"name": "web", "labels": {"app": "web", "tier": "front"}},
               "spec": {"replicas": 3, "template": {"spec": {"containers": [{"name": "app", "image": "web:1"}]}}},
               "status": {"readyReplicas": 3}})
    }

    #[test]
    fn the_patch_holds_only_what_changed_with_null_for_removals_and_lists_whole() {
        let mut edited = deploy();
        edited["spec"]["replicas"] = json!(5);
        edited["metadata"]["labels"]
            .as_object_mut()
            .unwrap()
            .remove("tier");
        edited["spec"]["template"]["spec"]["containers"][0]["image"] = json!("web:2");
        let patch = merge_patch(&deploy(), &edited);
        assert_eq!(
            patch,
            json!({"metadata": {"labels": {"tier": null}},
                   "spec": {"replicas": 5, "template": {"spec": {"containers": [{"name": "app", "image": "web:2"}]}}}})
        );
        let mut applied = deploy();
        json_patch::merge(&mut applied, &patch);
        assert_eq!(applied, edited);
        assert!(is_empty(&merge_patch(&deploy(), &deploy())));
        let paths: Vec<String> = touched(&patch, &deploy())
            .iter()
            .map(|p| p.join("."))
            .collect();
        assert_eq!(
            paths,
            [
                "metadata.labels.tier",
                "spec.replicas",
                "spec.template.spec.containers"
            ]
        );
    }

    #[test]
    fn a_field_changed_by_someone_else_conflicts_but_other_fields_do_not() {
        let original = deploy();
        let mut edited = deploy();
        edited["spec"]["replicas"] = json!(7);
        let patch = merge_patch(&original, &edited);

        let mut status_moved = deploy();
        status_moved["status"]["readyReplicas"] = json!(1);
        status_moved["metadata"]["labels"]["tier"] = json!("back");
        assert!(conflicts(&original, &status_moved, &edited, &patch).is_empty());

        let mut scaled = deploy();
        scaled["spec"]["replicas"] = json!(5);
        let found = conflicts(&original, &scaled, &edited, &patch);
        assert_eq!(
            found,
            [Conflict {
                path: "spec.replicas".into(),
                was: Some(json!(3)),
                now: Some(json!(5)),
                yours: Some(json!(7)),
            }]
        );
        let mut same = deploy();
        same["spec"]["replicas"] = json!(7);
        assert!(
            conflicts(&original, &same, &edited, &patch).is_empty(),
            "they wrote what you wrote"
        );
        assert_eq!(brief(&found[0].now), "5");
        assert_eq!(brief(&None), "(absent)");
    }
}
