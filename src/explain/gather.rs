//! Reads what a diagnosis needs from the cluster: the object, its namespace's events, the pods
//! it owns or selects, what those pods need (node, claims, ConfigMaps, Secrets), a service's
//! endpoints, and the last lines of crashed containers' logs. Each read is retried through
//! transient failures within a deadline; a read that fails for good (RBAC, say) is noted in
//! the facts and the diagnosis goes on without it.

use super::{Facts, pod::LOG_LINES};
use crate::cluster::backoff::retry_kube;
use crate::cluster::errors::{KxError, classify};
use crate::cluster::kinds;
use crate::cluster::object::{ObjectRef, dynamic_api};
use k8s_openapi::api::core::v1::{
    ConfigMap, Endpoints, Event, Node, PersistentVolumeClaim, Pod, Secret,
};
use kube::Client;
use kube::api::{Api, ListParams, LogParams};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeSet;
use std::time::Duration;

/// Pods whose logs are read for one diagnosis at most (the worst are shown first).
const LOGS_READ: usize = 4;

fn why(e: Option<kube::Error>) -> KxError {
    match e {
        Some(e) => classify(&e),
        None => KxError::Unreachable {
            url: "the API server".into(),
            cause: crate::cluster::errors::Unreachable::TimedOut,
        },
    }
}

fn to_value<T: Serialize>(item: &T) -> Value {
    serde_json::to_value(item).unwrap_or(Value::Null)
}

struct Reader {
    limit: Duration,
}

impl Reader {
    async fn list<K>(&self, api: Api<K>, params: ListParams) -> Result<Vec<Value>, KxError>
    where
        K: kube::Resource + Clone + serde::de::DeserializeOwned + Serialize + std::fmt::Debug,
    {
        let list = retry_kube(self.limit, || api.list(&params))
            .await
            .map_err(why)?;
        Ok(list.items.iter().map(to_value).collect())
    }

    async fn get<K>(&self, api: Api<K>, name: &str) -> Result<Value, KxError>
    where
        K: kube::Resource + Clone + serde::de::DeserializeOwned + Serialize + std::fmt::Debug,
    {
        let obj = retry_kube(self.limit, || api.get(name))
            .await
            .map_err(why)?;
        Ok(to_value(&obj))
    }
}

/// Everything the diagnosis of `target` reads. Fails only when the object itself cannot be
/// read; `limit` bounds each read.
pub async fn gather(client: Client, target: &ObjectRef, limit: Duration) -> Result<Facts, KxError> {
    let r = Reader { limit };
    let api = dynamic_api(client.clone(), target);
    let object = retry_kube(limit, || api.get(&target.name))
        .await
        .map_err(why)?;
    let mut object = to_value(&object);
    // A dynamic object's kind is what discovery called it.
    if object["kind"].is_null() {
        object["kind"] = Value::String(target.resource.kind.clone());
    }
    let mut facts = Facts {
        object,
        now: jiff::Timestamp::now().as_second(),
        ..Facts::default()
    };
    let kind = target.resource.kind.clone();
    let ns = target.namespace.clone().unwrap_or_default();
    let core = target.resource.group.is_empty() || kinds::selects_pods(&kind);
    if !ns.is_empty() {
        match r
            .list(
                Api::<Event>::namespaced(client.clone(), &ns),
                ListParams::default(),
            )
            .await
        {
            Ok(events) => facts.events = events,
            Err(e) => facts.unreadable.push(format!("the events of {ns} ({e})")),
        }
    }
    if !core {
        return Ok(facts);
    }
    let pods_api = Api::<Pod>::namespaced(client.clone(), &ns);
    match kind.as_str() {
        "Pod" => facts.pods = vec![facts.object.clone()],
        "Service" => match r.list(pods_api, ListParams::default()).await {
            Ok(pods) => facts.pods = pods,
            Err(e) => facts.unreadable.push(format!("the pods of {ns} ({e})")),
        },
        k if kinds::selects_pods(k) => match job_selector(k, &target.name)
            .map(Ok)
            .unwrap_or_else(|| kinds::pod_selector(k, &facts.object))
        {
            Ok(sel) => match r.list(pods_api, ListParams::default().labels(&sel)).await {
                Ok(pods) => facts.pods = pods,
                Err(e) => facts.unreadable.push(format!("the pods it selects ({e})")),
            },
            Err(e) => facts.unreadable.push(format!("its pods ({e})")),
        },
        _ => {}
    }
    if kind == "Service" {
        match r
            .get(
                Api::<Endpoints>::namespaced(client.clone(), &ns),
                &target.name,
            )
            .await
        {
            Ok(ep) => facts.related.push(with_kind(ep, "Endpoints")),
            Err(e) if e.is_not_found() => {}
            Err(e) => facts.unreadable.push(format!("its endpoints ({e})")),
        }
    }
    // What the pods need, read once each.
    let mut nodes = BTreeSet::new();
    let mut claims = BTreeSet::new();
    let mut configs = BTreeSet::new();
    for p in &facts.pods {
        if let Some(n) = p["spec"]["nodeName"].as_str() {
            nodes.insert(n.to_string());
        }
        for v in p["spec"]["volumes"].as_array().into_iter().flatten() {
            if let Some(c) = v["persistentVolumeClaim"]["claimName"].as_str() {
                claims.insert(c.to_string());
            }
        }
        if waiting_for_config(p) {
            references(p, &mut configs);
        }
    }
    if kind == "Service" {
        // A service's facts hold its whole namespace's pods; their nodes are not its business.
        nodes.clear();
        claims.clear();
    }
    for n in nodes {
        match r.get(Api::<Node>::all(client.clone()), &n).await {
            Ok(v) => facts.related.push(with_kind(v, "Node")),
            Err(e) if e.is_not_found() => {}
            Err(e) => facts.unreadable.push(format!("node {n} ({e})")),
        }
    }
    for c in claims {
        match r
            .get(
                Api::<PersistentVolumeClaim>::namespaced(client.clone(), &ns),
                &c,
            )
            .await
        {
            Ok(v) => facts.related.push(with_kind(v, "PersistentVolumeClaim")),
            Err(e) if e.is_not_found() => {}
            Err(e) => facts.unreadable.push(format!("claim {c} ({e})")),
        }
    }
    for (k, name) in configs {
        let got = if k == "Secret" {
            // Only that it exists and which keys it has: the values are not read out.
            r.get(Api::<Secret>::namespaced(client.clone(), &ns), &name)
                .await
                .map(|mut v| {
                    if let Some(data) = v["data"].as_object_mut() {
                        for val in data.values_mut() {
                            *val = Value::String(String::new());
                        }
                    }
                    v
                })
        } else {
            r.get(Api::<ConfigMap>::namespaced(client.clone(), &ns), &name)
                .await
        };
        match got {
            Ok(v) => facts.related.push(with_kind(v, k)),
            Err(e) if e.is_not_found() => {}
            Err(e) => facts
                .unreadable
                .push(format!("{} {name} ({e})", k.to_lowercase())),
        }
    }
    read_logs(&client, &ns, limit, &mut facts).await;
    Ok(facts)
}

