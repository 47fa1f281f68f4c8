//! How one revision of an object differs from the one before: noise taken out (versions,
//! managedFields, generations, heartbeat and transition times), a one-line summary of the
//! changed fields (`spec.replicas 3→5`), and a unified YAML diff.

use crate::paint::fg;
use anstyle::AnsiColor;
use serde_json::Value;
use similar::{ChangeTag, TextDiff};

/// Which noise to take out before comparing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Noise {
    pub resource_version: bool,
    pub managed_fields: bool,
    pub generation: bool,
    pub timestamps: bool,
    pub status: bool,
}

impl Noise {
    /// What `kx changes` leaves out unless `--all-fields`.
    pub const DEFAULT: Noise = Noise {
        resource_version: true,
        managed_fields: true,
        generation: true,
        timestamps: true,
        status: false,
    };
    pub const NONE: Noise = Noise {
        resource_version: false,
        managed_fields: false,
        generation: false,
        timestamps: false,
        status: false,
    };
}

pub const TIMESTAMP_KEYS: [&str; 4] = [
    "lastHeartbeatTime",
    "lastTransitionTime",
    "lastUpdateTime",
    "lastProbeTime",
];

fn strip_timestamps(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for k in TIMESTAMP_KEYS {
                m.remove(k);
            }
            m.values_mut().for_each(strip_timestamps);
        }
        Value::Array(a) => a.iter_mut().for_each(strip_timestamps),
        _ => {}
    }
}

/// The object without the chosen noise.
pub fn strip(obj: &Value, noise: &Noise) -> Value {
    strip_owned(obj.clone(), noise)
}

/// `strip` without the copy, for an object the caller owns (a 1 MB object copies in ~10 ms).
pub fn strip_owned(mut v: Value, noise: &Noise) -> Value {
    if let Some(meta) = v.get_mut("metadata").and_then(Value::as_object_mut) {
        if noise.resource_version {
            meta.remove("resourceVersion");
        }
        if noise.managed_fields {
            meta.remove("managedFields");
        }
        if noise.generation {
            meta.remove("generation");
        }
    }
    if let Some(m) = v.as_object_mut() {
        if noise.status {
            m.remove("status");
        } else if noise.generation
            && let Some(status) = m.get_mut("status").and_then(Value::as_object_mut)
        {
            status.remove("observedGeneration");
        }
    }
    if noise.timestamps {
        strip_timestamps(&mut v);
    }
    v
}

pub fn short(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => "∅".into(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Object(m)) => format!("{{{} fields}}", m.len()),
        Some(Value::Array(a)) => format!("[{} items]", a.len()),
        Some(other) => other.to_string(),
    }
}

fn changes(path: &str, old: Option<&Value>, new: Option<&Value>, out: &mut Vec<String>) {
    match (old, new) {
        (Some(Value::Object(a)), Some(Value::Object(b))) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            // Equal subtrees are skipped before any path is built: most of a big object is.
            for k in keys.into_iter().filter(|k| a.get(*k) != b.get(*k)) {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                changes(&p, a.get(k), b.get(k), out);
            }
        }
        (Some(Value::Array(a)), Some(Value::Array(b))) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate().filter(|(_, (x, y))| x != y) {
                changes(&format!("{path}[{i}]"), Some(x), Some(y), out);
            }
        }
        (a, b) if a != b => out.push(format!("{path} {}→{}", short(a), short(b))),
        _ => {}
    }
}

/// `spec.replicas 3→5, status.readyReplicas 3→4 (+2 more)`; empty when nothing changed.
pub fn summary(old: &Value, new: &Value, max: usize) -> String {
    let mut all = Vec::new();
    changes("", Some(old), Some(new), &mut all);
    let more = all.len().saturating_sub(max);
    all.truncate(max);
    let mut text = all.join(", ");
    if more > 0 {
        text.push_str(&format!(" (+{more} more)"));
    }
    text
}

pub fn yaml(v: &Value) -> String {
    serde_yaml::to_string(v).unwrap_or_else(|e| format!("# cannot show as YAML: {e}\n"))
}

