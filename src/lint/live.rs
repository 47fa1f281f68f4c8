//! The linter kept up to date object by object: a change re-checks the object's own rules and
//! only the cluster findings it can move — the ConfigMaps and Secrets whose use it changed, the
//! Services whose selection it changed, the single-replica Deployments a budget covers.
//!
//! It keeps what the cluster rules need of each object, not the objects, and keeps it small:
//! 100k pods are most of a big cluster and most have no finding of their own (their
//! controller's template is judged), so a pod costs its name, a shared pointer to its label
//! set and one to its reference list — pods of one replica set share both. Findings are kept
//! once, in report order. `kx lint` runs the same engine over a list.

use super::rules::{self, label_selector_selects, references, system_owned};
use super::{Finding, IGNORE_ANNOTATION, Settings, Severity, Subject};
use serde_json::Value;
use std::cmp::{Ordering, Reverse};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;

/// A ConfigMap or Secret an object refers to: (kind, name).
type Reference = (&'static str, Box<str>);

/// A label, or one term of a Service's selector.
type Pair = (Box<str>, Box<str>);

/// Labels (or a Service's selector) as sorted pairs: a tenth of a JSON map's memory.
type Labels = Box<[Pair]>;

/// A label set as pods share it: one per replica set, not one per pod.
type LabelSet = Arc<[Pair]>;

/// What a rule found about an object, before settings apply; the object is the entry's.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Own {
    rule: &'static str,
    severity: Severity,
    message: String,
    fix: &'static str,
}

impl Own {
    fn of(f: Finding) -> Own {
        Own {
            rule: f.rule,
            severity: f.severity,
            message: f.message,
            fix: f.fix,
        }
    }

    fn new(rule: &'static str, message: String) -> Own {
        let r = rules::rule(rule);
        Own {
            rule,
            severity: r.map_or(Severity::Warn, |r| r.severity),
            message,
            fix: r.map_or("", |r| r.fix),
        }
    }
}

/// What the cluster rules need of a few kinds.
#[derive(Debug, Clone, Default, PartialEq)]
enum Role {
    #[default]
    Plain,
    /// A one-replica deployment, with its pod template's labels.
    Single(Value),
    /// A disruption budget, with its selector.
    Budget(Value),
    /// A ConfigMap or Secret nobody is expected to reference (owned, system).
    System,
}

/// What few objects have; boxed, so an object with none of it costs one pointer.
#[derive(Debug, Clone, Default, PartialEq)]
struct Rare {
    /// Its `kx.dev/lint-ignore` list.
    ignore: Option<Box<str>>,
    /// What the object rules found.
    own: Vec<Own>,
    /// What a cluster rule found about it.
    cluster: Option<Own>,
    role: Role,
}

#[derive(Debug, Default)]
struct Entry {
    rare: Option<Box<Rare>>,
    /// ConfigMaps and Secrets it refers to (a pod spec, a service account's pull secrets, an
    /// ingress's certificates), shared with every object referring to the same ones.
    refs: Option<Arc<[Reference]>>,
    /// A pod's labels, shared with its namespace's index.
    labels: Option<LabelSet>,
    /// Whether it has a warning or worse (for the score).
    bad: bool,
    /// The relist of its kind it was last seen in.
    epoch: u32,
}

impl Entry {
    fn role(&self) -> &Role {
        self.rare.as_ref().map_or(&Role::Plain, |r| &r.role)
    }
}

