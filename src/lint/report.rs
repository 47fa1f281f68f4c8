//! What a lint run says: a score per namespace and for the cluster (the share of linted
//! objects with no warning or error, as Popeye counts), findings as text for people and as
//! JSON for CI, and whether `--fail-on` is met.

use super::{Finding, Severity};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Scores {
    pub cluster: u32,
    pub namespaces: BTreeMap<String, u32>,
}

/// One line per finding, the worst first, then the scores.
pub fn text(findings: &[Finding], scores: &Scores) -> String {
    let mut out = String::new();
    for f in findings {
        let ns = if f.subject.namespace.is_empty() {
            "-"
        } else {
            &f.subject.namespace
        };
        // Names and paths come from the cluster or the files: no escape sequences through.
        out.push_str(&format!(
            "{:<5}  {}  {}  {}: {} — fix: {}\n",
            f.severity.word().to_uppercase(),
            crate::text::visible(ns),
            crate::text::visible(&f.subject.short()),
            f.rule,
            crate::text::visible(&f.message),
            f.fix
        ));
    }
    let count = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
    out.push_str(&format!(
        "{} errors, {} warnings, {} infos; score {}/100",
        count(Severity::Error),
        count(Severity::Warn),
        count(Severity::Info),
        scores.cluster
    ));
    if !scores.namespaces.is_empty() {
        let per: Vec<String> = scores
            .namespaces
            .iter()
            .map(|(n, s)| format!("{n} {s}"))
            .collect();
        out.push_str(&format!(" ({})", per.join(", ")));
    }
    out.push('\n');
    out
}

pub fn json(findings: &[Finding], scores: &Scores) -> String {
    serde_json::to_string_pretty(&serde_json::json!({"findings": findings, "scores": scores}))
        .unwrap_or_default()
}

/// Whether any finding is at or above `level` (`--fail-on`).
pub fn fails(findings: &[Finding], level: Severity) -> bool {
    findings.iter().any(|f| f.severity >= level)
}

#[cfg(test)]
mod tests {
    use super::super::{Settings, lint_with_scores};
    use super::*;
    use serde_json::{Value, json};

    #[test]
    fn a_score_is_never_perfect_with_something_wrong() {
        let mut objects: Vec<Value> = (0..199)
            .map(|i| json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": format!("c{i}"), "namespace": "a"}}))
            .collect();
        objects.push(
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "a"},
                            "spec": {"containers": [{"name": "c", "image": "x:1"}]}}),
        );
        let (_, scores) = lint_with_scores(&objects, &Settings::default(), false);
        assert_eq!(scores.cluster, 99);
    }

    #[test]
    fn scores_count_objects_without_warnings_per_namespace() {
        let objects = vec![
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a", "namespace": "shop"},
                   "spec": {"containers": [{"name": "c", "image": "x:1"}]}}),
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "b", "namespace": "shop"}}),
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "ops"}}),
        ];
        let (findings, s) = lint_with_scores(&objects, &Settings::default(), false);
        assert_eq!(s.cluster, 67);
        assert_eq!(
            s.namespaces,
            BTreeMap::from([("ops".to_string(), 100), ("shop".to_string(), 50)])
        );
        let said = text(&findings, &s);
        assert!(said.starts_with("WARN   shop  pod/a  "), "{said}");
        assert!(
            said.ends_with("score 67/100 (ops 100, shop 50)\n"),
            "{said}"
        );
        assert!(fails(&findings, Severity::Warn) && !fails(&findings, Severity::Error));
        let parsed: Value = serde_json::from_str(&json(&findings, &s)).unwrap();
        assert_eq!(parsed["scores"]["cluster"], 67);
        assert_eq!(parsed["findings"][0]["subject"]["name"], "a");
    }
}