/// Objects with more nodes than this are diffed by changed subtree rather than as one text:
/// serializing and diffing a 1 MB object whole takes ~100 ms, its changed parts well under 10.
const WHOLE_TEXT_NODES: usize = 4_000;

/// A unified diff of the two as YAML, three lines of context, coloured on request. Large
/// objects get one hunk per changed subtree, headed by its path (`@@ spec.routes[12] @@`).
pub fn unified(old: &Value, new: &Value, colour: bool) -> String {
    if nodes_beyond(new, WHOLE_TEXT_NODES) || nodes_beyond(old, WHOLE_TEXT_NODES) {
        let mut out = String::new();
        let mut path = String::new();
        by_subtree(&mut path, None, Some(old), Some(new), colour, &mut out);
        return out;
    }
    let mut out = String::new();
    text_hunks(&yaml(old), &yaml(new), None, colour, &mut out);
    out
}

/// Whether `v` has more than `limit` nodes, counting no further than that.
fn nodes_beyond(v: &Value, limit: usize) -> bool {
    fn count(v: &Value, left: &mut usize) -> bool {
        if *left == 0 {
            return true;
        }
        *left -= 1;
        match v {
            Value::Object(m) => m.values().any(|c| count(c, left)),
            Value::Array(a) => a.iter().any(|c| count(c, left)),
            _ => false,
        }
    }
    let mut left = limit;
    count(v, &mut left)
}

/// Walks down to the changed subtrees of a large object and diffs each as its own text.
fn by_subtree(
    path: &mut String,
    key: Option<&str>,
    old: Option<&Value>,
    new: Option<&Value>,
    colour: bool,
    out: &mut String,
) {
    let big = |v: Option<&Value>| v.is_some_and(|v| nodes_beyond(v, 200));
    match (old, new) {
        (Some(Value::Object(a)), Some(Value::Object(b))) if big(old) || big(new) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys.into_iter().filter(|k| a.get(*k) != b.get(*k)) {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
                by_subtree(path, Some(k), a.get(k), b.get(k), colour, out);
                path.truncate(len);
            }
        }
        (Some(Value::Array(a)), Some(Value::Array(b)))
            if a.len() == b.len() && (big(old) || big(new)) =>
        {
            for (i, (x, y)) in a.iter().zip(b).enumerate().filter(|(_, (x, y))| x != y) {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                by_subtree(path, None, Some(x), Some(y), colour, out);
                path.truncate(len);
            }
        }
        (a, b) if a != b => {
            // The subtree under its own key (or as a list item), so its lines read as in the
            // whole object's YAML.
            let wrap = |v: Option<&Value>| match (v, key) {
                (None, _) => String::new(),
                (Some(v), Some(k)) => yaml(&serde_json::json!({ k: v })),
                (Some(v), None) => yaml(&Value::Array(vec![v.clone()])),
            };
            let at = if path.is_empty() { "." } else { path.as_str() };
            text_hunks(&wrap(a), &wrap(b), Some(at), colour, out);
        }
        _ => {}
    }
}

/// Hunks of a line diff with three lines of context; headed by line numbers, or by `at`.
fn text_hunks(a: &str, b: &str, at: Option<&str>, colour: bool, out: &mut String) {
    let diff = TextDiff::from_lines(a, b);
    for group in diff.grouped_ops(3) {
        let (first, last) = (&group[0], &group[group.len() - 1]);
        let header = match at {
            Some(path) => format!("@@ {path} @@\n"),
            None => format!(
                "@@ -{},{} +{},{} @@\n",
                first.old_range().start + 1,
                last.old_range().end - first.old_range().start,
                first.new_range().start + 1,
                last.new_range().end - first.new_range().start
            ),
        };
        out.push_str(&paint(&header, fg(AnsiColor::Cyan), colour));
        for op in &group {
            for change in diff.iter_changes(op) {
                let (sign, style) = match change.tag() {
                    ChangeTag::Delete => ("-", Some(fg(AnsiColor::Red))),
                    ChangeTag::Insert => ("+", Some(fg(AnsiColor::Green))),
                    ChangeTag::Equal => (" ", None),
                };
                let mut line = format!("{sign}{}", change.value());
                if !line.ends_with('\n') {
                    line.push('\n');
                }
                match style {
                    Some(style) => out.push_str(&paint(&line, style, colour)),
                    None => out.push_str(&line),
                }
            }
        }
    }
}