#[derive(Debug, Default)]
struct Namespace {
    /// Objects by kind, then name.
    kinds: HashMap<Box<str>, HashMap<Box<str>, Entry>>,
    /// How many objects refer to each ConfigMap and Secret.
    refs: HashMap<Reference, u32>,
    /// The reference lists objects here share.
    ref_lists: HashSet<Arc<[Reference]>>,
    /// Each label set pods here carry, and how many pods carry it: what service selectors
    /// are matched against.
    label_sets: HashMap<LabelSet, u32>,
    /// Label sets by each label in them, so a new Service looks only at the sets that could
    /// match.
    sets_by_label: HashMap<Pair, HashSet<LabelSet>>,
    /// Each service with a selector: the selector and how many pods here it selects.
    services: HashMap<String, (Labels, u32)>,
    /// Services by one label their selector requires (its first), so a pod is checked only
    /// against services that could select it, not every service of its namespace.
    services_by_label: HashMap<Pair, BTreeSet<String>>,
    /// Names by the kinds the cluster rules scan.
    singles: BTreeSet<String>,
    budgets: BTreeSet<String>,
    /// Objects here, and those with a warning or worse (for the score).
    objects: u32,
    bad: u32,
}

impl Namespace {
    fn entry(&self, kind: &str, name: &str) -> Option<&Entry> {
        self.kinds.get(kind)?.get(name)
    }

    /// The shared copy of a reference list.
    fn share_refs(&mut self, refs: Vec<Reference>) -> Option<Arc<[Reference]>> {
        if refs.is_empty() {
            return None;
        }
        if let Some(shared) = self.ref_lists.get(refs.as_slice()) {
            return Some(shared.clone());
        }
        let shared: Arc<[Reference]> = refs.into();
        self.ref_lists.insert(shared.clone());
        Some(shared)
    }

    /// Lets go of one holder of a reference list; the last one takes it out of the index.
    fn release_refs(&mut self, refs: Option<Arc<[Reference]>>) {
        if let Some(r) = refs
            && Arc::strong_count(&r) <= 2
        {
            self.ref_lists.remove(&*r);
        }
    }

    /// One more pod carries `labels`; its shared copy.
    fn add_pod_labels(&mut self, labels: Labels) -> LabelSet {
        if let Some((set, count)) = self.label_sets.get_key_value(&*labels) {
            let set = set.clone();
            let count = *count;
            self.label_sets.insert(set.clone(), count + 1);
            return set;
        }
        let set: LabelSet = Vec::from(labels).into();
        for pair in set.iter() {
            self.sets_by_label
                .entry(pair.clone())
                .or_default()
                .insert(set.clone());
        }
        self.label_sets.insert(set.clone(), 1);
        set
    }

    /// One pod fewer carries `labels`.
    fn remove_pod_labels(&mut self, set: &LabelSet) {
        let Some(count) = self.label_sets.get_mut(set) else {
            return;
        };
        *count = count.saturating_sub(1);
        if *count > 0 {
            return;
        }
        self.label_sets.remove(set);
        for pair in set.iter() {
            if let Some(sets) = self.sets_by_label.get_mut(pair) {
                sets.remove(set);
                if sets.is_empty() {
                    self.sets_by_label.remove(pair);
                }
            }
        }
    }

    /// Pods here a (non-empty) selector picks.
    fn selected_pods(&self, selector: &Labels) -> u32 {
        let Some(first) = selector.first() else {
            return 0;
        };
        self.sets_by_label
            .get(first)
            .into_iter()
            .flatten()
            .filter(|set| selects(selector, set))
            .map(|set| self.label_sets.get(set).copied().unwrap_or(0))
            .sum()
    }
}

/// A finding in report order: the worst first, then by object, rule and message.
#[derive(Debug, PartialEq, Eq)]
struct Ranked(Finding);

impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> Ordering {
        fn key(f: &Finding) -> (Reverse<Severity>, &Subject, &str, &String) {
            (Reverse(f.severity), &f.subject, f.rule, &f.message)
        }
        key(&self.0)
            .cmp(&key(&other.0))
            .then_with(|| self.0.fix.cmp(other.0.fix))
    }
}

impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

