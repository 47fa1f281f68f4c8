//! The linter: rules in the spirit of Popeye and Polaris, each with an id, a severity and a
//! one-line fix, run on objects as JSON (from the cluster, or from manifest files). Object
//! rules look at one object alone (so they work on a lone manifest); cluster rules look
//! across objects (who references a ConfigMap, which pods a Service selects). Pure: reading
//! the cluster or the files is the caller's.

pub mod live;
pub mod manifests;
pub mod report;
pub mod rules;

use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warn,
    Error,
}

impl Severity {
    pub fn parse(text: &str) -> Option<Severity> {
        match text.to_ascii_lowercase().as_str() {
            "info" => Some(Severity::Info),
            "warn" | "warning" => Some(Severity::Warn),
            "error" => Some(Severity::Error),
            _ => None,
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warn => "warn",
            Severity::Error => "error",
        }
    }
}

/// The object a finding is about.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Subject {
    // In this order: findings sort by namespace, then kind, then name.
    pub namespace: String,
    pub kind: String,
    pub name: String,
}

impl Subject {
    pub fn of(obj: &Value) -> Subject {
        let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
        Subject {
            kind: text(&obj["kind"]),
            namespace: text(&obj["metadata"]["namespace"]),
            name: text(&obj["metadata"]["name"]),
        }
    }

    /// `deployment/web`, as kubectl names it.
    pub fn short(&self) -> String {
        format!("{}/{}", self.kind.to_lowercase(), self.name)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub rule: &'static str,
    pub severity: Severity,
    pub subject: Subject,
    pub message: String,
    pub fix: &'static str,
}

/// Whether a rule needs only the object or the cluster around it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Object,
    Cluster,
}

/// A rule as configuration and reports name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub id: &'static str,
    pub severity: Severity,
    pub scope: Scope,
    pub fix: &'static str,
}

/// The annotation that turns rules off for one object: a comma-separated list of rule ids,
/// or `*` for all.
pub const IGNORE_ANNOTATION: &str = "kx.dev/lint-ignore";

/// `lint:` in config.yaml: rules turned off, severities changed, the restart threshold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub disabled: BTreeSet<String>,
    pub levels: BTreeMap<String, Severity>,
    /// Restarts of one container above which `restarts` fires.
    pub restarts_max: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            disabled: BTreeSet::new(),
            levels: BTreeMap::new(),
            restarts_max: 5,
        }
    }
}

/// What the rules read from a cluster: workloads and their pods, what they reference, what
/// selects them.
pub const KINDS: &[(&str, &str, &str)] = &[
    ("", "v1", "Pod"),
    ("", "v1", "Service"),
    ("", "v1", "ConfigMap"),
    ("", "v1", "Secret"),
    ("", "v1", "ServiceAccount"),
    ("apps", "v1", "Deployment"),
    ("apps", "v1", "StatefulSet"),
    ("apps", "v1", "DaemonSet"),
    ("batch", "v1", "Job"),
    ("batch", "v1", "CronJob"),
    ("policy", "v1", "PodDisruptionBudget"),
    ("networking.k8s.io", "v1", "Ingress"),
];

/// Rules that would misjudge without a kind kx could not list (RBAC): off, and said.
pub fn skip_rules_without(missing: &[(&str, String)], settings: &mut Settings) {
    let lacks = |k: &str| missing.iter().any(|(m, _)| *m == k);
    let workloads = [
        "Pod",
        "Deployment",
        "StatefulSet",
        "DaemonSet",
        "Job",
        "CronJob",
    ];
    if workloads.iter().any(|k| lacks(k)) {
        settings
            .disabled
            .extend(["unused-configmap".to_string(), "unused-secret".to_string()]);
    }
    // Secrets are used by service accounts (pull secrets) and ingresses (certificates) too.
    if lacks("ServiceAccount") || lacks("Ingress") {
        settings.disabled.insert("unused-secret".into());
    }
    if lacks("Pod") {
        settings.disabled.insert("service-no-pods".into());
    }
    if lacks("PodDisruptionBudget") {
        settings.disabled.insert("single-replica".into());
    }
}

/// Lints `objects`: the object rules on each, and with `cluster` the rules across them too
/// (a set of manifests is not a cluster: nothing outside it is known). Sorted: the worst
/// first, then by object.
pub fn lint(objects: &[Value], settings: &Settings, cluster: bool) -> Vec<Finding> {
    lint_with_scores(objects, settings, cluster).0
}

/// `lint`, with the scores per namespace and for the cluster.
pub fn lint_with_scores(
    objects: &[Value],
    settings: &Settings,
    cluster: bool,
) -> (Vec<Finding>, report::Scores) {
    let mut live = live::Live::new(settings.clone(), cluster);
    for obj in objects {
        live.upsert(obj);
    }
    (live.findings().cloned().collect(), live.scores())
}
