//! Xray: a live tree of how objects hang together — deployment → replica sets → pods →
//! containers; stateful and daemon sets → pods; service → endpoints → pods; a pod → the
//! ConfigMaps, Secrets and claims it mounts — each node with its health. Objects are kept as
//! small `Node`s (made where they arrive); the tree is built from them on demand. Pure.

use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

/// What xray reads, by (group, version, kind).
pub const KINDS: &[(&str, &str, &str)] = &[
    ("", "v1", "Pod"),
    ("", "v1", "Service"),
    ("", "v1", "Endpoints"),
    ("", "v1", "ConfigMap"),
    ("", "v1", "Secret"),
    ("", "v1", "PersistentVolumeClaim"),
    ("apps", "v1", "Deployment"),
    ("apps", "v1", "ReplicaSet"),
    ("apps", "v1", "StatefulSet"),
    ("apps", "v1", "DaemonSet"),
];

/// The kinds a tree can start from, by the names people type.
pub fn root_kind(name: &str) -> Option<&'static str> {
    Some(match name.to_ascii_lowercase().as_str() {
        "deploy" | "deployment" | "deployments" | "dp" => "Deployment",
        "sts" | "statefulset" | "statefulsets" => "StatefulSet",
        "ds" | "daemonset" | "daemonsets" => "DaemonSet",
        "svc" | "service" | "services" => "Service",
        "po" | "pod" | "pods" => "Pod",
        "rs" | "replicaset" | "replicasets" => "ReplicaSet",
        _ => return None,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Health {
    Healthy,
    Progressing,
    Failing,
}

/// A container of a pod: name, health, and its state in a word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Container {
    pub name: String,
    pub health: Health,
    pub state: String,
}

/// One object as xray keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub uid: String,
    /// The controller that owns it, by uid.
    pub owner: Option<String>,
    pub labels: BTreeMap<String, String>,
    /// A service's selector.
    pub selector: Option<BTreeMap<String, String>>,
    pub health: Health,
    /// `3/3 ready`, `Running`, `Bound`.
    pub detail: String,
    pub containers: Vec<Container>,
    /// What a pod mounts or reads: (kind, name).
    pub mounts: Vec<(&'static str, String)>,
    /// Endpoints: the pods behind ready and not-ready addresses.
    pub ready_pods: Vec<String>,
    pub unready_pods: Vec<String>,
}

fn text(v: &Value) -> &str {
    v.as_str().unwrap_or_default()
}

fn int(v: &Value) -> i64 {
    v.as_i64().unwrap_or(0)
}

fn string_map(v: &Value) -> BTreeMap<String, String> {
    v.as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), text(v).to_string()))
        .collect()
}

fn replicas(want: i64, ready: i64) -> (Health, String) {
    let health = if ready >= want {
        Health::Healthy
    } else {
        Health::Failing
    };
    (health, format!("{ready}/{want} ready"))
}

fn container(status: &Value) -> Container {
    let name = text(&status["name"]).to_string();
    let waiting = text(&status["state"]["waiting"]["reason"]);
    let terminated = &status["state"]["terminated"];
    let (health, state) = if !waiting.is_empty() {
        let h = match waiting {
            "ContainerCreating" | "PodInitializing" => Health::Progressing,
            _ => Health::Failing,
        };
        (h, waiting.to_string())
    } else if terminated.is_object() {
        let code = int(&terminated["exitCode"]);
        let h = if code == 0 {
            Health::Healthy
        } else {
            Health::Failing
        };
        (h, format!("{} (exit {code})", text(&terminated["reason"])))
    } else if status["ready"] == true {
        (Health::Healthy, "running, ready".to_string())
    } else {
        (Health::Failing, "running, not ready".to_string())
    };
    let restarts = int(&status["restartCount"]);
    let state = if restarts > 0 {
        format!("{state}, {restarts} restarts")
    } else {
        state
    };
    Container {
        name,
        health,
        state,
    }
}