pub struct Live {
    settings: Settings,
    /// Whether the rules across objects apply (a cluster, not a set of manifests).
    cluster: bool,
    namespaces: HashMap<String, Namespace>,
    findings: BTreeSet<Ranked>,
    /// Findings per severity (info, warn, error), kept with `findings` so a view counts
    /// none of them per frame.
    counts: [usize; 3],
    /// Kinds being relisted, with the mark objects seen again get.
    relisting: HashMap<String, u32>,
    epochs: u32,
    /// Bumped on every change of the findings, so a view rebuilds only when it moved.
    pub generation: u64,
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
            namespaces: HashMap::new(),
            findings: BTreeSet::new(),
            counts: [0; 3],
            relisting: HashMap::new(),
            epochs: 0,
            generation: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.findings.len()
    }

    pub fn is_empty(&self) -> bool {
        self.findings.is_empty()
    }

    /// Findings per severity: info, warn, error.
    pub fn counts(&self) -> [usize; 3] {
        self.counts
    }

    /// Every finding, in report order.
    pub fn findings(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().map(|r| &r.0)
    }

    /// Objects linted.
    pub fn objects(&self) -> usize {
        self.namespaces.values().map(|n| n.objects as usize).sum()
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
        self.replace(&prepared.subject.clone(), Some(prepared));
    }

    /// Rules turned off or re-levelled (a kind RBAC hides, say): every object re-checked.
    pub fn set_settings(&mut self, settings: Settings) {
        self.settings = settings;
        // What was shown under the old settings goes; each object is put back under the new.
        self.findings.clear();
        self.counts = [0; 3];
        let mut all = Vec::new();
        for (ns_name, ns) in &mut self.namespaces {
            ns.bad = 0;
            for (kind, objects) in &mut ns.kinds {
                for (name, entry) in objects.iter_mut() {
                    entry.bad = false;
                    all.push(subject(ns_name, kind, name));
                }
            }
        }
        for s in all {
            self.recheck(&s);
        }
        self.generation += 1;
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub fn remove(&mut self, subj: &Subject) {
        self.replace(subj, None);
    }

    /// A list of `kind` starts again: what it does not bring back is gone after `end_relist`.
    pub fn begin_relist(&mut self, kind: &str) {
        self.epochs += 1;
        self.relisting.insert(kind.to_string(), self.epochs);
    }

    pub fn end_relist(&mut self, kind: &str) {
        let Some(epoch) = self.relisting.remove(kind) else {
            return;
        };
        let mut gone = Vec::new();
        for (ns_name, ns) in &self.namespaces {
            for (name, entry) in ns.kinds.get(kind).into_iter().flatten() {
                if entry.epoch != epoch {
                    gone.push(subject(ns_name, kind, name));
                }
            }
        }
        for s in gone {
            self.remove(&s);
        }
    }
}

fn subject(ns: &str, kind: &str, name: &str) -> Subject {
    Subject {
        namespace: ns.into(),
        kind: kind.into(),
        name: name.into(),
    }
}

/// What the live linter keeps of one object: its own findings and what the rules across
/// objects need. Made from the whole object, which can then go.
#[derive(Debug)]
pub struct Prepared {
    subject: Subject,
    rare: Option<Box<Rare>>,
    refs: Vec<Reference>,
    /// A pod's labels.
    labels: Option<Labels>,
    /// A service's selector (non-empty).
    selector: Option<Labels>,
}

