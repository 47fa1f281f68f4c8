//! The linter kept up to date object by object: a change re-checks the object's own rules and
//! only the cluster findings it can move — the ConfigMaps and Secrets whose use it changed, the
//! Services whose selection it changed, the single-replica Deployments a budget covers. It keeps
//! what the cluster rules need of each object (names, labels, references), not the objects, so
//! 100k pods cost little memory. `kx lint` runs the same engine over a list.

use super::rules::{self, finding, label_selector_selects, references, system_owned};
use super::{Finding, IGNORE_ANNOTATION, Settings, Severity, Subject};
use serde_json::Value;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// Findings in report order: the worst first, then by object, rule and message.
type Order = (Reverse<Severity>, Subject, &'static str, String);

type Reference = (&'static str, String);

#[derive(Debug, Default)]
struct Entry {
    /// Its `kx.dev/lint-ignore` list.
    ignore: Option<String>,
    /// What the object rules found, before settings apply.
    own: Vec<Finding>,
    /// What a cluster rule found about it, before settings apply.
    cluster: Option<Box<Finding>>,
    /// ConfigMaps and Secrets it refers to (a pod spec, a service account's pull secrets, an
    /// ingress's certificates).
    refs: Vec<Reference>,
    /// A pod's labels, on their way into its namespace's index.
    labels: Option<Labels>,
    /// A service's selector (non-empty), on its way into its namespace's index.
    selector: Option<Labels>,
    /// A one-replica deployment's pod template labels.
    single: Option<Box<Value>>,
    /// A disruption budget's selector.
    budget: Option<Box<Value>>,
    /// A ConfigMap or Secret nobody is expected to reference (owned, system).
    system: bool,
    /// The keys of its effective findings, to take them out when it changes.
    shown: Vec<Order>,
}

#[derive(Debug, Default)]
struct Namespace {
    /// How many objects refer to each ConfigMap and Secret.
    refs: HashMap<Reference, u32>,
    /// Each pod's labels, by name: what service selectors are matched against.
    pods: HashMap<String, Labels>,
    /// Pods by each label they carry, so a new Service counts only the pods that could match.
    pods_by_label: HashMap<(String, String), HashSet<String>>,
    /// Each service with a selector: the selector and how many pods here it selects.
    services: HashMap<String, (Labels, u32)>,
    /// Services by one label their selector requires (its first), so a pod is checked only
    /// against services that could select it, not every service of its namespace.
    services_by_label: HashMap<(String, String), BTreeSet<String>>,
    /// Names by the kinds the cluster rules scan.
    singles: BTreeSet<String>,
    budgets: BTreeSet<String>,
    /// Objects here, and those with a warning or worse (for the score).
    objects: u32,
    bad: u32,
}

pub struct Live {
    settings: Settings,
    /// Whether the rules across objects apply (a cluster, not a set of manifests).
    cluster: bool,
    entries: HashMap<Subject, Entry>,
    namespaces: HashMap<String, Namespace>,
    findings: BTreeMap<Order, Finding>,
    /// Subjects seen again since a relist of their kind began.
    relisting: HashMap<String, HashSet<Subject>>,
    /// Bumped on every change of the findings, so a view rebuilds only when it moved.
    pub generation: u64,
}

fn subject(ns: &str, kind: &str, name: &str) -> Subject {
    Subject {
        namespace: ns.into(),
        kind: kind.into(),
        name: name.into(),
    }
}

fn order(f: &Finding) -> Order {
    (
        Reverse(f.severity),
        f.subject.clone(),
        f.rule,
        f.message.clone(),
    )
}

/// Rounded to the nearest point, never 100 with something wrong; nothing linted scores 100.
pub fn score(objects: u32, bad: u32) -> u32 {
    let ok = objects.saturating_sub(bad);
    let s = (ok * 100 + objects / 2).checked_div(objects).unwrap_or(100);
    if ok < objects { s.min(99) } else { s }
}

impl Live {
    pub fn new(settings: Settings, cluster: bool) -> Live {
        Live {
            settings,
            cluster,
            entries: HashMap::new(),
            namespaces: HashMap::new(),
            findings: BTreeMap::new(),
            relisting: HashMap::new(),
            generation: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.findings.len()
    }

    pub fn is_empty(&self) -> bool {
        self.findings.is_empty()
    }

    /// Every finding, in report order.
    pub fn findings(&self) -> impl Iterator<Item = &Finding> {
        self.findings.values()
    }

    /// Objects linted.
    pub fn objects(&self) -> usize {
        self.entries.len()
    }

    /// Scores per namespace and for the cluster.
    pub fn scores(&self) -> super::report::Scores {
        let (mut all, mut bad) = (0, 0);
        let mut namespaces = BTreeMap::new();
        for (name, ns) in &self.namespaces {
            all += ns.objects;
            bad += ns.bad;
            if !name.is_empty() && ns.objects > 0 {
                namespaces.insert(name.clone(), score(ns.objects, ns.bad));
            }
        }
        super::report::Scores {
            cluster: score(all, bad),
            namespaces,
        }
    }

    /// The object as it is now (new or changed).
    pub fn upsert(&mut self, obj: &Value) {
        let prepared = prepare(obj, &self.settings, self.cluster);
        self.put(prepared);
    }

    /// An object `prepare`d elsewhere (off the UI's thread), as it is now.
    pub fn put(&mut self, prepared: Prepared) {
        let Prepared { subject, entry } = prepared;
        if let Some(seen) = self.relisting.get_mut(&subject.kind) {
            seen.insert(subject.clone());
        }
        self.replace(subject, Some(entry));
    }

    /// Rules turned off or re-levelled (a kind RBAC hides, say): every object re-checked.
    pub fn set_settings(&mut self, settings: Settings) {
        self.settings = settings;
        let all: Vec<Subject> = self.entries.keys().cloned().collect();
        for s in all {
            self.recheck(&s);
        }
        self.generation += 1;
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub fn remove(&mut self, subj: &Subject) {
        self.replace(subj.clone(), None);
    }

    /// A list of `kind` starts again: what it does not bring back is gone after `end_relist`.
    pub fn begin_relist(&mut self, kind: &str) {
        self.relisting.insert(kind.to_string(), HashSet::new());
    }

    pub fn end_relist(&mut self, kind: &str) {
        let Some(seen) = self.relisting.remove(kind) else {
            return;
        };
        let gone: Vec<Subject> = self
            .entries
            .keys()
            .filter(|s| s.kind == kind && !seen.contains(*s))
            .cloned()
            .collect();
        for s in gone {
            self.remove(&s);
        }
    }
}

/// What the live linter keeps of one object: its own findings and what the rules across
/// objects need. Made from the whole object, which can then go.
#[derive(Debug)]
pub struct Prepared {
    subject: Subject,
    entry: Entry,
}

/// Runs the object rules and takes what the cluster rules need; pure, so it can run where
/// the object arrives.
pub fn prepare(obj: &Value, settings: &Settings, cluster: bool) -> Prepared {
    Prepared {
        subject: Subject::of(obj),
        entry: build(obj, settings, cluster),
    }
}

/// What the rules need of one object.
fn build(obj: &Value, settings: &Settings, cluster: bool) -> Entry {
    let mut own = Vec::new();
    rules::object_rules(obj, settings, &mut own);
    let mut entry = Entry {
        ignore: obj["metadata"]["annotations"][IGNORE_ANNOTATION]
            .as_str()
            .map(str::to_string),
        own,
        ..Entry::default()
    };
    if !cluster {
        return entry;
    }
    let kind = obj["kind"].as_str().unwrap_or_default();
    let mut refs = BTreeSet::new();
    if let Some(spec) = rules::pod_spec(obj) {
        references(spec, &mut refs);
    }
    match kind {
        "Pod" => entry.labels = Some(labels_of(&obj["metadata"]["labels"])),
        "Service" => {
            entry.selector = obj["spec"]["selector"]
                .as_object()
                .filter(|m| !m.is_empty())
                .map(|_| labels_of(&obj["spec"]["selector"]))
        }
        "Deployment" if obj["spec"]["replicas"].as_u64().unwrap_or(1) == 1 => {
            entry.single = Some(Box::new(
                obj["spec"]["template"]["metadata"]["labels"].clone(),
            ));
        }
        "PodDisruptionBudget" => entry.budget = Some(Box::new(obj["spec"]["selector"].clone())),
        "ConfigMap" | "Secret" => entry.system = system_owned(obj),
        "ServiceAccount" => {
            for s in obj["imagePullSecrets"].as_array().into_iter().flatten() {
                if let Some(n) = s["name"].as_str() {
                    refs.insert(("Secret", n.to_string()));
                }
            }
        }
        "Ingress" => {
            for t in obj["spec"]["tls"].as_array().into_iter().flatten() {
                if let Some(n) = t["secretName"].as_str() {
                    refs.insert(("Secret", n.to_string()));
                }
            }
        }
        _ => {}
    }
    entry.refs = refs.into_iter().collect();
    entry
}

impl Live {
    /// Puts `new` in the place of what was known of `subj`, and re-checks what that moves.
    fn replace(&mut self, subj: Subject, new: Option<Entry>) {
        let old = self.entries.remove(&subj);
        let ns_name = subj.namespace.clone();
        // Others whose cluster finding may have moved (the object itself is re-checked too).
        let mut affected: Vec<Subject> = Vec::new();
        if !self.namespaces.contains_key(&ns_name) {
            self.namespaces
                .insert(ns_name.clone(), Namespace::default());
        }
        let Some(ns) = self.namespaces.get_mut(&ns_name) else {
            return;
        };
        match (&old, &new) {
            (None, Some(_)) => ns.objects += 1,
            (Some(_), None) => ns.objects = ns.objects.saturating_sub(1),
            _ => {}
        }
        // Its effective findings go; they are put back below from `new`.
        if let Some(o) = &old {
            let was_bad = o.shown.iter().any(|k| k.0.0 >= Severity::Warn);
            if was_bad {
                ns.bad = ns.bad.saturating_sub(1);
            }
            for k in &o.shown {
                self.findings.remove(k);
            }
        }
        let mut new = new;
        if self.cluster {
            // References: which ConfigMaps and Secrets crossed between used and unused.
            let empty = Vec::new();
            let before = old.as_ref().map_or(&empty, |o| &o.refs);
            let after = new.as_ref().map_or(&empty, |n| &n.refs);
            for r in before.iter().filter(|r| !after.contains(r)) {
                let count = ns.refs.entry(r.clone()).or_default();
                *count = count.saturating_sub(1);
                if *count == 0 {
                    affected.push(subject(&ns_name, r.0, &r.1));
                }
            }
            for r in after.iter().filter(|r| !before.contains(r)) {
                let count = ns.refs.entry(r.clone()).or_default();
                *count += 1;
                if *count == 1 {
                    affected.push(subject(&ns_name, r.0, &r.1));
                }
            }
            match subj.kind.as_str() {
                "Pod" => {
                    let new_labels = new.as_mut().and_then(|n| n.labels.take());
                    let old_labels = ns.pods.get(&subj.name);
                    if old_labels != new_labels.as_ref() {
                        let mut candidates: BTreeSet<&String> = BTreeSet::new();
                        for labels in old_labels.into_iter().chain(new_labels.as_ref()) {
                            for (k, v) in labels.iter() {
                                let key = (k.to_string(), v.to_string());
                                candidates
                                    .extend(ns.services_by_label.get(&key).into_iter().flatten());
                            }
                        }
                        for svc in candidates {
                            let Some((sel, matches)) = ns.services.get_mut(svc) else {
                                continue;
                            };
                            let was = old_labels.is_some_and(|l| selects(sel, l));
                            let is = new_labels.as_ref().is_some_and(|l| selects(sel, l));
                            if was != is {
                                if is {
                                    *matches += 1;
                                } else {
                                    *matches = matches.saturating_sub(1);
                                }
                                if *matches <= 1 {
                                    affected.push(subject(&ns_name, "Service", svc));
                                }
                            }
                        }
                    }
                    if let Some(old) = ns.pods.remove(&subj.name) {
                        for pair in label_pairs(&old) {
                            if let Some(set) = ns.pods_by_label.get_mut(&pair) {
                                set.remove(&subj.name);
                                if set.is_empty() {
                                    ns.pods_by_label.remove(&pair);
                                }
                            }
                        }
                    }
                    if let Some(l) = new_labels {
                        for pair in label_pairs(&l) {
                            ns.pods_by_label
                                .entry(pair)
                                .or_default()
                                .insert(subj.name.clone());
                        }
                        ns.pods.insert(subj.name.clone(), l);
                    }
                }
                "Service" => {
                    let selector = new.as_mut().and_then(|n| n.selector.take());
                    let same = match (&selector, ns.services.get(&subj.name)) {
                        (Some(new), Some((old, _))) => new == old,
                        (None, None) => true,
                        _ => false,
                    };
                    if !same {
                        if let Some((old, _)) = ns.services.remove(&subj.name)
                            && let Some(set) = ns.services_by_label.get_mut(&first_label(&old))
                        {
                            set.remove(&subj.name);
                        }
                        if let Some(sel) = selector {
                            // Only pods carrying the selector's first label can match.
                            let matches = ns
                                .pods_by_label
                                .get(&first_label(&sel))
                                .into_iter()
                                .flatten()
                                .filter_map(|p| ns.pods.get(p))
                                .filter(|l| selects(&sel, l))
                                .count() as u32;
                            ns.services_by_label
                                .entry(first_label(&sel))
                                .or_default()
                                .insert(subj.name.clone());
                            ns.services.insert(subj.name.clone(), (sel, matches));
                        }
                    }
                }
                "Deployment" => {
                    if new.as_ref().is_some_and(|n| n.single.is_some()) {
                        ns.singles.insert(subj.name.clone());
                    } else {
                        ns.singles.remove(&subj.name);
                    }
                }
                "PodDisruptionBudget" => {
                    if new.is_some() {
                        ns.budgets.insert(subj.name.clone());
                    } else {
                        ns.budgets.remove(&subj.name);
                    }
                    for d in &ns.singles {
                        affected.push(subject(&ns_name, "Deployment", d));
                    }
                }
                _ => {}
            }
        }
        if let Some(n) = new {
            self.entries.insert(subj.clone(), n);
        }
        self.recheck(&subj);
        affected.sort();
        affected.dedup();
        for s in affected.iter().filter(|s| **s != subj) {
            self.recheck(s);
        }
        self.generation += 1;
    }

    /// Works out the cluster finding about `subj` again and puts its effective findings back.
    fn recheck(&mut self, subj: &Subject) {
        let cluster = if self.cluster {
            self.cluster_finding(subj)
        } else {
            None
        };
        let Some(entry) = self.entries.get_mut(subj) else {
            return;
        };
        let Some(ns) = self.namespaces.get_mut(&subj.namespace) else {
            return;
        };
        let was_bad = entry.shown.iter().any(|k| k.0.0 >= Severity::Warn);
        for k in entry.shown.drain(..) {
            self.findings.remove(&k);
        }
        entry.cluster = cluster.map(Box::new);
        for f in entry.own.iter().chain(entry.cluster.as_deref()) {
            if self.settings.disabled.contains(f.rule) {
                continue;
            }
            let ignored = entry.ignore.as_deref().is_some_and(|list| {
                list.split(',')
                    .map(str::trim)
                    .any(|r| r == "*" || r == f.rule)
            });
            if ignored {
                continue;
            }
            let mut f = f.clone();
            if let Some(level) = self.settings.levels.get(f.rule) {
                f.severity = *level;
            }
            let key = order(&f);
            entry.shown.push(key.clone());
            self.findings.insert(key, f);
        }
        let is_bad = entry.shown.iter().any(|k| k.0.0 >= Severity::Warn);
        match (was_bad, is_bad) {
            (false, true) => ns.bad += 1,
            (true, false) => ns.bad = ns.bad.saturating_sub(1),
            _ => {}
        }
    }

    /// The finding a rule across objects makes about `subj` now, if any.
    fn cluster_finding(&self, subj: &Subject) -> Option<Finding> {
        let entry = self.entries.get(subj)?;
        let ns = self.namespaces.get(&subj.namespace)?;
        // Built only for the kinds that can have a finding here (pods are most objects).
        let stub = || serde_json::json!({"kind": subj.kind, "metadata": {"namespace": subj.namespace, "name": subj.name}});
        match subj.kind.as_str() {
            "ConfigMap" | "Secret" => {
                let used = ns
                    .refs
                    .get(&(
                        if subj.kind == "Secret" {
                            "Secret"
                        } else {
                            "ConfigMap"
                        },
                        subj.name.clone(),
                    ))
                    .is_some_and(|n| *n > 0);
                let rule = if subj.kind == "Secret" {
                    "unused-secret"
                } else {
                    "unused-configmap"
                };
                (!entry.system && !used).then(|| {
                    finding(
                        rule,
                        &stub(),
                        format!("no pod or workload in {} refers to it", subj.namespace),
                    )
                })
            }
            "Service" => {
                let (sel, matches) = ns.services.get(&subj.name)?;
                (*matches == 0).then(|| {
                    let wanted: Vec<String> = sel.iter().map(|(k, v)| format!("{k}={v}")).collect();
                    finding(
                        "service-no-pods",
                        &stub(),
                        format!("selects no pod ({})", wanted.join(",")),
                    )
                })
            }
            "Deployment" => {
                let labels = entry.single.as_ref()?;
                let covered = ns.budgets.iter().any(|b| {
                    self.entries
                        .get(&subject(&subj.namespace, "PodDisruptionBudget", b))
                        .and_then(|e| e.budget.as_ref())
                        .is_some_and(|sel| label_selector_selects(sel, labels))
                });
                (!covered).then(|| {
                    finding(
                        "single-replica",
                        &stub(),
                        "1 replica and no PodDisruptionBudget".into(),
                    )
                })
            }
            _ => None,
        }
    }
}

/// A pod's labels as index keys.
fn label_pairs(labels: &Labels) -> Vec<(String, String)> {
    labels
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Labels (or a Service's selector) as sorted pairs: a tenth of a JSON map's memory, and
/// most objects have a pod's worth.
type Labels = Box<[(Box<str>, Box<str>)]>;

fn labels_of(v: &Value) -> Labels {
    let mut pairs: Vec<(Box<str>, Box<str>)> = v
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.as_str().into(), v.as_str().unwrap_or_default().into()))
        .collect();
    pairs.sort();
    pairs.into_boxed_slice()
}

/// The label a selector is indexed by.
fn first_label(selector: &Labels) -> (String, String) {
    selector
        .first()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .unwrap_or_default()
}

/// A Service's (non-empty) selector picks pods with every one of its labels.
fn selects(selector: &Labels, labels: &Labels) -> bool {
    selector.iter().all(|(k, v)| {
        labels
            .binary_search_by(|(lk, _)| lk.as_ref().cmp(k.as_ref()))
            .is_ok_and(|i| labels[i].1 == *v)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A small cluster's worth of objects that reference, select and cover each other.
    fn object(kind: &str, i: u64, r: u64) -> Value {
        let ns = ["a", "b"][(i % 2) as usize];
        let name = format!("{}-{}", kind.to_lowercase(), i % 4);
        let app = format!("app{}", r % 3);
        match kind {
            "Pod" => json!({"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": name, "namespace": ns, "labels": {"app": app},
                             "ownerReferences": if r.is_multiple_of(5) { json!(null) } else { json!([{"kind": "ReplicaSet", "name": "x"}]) }},
                "spec": {"containers": [{"name": "c", "image": "x:1",
                    "env": [{"name": "E", "valueFrom": {"configMapKeyRef": {"name": format!("configmap-{}", r % 4), "key": "k"}}}]}],
                         "volumes": if r.is_multiple_of(2) { json!([{"name": "s", "secret": {"secretName": format!("secret-{}", r % 4)}}]) } else { json!([]) }},
                "status": {"containerStatuses": [{"name": "c", "restartCount": r % 9}]}}),
            "Service" => {
                json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns},
                "spec": {"selector": {"app": app}}})
            }
            "Deployment" => {
                json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": ns},
                "spec": {"replicas": r % 3, "template": {"metadata": {"labels": {"app": app}}, "spec": {"containers": [{"name": "c", "image": "x:1"}]}}}})
            }
            "PodDisruptionBudget" => {
                json!({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": name, "namespace": ns},
                "spec": {"selector": {"matchLabels": {"app": app}}}})
            }
            other => {
                let mut o = json!({"apiVersion": "v1", "kind": other, "metadata": {"name": name, "namespace": ns}});
                if r.is_multiple_of(7) {
                    o["metadata"]["annotations"] = json!({IGNORE_ANNOTATION: "*"});
                }
                o
            }
        }
    }

    #[test]
    fn incremental_rechecks_agree_with_a_full_lint_after_every_change() {
        let kinds = [
            "Pod",
            "Service",
            "Deployment",
            "PodDisruptionBudget",
            "ConfigMap",
            "Secret",
        ];
        let mut live = Live::new(Settings::default(), true);
        let mut now: BTreeMap<Subject, Value> = BTreeMap::new();
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for step in 0..3000 {
            let kind = kinds[(next() % kinds.len() as u64) as usize];
            let obj = object(kind, next(), next());
            let subj = Subject::of(&obj);
            if next() % 4 == 0 {
                live.remove(&subj);
                now.remove(&subj);
            } else {
                live.upsert(&obj);
                now.insert(subj, obj);
            }
            if step % 50 == 0 || step > 2950 {
                let mut fresh = Live::new(Settings::default(), true);
                for o in now.values() {
                    fresh.upsert(o);
                }
                let a: Vec<&Finding> = live.findings().collect();
                let b: Vec<&Finding> = fresh.findings().collect();
                assert_eq!(a, b, "after step {step}");
                assert_eq!(live.scores(), fresh.scores(), "after step {step}");
            }
        }
        assert!(live.len() > 10, "the mix makes findings: {}", live.len());
    }

    #[test]
    fn a_relist_drops_what_it_does_not_bring_back() {
        let mut live = Live::new(Settings::default(), true);
        let cm = |n: &str| json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": n, "namespace": "a"}});
        live.upsert(&cm("x"));
        live.upsert(&cm("y"));
        assert_eq!(live.len(), 2);
        live.begin_relist("ConfigMap");
        live.upsert(&cm("y"));
        live.end_relist("ConfigMap");
        let names: Vec<&str> = live.findings().map(|f| f.subject.name.as_str()).collect();
        assert_eq!(names, vec!["y"]);
    }

    #[test]
    fn a_pod_that_starts_using_a_configmap_clears_its_finding_and_back() {
        let mut live = Live::new(Settings::default(), true);
        live.upsert(&json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg", "namespace": "a"}}));
        assert_eq!(
            live.findings().next().map(|f| f.rule),
            Some("unused-configmap")
        );
        let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "a",
            "ownerReferences": [{"kind": "ReplicaSet", "name": "r"}]},
            "spec": {"containers": [{"name": "c", "image": "x:1", "envFrom": [{"configMapRef": {"name": "cfg"}}]}]}});
        live.upsert(&pod);
        assert!(live.is_empty());
        live.remove(&Subject::of(&pod));
        assert_eq!(live.len(), 1);
    }
}