fn pod(obj: &Value, node: &mut Node) {
    let phase = text(&obj["status"]["phase"]);
    node.containers = obj["status"]["initContainerStatuses"]
        .as_array()
        .into_iter()
        .flatten()
        .chain(
            obj["status"]["containerStatuses"]
                .as_array()
                .into_iter()
                .flatten(),
        )
        .map(container)
        .collect();
    let worst = node.containers.iter().map(|c| c.health).max();
    node.health = match phase {
        "Succeeded" => Health::Healthy,
        "Failed" => Health::Failing,
        "Pending" => worst
            .unwrap_or(Health::Progressing)
            .max(Health::Progressing),
        _ => worst.unwrap_or(Health::Progressing),
    };
    node.detail = match node.containers.iter().find(|c| c.health == Health::Failing) {
        Some(c) if c.state.starts_with("running") => format!("{phase}, not ready"),
        Some(c) if phase != "Failed" => c.state.split(',').next().unwrap_or_default().to_string(),
        _ => phase.to_string(),
    };
    let spec = &obj["spec"];
    let mut mounts = Vec::new();
    for v in spec["volumes"].as_array().into_iter().flatten() {
        if let Some(n) = v["configMap"]["name"].as_str() {
            mounts.push(("ConfigMap", n.to_string()));
        }
        if let Some(n) = v["secret"]["secretName"].as_str() {
            mounts.push(("Secret", n.to_string()));
        }
        if let Some(n) = v["persistentVolumeClaim"]["claimName"].as_str() {
            mounts.push(("PersistentVolumeClaim", n.to_string()));
        }
    }
    for c in spec["containers"].as_array().into_iter().flatten() {
        for e in c["env"].as_array().into_iter().flatten() {
            if let Some(n) = e["valueFrom"]["configMapKeyRef"]["name"].as_str() {
                mounts.push(("ConfigMap", n.to_string()));
            }
            if let Some(n) = e["valueFrom"]["secretKeyRef"]["name"].as_str() {
                mounts.push(("Secret", n.to_string()));
            }
        }
        for e in c["envFrom"].as_array().into_iter().flatten() {
            if let Some(n) = e["configMapRef"]["name"].as_str() {
                mounts.push(("ConfigMap", n.to_string()));
            }
            if let Some(n) = e["secretRef"]["name"].as_str() {
                mounts.push(("Secret", n.to_string()));
            }
        }
    }
    mounts.sort();
    mounts.dedup();
    node.mounts = mounts;
}

/// The node of one object (its health worked out here, where the object arrives).
pub fn compact(obj: &Value) -> Node {
    let meta = &obj["metadata"];
    let owner = meta["ownerReferences"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|o| o["controller"] == true)
        .or_else(|| meta["ownerReferences"].get(0))
        .map(|o| text(&o["uid"]).to_string());
    let mut node = Node {
        kind: text(&obj["kind"]).to_string(),
        namespace: text(&meta["namespace"]).to_string(),
        name: text(&meta["name"]).to_string(),
        uid: text(&meta["uid"]).to_string(),
        owner,
        labels: string_map(&meta["labels"]),
        selector: None,
        health: Health::Healthy,
        detail: String::new(),
        containers: Vec::new(),
        mounts: Vec::new(),
        ready_pods: Vec::new(),
        unready_pods: Vec::new(),
    };
    let (spec, status) = (&obj["spec"], &obj["status"]);
    match node.kind.as_str() {
        "Pod" => pod(obj, &mut node),
        "Deployment" | "StatefulSet" | "ReplicaSet" => {
            let want = spec["replicas"].as_i64().unwrap_or(1);
            (node.health, node.detail) = replicas(want, int(&status["readyReplicas"]));
            if want == 0 {
                node.detail = "scaled to 0".into();
            }
        }
        "DaemonSet" => {
            (node.health, node.detail) = replicas(
                int(&status["desiredNumberScheduled"]),
                int(&status["numberReady"]),
            )
        }
        "Service" => {
            node.selector = spec["selector"]
                .as_object()
                .filter(|m| !m.is_empty())
                .map(|_| string_map(&spec["selector"]));
            node.detail = text(&spec["type"]).to_string();
        }
        "Endpoints" => {
            for subset in obj["subsets"].as_array().into_iter().flatten() {
                for (key, into) in [
                    ("addresses", &mut node.ready_pods),
                    ("notReadyAddresses", &mut node.unready_pods),
                ] {
                    for a in subset[key].as_array().into_iter().flatten() {
                        if a["targetRef"]["kind"] == "Pod" {
                            into.push(text(&a["targetRef"]["name"]).to_string());
                        }
                    }
                }
            }
            node.health = if node.ready_pods.is_empty() {
                Health::Failing
            } else {
                Health::Healthy
            };
            node.detail = format!(
                "{} ready, {} not ready",
                node.ready_pods.len(),
                node.unready_pods.len()
            );
        }
        "PersistentVolumeClaim" => {
            let phase = text(&status["phase"]);
            node.health = if phase == "Bound" {
                Health::Healthy
            } else {
                Health::Progressing
            };
            node.detail = phase.to_string();
        }
        _ => {}
    }
    node
}

