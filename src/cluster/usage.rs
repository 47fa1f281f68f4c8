//! CPU and memory for the pods and nodes lists: usage from `metrics.k8s.io` (read on the metrics
//! API's own cadence), set against what pods request and limit (from a pod watch that keeps
//! only those numbers) and what nodes can allocate. Without a metrics API the usage cells say
//! `n/a` and a node still shows its pods' requests as a share of what it can allocate. The
//! figures are gathered here, off the UI's thread; the list keeps them as numbers and shows
//! them as extra columns (see `figures`).

use super::backoff::{Policy, retry_kube, watched};
use super::figures::{self, Resource};
pub use super::figures::{Amounts, Figures, NODE_COLUMNS, NOT_AVAILABLE, POD_COLUMNS, UsageColumn};
use super::metrics_list;
use super::quantity::{bytes, millicores};
use super::slim_pod::SlimPod;
use futures::StreamExt;
use k8s_openapi::api::core::v1::Node;
use kube::Client;
use kube::api::{Api, ListParams};
use kube::runtime::watcher::{Config, Event};
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;

/// How often usage is read: metrics-server scrapes every 15 s by default.
pub const EVERY: Duration = Duration::from_secs(15);

/// How long one reading is retried through transient failures.
const PATIENCE: Duration = Duration::from_secs(10);

/// What a pod asks for: requests summed over its containers; limits only when every
/// container has one (otherwise the pod has no limit to be a share of).
/// Kept for every pod in view, so it is small: the node's name is shared by its pods, and
/// the numbers are kept as a reading's are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PodResources {
    pub node: Arc<str>,
    /// Requests and limits, with no usage.
    pub asks: Figures,
    /// Finished pods hold nothing on their node.
    pub done: bool,
}

pub fn pod_resources(pod: &Value) -> PodResources {
    serde_json::from_value::<SlimPod>(pod.clone())
        .map(|p| resources_of(&p))
        .unwrap_or_default()
}

/// What a pod asks for, from the fields the usage watch keeps.
pub fn resources_of(pod: &SlimPod) -> PodResources {
    let (mut requests, mut cpu_limit, mut mem_limit) = (Amounts::default(), Some(0u64), Some(0u64));
    for c in &pod.spec.containers {
        let get = |m: &std::collections::BTreeMap<String, super::slim_pod::Quantity>,
                   k: &str,
                   f: fn(&str) -> Option<u64>| {
            m.get(k).and_then(|q| q.text()).and_then(|t| f(&t))
        };
        let res = &c.resources;
        let (cpu, mem) = (
            get(&res.requests, "cpu", millicores).unwrap_or(0),
            get(&res.requests, "memory", bytes).unwrap_or(0),
        );
        requests.cpu = requests.cpu.saturating_add(cpu);
        requests.mem = requests.mem.saturating_add(mem);
        let lim_cpu = get(&res.limits, "cpu", millicores);
        let lim_mem = get(&res.limits, "memory", bytes);
        cpu_limit = cpu_limit.zip(lim_cpu).map(|(a, b)| a.saturating_add(b));
        mem_limit = mem_limit.zip(lim_mem).map(|(a, b)| a.saturating_add(b));
    }
    PodResources {
        node: pod.spec.node_name.as_deref().unwrap_or_default().into(),
        asks: Figures::new(None, Some(requests), cpu_limit, mem_limit),
        done: matches!(pod.status.phase.as_deref(), Some("Succeeded" | "Failed")),
    }
}

/// A pod's figures: its usage (None: the metrics do not list it) against what it asks for
/// (None: the pod watch has not seen it yet).
pub fn pod_figures(usage: Option<Amounts>, res: Option<&PodResources>) -> Figures {
    res.map(|r| r.asks).unwrap_or_default().with_used(usage)
}

/// A node's figures: its usage against what it can allocate and what its pods request.
pub fn node_figures(usage: Option<Amounts>, allocatable: Amounts, requested: Amounts) -> Figures {
    Figures::new(
        usage,
        Some(requested),
        Some(allocatable.cpu),
        Some(allocatable.mem),
    )
}

/// Which list the usage is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Pods {
        namespace: Option<String>,
        labels: Option<String>,
        fields: Option<String>,
    },
    Nodes,
}

/// One reading for a list: its extra columns and each row's figures by `figures::fingerprint`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageNews {
    pub columns: Vec<UsageColumn>,
    pub figures: HashMap<u64, Figures>,
    /// Whether the metrics API answered (no: the usage cells say n/a).
    pub served: bool,
    /// Why it could not be read, when it failed (None: it answered, or is not served at all).
    pub why: Option<String>,
}

/// What each pod asks for, by `figures::fingerprint`.
type Book = Arc<Mutex<HashMap<u64, PodResources>>>;