/// Runs the object rules and takes what the cluster rules need; pure, so it can run where
/// the object arrives.
pub fn prepare(obj: &Value, settings: &Settings, cluster: bool) -> Prepared {
    let mut own = Vec::new();
    rules::object_rules(obj, settings, &mut own);
    let mut rare = Rare {
        ignore: obj["metadata"]["annotations"][IGNORE_ANNOTATION]
            .as_str()
            .map(Into::into),
        own: own.into_iter().map(Own::of).collect(),
        ..Rare::default()
    };
    let mut prepared = Prepared {
        subject: Subject::of(obj),
        rare: None,
        refs: Vec::new(),
        labels: None,
        selector: None,
    };
    if cluster {
        let kind = obj["kind"].as_str().unwrap_or_default();
        let mut refs = BTreeSet::new();
        if let Some(spec) = rules::pod_spec(obj) {
            references(spec, &mut refs);
        }
        match kind {
            "Pod" => prepared.labels = Some(labels_of(&obj["metadata"]["labels"])),
            "Service" => {
                prepared.selector = obj["spec"]["selector"]
                    .as_object()
                    .filter(|m| !m.is_empty())
                    .map(|_| labels_of(&obj["spec"]["selector"]))
            }
            "Deployment" if obj["spec"]["replicas"].as_u64().unwrap_or(1) == 1 => {
                rare.role = Role::Single(obj["spec"]["template"]["metadata"]["labels"].clone());
            }
            "PodDisruptionBudget" => rare.role = Role::Budget(obj["spec"]["selector"].clone()),
            "ConfigMap" | "Secret" if system_owned(obj) => rare.role = Role::System,
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
        prepared.refs = refs.into_iter().map(|(k, n)| (k, n.into())).collect();
    }
    if rare != Rare::default() {
        prepared.rare = Some(Box::new(rare));
    }
    prepared
}

impl Live {
    /// Puts `new` in the place of what was known of `subj`, and re-checks what that moves.
    fn replace(&mut self, subj: &Subject, new: Option<Prepared>) {
        let epoch = self.relisting.get(&subj.kind).copied().unwrap_or(0);
        if new.is_none() && !self.namespaces.contains_key(&subj.namespace) {
            // Gone from a namespace never seen: nothing to take out.
            return;
        }
        let ns = self.namespaces.entry(subj.namespace.clone()).or_default();
        let old = ns
            .kinds
            .get_mut(subj.kind.as_str())
            .and_then(|objects| objects.remove(subj.name.as_str()));
        // Its findings go; they are put back by the re-check below.
        if let Some(o) = &old {
            for f in effective(o, subj, &self.settings) {
                let severity = f.severity as usize;
                if self.findings.remove(&Ranked(f)) {
                    self.counts[severity] -= 1;
                }
            }
            if o.bad {
                ns.bad = ns.bad.saturating_sub(1);
            }
        }
        match (&old, &new) {
            (None, Some(_)) => ns.objects += 1,
            (Some(_), None) => ns.objects = ns.objects.saturating_sub(1),
            _ => {}
        }
        let (old_refs, old_labels) = match old {
            Some(o) => (o.refs, o.labels),
            None => (None, None),
        };
        let Some(new) = new else {
            // Gone: what it held moves the others' findings, and nothing is put back.
            let mut affected = self.unindex(subj, old_refs, old_labels, None, None);
            if self.cluster {
                affected.extend(self.index_kind(subj, None));
            }
            self.recheck_all(subj, affected);
            return;
        };
        let Prepared {
            rare,
            refs,
            labels,
            selector,
            ..
        } = new;
        let Some(ns) = self.namespaces.get_mut(&subj.namespace) else {
            return;
        };
        let refs = ns.share_refs(refs);
        let labels = labels.map(|l| ns.add_pod_labels(l));
        let entry = Entry {
            rare,
            refs: refs.clone(),
            labels: labels.clone(),
            bad: false,
            epoch,
        };
        ns.kinds
            .entry(subj.kind.as_str().into())
            .or_default()
            .insert(subj.name.as_str().into(), entry);
        let mut affected = self.unindex(subj, old_refs, old_labels, refs, labels);
        affected.push(subj.clone());
        if self.cluster {
            affected.extend(self.index_kind(subj, selector));
        }
        self.recheck_all(subj, affected);
    }

    fn recheck_all(&mut self, subj: &Subject, mut affected: Vec<Subject>) {
        affected.sort();
        affected.dedup();
        if let Ok(at) = affected.binary_search(subj) {
            // The object itself first (its own findings), then the others it moved.
            let own = affected.remove(at);
            self.recheck(&own);
        }
        for s in &affected {
            self.recheck(s);
        }
        // A namespace with nothing left goes (short-lived CI namespaces would pile up).
        if self
            .namespaces
            .get(&subj.namespace)
            .is_some_and(|ns| ns.objects == 0)
        {
            self.namespaces.remove(&subj.namespace);
        }
        self.generation += 1;
    }

    /// Moves the reference counts and pod label index from what `subj` held to what it holds
    /// now; the objects whose cluster finding that may move.
    fn unindex(
        &mut self,
        subj: &Subject,
        old_refs: Option<Arc<[Reference]>>,
        old_labels: Option<LabelSet>,
        new_refs: Option<Arc<[Reference]>>,
        new_labels: Option<LabelSet>,
    ) -> Vec<Subject> {
        let mut affected = Vec::new();
        let Some(ns) = self.namespaces.get_mut(&subj.namespace) else {
            return affected;
        };
        let name = &subj.namespace;
        // References: which ConfigMaps and Secrets crossed between used and unused.
        let before: &[Reference] = old_refs.as_deref().unwrap_or_default();
        let after: &[Reference] = new_refs.as_deref().unwrap_or_default();
        if before != after {
            for r in before.iter().filter(|r| !after.contains(r)) {
                let count = ns.refs.entry(r.clone()).or_default();
                *count = count.saturating_sub(1);
                if *count == 0 {
                    ns.refs.remove(r);
                    affected.push(subject(name, r.0, &r.1));
                }
            }
            for r in after.iter().filter(|r| !before.contains(r)) {
                let count = ns.refs.entry(r.clone()).or_default();
                *count += 1;
                if *count == 1 {
                    affected.push(subject(name, r.0, &r.1));
                }
            }
        }
        drop(new_refs);
        ns.release_refs(old_refs);
        // A pod's labels: which Services gained or lost their first or last pod.
        if old_labels != new_labels {
            let mut candidates: BTreeSet<&String> = BTreeSet::new();
            for set in old_labels.iter().chain(&new_labels) {
                for pair in set.iter() {
                    candidates.extend(ns.services_by_label.get(pair).into_iter().flatten());
                }
            }
            let mut moved = Vec::new();
            for svc in candidates {
                let Some((sel, _)) = ns.services.get(svc) else {
                    continue;
                };
                let was = old_labels.as_ref().is_some_and(|l| selects(sel, l));
                let is = new_labels.as_ref().is_some_and(|l| selects(sel, l));
                if was != is {
                    moved.push((svc.clone(), is));
                }
            }
            for (svc, is) in moved {
                if let Some((_, matches)) = ns.services.get_mut(&svc) {
                    if is {
                        *matches += 1;
                    } else {
                        *matches = matches.saturating_sub(1);
                    }
                    if *matches <= 1 {
                        affected.push(subject(name, "Service", &svc));
                    }
                }
            }
        }
        if let Some(old) = &old_labels {
            ns.remove_pod_labels(old);
        }
        affected
    }

    /// The indexes of Services, single-replica Deployments and disruption budgets, for
    /// `subj` as it is now; the objects whose cluster finding that may move.
    fn index_kind(&mut self, subj: &Subject, selector: Option<Labels>) -> Vec<Subject> {
        let mut affected = Vec::new();
        let Some(ns) = self.namespaces.get_mut(&subj.namespace) else {
            return affected;
        };
        let present = ns.entry(&subj.kind, &subj.name).is_some();
        match subj.kind.as_str() {
            "Service" => {
                let same = match (&selector, ns.services.get(&subj.name)) {
                    (Some(new), Some((old, _))) => new == old,
                    (None, None) => true,
                    _ => false,
                };
                if !same {
                    if let Some((old, _)) = ns.services.remove(&subj.name)
                        && let Some(first) = old.first()
                        && let Some(set) = ns.services_by_label.get_mut(first)
                    {
                        set.remove(&subj.name);
                        if set.is_empty() {
                            ns.services_by_label.remove(first);
                        }
                    }
                    if let Some(sel) = selector
                        && let Some(first) = sel.first()
                    {
                        let matches = ns.selected_pods(&sel);
                        ns.services_by_label
                            .entry(first.clone())
                            .or_default()
                            .insert(subj.name.clone());
                        ns.services.insert(subj.name.clone(), (sel, matches));
                    }
                }
            }
            "Deployment" => {
                let single = ns
                    .entry(&subj.kind, &subj.name)
                    .is_some_and(|e| matches!(e.role(), Role::Single(_)));
                if single {
                    ns.singles.insert(subj.name.clone());
                } else {
                    ns.singles.remove(&subj.name);
                }
            }
            "PodDisruptionBudget" => {
                if present {
                    ns.budgets.insert(subj.name.clone());
                } else {
                    ns.budgets.remove(&subj.name);
                }
                for d in &ns.singles {
                    affected.push(subject(&subj.namespace, "Deployment", d));
                }
            }
            _ => {}
        }
        affected
    }

    /// Works out the cluster finding about `subj` again and puts its findings back.
    fn recheck(&mut self, subj: &Subject) {
        let cluster = if self.cluster {
            self.cluster_finding(subj)
        } else {
            None
        };
        let Some(ns) = self.namespaces.get_mut(&subj.namespace) else {
            return;
        };
        let Some(entry) = ns
            .kinds
            .get_mut(subj.kind.as_str())
            .and_then(|objects| objects.get_mut(subj.name.as_str()))
        else {
            return;
        };
        if entry.rare.is_none() && cluster.is_none() {
            // Nothing found, before or now (an entry with findings has `rare`).
            return;
        }
        for f in effective(entry, subj, &self.settings) {
            let severity = f.severity as usize;
            if self.findings.remove(&Ranked(f)) {
                self.counts[severity] -= 1;
            }
        }
        let rare = entry.rare.get_or_insert_with(Box::default);
        rare.cluster = cluster;
        let now = effective(entry, subj, &self.settings);
        let is_bad = now.iter().any(|f| f.severity >= Severity::Warn);
        for f in now {
            let severity = f.severity as usize;
            if self.findings.insert(Ranked(f)) {
                self.counts[severity] += 1;
            }
        }
        match (entry.bad, is_bad) {
            (false, true) => ns.bad += 1,
            (true, false) => ns.bad = ns.bad.saturating_sub(1),
            _ => {}
        }
        entry.bad = is_bad;
    }

    /// The finding a rule across objects makes about `subj` now, if any.
    fn cluster_finding(&self, subj: &Subject) -> Option<Own> {
        let ns = self.namespaces.get(&subj.namespace)?;
        let entry = ns.entry(&subj.kind, &subj.name)?;
        match subj.kind.as_str() {
            "ConfigMap" | "Secret" => {
                let kind = if subj.kind == "Secret" {
                    "Secret"
                } else {
                    "ConfigMap"
                };
                let used = ns
                    .refs
                    .get(&(kind, subj.name.as_str().into()))
                    .is_some_and(|n| *n > 0);
                let rule = if kind == "Secret" {
                    "unused-secret"
                } else {
                    "unused-configmap"
                };
                (*entry.role() != Role::System && !used).then(|| {
                    Own::new(
                        rule,
                        format!("no pod or workload in {} refers to it", subj.namespace),
                    )
                })
            }
            "Service" => {
                let (sel, matches) = ns.services.get(&subj.name)?;
                (*matches == 0).then(|| {
                    let wanted: Vec<String> = sel.iter().map(|(k, v)| format!("{k}={v}")).collect();
                    Own::new(
                        "service-no-pods",
                        format!("selects no pod ({})", wanted.join(",")),
                    )
                })
            }
            "Deployment" => {
                let Role::Single(labels) = entry.role() else {
                    return None;
                };
                let covered = ns.budgets.iter().any(|b| {
                    ns.entry("PodDisruptionBudget", b).is_some_and(|e| {
                        matches!(e.role(), Role::Budget(sel) if label_selector_selects(sel, labels))
                    })
                });
                (!covered).then(|| {
                    Own::new(
                        "single-replica",
                        "1 replica and no PodDisruptionBudget".into(),
                    )
                })
            }
            _ => None,
        }
    }
}

/// What an object's findings are once settings apply: rules off, re-levelled, or ignored by
/// the object's annotation.
fn effective(entry: &Entry, subj: &Subject, settings: &Settings) -> Vec<Finding> {
    let Some(rare) = &entry.rare else {
        return Vec::new();
    };
    rare.own
        .iter()
        .chain(&rare.cluster)
        .filter(|f| !settings.disabled.contains(f.rule))
        .filter(|f| {
            !rare.ignore.as_deref().is_some_and(|list| {
                list.split(',')
                    .map(str::trim)
                    .any(|r| r == "*" || r == f.rule)
            })
        })
        .map(|f| Finding {
            rule: f.rule,
            severity: settings.levels.get(f.rule).copied().unwrap_or(f.severity),
            subject: subj.clone(),
            message: f.message.clone(),
            fix: f.fix,
        })
        .collect()
}

fn labels_of(v: &Value) -> Labels {
    let mut pairs: Vec<Pair> = v
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.as_str().into(), v.as_str().unwrap_or_default().into()))
        .collect();
    pairs.sort();
    pairs.into_boxed_slice()
}

