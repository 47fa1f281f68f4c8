//! The simulated cluster's state and its write path: every create, update, patch and delete
//! goes through here, gets its resourceVersion, uid and timestamps, and becomes a watch event.

use super::errors::ApiError;
use super::faults::Faults;
use super::logs::LogBook;
use super::normalize::normalize;
use super::registry::{ResourceType, builtin_types, types_from_crd};
use super::store::{Event, Store, Stored, type_key};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard};
use tokio::sync::broadcast;

/// How a delete treats the object's dependents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Propagation {
    Background,
    Foreground,
    Orphan,
}

/// What a DELETE asks for: grace period, propagation and preconditions.
#[derive(Debug, Clone)]
pub struct DeleteOptions {
    pub grace_seconds: Option<i64>,
    pub propagation: Propagation,
    pub precondition_uid: Option<String>,
    pub precondition_rv: Option<String>,
}

impl Default for DeleteOptions {
    fn default() -> Self {
        DeleteOptions {
            grace_seconds: None,
            propagation: Propagation::Background,
            precondition_uid: None,
            precondition_rv: None,
        }
    }
}

impl DeleteOptions {
    pub fn propagating(propagation: Propagation) -> Self {
        DeleteOptions {
            propagation,
            ..Default::default()
        }
    }
}

/// Who a write's changed fields belong to, in `metadata.managedFields`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ownership<'a> {
    /// An ordinary write by this field manager: what it changed becomes its own.
    Record(&'a str),
    /// The object comes with its managedFields worked out already (server-side apply).
    Keep,
}

/// The field manager of the simulator's own controllers, as a real cluster's are.
pub const CONTROLLERS: &str = "kube-controller-manager";

pub struct Cluster {
    store: RwLock<Store>,
    events: broadcast::Sender<Arc<Event>>,
    rng: Mutex<ChaCha8Rng>,
    pub faults: Faults,
    pub logs: LogBook,
    /// Seconds a deleted pod takes to terminate here, whatever grace period it asked for.
    pub pod_termination_secs: f64,
    /// Seconds the simulator's clock runs ahead of the real one (`POST /sim/clock`), for
    /// schedules: a test can see a CronJob fire without waiting a minute.
    clock_ahead: std::sync::atomic::AtomicI64,
    /// A churn rate set while running (`/sim/churn`), as f64 bits; `u64::MAX` when unset.
    churn_override: std::sync::atomic::AtomicU64,
    /// Whether `metrics.k8s.io` is served (`kx sim --no-metrics` turns it off).
    pub metrics: std::sync::atomic::AtomicBool,
}

pub fn now_rfc3339() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// Whether two objects differ outside `metadata` and `status` (what bumps `generation`).
fn spec_changed(old: &Value, new: &Value) -> bool {
    let strip = |v: &Value| {
        let mut v = v.clone();
        if let Some(m) = v.as_object_mut() {
            m.remove("metadata");
            m.remove("status");
        }
        v
    };
    strip(old) != strip(new)
}

impl Cluster {
    pub fn new(seed: u64, history_cap: usize, log_rate: f64) -> Arc<Self> {
        let (events, _) = broadcast::channel(1 << 16);
        Arc::new(Cluster {
            store: RwLock::new(Store::new(builtin_types(), history_cap)),
            events,
            rng: Mutex::new(ChaCha8Rng::seed_from_u64(seed)),
            faults: Faults::default(),
            logs: LogBook::new(seed, log_rate),
            pod_termination_secs: 1.0,
            clock_ahead: std::sync::atomic::AtomicI64::new(0),
            metrics: std::sync::atomic::AtomicBool::new(true),
            churn_override: std::sync::atomic::AtomicU64::new(u64::MAX),
        })
    }

    /// The simulator's clock: real time plus however far it was moved ahead.
    pub fn clock(&self) -> jiff::Timestamp {
        let ahead = self.clock_ahead.load(std::sync::atomic::Ordering::SeqCst);
        jiff::Timestamp::now()
            .checked_add(jiff::SignedDuration::from_secs(ahead))
            .unwrap_or_else(|_| jiff::Timestamp::now())
    }

    /// Pod modifications per second set while running, if any.
    pub fn churn_rate(&self) -> Option<f64> {
        match self
            .churn_override
            .load(std::sync::atomic::Ordering::Relaxed)
        {
            u64::MAX => None,
            bits => Some(f64::from_bits(bits)),
        }
    }

    pub fn set_churn_rate(&self, per_sec: f64) {
        self.churn_override.store(
            per_sec.max(0.0).to_bits(),
            std::sync::atomic::Ordering::Relaxed,
        );
    }

