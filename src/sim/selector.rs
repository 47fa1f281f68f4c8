//! Label and field selectors as the API server parses them.

use serde_json::Value;
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq)]
pub enum Requirement {
    Equals(String, String),
    NotEquals(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    NotExists(String),
}

/// A parsed label selector: every requirement must hold.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LabelSelector(pub Vec<Requirement>);

impl LabelSelector {
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut reqs = Vec::new();
        for term in split_terms(text) {
            let term = term.trim();
            if term.is_empty() {
                continue;
            }
            reqs.push(parse_requirement(term)?);
        }
        Ok(LabelSelector(reqs))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.0.iter().all(|r| match r {
            Requirement::Equals(k, v) => labels.get(k) == Some(v),
            Requirement::NotEquals(k, v) => labels.get(k) != Some(v),
            Requirement::In(k, vs) => labels.get(k).is_some_and(|l| vs.contains(l)),
            Requirement::NotIn(k, vs) => labels.get(k).is_none_or(|l| !vs.contains(l)),
            Requirement::Exists(k) => labels.contains_key(k),
            Requirement::NotExists(k) => !labels.contains_key(k),
        })
    }

    /// The selector of a workload's `spec.selector` (`matchLabels` and `matchExpressions`).
    pub fn from_label_selector_json(sel: &Value) -> Self {
        let mut reqs = Vec::new();
        if let Some(m) = sel["matchLabels"].as_object() {
            for (k, v) in m {
                reqs.push(Requirement::Equals(
                    k.clone(),
                    v.as_str().unwrap_or_default().into(),
                ));
            }
        }
        if let Some(exprs) = sel["matchExpressions"].as_array() {
            for e in exprs {
                let key = e["key"].as_str().unwrap_or_default().to_string();
                let values: Vec<String> = e["values"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|v| v.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default();
                reqs.push(match e["operator"].as_str().unwrap_or_default() {
                    "In" => Requirement::In(key, values),
                    "NotIn" => Requirement::NotIn(key, values),
                    "DoesNotExist" => Requirement::NotExists(key),
                    _ => Requirement::Exists(key),
                });
            }
        }
        LabelSelector(reqs)
    }

    /// A plain `key: value` map selector, as Services carry.
    pub fn from_map(map: &Value) -> Self {
        let reqs = map
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| {
                        Requirement::Equals(k.clone(), v.as_str().unwrap_or_default().into())
                    })
                    .collect()
            })
            .unwrap_or_default();
        LabelSelector(reqs)
    }
}

/// Splits on commas that are not inside a `(…)` value set.
fn split_terms(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                out.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&text[start..]);
    out
}

fn parse_requirement(term: &str) -> Result<Requirement, String> {
    if let Some(key) = term.strip_prefix('!') {
        return Ok(Requirement::NotExists(valid_key(key.trim())?));
    }
    for (op, ctor) in [(" notin ", false), (" in ", true)] {
        if let Some(pos) = term.find(op) {
            let key = valid_key(term[..pos].trim())?;
            let rest = term[pos + op.len()..].trim();
            let inner = rest
                .strip_prefix('(')
                .and_then(|r| r.strip_suffix(')'))
                .ok_or_else(|| {
                    format!("unable to parse requirement: values of {key:?} must be in parentheses")
                })?;
            let values: Vec<String> = inner
                .split(',')
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
                .collect();
            return Ok(if ctor {
                Requirement::In(key, values)
            } else {
                Requirement::NotIn(key, values)
            });
        }
    }
    if let Some((k, v)) = term.split_once("!=") {
        return Ok(Requirement::NotEquals(
            valid_key(k.trim())?,
            v.trim().into(),
        ));
    }
    if let Some((k, v)) = term.split_once("==") {
        return Ok(Requirement::Equals(valid_key(k.trim())?, v.trim().into()));
    }
    if let Some((k, v)) = term.split_once('=') {
        return Ok(Requirement::Equals(valid_key(k.trim())?, v.trim().into()));
    }
    Ok(Requirement::Exists(valid_key(term)?))
}

fn valid_key(key: &str) -> Result<String, String> {
    let ok = !key.is_empty()
        && key.len() <= 316
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'));
    if ok {
        Ok(key.to_string())
    } else {
        Err(format!(
            "unable to parse requirement: invalid label key {key:?}"
        ))
    }
}