fn lock(book: &Book) -> std::sync::MutexGuard<'_, HashMap<u64, PodResources>> {
    book.lock().unwrap_or_else(|e| e.into_inner())
}

fn key_of(pod: &SlimPod) -> u64 {
    let m = &pod.metadata;
    figures::fingerprint(
        m.namespace.as_deref().unwrap_or_default(),
        m.name.as_deref().unwrap_or_default(),
    )
}

/// Keeps what each pod requests and limits, from a watch; `listed` is told when the first list
/// is in.
async fn keep_book(
    client: Client,
    namespace: Option<String>,
    config: Config,
    book: Book,
    listed: tokio::sync::watch::Sender<bool>,
) {
    let api = |c| match &namespace {
        Some(ns) => Api::<SlimPod>::namespaced(c, ns),
        None => Api::<SlimPod>::all(c),
    };
    let mut stream = std::pin::pin!(watched(&client, api, config, Policy::FOLLOWING));
    let mut fresh: Option<HashMap<u64, PodResources>> = None;
    // A node's name, once for all its pods.
    let mut nodes: HashSet<Arc<str>> = HashSet::new();
    let mut resources = |p: &SlimPod| {
        let mut r = resources_of(p);
        match nodes.get(&r.node) {
            Some(n) => r.node = n.clone(),
            None => {
                nodes.insert(r.node.clone());
            }
        }
        r
    };
    while let Some(ev) = stream.next().await {
        match ev {
            // Sized as the last list was: no table regrown through 100k inserts.
            Ok(Event::Init) => fresh = Some(HashMap::with_capacity(lock(&book).len())),
            Ok(Event::InitApply(p)) => {
                let r = resources(&p);
                match fresh.as_mut() {
                    Some(f) => {
                        f.insert(key_of(&p), r);
                    }
                    None => {
                        lock(&book).insert(key_of(&p), r);
                    }
                }
            }
            Ok(Event::InitDone) => {
                if let Some(f) = fresh.take() {
                    *lock(&book) = f;
                }
                let _ = listed.send(true);
            }
            Ok(Event::Apply(p)) => {
                let r = resources(&p);
                lock(&book).insert(key_of(&p), r);
            }
            Ok(Event::Delete(p)) => {
                lock(&book).remove(&key_of(&p));
            }
            // The watch retries by itself; the numbers known so far stand.
            Err(_) => {}
        }
    }
}

/// What one reading gathers as the metrics API's list streams in (never the whole list at
/// once: at 100k pods it is tens of megabytes).
struct Gathered {
    book: Book,
    /// Each pod the metrics list and the book knows. A pod the metrics do not list (not
    /// running yet) has no usage to show: the list says n/a.
    pods: HashMap<u64, Figures>,
    /// Usage by node name (a few thousand at most).
    nodes: HashMap<String, Amounts>,
}

impl Gathered {
    /// `pods`: room for this many pods' figures (none for a nodes list).
    fn new(book: &Book, pods: usize) -> Gathered {
        Gathered {
            book: book.clone(),
            pods: HashMap::with_capacity(pods),
            nodes: HashMap::new(),
        }
    }
}

impl metrics_list::Each for Gathered {
    fn item(&mut self, namespace: &str, name: &str, used: Amounts) {
        if namespace.is_empty() {
            self.nodes.insert(name.to_string(), used);
            return;
        }
        let key = figures::fingerprint(namespace, name);
        if let Some(res) = lock(&self.book).get(&key) {
            self.pods.insert(key, pod_figures(Some(used), Some(res)));
        }
    }
}