/// A Service's (non-empty) selector picks pods with every one of its labels.
fn selects(selector: &[Pair], labels: &[Pair]) -> bool {
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
                "metadata": {"name": name, "namespace": ns, "labels": if r.is_multiple_of(3) { json!({"app": app, "tier": "web"}) } else { json!({"app": app}) },
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
            if next() % 23 == 0 {
                // A relist of the kind: everything of it comes again, then the list ends.
                live.begin_relist(kind);
                let again: Vec<Value> = now
                    .iter()
                    .filter(|(s, _)| s.kind == kind)
                    .map(|(_, o)| o.clone())
                    .collect();
                for o in &again {
                    live.upsert(o);
                }
                live.end_relist(kind);
                continue;
            }
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
                let mut counted = [0; 3];
                for f in live.findings() {
                    counted[f.severity as usize] += 1;
                }
                assert_eq!(live.counts(), counted, "after step {step}");
            }
        }
        assert!(live.len() > 10, "the mix makes findings: {}", live.len());
        // Settings changed midway re-judge everything as a fresh lint under them would.
        let mut strict = Settings::default();
        strict.disabled.insert("unused-secret".into());
        strict
            .levels
            .insert("unused-configmap".into(), Severity::Error);
        live.set_settings(strict.clone());
        let mut fresh = Live::new(strict, true);
        for o in now.values() {
            fresh.upsert(o);
        }
        assert_eq!(
            live.findings().collect::<Vec<_>>(),
            fresh.findings().collect::<Vec<_>>()
        );
        assert_eq!(live.scores(), fresh.scores());
        assert_eq!(live.counts(), fresh.counts());
        // Everything gone leaves nothing behind in the indexes (no slow leak over a day).
        for s in now.keys() {
            live.remove(s);
        }
        assert!(live.is_empty());
        assert_eq!(live.objects(), 0);
        assert!(live.namespaces.is_empty(), "empty namespaces are dropped");
        for ns in live.namespaces.values() {
            assert!(ns.kinds.values().all(HashMap::is_empty));
            assert!(ns.refs.is_empty(), "{:?}", ns.refs);
            assert!(ns.ref_lists.is_empty(), "{:?}", ns.ref_lists);
            assert!(ns.label_sets.is_empty(), "{:?}", ns.label_sets);
            assert!(ns.sets_by_label.is_empty());
            assert!(ns.services.is_empty() && ns.services_by_label.is_empty());
            assert!(ns.singles.is_empty() && ns.budgets.is_empty());
            assert_eq!(ns.bad, 0);
        }
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