/// A job's pods carry its name in a label the job controller sets (its selector is by uid,
/// and absent from a job read before the controller defaulted it).
fn job_selector(kind: &str, name: &str) -> Option<String> {
    (kind == "Job").then(|| format!("batch.kubernetes.io/job-name={name}"))
}

fn with_kind(mut v: Value, kind: &str) -> Value {
    v["kind"] = Value::String(kind.into());
    v
}

fn waiting_for_config(p: &Value) -> bool {
    p["status"]["containerStatuses"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|c| c["state"]["waiting"]["reason"] == "CreateContainerConfigError")
}

fn references(p: &Value, into: &mut BTreeSet<(&'static str, String)>) {
    for c in p["spec"]["containers"].as_array().into_iter().flatten() {
        for env in c["env"].as_array().into_iter().flatten() {
            if let Some(n) = env["valueFrom"]["configMapKeyRef"]["name"].as_str() {
                into.insert(("ConfigMap", n.into()));
            }
            if let Some(n) = env["valueFrom"]["secretKeyRef"]["name"].as_str() {
                into.insert(("Secret", n.into()));
            }
        }
        for from in c["envFrom"].as_array().into_iter().flatten() {
            if let Some(n) = from["configMapRef"]["name"].as_str() {
                into.insert(("ConfigMap", n.into()));
            }
            if let Some(n) = from["secretRef"]["name"].as_str() {
                into.insert(("Secret", n.into()));
            }
        }
    }
}

/// The containers whose log explains a crash: (pod, container, previous instance?).
fn crashed(p: &Value) -> Vec<(String, String, bool)> {
    let pod = p["metadata"]["name"].as_str().unwrap_or_default();
    p["status"]["containerStatuses"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| {
            let name = c["name"].as_str()?.to_string();
            let restarted = c["restartCount"].as_u64().unwrap_or(0) > 0
                && c["lastState"]["terminated"].is_object();
            let ended_badly = c["state"]["terminated"]["exitCode"].as_i64().unwrap_or(0) != 0;
            if restarted && !ended_badly {
                Some((pod.to_string(), name, true))
            } else if ended_badly {
                Some((pod.to_string(), name, false))
            } else {
                None
            }
        })
        .collect()
}

async fn read_logs(client: &Client, ns: &str, limit: Duration, facts: &mut Facts) {
    let api = Api::<Pod>::namespaced(client.clone(), ns);
    // Newest pods first: a job's newest failed pod is the one its diagnosis shows.
    let mut pods: Vec<&Value> = facts.pods.iter().collect();
    pods.sort_by_key(|p| {
        std::cmp::Reverse(
            p["metadata"]["creationTimestamp"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        )
    });
    let wanted: Vec<(String, String, bool)> =
        pods.into_iter().flat_map(crashed).take(LOGS_READ).collect();
    for (pod, container, previous) in wanted {
        let params = LogParams {
            container: Some(container.clone()),
            previous,
            tail_lines: Some(LOG_LINES as i64),
            ..LogParams::default()
        };
        // Kubelets answer 500 under load: retried within the read limit, then said.
        let lines = match retry_kube(limit, || api.logs(&pod, &params)).await {
            Ok(text) => Ok(text.lines().map(str::to_string).collect()),
            Err(e) => Err(why(e).to_string()),
        };
        facts.logs.insert((pod, container), lines);
    }
}
