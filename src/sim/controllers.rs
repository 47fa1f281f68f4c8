//! The simulated control plane: deployments own replicasets own pods, statefulsets,
//! daemonsets and jobs own pods, pods go Pending → ContainerCreating → Running (some
//! crash-loop), services get endpoints, namespaces empty before they go, dependents are
//! collected, notable transitions become Events, and `--churn` modifies pods at a set rate.

mod cron;

use super::cluster::{Cluster, DeleteOptions, Propagation, now_rfc3339};
use super::kubelet;
use super::logs::{Flavour, now_ns};
use super::objects::{ObjectRef, running_status};
use super::registry::ResourceType;
use super::selector::LabelSelector;
use super::store::{Event, EventType, Stored, type_key};
use serde_json::{Value, json};
use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap, HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{broadcast, watch};
use tokio::time::Instant;

/// Annotation on a pod template: crash the first container every N seconds.
pub const CRASH_EVERY: &str = "sim.kx.dev/crash-every-seconds";
const EVENT_CAP: usize = 2000;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Task {
    Schedule(String, String, String),
    Start(String, String, String),
    Crash(String, String, String),
    Restart(String, String, String),
    Complete(String, String, String),
    FinishDelete(String, String, String),
    NamespaceCleanup(String),
    DemoPulse,
    /// Check every CronJob's schedule (once a second).
    CronTick,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Dirty {
    Deployment(String, String),
    ReplicaSet(String, String),
    StatefulSet(String, String),
    DaemonSet(String, String),
    Job(String, String),
    CronJob(String, String),
    Endpoints(String),
    AllDaemonSets,
    Foreground(String, String, String),
}

struct Types {
    pods: ResourceType,
    rs: ResourceType,
    deploy: ResourceType,
    sts: ResourceType,
    ds: ResourceType,
    jobs: ResourceType,
    cronjobs: ResourceType,
    endpoints: ResourceType,
    events: ResourceType,
    namespaces: ResourceType,
}

pub struct Controllers {
    cluster: Arc<Cluster>,
    t: Types,
    timers: BinaryHeap<Reverse<(Instant, Task)>>,
    /// owner uid → (type key, namespace, name) of its dependents.
    dependents: HashMap<String, BTreeSet<(String, String, String)>>,
    /// Owners being deleted in the foreground, by uid: rechecked as their dependents go.
    foreground: HashMap<String, (String, String, String)>,
    dirty: BTreeSet<Dirty>,
    pod_keys: Vec<(String, String)>,
    pod_slot: HashMap<(String, String), usize>,
    events_made: VecDeque<(String, String)>,
    next_ip: u32,
    churn_per_sec: f64,
    churn_count: u64,
    demo_pulse: bool,
    pub start_delay: Duration,
    /// CronJob runs already told about (missed or held back), by CronJob uid and due second.
    cron_said: std::collections::HashSet<(String, i64)>,
}

fn find(types: &[ResourceType], plural: &str) -> Result<ResourceType, String> {
    types
        .iter()
        .find(|t| t.plural == plural && !t.is_custom())
        .cloned()
        .ok_or_else(|| format!("built-in type {plural} missing from the registry"))
}

fn owner_uids(meta: &Value) -> Vec<String> {
    meta["ownerReferences"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|r| r["uid"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn controller_owner(meta: &Value) -> Option<(String, String)> {
    meta["ownerReferences"]
        .as_array()?
        .iter()
        .find(|r| r["controller"] == true)
        .map(|r| {
            (
                r["kind"].as_str().unwrap_or_default().to_string(),
                r["name"].as_str().unwrap_or_default().to_string(),
            )
        })
}

/// A short stable hash of a pod template, like the pod-template-hash label.
pub fn template_hash_of(template: &Value) -> String {
    template_hash(template)
}

fn template_hash(template: &Value) -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let text = template.to_string();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h = (h ^ b as u64).wrapping_mul(0x100_0000_01b3);
    }
    (0..10)
        .map(|i| ALPHABET[((h >> (i * 6)) % ALPHABET.len() as u64) as usize] as char)
        .collect()
}

fn is_ready(s: &Stored) -> bool {
    s.cells
        .get(1)
        .and_then(Value::as_str)
        .is_some_and(|r| r.split_once('/').is_some_and(|(a, b)| a == b && a != "0"))
        && s.indexed
            .iter()
            .any(|(k, v)| *k == "status.phase" && v == "Running")
}

impl Controllers {
    pub fn new(
        cluster: Arc<Cluster>,
        churn_per_sec: f64,
        demo_pulse: bool,
    ) -> Result<Self, String> {
        let types = cluster.types();
        let t = Types {
            pods: find(&types, "pods")?,
            rs: find(&types, "replicasets")?,
            deploy: find(&types, "deployments")?,
            sts: find(&types, "statefulsets")?,
            ds: find(&types, "daemonsets")?,
            jobs: find(&types, "jobs")?,
            cronjobs: find(&types, "cronjobs")?,
            endpoints: find(&types, "endpoints")?,
            events: find(&types, "events")?,
            namespaces: find(&types, "namespaces")?,
        };
        Ok(Controllers {
            cluster,
            t,
            timers: BinaryHeap::new(),
            dependents: HashMap::new(),
            foreground: HashMap::new(),
            dirty: BTreeSet::new(),
            pod_keys: Vec::new(),
            pod_slot: HashMap::new(),
            events_made: VecDeque::new(),
            next_ip: 0,
            churn_per_sec,
            churn_count: 0,
            demo_pulse,
            start_delay: Duration::from_millis(1500),
            cron_said: Default::default(),
        })
    }

    fn at(&mut self, after: Duration, task: Task) {
        self.timers.push(Reverse((Instant::now() + after, task)));
    }

    pub async fn run(
        mut self,
        mut events: broadcast::Receiver<Arc<Event>>,
        mut shutdown: watch::Receiver<bool>,
    ) {
        self.resync();
        if self.demo_pulse {
            self.at(Duration::from_secs(20), Task::DemoPulse);
        }
        self.at(Duration::from_secs(1), Task::CronTick);
        let churn_tick = Duration::from_millis(20);
        let mut churn = tokio::time::interval(churn_tick);
        churn.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut churn_budget = 0.0f64;
        loop {
            let next_timer = self
                .timers
                .peek()
                .map(|Reverse((t, _))| *t)
                .unwrap_or_else(|| Instant::now() + Duration::from_secs(3600));
            tokio::select! {
                _ = shutdown.changed() => return,
                ev = events.recv() => {
                    match ev {
                        Ok(e) => self.on_event(&e),
                        Err(broadcast::error::RecvError::Lagged(_)) => self.resync(),
                        Err(broadcast::error::RecvError::Closed) => return,
                    }
                    // Take whatever else is queued before reconciling, so bursts coalesce.
                    loop {
                        match events.try_recv() {
                            Ok(e) => self.on_event(&e),
                            Err(broadcast::error::TryRecvError::Lagged(_)) => self.resync(),
                            Err(_) => break,
                        }
                    }
                    self.reconcile_dirty();
                }
                _ = tokio::time::sleep_until(next_timer) => {
                    let now = Instant::now();
                    while let Some(Reverse((t, _))) = self.timers.peek() {
                        if *t > now { break; }
                        if let Some(Reverse((_, task))) = self.timers.pop() {
                            self.run_task(task);
                        }
                    }
                }
                _ = churn.tick() => {
                    // The rate can change while running (`/sim/churn`, the soak pauses it).
                    self.churn_per_sec = self.cluster.churn_rate().unwrap_or(self.churn_per_sec);
                    if self.churn_per_sec <= 0.0 {
                        churn_budget = 0.0;
                        continue;
                    }
                    churn_budget += self.churn_per_sec * churn_tick.as_secs_f64();
                    while churn_budget >= 1.0 {
                        churn_budget -= 1.0;
                        self.churn_one();
                    }
                }
            }
        }
    }

    /// Rebuilds the indexes from the store and reconciles everything (at start, or after falling behind).
    fn resync(&mut self) {
        self.dependents.clear();
        self.foreground.clear();
        self.pod_keys.clear();
        self.pod_slot.clear();
        let types = self.cluster.types();
        let store = self.cluster.read();
        let mut pending = Vec::new();
        for rt in &types {
            let key = type_key(&rt.group, &rt.plural);
            for s in store.list(&key, "") {
                for owner in owner_uids(&s.metadata()) {
                    self.dependents.entry(owner).or_default().insert((
                        key.clone(),
                        s.namespace.clone(),
                        s.name.clone(),
                    ));
                }
                match rt.kind.as_str() {
                    "Deployment" => {
                        self.dirty
                            .insert(Dirty::Deployment(s.namespace.clone(), s.name.clone()));
                    }
                    "ReplicaSet" => {
                        self.dirty
                            .insert(Dirty::ReplicaSet(s.namespace.clone(), s.name.clone()));
                    }
                    "StatefulSet" => {
                        self.dirty
                            .insert(Dirty::StatefulSet(s.namespace.clone(), s.name.clone()));
                    }
                    "Job" => {
                        self.dirty
                            .insert(Dirty::Job(s.namespace.clone(), s.name.clone()));
                    }
                    "Namespace" => {
                        self.dirty.insert(Dirty::Endpoints(s.name.clone()));
                    }
                    "Pod" => {
                        let k = (s.namespace.clone(), s.name.clone());
                        self.pod_slot.insert(k.clone(), self.pod_keys.len());
                        self.pod_keys.push(k);
                        // A pod created before the controllers ran (a scenario's bare pod)
                        // still goes through scheduling and start-up.
                        if s.field("status.phase").is_empty()
                            || s.field("status.phase") == "Pending"
                        {
                            pending.push((
                                s.field("spec.nodeName").is_empty(),
                                s.namespace.clone(),
                                s.name.clone(),
                                s.uid.clone(),
                            ));
                        }
                    }
                    _ => {}
                }
            }
        }
        drop(store);
        for (unplaced, ns, name, uid) in pending {
            let task = if unplaced {
                Task::Schedule
            } else {
                Task::Start
            };
            self.at(Duration::from_millis(200), task(ns, name, uid));
        }
        self.dirty.insert(Dirty::AllDaemonSets);
        self.reconcile_dirty();
    }

    fn on_event(&mut self, e: &Event) {
        let s = &e.object;
        let ns = s.namespace.clone();
        let name = s.name.clone();
        let meta = s.metadata();
        // Dependents index.
        if let Some(prev) = &e.previous {
            for owner in owner_uids(&prev.metadata()) {
                if let Some(set) = self.dependents.get_mut(&owner) {
                    set.remove(&(e.type_key.clone(), ns.clone(), name.clone()));
                }
            }
        }
        // A dependent gone: an owner waiting for it in the foreground may now finish.
        if e.type_ == EventType::Deleted {
            for owner in owner_uids(&meta) {
                if let Some(set) = self.dependents.get_mut(&owner) {
                    set.remove(&(e.type_key.clone(), ns.clone(), name.clone()));
                }
                if let Some((k, n, o)) = self.foreground.get(&owner).cloned() {
                    self.dirty.insert(Dirty::Foreground(k, n, o));
                }
            }
        }
        if e.type_ != EventType::Deleted {
            for owner in owner_uids(&meta) {
                self.dependents.entry(owner).or_default().insert((
                    e.type_key.clone(),
                    ns.clone(),
                    name.clone(),
                ));
            }
        }
        let owner = controller_owner(&meta);
        let owner_dirty: Option<Dirty> = owner.as_ref().and_then(|(kind, oname)| {
            let (ns, oname) = (ns.clone(), oname.clone());
            match kind.as_str() {
                "ReplicaSet" => Some(Dirty::ReplicaSet(ns, oname)),
                "Deployment" => Some(Dirty::Deployment(ns, oname)),
                "StatefulSet" => Some(Dirty::StatefulSet(ns, oname)),
                "DaemonSet" => Some(Dirty::DaemonSet(ns, oname)),
                "Job" => Some(Dirty::Job(ns, oname)),
                "CronJob" => Some(Dirty::CronJob(ns, oname)),
                _ => None,
            }
        });
        let mark_owner = |dirty: &mut BTreeSet<Dirty>| {
            if let Some(d) = &owner_dirty {
                dirty.insert(d.clone());
            }
        };
        match e.type_key.as_str() {
            "apps/deployments" if e.type_ != EventType::Deleted => {
                self.dirty
                    .insert(Dirty::Deployment(ns.clone(), name.clone()));
            }
            "apps/replicasets" => {
                if e.type_ != EventType::Deleted {
                    self.dirty
                        .insert(Dirty::ReplicaSet(ns.clone(), name.clone()));
                }
                mark_owner(&mut self.dirty);
            }
            "apps/statefulsets" if e.type_ != EventType::Deleted => {
                self.dirty
                    .insert(Dirty::StatefulSet(ns.clone(), name.clone()));
            }
            "apps/daemonsets" if e.type_ != EventType::Deleted => {
                self.dirty
                    .insert(Dirty::DaemonSet(ns.clone(), name.clone()));
            }
            "batch/jobs" => {
                if e.type_ != EventType::Deleted {
                    self.dirty.insert(Dirty::Job(ns.clone(), name.clone()));
                }
                // A CronJob's job finished or went: its active list and history change.
                mark_owner(&mut self.dirty);
            }
            "batch/cronjobs" if e.type_ == EventType::Added => {
                self.dirty.insert(Dirty::CronJob(ns.clone(), name.clone()));
            }
            "/nodes" if e.type_ != EventType::Modified => {
                self.dirty.insert(Dirty::AllDaemonSets);
            }
            "/services" => {
                self.dirty.insert(Dirty::Endpoints(ns.clone()));
            }
            "/namespaces"
                if e.type_ == EventType::Modified
                    && s.deleting
                    && !e.previous.as_ref().is_some_and(|p| p.deleting) =>
            {
                self.at(
                    Duration::from_millis(10),
                    Task::NamespaceCleanup(name.clone()),
                );
            }
            "/pods" => self.on_pod_event(e, &mut |d| mark_owner(d)),
            _ => {}
        }
        if e.type_ == EventType::Deleted {
            // Background garbage collection of whatever this object owned.
            self.collect_dependents(&s.uid);
        } else if s.deleting
            && meta["finalizers"]
                .as_array()
                .is_some_and(|f| f.iter().any(|x| x == "foregroundDeletion"))
        {
            self.foreground.insert(
                s.uid.clone(),
                (e.type_key.clone(), ns.clone(), name.clone()),
            );
            self.dirty
                .insert(Dirty::Foreground(e.type_key.clone(), ns, name));
        }
    }

    fn on_pod_event(&mut self, e: &Event, mark_owner: &mut dyn FnMut(&mut BTreeSet<Dirty>)) {
        let s = &e.object;
        let key = (s.namespace.clone(), s.name.clone());
        match e.type_ {
            EventType::Added => {
                self.pod_slot.insert(key.clone(), self.pod_keys.len());
                self.pod_keys.push(key);
                let node = s.field("spec.nodeName");
                let phase = s.field("status.phase");
                if phase == "Pending" && !s.deleting {
                    let task = if node.is_empty() {
                        Task::Schedule
                    } else {
                        Task::Start
                    };
                    let delay = if node.is_empty() {
                        Duration::from_millis(200)
                    } else {
                        self.start_delay
                    };
                    self.at(
                        delay,
                        task(s.namespace.clone(), s.name.clone(), s.uid.clone()),
                    );
                }
            }
            EventType::Deleted => {
                if let Some(slot) = self.pod_slot.remove(&key) {
                    self.pod_keys.swap_remove(slot);
                    if let Some(moved) = self.pod_keys.get(slot) {
                        self.pod_slot.insert(moved.clone(), slot);
                    }
                }
            }
            EventType::Modified => {
                let was_deleting = e.previous.as_ref().is_some_and(|p| p.deleting);
                if s.deleting && !was_deleting {
                    let secs = self.cluster.pod_termination_secs;
                    self.at(
                        Duration::from_secs_f64(secs),
                        Task::FinishDelete(s.namespace.clone(), s.name.clone(), s.uid.clone()),
                    );
                }
            }
        }
        // Owners and endpoints care about readiness and existence, not about every change.
        let row_changed = match &e.previous {
            Some(p) => {
                p.cells.get(1..3) != s.cells.get(1..3)
                    || p.deleting != s.deleting
                    || e.type_ == EventType::Deleted
            }
            None => true,
        };
        if row_changed {
            mark_owner(&mut self.dirty);
            self.dirty.insert(Dirty::Endpoints(s.namespace.clone()));
        }
    }

    fn collect_dependents(&mut self, owner_uid: &str) {
        let Some(deps) = self.dependents.remove(owner_uid) else {
            return;
        };
        let types = self.cluster.types();
        for (key, ns, name) in deps {
            if let Some(rt) = types.iter().find(|t| type_key(&t.group, &t.plural) == key) {
                let _ = self
                    .cluster
                    .delete(rt, &ns, &name, &DeleteOptions::default());
            }
        }
    }

    fn reconcile_dirty(&mut self) {
        while let Some(d) = self.dirty.pop_first() {
            match d {
                Dirty::Deployment(ns, name) => self.reconcile_deployment(&ns, &name),
                Dirty::ReplicaSet(ns, name) => self.reconcile_replicaset(&ns, &name),
                Dirty::StatefulSet(ns, name) => self.reconcile_statefulset(&ns, &name),
                Dirty::DaemonSet(ns, name) => self.reconcile_daemonset(&ns, &name),
                Dirty::Job(ns, name) => self.reconcile_job(&ns, &name),
                Dirty::CronJob(ns, name) => self.reconcile_cronjob(&ns, &name),
                Dirty::Endpoints(ns) => self.reconcile_endpoints(&ns),
                Dirty::AllDaemonSets => {
                    let all = self.cluster.read().list("apps/daemonsets", "");
                    for ds in all {
                        self.reconcile_daemonset(&ds.namespace, &ds.name);
                    }
                }
                Dirty::Foreground(key, ns, name) => self.finish_foreground(&key, &ns, &name),
            }
        }
    }

    fn get(&self, rt: &ResourceType, ns: &str, name: &str) -> Option<Arc<Stored>> {
        self.cluster.get(rt, ns, name).ok()
    }

    /// Live (not terminating) dependents of `uid` of one type.
    fn owned(&self, uid: &str, key: &str) -> Vec<Arc<Stored>> {
        let Some(deps) = self.dependents.get(uid) else {
            return Vec::new();
        };
        let store = self.cluster.read();
        deps.iter()
            .filter(|(k, _, _)| k == key)
            .filter_map(|(k, ns, name)| store.get(k, ns, name))
            .collect()
    }

    pub fn emit_event(
        &mut self,
        involved: &ObjectRef,
        type_: &str,
        reason: &str,
        message: &str,
        component: &str,
    ) {
        let ns = if involved.namespace.is_empty() {
            "default".to_string()
        } else {
            involved.namespace.clone()
        };
        let name = format!(
            "{}.{:x}",
            involved.name,
            now_ns() as u64 ^ self.cluster.random_index(1 << 30) as u64
        );
        let now = now_rfc3339();
        let ev = json!({
            "metadata": {"name": name, "namespace": ns},
            "involvedObject": {"apiVersion": involved.api_version, "kind": involved.kind, "namespace": involved.namespace,
                               "name": involved.name, "uid": involved.uid},
            "type": type_, "reason": reason, "message": message,
            "source": {"component": component},
            "firstTimestamp": now, "lastTimestamp": now, "count": 1,
            "reportingComponent": component, "reportingInstance": "",
        });
        if self.cluster.create(&self.t.events, &ns, ev).is_ok() {
            self.events_made.push_back((ns, name));
        }
        while self.events_made.len() > EVENT_CAP {
            if let Some((ns, name)) = self.events_made.pop_front() {
                let _ = self.cluster.remove_now(&self.t.events, &ns, &name);
            }
        }
    }

    fn new_pod(
        &mut self,
        owner: &ObjectRef,
        template: &Value,
        name: &str,
        extra_labels: &Value,
        node: Option<&str>,
    ) -> Option<Arc<Stored>> {
        let mut pod =
            json!({"metadata": template["metadata"].clone(), "spec": template["spec"].clone()});
        pod["metadata"]["name"] = json!(name);
        pod["metadata"]["ownerReferences"] = json!([owner.owner_reference()]);
        if let Some(extra) = extra_labels.as_object() {
            for (k, v) in extra {
                pod["metadata"]["labels"][k] = v.clone();
            }
        }
        if let Some(n) = node {
            pod["spec"]["nodeName"] = json!(n);
        }
        pod["spec"]["serviceAccountName"] = json!("default");
        let created = self
            .cluster
            .create(&self.t.pods, &owner.namespace, pod)
            .ok();
        if let Some(p) = &created {
            self.emit_event(
                owner,
                "Normal",
                "SuccessfulCreate",
                &format!("Created pod: {}", p.name),
                &format!("{}-controller", owner.kind.to_lowercase()),
            );
        }
        created
    }

    fn reconcile_deployment(&mut self, ns: &str, name: &str) {
        let Some(d) = self.get(&self.t.deploy, ns, name) else {
            return;
        };
        if d.deleting {
            return;
        }
        let dv = d.value();
        let desired = dv["spec"]["replicas"].as_i64().unwrap_or(1);
        let template = dv["spec"]["template"].clone();
        let hash = template_hash(&template);
        let me = ObjectRef::of("apps/v1", "Deployment", &d);
        let mut sets = self.owned(&d.uid, "apps/replicasets");
        let new_name = format!("{name}-{hash}");
        let revision = sets
            .iter()
            .filter_map(|s| {
                s.metadata()["annotations"]["deployment.kubernetes.io/revision"]
                    .as_str()
                    .and_then(|r| r.parse::<i64>().ok())
            })
            .max()
            .unwrap_or(0);
        if !sets.iter().any(|s| s.name == new_name) {
            let mut labels = template["metadata"]["labels"].clone();
            labels["pod-template-hash"] = json!(hash);
            let mut selector = dv["spec"]["selector"].clone();
            selector["matchLabels"]["pod-template-hash"] = json!(hash);
            let mut rs_template = template.clone();
            rs_template["metadata"]["labels"] = labels.clone();
            let initial = if sets.is_empty() {
                desired
            } else {
                desired.clamp(0, 1)
            };
            let rs = json!({
                "metadata": {"name": new_name, "namespace": ns, "labels": labels,
                             "annotations": {"deployment.kubernetes.io/desired-replicas": desired.to_string(),
                                             "deployment.kubernetes.io/max-replicas": (desired + 1).to_string(),
                                             "deployment.kubernetes.io/revision": (revision + 1).to_string()},
                             "ownerReferences": [me.owner_reference()]},
                "spec": {"replicas": initial, "selector": selector, "template": rs_template},
            });
            if let Ok(created) = self.cluster.create(&self.t.rs, ns, rs) {
                self.emit_event(
                    &me,
                    "Normal",
                    "ScalingReplicaSet",
                    &format!("Scaled up replica set {new_name} from 0 to {initial}"),
                    "deployment-controller",
                );
                sets.push(created);
            }
        }
        // Roll: the new set grows to the desired count; old sets shrink as new pods become ready.
        let new_ready = sets
            .iter()
            .find(|s| s.name == new_name)
            .map(|s| s.value()["status"]["readyReplicas"].as_i64().unwrap_or(0))
            .unwrap_or(0);
        let mut old_budget = (desired - new_ready).max(0);
        let (mut replicas, mut updated, mut ready, mut available) = (0, 0, 0, 0);
        for s in &sets {
            let v = s.value();
            let want = if s.name == new_name {
                let current = v["spec"]["replicas"].as_i64().unwrap_or(0);
                // Surge by one pod at a time while old pods are still serving.
                if old_budget > 0 && current < desired {
                    (current + 1).min(desired)
                } else {
                    desired
                }
            } else {
                let current = v["spec"]["replicas"].as_i64().unwrap_or(0);
                let keep = current.min(old_budget);
                old_budget -= keep;
                keep
            };
            let current = v["spec"]["replicas"].as_i64().unwrap_or(0);
            if want != current {
                let _ = self
                    .cluster
                    .modify(&self.t.rs, ns, &s.name, None, |mut rs| {
                        rs["spec"]["replicas"] = json!(want);
                        rs["metadata"]["annotations"]["deployment.kubernetes.io/desired-replicas"] =
                            json!(desired.to_string());
                        Ok(rs)
                    });
                let verb = if want > current { "up" } else { "down" };
                self.emit_event(
                    &me,
                    "Normal",
                    "ScalingReplicaSet",
                    &format!(
                        "Scaled {verb} replica set {} from {current} to {want}",
                        s.name
                    ),
                    "deployment-controller",
                );
            }
            let st = &v["status"];
            replicas += st["replicas"].as_i64().unwrap_or(0);
            ready += st["readyReplicas"].as_i64().unwrap_or(0);
            available += st["availableReplicas"].as_i64().unwrap_or(0);
            if s.name == new_name {
                updated = st["replicas"].as_i64().unwrap_or(0);
            }
        }
        let generation = dv["metadata"]["generation"].as_i64().unwrap_or(1);
        let complete = updated == desired && replicas == desired && available >= desired;
        let now = now_rfc3339();
        let prev_conditions = dv["status"]["conditions"].clone();
        let keep_time = |t: &str, status: &str| -> String {
            prev_conditions
                .as_array()
                .and_then(|cs| cs.iter().find(|c| c["type"] == t && c["status"] == status))
                .and_then(|c| c["lastTransitionTime"].as_str().map(str::to_string))
                .unwrap_or_else(|| now.clone())
        };
        let avail_status = if available >= desired {
            "True"
        } else {
            "False"
        };
        let (prog_reason, prog_msg) = if complete {
            (
                "NewReplicaSetAvailable",
                format!("ReplicaSet \"{new_name}\" has successfully progressed."),
            )
        } else {
            (
                "ReplicaSetUpdated",
                format!("ReplicaSet \"{new_name}\" is progressing."),
            )
        };
        let mut status = json!({
            "observedGeneration": generation,
            "replicas": replicas, "updatedReplicas": updated, "readyReplicas": ready, "availableReplicas": available,
            "conditions": [
                {"type": "Available", "status": avail_status,
                 "reason": if available >= desired { "MinimumReplicasAvailable" } else { "MinimumReplicasUnavailable" },
                 "message": if available >= desired { "Deployment has minimum availability." } else { "Deployment does not have minimum availability." },
                 "lastUpdateTime": keep_time("Available", avail_status), "lastTransitionTime": keep_time("Available", avail_status)},
                {"type": "Progressing", "status": "True", "reason": prog_reason, "message": prog_msg,
                 "lastUpdateTime": keep_time("Progressing", "True"), "lastTransitionTime": keep_time("Progressing", "True")},
            ],
        });
        if replicas - available > 0 {
            status["unavailableReplicas"] = json!(replicas - available);
        }
        let _ = self
            .cluster
            .modify(&self.t.deploy, ns, name, Some("status"), |mut v| {
                v["status"] = status;
                Ok(v)
            });
    }

    fn reconcile_replicaset(&mut self, ns: &str, name: &str) {
        let Some(rs) = self.get(&self.t.rs, ns, name) else {
            return;
        };
        if rs.deleting {
            return;
        }
        let v = rs.value();
        let desired = v["spec"]["replicas"].as_i64().unwrap_or(1);
        let me = ObjectRef::of("apps/v1", "ReplicaSet", &rs);
        let mut pods: Vec<Arc<Stored>> = self
            .owned(&rs.uid, "/pods")
            .into_iter()
            .filter(|p| !p.deleting)
            .collect();
        let template = v["spec"]["template"].clone();
        while (pods.len() as i64) < desired {
            let pod_name = format!("{name}-{}", self.cluster.random_suffix(5));
            match self.new_pod(&me, &template, &pod_name, &json!({}), None) {
                Some(p) => pods.push(p),
                None => break,
            }
        }
        if pods.len() as i64 > desired {
            // Remove not-ready pods first, then the newest.
            pods.sort_by_key(|p| (is_ready(p), Reverse(p.rv)));
            let extra = pods.len() - desired as usize;
            for p in pods.drain(..extra) {
                let _ = self
                    .cluster
                    .delete(&self.t.pods, ns, &p.name, &DeleteOptions::default());
                self.emit_event(
                    &me,
                    "Normal",
                    "SuccessfulDelete",
                    &format!("Deleted pod: {}", p.name),
                    "replicaset-controller",
                );
            }
        }
        let ready = pods.iter().filter(|p| is_ready(p)).count() as i64;
        let generation = v["metadata"]["generation"].as_i64().unwrap_or(1);
        let count = pods.len() as i64;
        let _ = self.cluster.modify(&self.t.rs, ns, name, Some("status"), |mut v| {
            v["status"] = json!({"replicas": count, "fullyLabeledReplicas": count, "readyReplicas": ready,
                                 "availableReplicas": ready, "observedGeneration": generation});
            Ok(v)
        });
    }

    fn reconcile_statefulset(&mut self, ns: &str, name: &str) {
        let Some(sts) = self.get(&self.t.sts, ns, name) else {
            return;
        };
        if sts.deleting {
            return;
        }
        let v = sts.value();
        let desired = v["spec"]["replicas"].as_i64().unwrap_or(1);
        let template = v["spec"]["template"].clone();
        let revision = format!("{name}-{}", template_hash(&template));
        let me = ObjectRef::of("apps/v1", "StatefulSet", &sts);
        let pods: Vec<Arc<Stored>> = self.owned(&sts.uid, "/pods");
        let mut all_ready = true;
        for i in 0..desired {
            let pod_name = format!("{name}-{i}");
            match pods.iter().find(|p| p.name == pod_name) {
                None => {
                    if all_ready {
                        let labels = json!({"controller-revision-hash": revision, "statefulset.kubernetes.io/pod-name": pod_name, "apps.kubernetes.io/pod-index": i.to_string()});
                        self.new_pod(&me, &template, &pod_name, &labels, None);
                    }
                    all_ready = false;
                }
                Some(p) => all_ready &= is_ready(p) && !p.deleting,
            }
        }
        // Scale down from the highest ordinal; roll outdated pods one at a time from the top.
        for p in &pods {
            let ordinal: i64 = p
                .name
                .rsplit('-')
                .next()
                .and_then(|o| o.parse().ok())
                .unwrap_or(0);
            if ordinal >= desired && !p.deleting {
                let _ = self
                    .cluster
                    .delete(&self.t.pods, ns, &p.name, &DeleteOptions::default());
            }
        }
        if all_ready
            && let Some(outdated) = pods
                .iter()
                .filter(|p| {
                    !p.deleting && p.labels.get("controller-revision-hash") != Some(&revision)
                })
                .max_by_key(|p| p.name.clone())
        {
            let _ =
                self.cluster
                    .delete(&self.t.pods, ns, &outdated.name, &DeleteOptions::default());
        }
        let live: Vec<&Arc<Stored>> = pods.iter().filter(|p| !p.deleting).collect();
        let ready = live.iter().filter(|p| is_ready(p)).count() as i64;
        let updated = live
            .iter()
            .filter(|p| p.labels.get("controller-revision-hash") == Some(&revision))
            .count() as i64;
        let generation = v["metadata"]["generation"].as_i64().unwrap_or(1);
        let count = live.len() as i64;
        let _ = self.cluster.modify(&self.t.sts, ns, name, Some("status"), |mut v| {
            v["status"] = json!({"replicas": count, "readyReplicas": ready, "currentReplicas": updated, "updatedReplicas": updated,
                                 "availableReplicas": ready, "observedGeneration": generation, "currentRevision": revision,
                                 "updateRevision": revision, "collisionCount": 0});
            Ok(v)
        });
    }

    fn reconcile_daemonset(&mut self, ns: &str, name: &str) {
        let Some(ds) = self.get(&self.t.ds, ns, name) else {
            return;
        };
        if ds.deleting {
            return;
        }
        let v = ds.value();
        let template = v["spec"]["template"].clone();
        let revision = template_hash(&template);
        let me = ObjectRef::of("apps/v1", "DaemonSet", &ds);
        let nodes = self.cluster.read().list("/nodes", "");
        let pods = self.owned(&ds.uid, "/pods");
        for node in nodes.iter().filter(|n| !n.deleting) {
            let on_node: Vec<&Arc<Stored>> = pods
                .iter()
                .filter(|p| p.field("spec.nodeName") == node.name && !p.deleting)
                .collect();
            if on_node.is_empty() {
                let pod_name = format!("{name}-{}", self.cluster.random_suffix(5));
                self.new_pod(
                    &me,
                    &template,
                    &pod_name,
                    &json!({"controller-revision-hash": revision}),
                    Some(&node.name),
                );
            }
        }
        for p in &pods {
            if !nodes.iter().any(|n| n.name == p.field("spec.nodeName")) && !p.deleting {
                let _ = self
                    .cluster
                    .delete(&self.t.pods, ns, &p.name, &DeleteOptions::default());
            }
        }
        let live: Vec<&Arc<Stored>> = pods.iter().filter(|p| !p.deleting).collect();
        let ready = live.iter().filter(|p| is_ready(p)).count() as i64;
        let updated = live
            .iter()
            .filter(|p| p.labels.get("controller-revision-hash") == Some(&revision))
            .count() as i64;
        let desired = nodes.len() as i64;
        let generation = v["metadata"]["generation"].as_i64().unwrap_or(1);
        let count = live.len() as i64;
        let _ = self.cluster.modify(&self.t.ds, ns, name, Some("status"), |mut v| {
            v["status"] = json!({"desiredNumberScheduled": desired, "currentNumberScheduled": count, "numberReady": ready,
                                 "updatedNumberScheduled": updated, "numberAvailable": ready, "numberMisscheduled": 0,
                                 "observedGeneration": generation});
            Ok(v)
        });
    }

    fn reconcile_job(&mut self, ns: &str, name: &str) {
        let Some(job) = self.get(&self.t.jobs, ns, name) else {
            return;
        };
        if job.deleting {
            return;
        }
        let v = job.value();
        if v["status"]["completionTime"].is_string() {
            return;
        }
        let completions = v["spec"]["completions"].as_i64().unwrap_or(1);
        let parallelism = v["spec"]["parallelism"].as_i64().unwrap_or(1);
        let me = ObjectRef::of("batch/v1", "Job", &job);
        let pods = self.owned(&job.uid, "/pods");
        let succeeded = pods
            .iter()
            .filter(|p| p.field("status.phase") == "Succeeded")
            .count() as i64;
        let mut active = pods
            .iter()
            .filter(|p| {
                !p.deleting && !matches!(p.field("status.phase").as_str(), "Succeeded" | "Failed")
            })
            .count() as i64;
        let failed = pods
            .iter()
            .filter(|p| p.field("status.phase") == "Failed")
            .count() as i64;
        let backoff_limit = v["spec"]["backoffLimit"].as_i64().unwrap_or(6);
        if failed > backoff_limit {
            self.fail_job(&job, active, succeeded, failed);
            return;
        }
        let template = v["spec"]["template"].clone();
        let uid = job.uid.clone();
        while succeeded + active < completions && active < parallelism {
            let pod_name = format!("{name}-{}", self.cluster.random_suffix(5));
            let labels = json!({"batch.kubernetes.io/job-name": name, "job-name": name, "controller-uid": uid, "batch.kubernetes.io/controller-uid": uid});
            if self
                .new_pod(&me, &template, &pod_name, &labels, None)
                .is_none()
            {
                break;
            }
            active += 1;
        }
        let now = now_rfc3339();
        let start = v["status"]["startTime"]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| now.clone());
        let mut status = json!({"startTime": start, "active": active, "succeeded": succeeded, "failed": failed, "ready": 0,
                                "uncountedTerminatedPods": {}});
        if succeeded >= completions {
            status["completionTime"] = json!(now);
            status["active"] = json!(0);
            status["conditions"] = json!([
                {"type": "SuccessCriteriaMet", "status": "True", "lastProbeTime": now, "lastTransitionTime": now, "reason": "CompletionsReached", "message": "Reached expected number of succeeded pods"},
                {"type": "Complete", "status": "True", "lastProbeTime": now, "lastTransitionTime": now, "reason": "CompletionsReached", "message": "Reached expected number of succeeded pods"}
            ]);
            self.emit_event(
                &me,
                "Normal",
                "Completed",
                "Job completed",
                "job-controller",
            );
        }
        let _ = self
            .cluster
            .modify(&self.t.jobs, ns, name, Some("status"), |mut v| {
                v["status"] = status;
                Ok(v)
            });
    }

    /// Past its backoff limit a job stops making pods and says so, as the job controller does.
    fn fail_job(&mut self, job: &Stored, active: i64, succeeded: i64, failed: i64) {
        let v = job.value();
        if v["status"]["conditions"]
            .as_array()
            .is_some_and(|cs| cs.iter().any(|c| c["type"] == "Failed"))
        {
            return;
        }
        let now = now_rfc3339();
        let message = "Job has reached the specified backoff limit";
        let start = v["status"]["startTime"].clone();
        let status = json!({"startTime": start, "active": active, "succeeded": succeeded, "failed": failed, "ready": 0,
        "uncountedTerminatedPods": {},
        "conditions": [
            {"type": "FailureTarget", "status": "True", "lastProbeTime": now, "lastTransitionTime": now, "reason": "BackoffLimitExceeded", "message": message},
            {"type": "Failed", "status": "True", "lastProbeTime": now, "lastTransitionTime": now, "reason": "BackoffLimitExceeded", "message": message}
        ]});
        let _ = self.cluster.modify(
            &self.t.jobs,
            &job.namespace,
            &job.name,
            Some("status"),
            |mut v| {
                v["status"] = status;
                Ok(v)
            },
        );
        let me = ObjectRef::of("batch/v1", "Job", job);
        self.emit_event(
            &me,
            "Warning",
            "BackoffLimitExceeded",
            message,
            "job-controller",
        );
    }

    fn reconcile_endpoints(&mut self, ns: &str) {
        let (services, pods) = {
            let store = self.cluster.read();
            (store.list("/services", ns), store.list("/pods", ns))
        };
        for svc in services {
            let sv = svc.value();
            let selector = &sv["spec"]["selector"];
            if !selector.is_object() || svc.deleting {
                continue;
            }
            let sel = LabelSelector::from_map(selector);
            let mut ready = Vec::new();
            let mut not_ready = Vec::new();
            for p in pods
                .iter()
                .filter(|p| !p.deleting && sel.matches(&p.labels))
            {
                let pv = p.value();
                let Some(ip) = pv["status"]["podIP"].as_str() else {
                    continue;
                };
                let addr = json!({"ip": ip, "nodeName": pv["spec"]["nodeName"],
                                  "targetRef": {"kind": "Pod", "namespace": ns, "name": p.name, "uid": p.uid}});
                if is_ready(p) {
                    ready.push(addr)
                } else {
                    not_ready.push(addr)
                }
            }
            let ports: Vec<Value> = sv["spec"]["ports"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .iter()
                .map(|p| {
                    let port = p["targetPort"].as_i64().or_else(|| p["port"].as_i64()).unwrap_or(80);
                    json!({"name": p["name"], "port": port, "protocol": p["protocol"].as_str().unwrap_or("TCP")})
                })
                .collect();
            let mut subset = json!({"ports": ports});
            if !ready.is_empty() {
                subset["addresses"] = json!(ready);
            }
            if !not_ready.is_empty() {
                subset["notReadyAddresses"] = json!(not_ready);
            }
            let subsets = if ready.is_empty() && not_ready.is_empty() {
                json!([])
            } else {
                json!([subset])
            };
            let exists = self.get(&self.t.endpoints, ns, &svc.name).is_some();
            if exists {
                let _ = self
                    .cluster
                    .modify(&self.t.endpoints, ns, &svc.name, None, |mut v| {
                        v["subsets"] = subsets;
                        Ok(v)
                    });
            } else {
                let ep = json!({"metadata": {"name": svc.name, "namespace": ns, "labels": sv["metadata"]["labels"]}, "subsets": subsets});
                let _ = self.cluster.create(&self.t.endpoints, ns, ep);
            }
        }
    }

    fn finish_foreground(&mut self, key: &str, ns: &str, name: &str) {
        let types = self.cluster.types();
        let Some(rt) = types.iter().find(|t| type_key(&t.group, &t.plural) == key) else {
            return;
        };
        let Some(obj) = self.get(rt, ns, name) else {
            return;
        };
        let deps: Vec<(String, String, String)> = self
            .dependents
            .get(&obj.uid)
            .map(|d| d.iter().cloned().collect())
            .unwrap_or_default();
        if deps.is_empty() {
            self.foreground.remove(&obj.uid);
            let _ = self.cluster.modify(rt, ns, name, None, |mut v| {
                if let Some(f) = v["metadata"]["finalizers"].as_array_mut() {
                    f.retain(|x| x != "foregroundDeletion");
                }
                Ok(v)
            });
            return;
        }
        for (k, dns, dname) in deps {
            if let Some(drt) = types.iter().find(|t| type_key(&t.group, &t.plural) == k) {
                let _ = self.cluster.delete(
                    drt,
                    &dns,
                    &dname,
                    &DeleteOptions::propagating(Propagation::Foreground),
                );
            }
        }
    }

    fn next_pod_ip(&mut self) -> String {
        self.next_ip += 1;
        format!(
            "10.244.{}.{}",
            (self.next_ip / 250) % 250,
            self.next_ip % 250 + 2
        )
    }

    fn pod_if_same(&self, ns: &str, name: &str, uid: &str) -> Option<Arc<Stored>> {
        self.get(&self.t.pods, ns, name)
            .filter(|p| p.uid == uid && !p.deleting)
    }

    fn run_task(&mut self, task: Task) {
        match task {
            Task::Schedule(ns, name, uid) => self.schedule(&ns, &name, &uid),
            Task::Start(ns, name, uid) => self.start(&ns, &name, &uid),
            Task::Crash(ns, name, uid) => self.crash(&ns, &name, &uid),
            Task::Restart(ns, name, uid) => self.restart(&ns, &name, &uid),
            Task::Complete(ns, name, uid) => self.complete(&ns, &name, &uid),
            Task::FinishDelete(ns, name, uid) => {
                if let Some(p) = self.get(&self.t.pods, &ns, &name).filter(|p| p.uid == uid) {
                    let me = ObjectRef::of("v1", "Pod", &p);
                    let _ = self.cluster.remove_now(&self.t.pods, &ns, &name);
                    let _ = me;
                }
            }
            Task::NamespaceCleanup(ns) => self.namespace_cleanup(&ns),
            Task::DemoPulse => {
                // The demo's worker deployment breathes between 2 and 4 replicas, so there is always a change to watch.
                if let Some(d) = self.get(&self.t.deploy, "shop", "worker") {
                    let current = d.value()["spec"]["replicas"].as_i64().unwrap_or(2);
                    let next = if current >= 4 { 2 } else { current + 1 };
                    let _ = self
                        .cluster
                        .modify(&self.t.deploy, "shop", "worker", None, |mut v| {
                            v["spec"]["replicas"] = json!(next);
                            Ok(v)
                        });
                }
                self.at(Duration::from_secs(30), Task::DemoPulse);
            }
            Task::CronTick => {
                self.tick_cronjobs();
                self.at(Duration::from_secs(1), Task::CronTick);
            }
        }
    }

    fn schedule(&mut self, ns: &str, name: &str, uid: &str) {
        let Some(pod) = self.pod_if_same(ns, name, uid) else {
            return;
        };
        if !pod.field("spec.nodeName").is_empty() {
            return; // placed already (a resync can ask twice)
        }
        let stored: Vec<Arc<Stored>> = self
            .cluster
            .read()
            .list("/nodes", "")
            .into_iter()
            .filter(|n| !n.deleting)
            .collect();
        let values: Vec<Value> = stored.iter().map(|n| n.value()).collect();
        let pv = pod.value();
        let fits = match kubelet::place(&pv, &values) {
            Ok(fits) => fits,
            Err(why) => {
                self.unschedulable(&pod, &why);
                return;
            }
        };
        let chosen = fits[self.cluster.random_index(fits.len())]["metadata"]["name"].clone();
        let Some(node) = stored.iter().find(|n| chosen == n.name.as_str()).cloned() else {
            return;
        };
        let now = now_rfc3339();
        let node_ip = node.value()["status"]["addresses"][0]["address"]
            .as_str()
            .unwrap_or("172.18.0.2")
            .to_string();
        let _ = self.cluster.modify(&self.t.pods, ns, name, None, |mut v| {
            v["spec"]["nodeName"] = json!(node.name);
            Ok(v)
        });
        let res = self.cluster.modify(&self.t.pods, ns, name, Some("status"), |mut v| {
            let waiting: Vec<Value> = v["spec"]["containers"].as_array().cloned().unwrap_or_default().iter()
                .map(|c| json!({"name": c["name"], "image": c["image"], "imageID": "", "ready": false, "started": false, "restartCount": 0,
                                "state": {"waiting": {"reason": "ContainerCreating"}}}))
                .collect();
            v["status"] = json!({"phase": "Pending", "hostIP": node_ip, "hostIPs": [{"ip": node_ip}], "startTime": now, "qosClass": "Burstable",
                "conditions": [{"type": "PodScheduled", "status": "True", "lastTransitionTime": now},
                               {"type": "Initialized", "status": "True", "lastTransitionTime": now},
                               {"type": "Ready", "status": "False", "reason": "ContainersNotReady", "message": "containers with unready status", "lastTransitionTime": now},
                               {"type": "ContainersReady", "status": "False", "reason": "ContainersNotReady", "lastTransitionTime": now}],
                "containerStatuses": waiting});
            Ok(v)
        });
        if res.is_ok() {
            let me = ObjectRef::of("v1", "Pod", &pod);
            self.emit_event(
                &me,
                "Normal",
                "Scheduled",
                &format!("Successfully assigned {ns}/{name} to {}", node.name),
                "default-scheduler",
            );
            self.at(
                self.start_delay,
                Task::Start(ns.into(), name.into(), uid.into()),
            );
        }
    }

    /// Leaves the pod Pending with the scheduler's reason, and tries again later (a node may
    /// come back, or the pod may be changed).
    fn unschedulable(&mut self, pod: &Stored, why: &str) {
        let (ns, name, uid) = (pod.namespace.clone(), pod.name.clone(), pod.uid.clone());
        let now = now_rfc3339();
        let already = pod.value()["status"]["conditions"][0]["message"] == why;
        if !already {
            let _ = self.cluster.modify(&self.t.pods, &ns, &name, Some("status"), |mut v| {
                v["status"] = json!({"phase": "Pending", "qosClass": "Burstable",
                    "conditions": [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                                    "message": why, "lastTransitionTime": now}]});
                Ok(v)
            });
            let me = ObjectRef::of("v1", "Pod", pod);
            self.emit_event(&me, "Warning", "FailedScheduling", why, "default-scheduler");
        }
        self.at(Duration::from_secs(15), Task::Schedule(ns, name, uid));
    }

    /// Sets one container's waiting state (and the pod not ready), with a Warning event.
    fn hold(
        &mut self,
        pod: &Stored,
        container: &str,
        reason: &str,
        message: &str,
        event: (&str, &str),
    ) {
        let (ns, name) = (pod.namespace.clone(), pod.name.clone());
        let now = now_rfc3339();
        let _ = self
            .cluster
            .modify(&self.t.pods, &ns, &name, Some("status"), |mut v| {
                if let Some(cs) = v["status"]["containerStatuses"].as_array_mut()
                    && let Some(c) = cs.iter_mut().find(|c| c["name"] == container)
                {
                    c["state"] = json!({"waiting": {"reason": reason, "message": message}});
                    c["ready"] = json!(false);
                }
                set_ready_condition(&mut v, false, &now);
                Ok(v)
            });
        let me = ObjectRef::of("v1", "Pod", pod);
        self.emit_event(&me, "Warning", event.0, event.1, "kubelet");
    }

    /// What keeps a scheduled pod from starting (an image that cannot be pulled, a missing
    /// ConfigMap or Secret key); true when it was held back.
    fn held_back(&mut self, pod: &Stored) -> bool {
        let pv = pod.value();
        for c in pv["spec"]["containers"].as_array().into_iter().flatten() {
            let cname = c["name"].as_str().unwrap_or_default();
            let image = c["image"].as_str().unwrap_or_default();
            if let Some(why) = kubelet::pull_error(image) {
                let said = format!("Failed to pull image \"{image}\": {why}");
                self.hold(pod, cname, "ErrImagePull", &why, ("Failed", &said));
                let back_off = format!("Back-off pulling image \"{image}\"");
                self.hold(
                    pod,
                    cname,
                    "ImagePullBackOff",
                    &back_off,
                    ("BackOff", &back_off),
                );
                return true;
            }
        }
        let ns = pod.namespace.clone();
        let (cms, secrets) = (
            self.cluster.read().list("/configmaps", &ns),
            self.cluster.read().list("/secrets", &ns),
        );
        let lookup = |kind: &str, name: &str| {
            let from = if kind == "Secret" { &secrets } else { &cms };
            from.iter().find(|o| o.name == name).map(|o| o.value())
        };
        if let Some(why) = kubelet::config_error(&pv, &lookup) {
            let first = pv["spec"]["containers"][0]["name"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let said = format!("Error: {why}");
            self.hold(
                pod,
                &first,
                "CreateContainerConfigError",
                &why,
                ("Failed", &said),
            );
            return true;
        }
        false
    }

    fn start(&mut self, ns: &str, name: &str, uid: &str) {
        let Some(pod) = self.pod_if_same(ns, name, uid) else {
            return;
        };
        if !matches!(pod.field("status.phase").as_str(), "" | "Pending") {
            return; // started already (a resync can ask twice)
        }
        let node = pod.field("spec.nodeName");
        let node_alive = self
            .cluster
            .read()
            .list("/nodes", "")
            .iter()
            .find(|n| n.name == node)
            .is_none_or(|n| {
                n.value()["status"]["conditions"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|c| c["type"] == "Ready" && c["status"] == "True")
            });
        if !node_alive {
            // No kubelet answers there: the pod stays as it is until the node comes back.
            return;
        }
        if self.held_back(&pod) {
            // The kubelet keeps trying: fixing the ConfigMap or the image lets it start.
            self.at(
                Duration::from_secs(20),
                Task::Start(ns.into(), name.into(), uid.into()),
            );
            return;
        }
        let pv = pod.value();
        let now = now_rfc3339();
        let node_ip = pv["status"]["hostIP"]
            .as_str()
            .unwrap_or("172.18.0.2")
            .to_string();
        let pod_ip = self.next_pod_ip();
        let mut status = running_status(&pv, &node_ip, &pod_ip, &now);
        let unready = kubelet::probe_fails(&pv);
        if unready {
            for c in status["containerStatuses"]
                .as_array_mut()
                .into_iter()
                .flatten()
            {
                c["ready"] = json!(false);
            }
            for c in status["conditions"].as_array_mut().into_iter().flatten() {
                if c["type"] == "Ready" || c["type"] == "ContainersReady" {
                    c["status"] = json!("False");
                    c["reason"] = json!("ContainersNotReady");
                }
            }
        }
        if self
            .cluster
            .modify(&self.t.pods, ns, name, Some("status"), |mut v| {
                v["status"] = status;
                Ok(v)
            })
            .is_err()
        {
            return;
        }
        let start_ns = now_ns();
        let me = ObjectRef::of("v1", "Pod", &pod);
        for c in pv["spec"]["containers"]
            .as_array()
            .cloned()
            .unwrap_or_default()
        {
            let cname = c["name"].as_str().unwrap_or_default();
            let image = c["image"].as_str().unwrap_or_default();
            self.cluster
                .logs
                .start_instance(ns, name, cname, Flavour::for_image(image), start_ns);
            self.emit_event(
                &me,
                "Normal",
                "Pulled",
                &format!("Container image \"{image}\" already present on machine"),
                "kubelet",
            );
            self.emit_event(
                &me,
                "Normal",
                "Started",
                &format!("Started container {cname}"),
                "kubelet",
            );
        }
        if unready {
            let port = pv["spec"]["containers"][0]["readinessProbe"]["httpGet"]["port"].clone();
            let path = pv["spec"]["containers"][0]["readinessProbe"]["httpGet"]["path"]
                .as_str()
                .unwrap_or("/")
                .to_string();
            let port = port.as_i64().map_or_else(
                || port.as_str().unwrap_or("80").to_string(),
                |p| p.to_string(),
            );
            self.emit_event(
                &me,
                "Warning",
                "Unhealthy",
                &format!("Readiness probe failed: Get \"http://{pod_ip}:{port}{path}\": HTTP probe failed with statuscode: 503"),
                "kubelet",
            );
        }
        if let Some(secs) = crash_every(&pv) {
            self.at(
                Duration::from_secs_f64(secs),
                Task::Crash(ns.into(), name.into(), uid.into()),
            );
        }
        if controller_owner(&pv["metadata"]).is_some_and(|(k, _)| k == "Job") {
            self.at(
                Duration::from_secs(4),
                Task::Complete(ns.into(), name.into(), uid.into()),
            );
        }
    }

    fn crash(&mut self, ns: &str, name: &str, uid: &str) {
        let Some(pod) = self.pod_if_same(ns, name, uid) else {
            return;
        };
        let pv = pod.value();
        let Some(cname) = pv["spec"]["containers"][0]["name"]
            .as_str()
            .map(str::to_string)
        else {
            return;
        };
        let now = now_rfc3339();
        let (exit, reason) = kubelet::crash_end(&pv);
        self.cluster.logs.end_instance(ns, name, &cname, now_ns());
        let res = self.cluster.modify(&self.t.pods, ns, name, Some("status"), |mut v| {
            if let Some(cs) = v["status"]["containerStatuses"].as_array_mut()
                && let Some(c) = cs.iter_mut().find(|c| c["name"] == cname.as_str())
            {
                let started = c["state"]["running"]["startedAt"].clone();
                c["lastState"] = json!({"terminated": {"exitCode": exit, "reason": reason, "startedAt": started, "finishedAt": now,
                                                       "containerID": c["containerID"]}});
                c["state"] = json!({"waiting": {"reason": "CrashLoopBackOff",
                    "message": format!("back-off 10s restarting failed container={cname} pod={name}_{ns}({uid})")}});
                c["ready"] = json!(false);
                c["started"] = json!(false);
                c["restartCount"] = json!(c["restartCount"].as_i64().unwrap_or(0) + 1);
            }
            set_ready_condition(&mut v, false, &now);
            Ok(v)
        });
        if res.is_ok() {
            let me = ObjectRef::of("v1", "Pod", &pod);
            self.emit_event(
                &me,
                "Warning",
                "BackOff",
                &format!("Back-off restarting failed container {cname} in pod {name}_{ns}({uid})"),
                "kubelet",
            );
            self.at(
                Duration::from_secs(5),
                Task::Restart(ns.into(), name.into(), uid.into()),
            );
        }
    }

    fn restart(&mut self, ns: &str, name: &str, uid: &str) {
        let Some(pod) = self.pod_if_same(ns, name, uid) else {
            return;
        };
        let pv = pod.value();
        let Some(cname) = pv["spec"]["containers"][0]["name"]
            .as_str()
            .map(str::to_string)
        else {
            return;
        };
        let image = pv["spec"]["containers"][0]["image"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let now = now_rfc3339();
        self.cluster
            .logs
            .start_instance(ns, name, &cname, Flavour::for_image(&image), now_ns());
        let res = self
            .cluster
            .modify(&self.t.pods, ns, name, Some("status"), |mut v| {
                if let Some(cs) = v["status"]["containerStatuses"].as_array_mut()
                    && let Some(c) = cs.iter_mut().find(|c| c["name"] == cname.as_str())
                {
                    c["state"] = json!({"running": {"startedAt": now}});
                    c["ready"] = json!(true);
                    c["started"] = json!(true);
                }
                let all_ready = v["status"]["containerStatuses"]
                    .as_array()
                    .is_some_and(|cs| cs.iter().all(|c| c["ready"] == true));
                set_ready_condition(&mut v, all_ready, &now);
                Ok(v)
            });
        if res.is_ok() {
            let me = ObjectRef::of("v1", "Pod", &pod);
            self.emit_event(
                &me,
                "Normal",
                "Started",
                &format!("Started container {cname}"),
                "kubelet",
            );
            if let Some(secs) = crash_every(&pv) {
                self.at(
                    Duration::from_secs_f64(secs),
                    Task::Crash(ns.into(), name.into(), uid.into()),
                );
            }
        }
    }

    fn complete(&mut self, ns: &str, name: &str, uid: &str) {
        let Some(pod) = self.pod_if_same(ns, name, uid) else {
            return;
        };
        let exit = kubelet::exit_code(&pod.value());
        let (phase, reason) = if exit == 0 {
            ("Succeeded", "Completed")
        } else {
            ("Failed", "Error")
        };
        let now = now_rfc3339();
        let end = now_ns();
        let names: Vec<String> = self
            .get(&self.t.pods, ns, name)
            .map(|p| {
                p.value()["spec"]["containers"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
            })
            .unwrap_or_default()
            .iter()
            .filter_map(|c| c["name"].as_str().map(str::to_string))
            .collect();
        for c in &names {
            self.cluster.logs.end_instance(ns, name, c, end);
        }
        let _ = self.cluster.modify(&self.t.pods, ns, name, Some("status"), |mut v| {
            v["status"]["phase"] = json!(phase);
            if let Some(cs) = v["status"]["containerStatuses"].as_array_mut() {
                for c in cs {
                    let started = c["state"]["running"]["startedAt"].clone();
                    c["state"] = json!({"terminated": {"exitCode": exit, "reason": reason, "startedAt": started, "finishedAt": now}});
                    c["ready"] = json!(false);
                    c["started"] = json!(false);
                }
            }
            set_ready_condition(&mut v, false, &now);
            Ok(v)
        });
    }

    fn namespace_cleanup(&mut self, ns: &str) {
        let types = self.cluster.types();
        let mut remaining = 0;
        for rt in types.iter().filter(|t| t.namespaced) {
            let items = self
                .cluster
                .read()
                .list(&type_key(&rt.group, &rt.plural), ns);
            remaining += items.len();
            for s in items.iter().filter(|s| !s.deleting) {
                let _ = self
                    .cluster
                    .delete(rt, ns, &s.name, &DeleteOptions::default());
            }
        }
        if remaining == 0 {
            let _ = self.cluster.remove_now(&self.t.namespaces, "", ns);
        } else {
            self.at(
                Duration::from_millis(250),
                Task::NamespaceCleanup(ns.into()),
            );
        }
    }

    fn churn_one(&mut self) {
        if self.pod_keys.is_empty() {
            return;
        }
        let (ns, name) = self.pod_keys[self.cluster.random_index(self.pod_keys.len())].clone();
        self.churn_count += 1;
        let count = self.churn_count.to_string();
        let _ = self
            .cluster
            .modify(&self.t.pods, &ns, &name, None, |mut v| {
                v["metadata"]["annotations"]["sim.kx.dev/heartbeat"] = json!(count);
                Ok(v)
            });
    }
}

fn crash_every(pod: &Value) -> Option<f64> {
    pod["metadata"]["annotations"][CRASH_EVERY]
        .as_str()
        .and_then(|s| s.parse::<f64>().ok())
        .filter(|s| *s > 0.0)
}

fn set_ready_condition(pod: &mut Value, ready: bool, now: &str) {
    if let Some(conds) = pod["status"]["conditions"].as_array_mut() {
        for c in conds
            .iter_mut()
            .filter(|c| c["type"] == "Ready" || c["type"] == "ContainersReady")
        {
            let status = if ready { "True" } else { "False" };
            if c["status"] != status {
                c["status"] = json!(status);
                c["lastTransitionTime"] = json!(now);
            }
        }
    }
}
