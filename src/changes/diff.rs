//! How one revision of an object differs from the one before: noise taken out (versions,
//! managedFields, generations, heartbeat and transition times), a one-line summary of the
//! changed fields (`spec.replicas 3→5`), and a unified YAML diff.

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
    let mut v = obj.clone();
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
            for k in keys {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                changes(&p, a.get(k), b.get(k), out);
            }
        }
        (Some(Value::Array(a)), Some(Value::Array(b))) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
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

/// A unified diff of the two as YAML, three lines of context, coloured on request.
pub fn unified(old: &Value, new: &Value, colour: bool) -> String {
    let (a, b) = (yaml(old), yaml(new));
    let diff = TextDiff::from_lines(&a, &b);
    let mut out = String::new();
    for group in diff.grouped_ops(3) {
        let (first, last) = (&group[0], &group[group.len() - 1]);
        let header = format!(
            "@@ -{},{} +{},{} @@\n",
            first.old_range().start + 1,
            last.old_range().end - first.old_range().start,
            first.new_range().start + 1,
            last.new_range().end - first.new_range().start
        );
        out.push_str(&paint(&header, "36", colour));
        for op in &group {
            for change in diff.iter_changes(op) {
                let (sign, code) = match change.tag() {
                    ChangeTag::Delete => ("-", "31"),
                    ChangeTag::Insert => ("+", "32"),
                    ChangeTag::Equal => (" ", ""),
                };
                let mut line = format!("{sign}{}", change.value());
                if !line.ends_with('\n') {
                    line.push('\n');
                }
                out.push_str(&paint(&line, code, colour && !code.is_empty()));
            }
        }
    }
    out
}

fn paint(text: &str, code: &str, colour: bool) -> String {
    if !colour {
        return text.to_string();
    }
    let body = text.strip_suffix('\n').unwrap_or(text);
    format!("\x1b[{code}m{body}\x1b[0m\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
