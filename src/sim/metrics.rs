//! `metrics.k8s.io/v1beta1` as metrics-server serves it: the usage of each running pod's
//! containers and of each node, over a 15 s window. Usage is a share of what a container
//! requests that moves with time (each pod on its own phase), so columns and `kubectl top`
//! change from one scrape to the next; a node's is the sum of its pods' plus the system's.

use super::cluster::Cluster;
use super::errors::ApiError;
use serde_json::{Value, json};

pub const GROUP: &str = "metrics.k8s.io";
pub const VERSION: &str = "v1beta1";

/// The API group entry for `/apis`.
pub fn group() -> Value {
    let gv = json!({"groupVersion": format!("{GROUP}/{VERSION}"), "version": VERSION});
    json!({"name": GROUP, "versions": [gv], "preferredVersion": gv})
}

/// `/apis/metrics.k8s.io/v1beta1`.
pub fn resources() -> Value {
    json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": format!("{GROUP}/{VERSION}"),
    "resources": [
        {"name": "pods", "singularName": "", "namespaced": true, "kind": "PodMetrics", "verbs": ["get", "list"]},
        {"name": "nodes", "singularName": "", "namespaced": false, "kind": "NodeMetrics", "verbs": ["get", "list"]},
    ]})
}

/// `50m`, `1`, `1.5` → millicores.
pub(super) fn millicores(q: &str) -> u64 {
    match q.strip_suffix('m') {
        Some(m) => m.parse().unwrap_or(0),
        None => q.parse::<f64>().map_or(0, |c| (c * 1000.0) as u64),
    }
}

/// `64Mi`, `1Gi`, `500M`, `1024` → bytes.
fn bytes(q: &str) -> u64 {
    const UNITS: [(&str, u64); 6] = [
        ("Ki", 1 << 10),
        ("Mi", 1 << 20),
        ("Gi", 1 << 30),
        ("K", 1_000),
        ("M", 1_000_000),
        ("G", 1_000_000_000),
    ];
    for (suffix, factor) in UNITS {
        if let Some(n) = q.strip_suffix(suffix) {
            return n.parse::<f64>().map_or(0, |n| (n * factor as f64) as u64);
        }
    }
    q.parse().unwrap_or(0)
}

/// How busy a container is now, 0.2–1.3 of its request: a slow wave per pod.
fn load(pod: &str, container: &str, now_secs: f64) -> f64 {
    let phase = pod
        .bytes()
        .chain(container.bytes())
        .fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b))) as f64;
    0.75 + 0.55 * ((now_secs / 45.0) + phase).sin()
}

fn containers_usage(pod: &Value, now_secs: f64) -> Vec<(String, u64, u64)> {
    let name = pod["metadata"]["name"].as_str().unwrap_or_default();
    pod["spec"]["containers"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| {
            let cname = c["name"].as_str().unwrap_or_default().to_string();
            let req = &c["resources"]["requests"];
            let cpu = millicores(req["cpu"].as_str().unwrap_or("50m")).max(10);
            let mem = bytes(req["memory"].as_str().unwrap_or("64Mi")).max(16 << 20);
            let f = load(name, &cname, now_secs);
            (
                cname,
                (cpu as f64 * f) as u64,
                (mem as f64 * (0.5 + f / 3.0)) as u64,
            )
        })
        .collect()
}

fn running(pod: &Value) -> bool {
    pod["status"]["phase"] == "Running"
}

fn stamp() -> (String, f64) {
    let now = jiff::Timestamp::now();
    (now.to_string(), now.as_millisecond() as f64 / 1000.0)
}

fn pod_metrics(pod: &Value, ts: &str, now: f64) -> Value {
    let containers: Vec<Value> = containers_usage(pod, now)
        .into_iter()
        .map(|(name, cpu, mem)| json!({"name": name, "usage": {"cpu": format!("{cpu}m"), "memory": format!("{}Ki", mem / 1024)}}))
        .collect();
    json!({"kind": "PodMetrics", "apiVersion": format!("{GROUP}/{VERSION}"),
           "metadata": {"name": pod["metadata"]["name"], "namespace": pod["metadata"]["namespace"],
                        "labels": pod["metadata"]["labels"], "creationTimestamp": ts},
           "timestamp": ts, "window": "15s", "containers": containers})
}