    /// Moves the simulator's clock ahead (schedules see the time pass; nothing else does).
    pub fn advance_clock(&self, secs: i64) {
        self.clock_ahead
            .fetch_add(secs, std::sync::atomic::Ordering::SeqCst);
    }

    pub fn read(&self) -> RwLockReadGuard<'_, Store> {
        self.store.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Store> {
        self.store.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Subscribes to every change from now on. Take it under `read()` to join a snapshot without a gap.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.events.subscribe()
    }

    pub fn random_suffix(&self, len: usize) -> String {
        const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
        let mut rng = self.rng.lock().unwrap_or_else(|e| e.into_inner());
        (0..len)
            .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
            .collect()
    }

    pub fn random_uid(&self) -> String {
        let mut rng = self.rng.lock().unwrap_or_else(|e| e.into_inner());
        let b: [u8; 16] = rng.random();
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            u32::from_be_bytes([b[0], b[1], b[2], b[3]]),
            u16::from_be_bytes([b[4], b[5]]),
            u16::from_be_bytes([b[6], b[7]]) & 0x0fff,
            (u16::from_be_bytes([b[8], b[9]]) & 0x3fff) | 0x8000,
            u64::from_be_bytes([0, 0, b[10], b[11], b[12], b[13], b[14], b[15]])
        )
    }

    pub fn random_f64(&self) -> f64 {
        self.rng.lock().unwrap_or_else(|e| e.into_inner()).random()
    }

    pub fn random_index(&self, len: usize) -> usize {
        if len == 0 {
            return 0;
        }
        self.rng
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .random_range(0..len)
    }

    pub fn types(&self) -> Vec<ResourceType> {
        self.read().types.clone()
    }

    pub fn find_type(&self, group: &str, version: &str, plural: &str) -> Option<ResourceType> {
        self.read().find_type(group, version, plural).cloned()
    }

    pub fn type_of_kind(&self, api_version: &str, kind: &str) -> Option<ResourceType> {
        self.read().find_kind(api_version, kind).cloned()
    }

    /// Sends a change to the watches. Taking the store's write guard makes every caller publish
    /// before the lock is let go: changes then reach watches in resourceVersion order, and no
    /// watch can see a store version whose change it has not been sent. (Published after the
    /// lock, a later change could overtake an earlier one, and a watch skips what is older than
    /// what it last sent; a bookmark could name a version whose change was still on its way.)
    fn publish(&self, event: Arc<Event>, _held: &std::sync::RwLockWriteGuard<'_, Store>) {
        // No receivers is fine: nobody is watching yet.
        let _ = self.events.send(event);
    }

    pub fn get(&self, rt: &ResourceType, ns: &str, name: &str) -> Result<Arc<Stored>, ApiError> {
        self.read()
            .get(&type_key(&rt.group, &rt.plural), ns, name)
            .ok_or_else(|| ApiError::not_found(&rt.group, &rt.plural, name))
    }

    /// Creates an object in namespace `ns` (ignored for cluster-scoped types), as the
    /// simulator's own controllers do.
    pub fn create(&self, rt: &ResourceType, ns: &str, obj: Value) -> Result<Arc<Stored>, ApiError> {
        self.create_as(rt, ns, obj, Ownership::Record(CONTROLLERS))
    }

    /// Creates an object, recording who set its fields (see `Ownership`).
    pub fn create_as(
        &self,
        rt: &ResourceType,
        ns: &str,
        mut obj: Value,
        owner: Ownership<'_>,
    ) -> Result<Arc<Stored>, ApiError> {
        if !obj.is_object() {
            return Err(ApiError::bad_request(
                "the body of the request was not a JSON object",
            ));
        }
        let body_kind = obj["kind"].as_str().unwrap_or_default();
        if !body_kind.is_empty() && body_kind != rt.kind {
            return Err(ApiError::bad_request(format!(
                "the kind of the body ({body_kind}) does not match the resource ({})",
                rt.kind
            )));
        }
        obj["apiVersion"] = json!(rt.api_version());
        obj["kind"] = json!(rt.kind);
        if !obj["metadata"].is_object() {
            obj["metadata"] = json!({});
        }
        validate_replicas(
            &rt.kind,
            obj["metadata"]["name"].as_str().unwrap_or_default(),
            &obj,
        )?;
        let meta = &mut obj["metadata"];
        if meta["name"].as_str().unwrap_or_default().is_empty() {
            match meta["generateName"].as_str() {
                Some(prefix) if !prefix.is_empty() => {
                    let name = format!("{prefix}{}", self.random_suffix(5));
                    meta["name"] = json!(name);
                }
                _ => {
                    return Err(ApiError::invalid(
                        &rt.kind,
                        "",
                        "metadata.name: Required value: name or generateName is required",
                    ));
                }
            }
        }
        let name = meta["name"].as_str().unwrap_or_default().to_string();
        validate_name(&rt.kind, &name)?;
        if rt.namespaced {
            let body_ns = meta["namespace"].as_str().unwrap_or_default();
            if !body_ns.is_empty() && body_ns != ns {
                return Err(ApiError::bad_request(format!(
                    "the namespace of the provided object ({body_ns}) does not match the namespace sent on the request ({ns})"
                )));
            }
            meta["namespace"] = json!(ns);
        } else if let Some(m) = meta.as_object_mut() {
            m.remove("namespace");
        }
        meta["uid"] = json!(self.random_uid());
        meta["creationTimestamp"] = json!(now_rfc3339());
        meta["generation"] = json!(1);
        if let Some(m) = meta.as_object_mut() {
            m.remove("deletionTimestamp");
            m.remove("resourceVersion");
        }
        self.defaults_on_create(rt, &mut obj);
        let mut obj = normalize(&rt.kind, obj)
            .map_err(|e| ApiError::bad_request(format!("decoding {}: {e}", rt.kind)))?;
        let key = type_key(&rt.group, &rt.plural);
        let event = {
            let mut store = self.write();
            if rt.namespaced {
                let ns_state = store.get("/namespaces", "", ns);
                match ns_state {
                    None => return Err(ApiError::not_found("", "namespaces", ns)),
                    Some(n) if n.deleting => {
                        return Err(ApiError::new(
                            403,
                            "Forbidden",
                            format!(
                                "{} \"{name}\" is forbidden: unable to create new content in namespace {ns} because it is being terminated",
                                rt.plural
                            ),
                        ));
                    }
                    _ => {}
                }
            }
            if store
                .get(&key, if rt.namespaced { ns } else { "" }, &name)
                .is_some()
            {
                return Err(ApiError::already_exists(&rt.group, &rt.plural, &name));
            }
            let rv = store.next_rv();
            obj["metadata"]["resourceVersion"] = json!(rv.to_string());
            if let Ownership::Record(manager) = owner {
                super::fields::record_update(
                    None,
                    &mut obj,
                    manager,
                    None,
                    &rt.api_version(),
                    &now_rfc3339(),
                );
            }
            let event = store.put(&key, Stored::new(rt, &obj));
            if rt.kind == "CustomResourceDefinition" {
                refresh_types(&mut store);
            }
            self.publish(event.clone(), &store);
            event
        };
        Ok(event.object.clone())
    }

    /// Inserts objects the simulator built itself (already real Kubernetes JSON with names and
    /// namespaces), building their stored form on every core: the scale scenario's fast path.
    pub fn insert_built(&self, rt: &ResourceType, mut objects: Vec<Value>) {
        let key = type_key(&rt.group, &rt.plural);
        let now = now_rfc3339();
        let mut store = self.write();
        for obj in &mut objects {
            obj["apiVersion"] = json!(rt.api_version());
            obj["kind"] = json!(rt.kind);
            let meta = &mut obj["metadata"];
            meta["uid"] = json!(self.random_uid());
            meta["creationTimestamp"] = json!(now);
            meta["generation"] = json!(1);
            meta["resourceVersion"] = json!(store.next_rv().to_string());
            add_managed_fields(obj, &rt.api_version());
        }
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let chunk = objects.len().div_ceil(threads).max(1);
        let built: Vec<Vec<Stored>> = std::thread::scope(|scope| {
            let workers: Vec<_> = objects
                .chunks(chunk)
                .map(|part| {
                    scope.spawn(move || part.iter().map(|o| Stored::new(rt, o)).collect::<Vec<_>>())
                })
                .collect();
            workers.into_iter().filter_map(|w| w.join().ok()).collect()
        });
        let events: Vec<_> = built
            .into_iter()
            .flatten()
            .map(|stored| store.put(&key, stored))
            .collect();
        for e in events {
            self.publish(e, &store);
        }
    }

    fn defaults_on_create(&self, rt: &ResourceType, obj: &mut Value) {
        match rt.kind.as_str() {
            "Namespace" => {
                obj["status"] = json!({"phase": "Active"});
                obj["spec"] = json!({"finalizers": ["kubernetes"]});
            }
            "Pod" if !obj["status"]["phase"].is_string() => {
                obj["status"] = json!({"phase": "Pending", "qosClass": "BestEffort"});
            }
            "CustomResourceDefinition" => {
                let names = obj["spec"]["names"].clone();
                obj["status"] = json!({
                    "acceptedNames": names,
                    "storedVersions": obj["spec"]["versions"].as_array()
                        .map(|vs| vs.iter().filter(|v| v["storage"] == true).map(|v| v["name"].clone()).collect::<Vec<_>>())
                        .unwrap_or_default(),
                    "conditions": [
                        {"type": "NamesAccepted", "status": "True", "reason": "NoConflicts", "message": "no conflicts found", "lastTransitionTime": now_rfc3339()},
                        {"type": "Established", "status": "True", "reason": "InitialNamesAccepted", "message": "the initial names have been accepted", "lastTransitionTime": now_rfc3339()}
                    ]
                });
            }
            "Service" => {
                if obj["spec"]["type"].is_null() {
                    obj["spec"]["type"] = json!("ClusterIP");
                }
                if obj["spec"]["clusterIP"].is_null() {
                    let n = self.random_index(250) + 2;
                    let m = self.random_index(250) + 2;
                    obj["spec"]["clusterIP"] = json!(format!("10.96.{n}.{m}"));
                    obj["spec"]["clusterIPs"] = json!([format!("10.96.{n}.{m}")]);
                }
                if let Some(ports) = obj["spec"]["ports"].as_array_mut() {
                    for p in ports {
                        if p["protocol"].is_null() {
                            p["protocol"] = json!("TCP");
                        }
                        if p["targetPort"].is_null() {
                            p["targetPort"] = p["port"].clone();
                        }
                    }
                }
            }
            _ => {}
        }
    }

    /// Replaces an object (PUT). A body resourceVersion that is not the current one is a 409.
    /// `subresource` is `Some("status")` for `/status`, which changes only the status.
    pub fn update(
        &self,
        rt: &ResourceType,
        ns: &str,
        name: &str,
        obj: Value,
        subresource: Option<&str>,
    ) -> Result<Arc<Stored>, ApiError> {
        self.modify(rt, ns, name, subresource, |_| Ok(obj))
    }

    /// Read-modify-write under the store lock: `change` gets the current object and returns the new one.
    pub fn modify(
        &self,
        rt: &ResourceType,
        ns: &str,
        name: &str,
        subresource: Option<&str>,
        change: impl FnOnce(Value) -> Result<Value, ApiError>,
    ) -> Result<Arc<Stored>, ApiError> {
        self.modify_as(
            rt,
            ns,
            name,
            subresource,
            Ownership::Record(CONTROLLERS),
            change,
        )
    }

    /// `modify`, recording who changed which fields (see `Ownership`).
    pub fn modify_as(
        &self,
        rt: &ResourceType,
        ns: &str,
        name: &str,
        subresource: Option<&str>,
        owner: Ownership<'_>,
        change: impl FnOnce(Value) -> Result<Value, ApiError>,
    ) -> Result<Arc<Stored>, ApiError> {
        self.write_object(rt, ns, name, subresource, false, owner, change)
    }

    /// The write path of `modify`; only `delete` may set the deletion fields.
    #[allow(clippy::too_many_arguments)]
    fn write_object(
        &self,
        rt: &ResourceType,
        ns: &str,
        name: &str,
        subresource: Option<&str>,
        deleting: bool,
        owner: Ownership<'_>,
        change: impl FnOnce(Value) -> Result<Value, ApiError>,
    ) -> Result<Arc<Stored>, ApiError> {
        let ns = if rt.namespaced { ns } else { "" };
        let key = type_key(&rt.group, &rt.plural);
        let (event, removal) = {
            let mut store = self.write();
            let current = store
                .get(&key, ns, name)
                .ok_or_else(|| ApiError::not_found(&rt.group, &rt.plural, name))?;
            let old = current.value();
            let mut new = change(old.clone())?;
            if !new.is_object() {
                return Err(ApiError::bad_request(
                    "the body of the request was not a JSON object",
                ));
            }
            if let Some(rv) = new["metadata"]["resourceVersion"].as_str()
                && !rv.is_empty()
                && rv != current.rv.to_string()
            {
                return Err(ApiError::conflict(&rt.group, &rt.plural, name));
            }
            validate_replicas(&rt.kind, name, &new)?;
            let body_name = new["metadata"]["name"].as_str().unwrap_or(name);
            if body_name != name {
                return Err(ApiError::bad_request(format!(
                    "the name of the object ({body_name}) does not match the name on the URL ({name})"
                )));
            }
            let has_status_sub = rt.subresources.iter().any(|s| s == "status");
            match subresource {
                Some("status") => {
                    let status = new["status"].clone();
                    new = old.clone();
                    new["status"] = status;
                }
                _ if has_status_sub => new["status"] = old["status"].clone(),
                _ => {}
            }
            // Server-owned metadata is kept whatever the body says.
            new["apiVersion"] = json!(rt.api_version());
            new["kind"] = json!(rt.kind);
            let protected: &[&str] = if deleting {
                &["uid", "creationTimestamp", "namespace", "name"]
            } else {
                &[
                    "uid",
                    "creationTimestamp",
                    "namespace",
                    "name",
                    "deletionTimestamp",
                    "deletionGracePeriodSeconds",
                ]
            };
            for field in protected {
                match old["metadata"].get(*field) {
                    Some(v) => new["metadata"][*field] = v.clone(),
                    None => {
                        if let Some(m) = new["metadata"].as_object_mut() {
                            m.remove(*field);
                        }
                    }
                }
            }
            let generation = old["metadata"]["generation"].as_i64().unwrap_or(1);
            new["metadata"]["generation"] = json!(if spec_changed(&old, &new) {
                generation + 1
            } else {
                generation
            });
            new["metadata"]["resourceVersion"] = old["metadata"]["resourceVersion"].clone();
            let applied_fields = new["metadata"]["managedFields"].clone();
            new["metadata"]["managedFields"] = old["metadata"]["managedFields"].clone();
            let mut new = normalize(&rt.kind, new)
                .map_err(|e| ApiError::bad_request(format!("decoding {}: {e}", rt.kind)))?;
            match owner {
                // A no-op write keeps the resourceVersion and sends no event, as the API server
                // does: nothing changed, so no one's fields changed either.
                Ownership::Record(_) if new == old => return Ok(current),
                Ownership::Record(manager) => super::fields::record_update(
                    Some(&old),
                    &mut new,
                    manager,
                    subresource,
                    &rt.api_version(),
                    &now_rfc3339(),
                ),
                // Server-side apply worked out the owners itself; re-applying the same
                // configuration is a no-op too.
                Ownership::Keep => {
                    let unchanged = new == old
                        && super::fields::same_owners(
                            &applied_fields,
                            &old["metadata"]["managedFields"],
                        );
                    if unchanged {
                        return Ok(current);
                    }
                    new["metadata"]["managedFields"] = applied_fields;
                }
            }
            let finalizers_done = new["metadata"]["finalizers"]
                .as_array()
                .is_none_or(Vec::is_empty);
            let removal = new["metadata"]["deletionTimestamp"].is_string()
                && finalizers_done
                && rt.kind != "Pod"
                && rt.kind != "Namespace";
            // A definition whose last finalizer went takes its objects with it, before it
            // goes itself (as in `remove_now`).
            let cascade = if removal && rt.kind == "CustomResourceDefinition" {
                remove_custom_objects(&mut store, rt, &new)
            } else {
                Vec::new()
            };
            let rv = store.next_rv();
            new["metadata"]["resourceVersion"] = json!(rv.to_string());
            let event = if removal {
                store.remove(&key, Stored::new(rt, &new))
            } else {
                Some(store.put(&key, Stored::new(rt, &new)))
            };
            if rt.kind == "CustomResourceDefinition" {
                refresh_types(&mut store);
            }
            for e in cascade.into_iter().chain(event.iter().cloned()) {
                self.publish(e, &store);
            }
            (event, removal)
        };
        let _ = removal;
        match event {
            Some(event) => Ok(event.object.clone()),
            None => Err(ApiError::not_found(&rt.group, &rt.plural, name)),
        }
    }

    /// Starts deleting an object. Pods terminate gracefully (the controller removes them),
    /// objects with finalizers wait for them, namespaces empty first; the rest go at once.
    pub fn delete(
        &self,
        rt: &ResourceType,
        ns: &str,
        name: &str,
        opts: &DeleteOptions,
    ) -> Result<Arc<Stored>, ApiError> {
        let (grace_seconds, propagation) = (opts.grace_seconds, opts.propagation);
        let precondition_uid = opts.precondition_uid.as_deref();
        let precondition_rv = opts.precondition_rv.as_deref();
        let ns = if rt.namespaced { ns } else { "" };
        let current = self.get(rt, ns, name)?;
        if let Some(uid) = precondition_uid
            && uid != current.uid
        {
            return Err(ApiError::conflict(&rt.group, &rt.plural, name));
        }
        if let Some(rv) = precondition_rv
            && rv != current.rv.to_string()
        {
            return Err(ApiError::conflict(&rt.group, &rt.plural, name));
        }
        let value = current.value();
        let has_finalizers = value["metadata"]["finalizers"]
            .as_array()
            .is_some_and(|f| !f.is_empty());
        let graceful = match rt.kind.as_str() {
            "Pod" => grace_seconds != Some(0),
            "Namespace" => true,
            _ => has_finalizers || propagation == Propagation::Foreground,
        };
        if current.deleting {
            if rt.kind == "Pod" && grace_seconds == Some(0) {
                return self.remove_now(rt, ns, name);
            }
            return Ok(current);
        }
        if rt.kind == "Pod" && grace_seconds == Some(0) {
            return self.remove_now(rt, ns, name);
        }
        if !graceful {
            let removed = self.remove_now(rt, ns, name)?;
            if propagation == Propagation::Orphan {
                self.orphan_dependents(ns, &removed.uid);
            }
            return Ok(removed);
        }
        let grace = grace_seconds
            .or_else(|| value["spec"]["terminationGracePeriodSeconds"].as_i64())
            .unwrap_or(30);
        self.write_object(
            rt,
            ns,
            name,
            None,
            true,
            Ownership::Record(CONTROLLERS),
            |mut v| {
                v["metadata"]["deletionTimestamp"] = json!(now_rfc3339());
                if rt.kind == "Pod" {
                    v["metadata"]["deletionGracePeriodSeconds"] = json!(grace);
                } else {
                    v["metadata"]["deletionGracePeriodSeconds"] = json!(0);
                }
                if propagation == Propagation::Foreground && rt.kind != "Pod" {
                    let fins = v["metadata"]["finalizers"]
                        .as_array()
                        .cloned()
                        .unwrap_or_default();
                    if !fins.iter().any(|f| f == "foregroundDeletion") {
                        let mut fins = fins;
                        fins.push(json!("foregroundDeletion"));
                        v["metadata"]["finalizers"] = json!(fins);
                    }
                }
                if rt.kind == "Namespace" {
                    v["status"]["phase"] = json!("Terminating");
                }
                Ok(v)
            },
        )
        .inspect(|s| {
            if propagation == Propagation::Orphan {
                self.orphan_dependents(ns, &s.uid);
            }
        })
    }

    /// Takes an object out of the store now (the end of a graceful delete, or an immediate one).
    pub fn remove_now(
        &self,
        rt: &ResourceType,
        ns: &str,
        name: &str,
    ) -> Result<Arc<Stored>, ApiError> {
        let ns = if rt.namespaced { ns } else { "" };
        let key = type_key(&rt.group, &rt.plural);
        let event = {
            let mut store = self.write();
            let current = store
                .get(&key, ns, name)
                .ok_or_else(|| ApiError::not_found(&rt.group, &rt.plural, name))?;
            let mut last = current.value();
            // A definition's objects go before it does (the API server's cleanup finalizer
            // holds the definition until they are gone), so their versions come first.
            let cascade = if rt.kind == "CustomResourceDefinition" {
                remove_custom_objects(&mut store, rt, &last)
            } else {
                Vec::new()
            };
            let rv = store.next_rv();
            last["metadata"]["resourceVersion"] = json!(rv.to_string());
            let event = store.remove(&key, Stored::new(rt, &last));
            if rt.kind == "CustomResourceDefinition" {
                refresh_types(&mut store);
            }
            for e in cascade.into_iter().chain(event.iter().cloned()) {
                self.publish(e, &store);
            }
            event
        };
        let event = event.ok_or_else(|| ApiError::not_found(&rt.group, &rt.plural, name))?;
        if rt.kind == "Pod" {
            self.logs.forget_pod(ns, name);
        }
        Ok(event.object.clone())
    }

    /// Removes the owner reference to `owner_uid` from every object in the namespace.
    fn orphan_dependents(&self, ns: &str, owner_uid: &str) {
        for rt in self.types() {
            let key = type_key(&rt.group, &rt.plural);
            let owned: Vec<String> = self
                .read()
                .list(&key, ns)
                .iter()
                .filter(|s| {
                    s.metadata()["ownerReferences"]
                        .as_array()
                        .is_some_and(|o| o.iter().any(|r| r["uid"] == owner_uid))
                })
                .map(|s| s.name.clone())
                .collect();
            for name in owned {
                let _ = self.modify(&rt, ns, &name, None, |mut v| {
                    if let Some(refs) = v["metadata"]["ownerReferences"].as_array_mut() {
                        refs.retain(|r| r["uid"] != owner_uid);
                    }
                    Ok(v)
                });
            }
        }
    }
}