/// Reads usage for one list every `EVERY` until the receiver goes.
pub async fn run(client: Client, target: Target, tx: mpsc::Sender<UsageNews>) {
    let book: Book = Arc::default();
    let (listed_tx, mut listed) = tokio::sync::watch::channel(false);
    let (pods_namespace, config, metrics_path) = match &target {
        Target::Pods {
            namespace,
            labels,
            fields,
        } => {
            let mut config = Config::default();
            if let Some(l) = labels {
                config = config.labels(l);
            }
            if let Some(f) = fields {
                config = config.fields(f);
            }
            let path = match namespace {
                Some(ns) => format!("/apis/metrics.k8s.io/v1beta1/namespaces/{ns}/pods"),
                None => "/apis/metrics.k8s.io/v1beta1/pods".to_string(),
            };
            (namespace.clone(), config, path)
        }
        Target::Nodes => (
            None,
            Config::default(),
            "/apis/metrics.k8s.io/v1beta1/nodes".to_string(),
        ),
    };
    // Dropped with this task (a list that closes aborts it): the book's watch goes with it.
    let _keeper = tokio_util::task::AbortOnDropHandle::new(tokio::spawn(keep_book(
        client.clone(),
        pods_namespace,
        config,
        book.clone(),
        listed_tx,
    )));
    // The first reading waits for the pods' numbers (bounded), so shares are not all n/a.
    let _ = tokio::time::timeout(Duration::from_secs(10), listed.wait_for(|l| *l)).await;
    // Each node's name and what it can allocate, from the last list of them that was read.
    let mut nodes: Vec<(String, Amounts)> = Vec::new();
    let nodes_api = Api::<Node>::all(client.clone());
    // The nodes' usage from the last reading (a few thousand at most).
    let mut node_usage: HashMap<String, Amounts> = HashMap::new();
    // A pods list's reading has a figure for about every pod the book holds.
    let room = || match target {
        Target::Pods { .. } => lock(&book).len(),
        Target::Nodes => 0,
    };
    let mut first = true;
    loop {
        if !first {
            tokio::time::sleep(EVERY).await;
        }
        first = false;
        let (served, why, mut pods) =
            match metrics_list::read(&client, &metrics_path, Gathered::new(&book, room())).await {
                Ok(Some(gathered)) => {
                    node_usage = gathered.nodes;
                    (true, None, gathered.pods)
                }
                // Not served, or a read that failed through its retries (10 s): n/a and,
                // for a failure, why, rather than the last reading as if it were fresh; the
                // nodes' requests still show.
                failed => {
                    node_usage.clear();
                    (false, failed.err(), HashMap::new())
                }
            };
        let news = match &target {
            Target::Pods { .. } => {
                pods.shrink_to_fit();
                UsageNews {
                    columns: POD_COLUMNS.to_vec(),
                    figures: pods,
                    served,
                    why,
                }
            }
            Target::Nodes => {
                // A failed list keeps the nodes known from the last one.
                let params = ListParams::default();
                if let Ok(list) = retry_kube(PATIENCE, || nodes_api.list(&params)).await {
                    nodes = list.items.iter().map(allocatable).collect();
                }
                let mut requested: HashMap<&str, Amounts> = HashMap::new();
                let book = lock(&book);
                for r in book.values().filter(|r| !r.done) {
                    let sum = requested.entry(&r.node).or_default();
                    let asked = |of| r.asks.requested(of).unwrap_or(0);
                    sum.cpu = sum.cpu.saturating_add(asked(Resource::Cpu));
                    sum.mem = sum.mem.saturating_add(asked(Resource::Mem));
                }
                let figures = nodes
                    .iter()
                    .map(|(name, allocatable)| {
                        let req = requested.get(name.as_str()).copied().unwrap_or_default();
                        let used = node_usage.get(name).copied();
                        let f = node_figures(used, *allocatable, req);
                        (figures::fingerprint("", name), f)
                    })
                    .collect();
                UsageNews {
                    columns: NODE_COLUMNS.to_vec(),
                    figures,
                    served,
                    why,
                }
            }
        };
        if tx.send(news).await.is_err() {
            return;
        }
    }
}

/// A node's name and what it can allocate.
fn allocatable(node: &Node) -> (String, Amounts) {
    let alloc = node.status.as_ref().and_then(|s| s.allocatable.as_ref());
    let amount = |k: &str, f: fn(&str) -> Option<u64>| {
        alloc
            .and_then(|a| a.get(k))
            .and_then(|q| f(&q.0))
            .unwrap_or(0)
    };
    let name = node.metadata.name.clone().unwrap_or_default();
    (
        name,
        Amounts {
            cpu: amount("cpu", millicores),
            mem: amount("memory", bytes),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_pods_requests_sum_and_its_limit_needs_every_container_to_have_one() {
        let pod = json!({"spec": {"nodeName": "n1", "containers": [
            {"resources": {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"cpu": "1", "memory": "128Mi"}}},
            {"resources": {"requests": {"cpu": "50m"}, "limits": {"memory": "64Mi"}}}]}});
        let r = pod_resources(&pod);
        let asks = |of: fn(&Figures, Resource) -> Option<u64>| {
            (of(&r.asks, Resource::Cpu), of(&r.asks, Resource::Mem))
        };
        assert_eq!(asks(Figures::requested), (Some(150), Some(64 << 20)));
        assert_eq!(asks(Figures::ceiling), (None, Some(192 << 20)));
        let f = pod_figures(
            Some(Amounts {
                cpu: 75,
                mem: 96 << 20,
            }),
            Some(&r),
        );
        let texts: Vec<String> = POD_COLUMNS.iter().map(|c| c.measure.text(&f)).collect();
        assert_eq!(texts, vec!["75m", "96Mi", "50%", "n/a", "150%", "50%"]);
        let unread = pod_figures(None, Some(&r));
        assert!(POD_COLUMNS.iter().all(|c| c.measure.text(&unread) == "n/a"));
    }
}