/// A field selector: `path=value`, `path==value` or `path!=value` terms joined by commas.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FieldSelector(pub Vec<(String, bool, String)>);

impl FieldSelector {
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut terms = Vec::new();
        for term in text.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            let (path, equal, value) = if let Some((p, v)) = term.split_once("!=") {
                (p, false, v)
            } else if let Some((p, v)) = term.split_once("==") {
                (p, true, v)
            } else if let Some((p, v)) = term.split_once('=') {
                (p, true, v)
            } else {
                return Err(format!("invalid field selector: {term:?} has no operator"));
            };
            terms.push((path.trim().to_string(), equal, value.trim().to_string()));
        }
        Ok(FieldSelector(terms))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether the selector uses only fields this resource supports.
    pub fn check_supported(&self, kind: &str) -> Result<(), String> {
        for (path, _, _) in &self.0 {
            let ok = matches!(path.as_str(), "metadata.name" | "metadata.namespace")
                || match kind {
                    "Pod" => matches!(
                        path.as_str(),
                        "status.phase"
                            | "spec.nodeName"
                            | "spec.restartPolicy"
                            | "spec.serviceAccountName"
                            | "status.podIP"
                    ),
                    "Event" => {
                        path.starts_with("involvedObject.")
                            || matches!(path.as_str(), "reason" | "type" | "source")
                    }
                    "Node" => path == "spec.unschedulable",
                    "Secret" => path == "type",
                    "Namespace" => path == "status.phase",
                    _ => false,
                };
            if !ok {
                return Err(format!("field label not supported: {path}"));
            }
        }
        Ok(())
    }

    /// `field_value` returns the object's value of a dotted path (missing paths are "").
    pub fn matches(&self, field_value: impl Fn(&str) -> String) -> bool {
        self.0
            .iter()
            .all(|(path, equal, want)| (field_value(path) == *want) == *equal)
    }
}

/// The value of a dotted field path in an object, as a field selector compares it.
pub fn field_of(obj: &Value, path: &str) -> String {
    let mut cur = obj;
    for part in path.split('.') {
        cur = &cur[part];
    }
    match cur {
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn equality_and_set_based_requirements_combine() {
        let sel = LabelSelector::parse("app=web,tier in (front, edge),!canary,env!=prod").unwrap();
        assert_eq!(sel.0.len(), 4);
        assert!(sel.matches(&labels(&[("app", "web"), ("tier", "edge")])));
        assert!(!sel.matches(&labels(&[("app", "web"), ("tier", "back")])));
        assert!(!sel.matches(&labels(&[
            ("app", "web"),
            ("tier", "edge"),
            ("canary", "1")
        ])));
        assert!(!sel.matches(&labels(&[
            ("app", "web"),
            ("tier", "edge"),
            ("env", "prod")
        ])));
    }

    #[test]
    fn notin_matches_missing_labels_and_exists_needs_the_key() {
        let sel = LabelSelector::parse("tier notin (db),app").unwrap();
        assert!(sel.matches(&labels(&[("app", "x")])));
        assert!(!sel.matches(&labels(&[("tier", "db"), ("app", "x")])));
        assert!(!sel.matches(&labels(&[])));
    }

    #[test]
    fn malformed_selectors_are_rejected_with_a_reason() {
        let err = LabelSelector::parse("tier in db").unwrap_err();
        assert!(err.contains("parentheses"), "{err}");
        assert!(LabelSelector::parse("a b=c").is_err());
    }

    #[test]
    fn field_selector_compares_dotted_paths() {
        let obj = serde_json::json!({"metadata": {"name": "p1"}, "status": {"phase": "Running"}});
        let sel = FieldSelector::parse("metadata.name=p1,status.phase!=Pending").unwrap();
        assert!(sel.matches(|p| field_of(&obj, p)));
        let sel = FieldSelector::parse("status.phase=Pending").unwrap();
        assert!(!sel.matches(|p| field_of(&obj, p)));
        assert!(
            FieldSelector::parse("spec.foo=1")
                .unwrap()
                .check_supported("Pod")
                .is_err()
        );
    }
}
