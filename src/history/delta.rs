//! A compact, exact difference between two JSON values: the list of paths that changed, each
//! with its new value or marked removed. Unlike a JSON merge patch it keeps explicit `null`s
//! (pod templates carry `creationTimestamp: null`), so applying it gives back the exact object.
//! The history keeps each older revision as the delta from its successor.

use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Key(String),
    Index(usize),
}

/// One change: the path, and the value there afterwards (None: the key is removed).
#[derive(Debug, Clone, PartialEq)]
pub struct Op(pub Vec<Step>, pub Option<Value>);

/// What turns `from` into `to`. Arrays of equal length are compared item by item; an array
/// that grew or shrank is replaced whole (lists in Kubernetes objects are short).
pub fn between(from: &Value, to: &Value) -> Vec<Op> {
    let mut ops = Vec::new();
    let mut path = Vec::new();
    walk(from, to, &mut path, &mut ops);
    ops
}

fn walk(from: &Value, to: &Value, path: &mut Vec<Step>, ops: &mut Vec<Op>) {
    match (from, to) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, old) in a {
                path.push(Step::Key(k.clone()));
                match b.get(k) {
                    Some(new) => walk(old, new, path, ops),
                    None => ops.push(Op(path.clone(), None)),
                }
                path.pop();
            }
            for (k, new) in b.iter().filter(|(k, _)| !a.contains_key(*k)) {
                path.push(Step::Key(k.clone()));
                ops.push(Op(path.clone(), Some(new.clone())));
                path.pop();
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (old, new)) in a.iter().zip(b).enumerate() {
                path.push(Step::Index(i));
                walk(old, new, path, ops);
                path.pop();
            }
        }
        (a, b) if a != b => ops.push(Op(path.clone(), Some(b.clone()))),
        _ => {}
    }
}

/// Applies `ops` to `value` in place. Returns false when a path does not fit the value
/// (a delta applied to the wrong object); what could be applied is applied.
pub fn apply(value: &mut Value, ops: &[Op]) -> bool {
    let mut fits = true;
    for Op(path, new) in ops {
        let Some((last, parents)) = path.split_last() else {
            // The whole value changed (a scalar, or a different type at the root).
            match new {
                Some(v) => *value = v.clone(),
                None => fits = false,
            }
            continue;
        };
        let Some(parent) = descend(value, parents) else {
            fits = false;
            continue;
        };
        fits &= set(parent, last, new.clone());
    }
    fits
}

fn descend<'a>(mut at: &'a mut Value, path: &[Step]) -> Option<&'a mut Value> {
    for step in path {
        at = match (step, at) {
            (Step::Key(k), Value::Object(m)) => m.get_mut(k)?,
            (Step::Index(i), Value::Array(a)) => a.get_mut(*i)?,
            _ => return None,
        };
    }
    Some(at)
}

fn set(parent: &mut Value, step: &Step, new: Option<Value>) -> bool {
    match (step, parent, new) {
        (Step::Key(k), Value::Object(m), Some(v)) => {
            m.insert(k.clone(), v);
            true
        }
        (Step::Key(k), Value::Object(m), None) => m.remove(k).is_some(),
        (Step::Index(i), Value::Array(a), Some(v)) if *i < a.len() => {
            a[*i] = v;
            true
        }
        _ => false,
    }
}

/// The delta as compact JSON text, a quarter of its parsed size: `[["spec","replicas"],5]` sets
/// a value, `[["spec","paused"]]` (no value) removes the key, so an explicit `null` survives.
pub fn encode(ops: &[Op]) -> String {
    let items = ops
        .iter()
        .map(|Op(path, new)| {
            let path = path
                .iter()
                .map(|s| match s {
                    Step::Key(k) => Value::String(k.clone()),
                    Step::Index(i) => Value::from(*i),
                })
                .collect();
            let mut item = vec![Value::Array(path)];
            item.extend(new.clone());
            Value::Array(item)
        })
        .collect();
    Value::Array(items).to_string()
}

/// The delta `encode` wrote; None for text it did not write.
pub fn decode(text: &str) -> Option<Vec<Op>> {
    let Value::Array(items) = serde_json::from_str(text).ok()? else {
        return None;
    };
    items
        .into_iter()
        .map(|item| {
            let Value::Array(mut parts) = item else {
                return None;
            };
            let new = (parts.len() == 2).then(|| parts.pop()).flatten();
            let Some(Value::Array(path)) = parts.pop() else {
                return None;
            };
            let path = path
                .into_iter()
                .map(|s| match s {
                    Value::String(k) => Some(Step::Key(k)),
                    other => other.as_u64().map(|i| Step::Index(i as usize)),
                })
                .collect::<Option<Vec<Step>>>()?;
            Some(Op(path, new))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn round_trip(a: Value, b: Value) {
        let ops = between(&a, &b);
        let mut x = a.clone();
        assert!(apply(&mut x, &ops), "{ops:?}");
        assert_eq!(x, b);
        let back = between(&b, &a);
        let mut y = b;
        assert!(apply(&mut y, &back));
        assert_eq!(y, a);
    }

    #[test]
    fn a_delta_turns_one_revision_into_the_other_exactly() {
        round_trip(
            json!({"spec": {"replicas": 3, "template": {"metadata": {"creationTimestamp": null}}},
                   "status": {"conditions": [{"type": "A", "status": "True"}]}}),
            json!({"spec": {"replicas": 5, "template": {"metadata": {"creationTimestamp": null,
                   "labels": {"a": "b"}}}},
                   "status": {"conditions": [{"type": "A", "status": "False"}, {"type": "B"}]}}),
        );
        round_trip(json!({"a": null}), json!({"a": 1}));
        round_trip(json!({"a": 1}), json!({"a": null}));
        round_trip(json!([1, 2]), json!("scalar"));
        round_trip(json!({"a": {"b": 1}}), json!({}));
    }

    #[test]
    fn a_delta_names_only_what_changed() {
        let ops = between(
            &json!({"spec": {"replicas": 3, "paused": false}, "big": [1, 2, 3]}),
            &json!({"spec": {"replicas": 5, "paused": false}, "big": [1, 2, 3]}),
        );
        assert_eq!(
            ops,
            [Op(
                vec![Step::Key("spec".into()), Step::Key("replicas".into())],
                Some(json!(5))
            )]
        );
        let text = encode(&ops);
        assert_eq!(text, r#"[[["spec","replicas"],5]]"#);
        assert_eq!(decode(&text), Some(ops));
        let nulls = between(&json!({"a": 1, "b": [0]}), &json!({"a": null, "b": [1]}));
        let text = encode(&nulls);
        assert_eq!(text, r#"[[["a"],null],[["b",0],1]]"#);
        assert_eq!(decode(&text), Some(nulls));
        let removal = between(&json!({"a": 1}), &json!({}));
        assert_eq!(encode(&removal), r#"[[["a"]]]"#);
        assert_eq!(decode(&encode(&removal)), Some(removal));
        assert_eq!(decode("{}"), None);
    }

    #[test]
    fn a_delta_for_another_object_says_it_does_not_fit() {
        let ops = between(&json!({"a": {"b": 1}}), &json!({"a": {"b": 2}}));
        let mut other = json!({"x": 1});
        assert!(!apply(&mut other, &ops));
    }
}