/// Everything xray knows, by (kind, namespace, name).
#[derive(Debug, Default)]
pub struct Graph {
    nodes: HashMap<(String, String, String), Node>,
    /// Bumped on every change, so a view rebuilds only when it moved.
    pub generation: u64,
}

/// A line of the tree: how deep, what, and whether it has children (and is open).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub depth: usize,
    /// What Enter opens or closes: the path of names from the root.
    pub path: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
    /// For a container line, its pod.
    pub pod: Option<String>,
    pub health: Health,
    pub detail: String,
    pub has_children: bool,
    pub open: bool,
}

impl Graph {
    pub fn put(&mut self, node: Node) {
        self.nodes.insert(
            (node.kind.clone(), node.namespace.clone(), node.name.clone()),
            node,
        );
        self.generation += 1;
    }

    pub fn remove(&mut self, kind: &str, namespace: &str, name: &str) {
        self.nodes
            .remove(&(kind.to_string(), namespace.to_string(), name.to_string()));
        self.generation += 1;
    }

    /// Drops the objects of a kind not in `keep` (a relist's end).
    pub fn retain_kind(&mut self, kind: &str, keep: &std::collections::HashSet<(String, String)>) {
        self.nodes
            .retain(|(k, ns, n), _| k != kind || keep.contains(&(ns.clone(), n.clone())));
        self.generation += 1;
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    fn of_kind<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.nodes.values().filter(move |n| n.kind == kind)
    }

    /// The tree from every `root` kind object, as lines; `closed` holds the paths folded.
    pub fn tree(&self, root: &str, closed: &std::collections::HashSet<String>) -> Vec<Line> {
        // Children by owner uid, built once per tree.
        let mut owned: HashMap<&str, Vec<&Node>> = HashMap::new();
        for n in self.nodes.values() {
            if let Some(o) = &n.owner {
                owned.entry(o.as_str()).or_default().push(n);
            }
        }
        for v in owned.values_mut() {
            v.sort_by(|a, b| (&a.kind, &a.name).cmp(&(&b.kind, &b.name)));
        }
        let mut roots: Vec<&Node> = self.of_kind(root).collect();
        roots.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
        let mut out = Vec::new();
        for r in roots {
            self.walk(r, 0, "", &owned, closed, &mut out);
        }
        out
    }