/// A line in the style (the newline after the reset, so a pager's line stays whole).
fn paint(text: &str, style: anstyle::Style, colour: bool) -> String {
    let body = text.strip_suffix('\n').unwrap_or(text);
    format!("{}\n", crate::paint::paint_if(colour, body, style))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_large_object_is_diffed_by_changed_subtree_with_its_path() {
        let routes = |w: u64| -> Vec<Value> {
            (0..3000)
                .map(|i| json!({"name": format!("r{i}"), "weight": if i == 1234 { w } else { 1 }}))
                .collect()
        };
        let a = json!({"spec": {"routes": routes(10), "paused": false}});
        let b = json!({"spec": {"routes": routes(20), "paused": true}, "extra": "x"});
        let text = unified(&a, &b, false);
        let expected = "@@ extra @@\n+extra: x\n@@ spec.paused @@\n-paused: false\n+paused: true\n\
                        @@ spec.routes[1234] @@\n - name: r1234\n-  weight: 10\n+  weight: 20\n";
        assert_eq!(text, expected);
        assert_eq!(
            summary(&a, &b, 5),
            "extra ∅→x, spec.paused false→true, spec.routes[1234].weight 10→20"
        );
    }

    fn deploy(replicas: u64, ready: u64, rv: &str) -> Value {
        json!({"metadata": {"name": "web", "resourceVersion": rv, "generation": replicas,
                "managedFields": [{"manager": "kubectl"}]},
               "spec": {"replicas": replicas},
               "status": {"observedGeneration": replicas, "readyReplicas": ready,
                 "conditions": [{"type": "Available", "status": "True",
                    "lastUpdateTime": format!("t{rv}"), "lastTransitionTime": "t0"}]}})
    }

    #[test]
    fn noise_is_left_out_by_default() {
        let a = strip(&deploy(3, 3, "10"), &Noise::DEFAULT);
        let b = strip(&deploy(3, 3, "11"), &Noise::DEFAULT);
        assert_eq!(a, b, "only versions and heartbeats changed");
        assert_eq!(summary(&a, &b, 3), "");
        assert!(unified(&a, &b, false).is_empty());
        let all_a = strip(&deploy(3, 3, "10"), &Noise::NONE);
        let all_b = strip(&deploy(3, 3, "11"), &Noise::NONE);
        assert_ne!(all_a, all_b);
    }

    #[test]
    fn summary_names_changed_fields_with_old_and_new_values() {
        let a = strip(&deploy(3, 3, "10"), &Noise::DEFAULT);
        let b = strip(&deploy(5, 4, "11"), &Noise::DEFAULT);
        assert_eq!(
            summary(&a, &b, 3),
            "spec.replicas 3→5, status.readyReplicas 3→4"
        );
        assert_eq!(summary(&a, &b, 1), "spec.replicas 3→5 (+1 more)");
        let c = json!({"spec": {"ports": [1]}});
        let d = json!({"spec": {"ports": [1, 2]}, "extra": "x"});
        assert_eq!(
            summary(&c, &d, 5),
            "extra ∅→x, spec.ports [1 items]→[2 items]"
        );
    }

    #[test]
    fn unified_diff_of_a_scale_up_byte_for_byte() {
        let a = strip(&deploy(3, 3, "10"), &Noise::DEFAULT);
        let b = strip(&deploy(5, 3, "11"), &Noise::DEFAULT);
        let expected = "@@ -1,7 +1,7 @@\n metadata:\n   name: web\n spec:\n-  replicas: 3\n+  replicas: 5\n status:\n   conditions:\n   - status: 'True'\n";
        assert_eq!(unified(&a, &b, false), expected);
        let coloured = unified(&a, &b, true);
        assert!(coloured.contains("\x1b[31m-  replicas: 3\x1b[0m\n"));
        assert!(coloured.contains("\x1b[32m+  replicas: 5\x1b[0m\n"));
    }
}