/// Serves a metrics path below `/apis/metrics.k8s.io/v1beta1/`.
pub fn serve(cluster: &Cluster, rest: &[&str]) -> Result<Value, ApiError> {
    let not_found = |what: String| ApiError::new(404, "NotFound", what);
    let pods_t = cluster
        .find_type("", "v1", "pods")
        .ok_or_else(|| not_found("pods are not served".into()))?;
    let (ts, now) = stamp();
    let all_pods = |ns: Option<&str>| -> Vec<Value> {
        let store = cluster.read();
        store
            .list(
                &super::store::type_key(&pods_t.group, &pods_t.plural),
                ns.unwrap_or(""),
            )
            .into_iter()
            .map(|s| s.value())
            .filter(running)
            .collect()
    };
    match rest {
        ["pods"] => Ok(list(
            "PodMetricsList",
            all_pods(None)
                .iter()
                .map(|p| pod_metrics(p, &ts, now))
                .collect(),
        )),
        ["namespaces", ns, "pods"] => Ok(list(
            "PodMetricsList",
            all_pods(Some(ns))
                .iter()
                .map(|p| pod_metrics(p, &ts, now))
                .collect(),
        )),
        ["namespaces", ns, "pods", name] => {
            let pod = cluster.get(&pods_t, ns, name)?.value();
            if !running(&pod) {
                return Err(not_found(format!(
                    "podmetrics.metrics.k8s.io \"{name}\" not found"
                )));
            }
            Ok(pod_metrics(&pod, &ts, now))
        }
        ["nodes"] | ["nodes", _] => {
            let nodes_t = cluster
                .find_type("", "v1", "nodes")
                .ok_or_else(|| not_found("nodes are not served".into()))?;
            let nodes: Vec<Value> = {
                let store = cluster.read();
                store
                    .list(&super::store::type_key(&nodes_t.group, &nodes_t.plural), "")
                    .into_iter()
                    .map(|s| s.value())
                    // A node whose kubelet is gone reports nothing, as with metrics-server.
                    .filter(|n| {
                        n["status"]["conditions"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .any(|c| c["type"] == "Ready" && c["status"] == "True")
                    })
                    .collect()
            };
            // Pods summed per node in one pass (a scan per node is quadratic at 100k pods).
            let mut per_node: std::collections::HashMap<String, (u64, u64)> = Default::default();
            for p in &all_pods(None) {
                let node = p["spec"]["nodeName"].as_str().unwrap_or_default();
                let sum = per_node.entry(node.to_string()).or_default();
                for (_, c, m) in containers_usage(p, now) {
                    sum.0 += c;
                    sum.1 += m;
                }
            }
            let items: Vec<Value> = nodes
                .iter()
                .map(|n| {
                    let name = n["metadata"]["name"].as_str().unwrap_or_default();
                    // What the kubelet and the system use, plus the pods'.
                    let (pods_cpu, pods_mem) = per_node.get(name).copied().unwrap_or_default();
                    let (cpu, mem) = (120u64 + pods_cpu, (600u64 << 20) + pods_mem);
                    json!({"kind": "NodeMetrics", "apiVersion": format!("{GROUP}/{VERSION}"),
                           "metadata": {"name": name, "labels": n["metadata"]["labels"], "creationTimestamp": ts},
                           "timestamp": ts, "window": "15s",
                           "usage": {"cpu": format!("{cpu}m"), "memory": format!("{}Ki", mem / 1024)}})
                })
                .collect();
            match rest {
                ["nodes", name] => items
                    .into_iter()
                    .find(|n| n["metadata"]["name"] == *name)
                    .ok_or_else(|| {
                        not_found(format!("nodemetrics.metrics.k8s.io \"{name}\" not found"))
                    }),
                _ => Ok(list("NodeMetricsList", items)),
            }
        }
        _ => Err(not_found(
            "the server could not find the requested resource".into(),
        )),
    }
}

fn list(kind: &str, items: Vec<Value>) -> Value {
    json!({"kind": kind, "apiVersion": format!("{GROUP}/{VERSION}"), "metadata": {}, "items": items})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_are_read_as_kubernetes_writes_them() {
        assert_eq!(millicores("50m"), 50);
        assert_eq!(millicores("1.5"), 1500);
        assert_eq!(bytes("64Mi"), 64 << 20);
        assert_eq!(bytes("1G"), 1_000_000_000);
        assert_eq!(bytes("2048"), 2048);
    }

    #[test]
    fn usage_moves_with_time_within_bounds() {
        let a = load("web-1", "nginx", 0.0);
        let b = load("web-1", "nginx", 60.0);
        assert_ne!(a, b);
        for t in 0..200 {
            let l = load("web-1", "nginx", f64::from(t) * 7.0);
            assert!((0.19..=1.31).contains(&l), "{l}");
        }
    }
}