/// The API server's validation of replica counts, which a bad edit or patch runs into.
fn validate_replicas(kind: &str, name: &str, obj: &Value) -> Result<(), ApiError> {
    if !matches!(kind, "Deployment" | "StatefulSet" | "ReplicaSet") {
        return Ok(());
    }
    match &obj["spec"]["replicas"] {
        Value::Null => Ok(()),
        Value::Number(n) if n.as_i64().is_some_and(|r| r >= 0) => Ok(()),
        Value::Number(n) => Err(ApiError::invalid(
            kind,
            name,
            format!("spec.replicas: Invalid value: {n}: must be greater than or equal to 0"),
        )),
        other => Err(ApiError::bad_request(format!(
            "{kind} in version \"v1\" cannot be handled as a {kind}: json: cannot unmarshal {} into Go struct field {kind}Spec.spec.replicas of type int32",
            match other {
                Value::String(_) => "string",
                Value::Bool(_) => "bool",
                Value::Array(_) => "array",
                _ => "object",
            }
        ))),
    }
}

fn validate_name(kind: &str, name: &str) -> Result<(), ApiError> {
    let ok = name.len() <= 253
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric());
    if ok {
        Ok(())
    } else {
        Err(ApiError::invalid(
            kind,
            name,
            format!(
                "metadata.name: Invalid value: \"{name}\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"
            ),
        ))
    }
}