    fn walk(
        &self,
        node: &Node,
        depth: usize,
        parent: &str,
        owned: &HashMap<&str, Vec<&Node>>,
        closed: &std::collections::HashSet<String>,
        out: &mut Vec<Line>,
    ) {
        let path = format!("{parent}/{}:{}/{}", node.kind, node.namespace, node.name);
        let open = !closed.contains(&path);
        let at = out.len();
        out.push(Line {
            depth,
            path: path.clone(),
            kind: node.kind.clone(),
            namespace: node.namespace.clone(),
            name: node.name.clone(),
            pod: None,
            health: node.health,
            detail: node.detail.clone(),
            has_children: false,
            open,
        });
        let mut children: Vec<&Node> = Vec::new();
        let mut extra: Vec<Line> = Vec::new();
        match node.kind.as_str() {
            "Service" => {
                let ep = self.nodes.get(&(
                    "Endpoints".into(),
                    node.namespace.clone(),
                    node.name.clone(),
                ));
                let mut pods: Vec<&Node> = match &node.selector {
                    Some(sel) => self
                        .of_kind("Pod")
                        .filter(|p| {
                            p.namespace == node.namespace
                                && sel.iter().all(|(k, v)| p.labels.get(k) == Some(v))
                        })
                        .collect(),
                    None => Vec::new(),
                };
                pods.sort_by(|a, b| a.name.cmp(&b.name));
                // A service is as healthy as its endpoints.
                let (health, ep_detail) = match ep {
                    Some(e) => (e.health, e.detail.clone()),
                    None if node.selector.is_some() => (Health::Failing, "none".to_string()),
                    None => (Health::Healthy, "managed by hand".to_string()),
                };
                out[at].health = health;
                out[at].detail = format!("{} · endpoints: {ep_detail}", node.detail);
                out[at].has_children = true;
                if !open {
                    return;
                }
                let ep_path = format!("{path}/Endpoints");
                let ep_open = !closed.contains(&ep_path);
                out.push(Line {
                    depth: depth + 1,
                    path: ep_path.clone(),
                    kind: "Endpoints".into(),
                    namespace: node.namespace.clone(),
                    name: node.name.clone(),
                    pod: None,
                    health,
                    detail: ep_detail,
                    has_children: !pods.is_empty(),
                    open: ep_open,
                });
                if ep_open {
                    for p in pods {
                        self.walk(p, depth + 2, &ep_path, owned, closed, out);
                    }
                }
                return;
            }
            "Pod" => {
                for c in &node.containers {
                    extra.push(Line {
                        depth: depth + 1,
                        path: format!("{path}/c:{}", c.name),
                        kind: "Container".into(),
                        namespace: node.namespace.clone(),
                        name: c.name.clone(),
                        pod: Some(node.name.clone()),
                        health: c.health,
                        detail: c.state.clone(),
                        has_children: false,
                        open: false,
                    });
                }
                for (kind, name) in &node.mounts {
                    let found =
                        self.nodes
                            .get(&(kind.to_string(), node.namespace.clone(), name.clone()));
                    let (health, detail) = match found {
                        Some(f) if *kind == "PersistentVolumeClaim" => (f.health, f.detail.clone()),
                        Some(_) => (Health::Healthy, String::new()),
                        None => (Health::Failing, "not found".into()),
                    };
                    extra.push(Line {
                        depth: depth + 1,
                        path: format!("{path}/{kind}/{name}"),
                        kind: kind.to_string(),
                        namespace: node.namespace.clone(),
                        name: name.clone(),
                        pod: None,
                        health,
                        detail,
                        has_children: false,
                        open: false,
                    });
                }
            }
            _ => {
                children = owned.get(node.uid.as_str()).cloned().unwrap_or_default();
                // A deployment's old, empty replica sets stay out of the way.
                children.retain(|c| !(c.kind == "ReplicaSet" && c.detail == "scaled to 0"));
            }
        }
        out[at].has_children = !children.is_empty() || !extra.is_empty();
        if !open {
            return;
        }
        out.extend(extra);
        for c in children {
            self.walk(c, depth + 1, &path, owned, closed, out);
        }
    }
}

#[cfg(test)]
mod tests;