fn add_managed_fields(obj: &mut Value, api_version: &str) {
    obj["metadata"]["managedFields"] = json!([{
        "manager": "kx-sim",
        "operation": "Update",
        "apiVersion": api_version,
        "time": now_rfc3339(),
        "fieldsType": "FieldsV1",
        "fieldsV1": {"f:metadata": {"f:labels": {}}, "f:spec": {}}
    }]);
}

/// Rebuilds the served types from the built-ins and every stored CRD.
fn refresh_types(store: &mut Store) {
    let mut types = builtin_types();
    for crd in store.list("apiextensions.k8s.io/customresourcedefinitions", "") {
        if crd.deleting {
            continue;
        }
        types.extend(types_from_crd(&crd.value()));
    }
    store.types = types;
}

/// Removes every object of a deleted CRD, each with its DELETED event, as the API server does.
fn remove_custom_objects(
    store: &mut Store,
    crd_type: &ResourceType,
    crd: &Value,
) -> Vec<Arc<Event>> {
    let group = crd["spec"]["group"].as_str().unwrap_or_default();
    let plural = crd["spec"]["names"]["plural"].as_str().unwrap_or_default();
    let key = type_key(group, plural);
    let served = types_from_crd(crd).into_iter().next();
    let rt = served.as_ref().unwrap_or(crd_type);
    let mut events = Vec::new();
    for obj in store.list(&key, "") {
        let mut last = obj.value();
        let rv = store.next_rv();
        last["metadata"]["resourceVersion"] = json!(rv.to_string());
        if let Some(e) = store.remove(&key, Stored::new(rt, &last)) {
            events.push(e);
        }
    }
    store.objects.remove(&key);
    events
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cluster_with_namespace() -> Arc<Cluster> {
        let c = Cluster::new(1, 1000, 1.0);
        let ns = c.find_type("", "v1", "namespaces").unwrap();
        c.create(&ns, "", json!({"metadata": {"name": "a"}}))
            .unwrap();
        c
    }

    #[test]
    fn deleting_a_crd_deletes_its_objects_with_events() {
        let c = cluster_with_namespace();
        let crds = c
            .find_type("apiextensions.k8s.io", "v1", "customresourcedefinitions")
            .unwrap();
        let crd: Value = serde_json::from_str(crate::sim::scenario::DEMO_CRD).unwrap();
        c.create(&crds, "", crd).unwrap();
        let widgets = c
            .find_type("demo.kx.dev", "v1", "widgets")
            .expect("the CRD serves widgets");
        c.create(
            &widgets,
            "a",
            json!({"metadata": {"name": "w1"}, "spec": {"size": 1}}),
        )
        .unwrap();
        let mut events = c.subscribe();
        c.delete(&crds, "", "widgets.demo.kx.dev", &DeleteOptions::default())
            .unwrap();
        let first = events.try_recv().unwrap();
        assert_eq!(
            (
                first.type_key.as_str(),
                first.type_,
                first.object.name.as_str()
            ),
            (
                "demo.kx.dev/widgets",
                super::super::store::EventType::Deleted,
                "w1"
            )
        );
        assert!(c.find_type("demo.kx.dev", "v1", "widgets").is_none());
    }

    #[test]
    fn a_crd_held_by_a_finalizer_takes_its_objects_when_the_finalizer_goes() {
        let c = cluster_with_namespace();
        let crds = c
            .find_type("apiextensions.k8s.io", "v1", "customresourcedefinitions")
            .unwrap();
        let mut crd: Value = serde_json::from_str(crate::sim::scenario::DEMO_CRD).unwrap();
        crd["metadata"]["finalizers"] = json!(["example.com/hold"]);
        c.create(&crds, "", crd).unwrap();
        let widgets = c.find_type("demo.kx.dev", "v1", "widgets").unwrap();
        c.create(&widgets, "a", json!({"metadata": {"name": "w1"}}))
            .unwrap();
        c.delete(&crds, "", "widgets.demo.kx.dev", &DeleteOptions::default())
            .unwrap();
        assert!(
            c.get(&crds, "", "widgets.demo.kx.dev").is_ok(),
            "held by its finalizer"
        );
        let mut events = c.subscribe();
        c.modify(&crds, "", "widgets.demo.kx.dev", None, |mut v| {
            v["metadata"]["finalizers"] = json!([]);
            Ok(v)
        })
        .unwrap();
        let seen: Vec<(String, String, u64)> = std::iter::from_fn(|| events.try_recv().ok())
            .map(|e| (e.type_key.clone(), e.object.name.clone(), e.rv))
            .collect();
        assert_eq!(seen.len(), 2, "{seen:?}");
        assert_eq!(
            (seen[0].0.as_str(), seen[0].1.as_str()),
            ("demo.kx.dev/widgets", "w1"),
            "the object goes first: {seen:?}"
        );
        assert_eq!(seen[1].1, "widgets.demo.kx.dev");
        assert!(seen[0].2 < seen[1].2, "in version order: {seen:?}");
        assert!(c.find_type("demo.kx.dev", "v1", "widgets").is_none());
        // Made again, the definition serves no leftovers.
        let crd: Value = serde_json::from_str(crate::sim::scenario::DEMO_CRD).unwrap();
        c.create(&crds, "", crd).unwrap();
        assert!(c.read().list("demo.kx.dev/widgets", "").is_empty());
    }

    #[test]
    fn changes_reach_watches_in_resource_version_order_under_concurrent_writers() {
        let c = cluster_with_namespace();
        let cms = c.find_type("", "v1", "configmaps").unwrap();
        let mut events = c.subscribe();
        std::thread::scope(|scope| {
            for writer in 0..4 {
                let (c, cms) = (&c, &cms);
                scope.spawn(move || {
                    for i in 0..2000 {
                        let name = format!("w{writer}-{i}");
                        c.create(cms, "a", json!({"metadata": {"name": name}}))
                            .unwrap();
                    }
                });
            }
        });
        let mut last = 0;
        let mut seen = 0;
        while let Ok(e) = events.try_recv() {
            assert!(e.rv > last, "{} published after {last}", e.rv);
            last = e.rv;
            seen += 1;
        }
        assert_eq!(seen, 8000);
        assert_eq!(
            last,
            c.read().rv,
            "the last change published is the store's version"
        );
    }

    #[test]
    fn a_stale_resource_version_is_a_conflict_and_a_no_op_write_keeps_the_version() {
        let c = cluster_with_namespace();
        let cms = c.find_type("", "v1", "configmaps").unwrap();
        let created = c
            .create(
                &cms,
                "a",
                json!({"metadata": {"name": "x"}, "data": {"k": "1"}}),
            )
            .unwrap();
        let mut stale = created.value();
        c.modify(&cms, "a", "x", None, |mut v| {
            v["data"]["k"] = json!("2");
            Ok(v)
        })
        .unwrap();
        stale["data"]["k"] = json!("3");
        let err = c.update(&cms, "a", "x", stale, None).unwrap_err();
        assert_eq!((err.code, err.reason), (409, "Conflict"));
        let before = c.get(&cms, "a", "x").unwrap().rv;
        let same = c.modify(&cms, "a", "x", None, Ok).unwrap();
        assert_eq!(same.rv, before);
    }

    #[test]
    fn creating_in_a_missing_namespace_is_not_found_and_bad_names_are_invalid() {
        let c = cluster_with_namespace();
        let cms = c.find_type("", "v1", "configmaps").unwrap();
        let err = c
            .create(&cms, "nope", json!({"metadata": {"name": "x"}}))
            .unwrap_err();
        assert_eq!(
            (err.code, err.message.as_str()),
            (404, "namespaces \"nope\" not found")
        );
        let err = c
            .create(&cms, "a", json!({"metadata": {"name": "Bad_Name"}}))
            .unwrap_err();
        assert_eq!(err.code, 422);
    }
}
