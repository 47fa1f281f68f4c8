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
#[derive(Debug, Clone)]
pub struct UsageNews {
    pub columns: Vec<UsageColumn>,
    pub figures: Reading,
    /// Whether the metrics API answered (no: the usage cells say n/a).
    pub served: bool,
    /// Why it could not be read, when it failed (None: it answered, or is not served at all).
    pub why: Option<String>,
}

/// A reading's figures by `figures::fingerprint`.
#[derive(Debug, Clone)]
pub enum Reading {
    /// A nodes list's (a few thousand), a failed reading's (none), a test's.
    Map(HashMap<u64, Figures>),
    /// A pods list's: the book itself, whose entries hold the last complete reading's usage.
    /// At 100k pods a map of its own would be another 7 MB, made every 15 s.
    Book(Book),
}

impl Reading {
    /// Calls `with` with a lookup of each row's figures: a pod the metrics did not list has
    /// none. The book is locked meanwhile, so many lookups take it once.
    pub fn lookup<R>(&self, with: impl FnOnce(&dyn Fn(u64) -> Option<Figures>) -> R) -> R {
        match self {
            Reading::Map(map) => with(&|key| map.get(&key).copied()),
            Reading::Book(book) => {
                let book = lock(book);
                with(&|key| {
                    book.pods
                        .get(&key)
                        .filter(|b| b.figures.used(Resource::Cpu).is_some())
                        .map(|b| b.figures)
                })
            }
        }
    }

    /// One row's figures.
    pub fn get(&self, key: u64) -> Option<Figures> {
        self.lookup(|find| find(key))
    }

    /// How many rows have figures.
    pub fn len(&self) -> usize {
        match self {
            Reading::Map(map) => map.len(),
            Reading::Book(book) => lock(book)
                .pods
                .values()
                .filter(|b| b.figures.used(Resource::Cpu).is_some())
                .count(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What the book keeps of a pod: 48 bytes, 56 with its key, so 100k pods take about 7 MB.
#[derive(Debug, Clone, Copy)]
struct Booked {
    /// What it requests and limits, and its usage from the last reading that listed it.
    figures: Figures,
    /// Where it runs: an index into `Ledger::nodes`.
    node: u32,
    /// Finished pods hold nothing on their node.
    done: bool,
}

/// What each pod asks for (and, once read, uses), by `figures::fingerprint`, and the names of
/// the nodes they run on, each kept once.
#[derive(Debug, Default)]
pub struct Ledger {
    pods: HashMap<u64, Booked>,
    nodes: Vec<Arc<str>>,
    node_index: HashMap<Arc<str>, u32>,
}

impl Ledger {
    fn booked(&mut self, r: PodResources) -> Booked {
        let node = match self.node_index.get(&r.node) {
            Some(&i) => i,
            None => {
                let i = u32::try_from(self.nodes.len()).unwrap_or(u32::MAX);
                self.nodes.push(r.node.clone());
                self.node_index.insert(r.node, i);
                i
            }
        };
        Booked {
            figures: r.asks,
            node,
            done: r.done,
        }
    }

    /// Puts a pod's asks in, keeping the usage read for it so far.
    fn put(&mut self, key: u64, r: PodResources) {
        let mut booked = self.booked(r);
        if let Some(old) = self.pods.get(&key) {
            booked.figures = booked.figures.with_used(old.figures.amounts_used());
        }
        self.pods.insert(key, booked);
    }

    /// Ends a relist whose pods (`seen`, by key) were put in as they came: those gone while the
    /// watch was away go, the others keep the usage read for them. Nodes no pod runs on any
    /// more are forgotten then, so a list left open for weeks does not collect the name of
    /// every node it ever saw.
    fn relisted(&mut self, seen: &HashSet<u64>) {
        self.pods.retain(|key, _| seen.contains(key));
        // New pods went in before the gone ones left: after a long absence (a laptop asleep
        // over a cluster that churns job pods) the table may have grown to twice what it
        // holds, and a table never shrinks by itself.
        if self.pods.capacity() > 2 * self.pods.len().max(1024) {
            self.pods.shrink_to_fit();
        }
        let mut renumbered: Vec<Option<u32>> = vec![None; self.nodes.len()];
        let mut kept: Vec<Arc<str>> = Vec::new();
        for b in self.pods.values_mut() {
            let Some(slot) = renumbered.get_mut(b.node as usize) else {
                continue;
            };
            b.node = *slot.get_or_insert_with(|| {
                kept.push(self.nodes[b.node as usize].clone());
                u32::try_from(kept.len() - 1).unwrap_or(u32::MAX)
            });
        }
        self.node_index = kept
            .iter()
            .enumerate()
            .map(|(i, n)| (n.clone(), u32::try_from(i).unwrap_or(u32::MAX)))
            .collect();
        self.nodes = kept;
    }
}

/// Shared by the book's watch, the reading that fills in usage, and the list that reads it.
pub type Book = Arc<Mutex<Ledger>>;

fn lock(book: &Book) -> std::sync::MutexGuard<'_, Ledger> {
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
    // The keys of a relist's pods, until it is complete. Each pod goes into the book as it
    // comes, so a relist holds about 12 bytes a pod beside the book (1.2 MB at 100k pods)
    // rather than a second book (10 MB, whose pages the allocator then kept).
    let mut seen: Option<HashSet<u64>> = None;
    while let Some(ev) = stream.next().await {
        match ev {
            // Sized as the book is: no table regrown through 100k inserts. The first list has
            // nothing to drop (nor has a book whose pods and nodes all went).
            Ok(Event::Init) => {
                let ledger = lock(&book);
                seen =
                    (!ledger.nodes.is_empty()).then(|| HashSet::with_capacity(ledger.pods.len()));
            }
            Ok(Event::InitApply(p)) => {
                let key = key_of(&p);
                lock(&book).put(key, resources_of(&p));
                if let Some(seen) = seen.as_mut() {
                    seen.insert(key);
                }
            }
            Ok(Event::InitDone) => {
                if let Some(seen) = seen.take() {
                    lock(&book).relisted(&seen);
                }
                let _ = listed.send(true);
            }
            Ok(Event::Apply(p)) => lock(&book).put(key_of(&p), resources_of(&p)),
            Ok(Event::Delete(p)) => {
                lock(&book).pods.remove(&key_of(&p));
            }
            // The watch retries by itself; the numbers known so far stand.
            Err(_) => {}
        }
    }
}

/// What one reading gathers as the metrics API's list streams in (never the whole list at
/// once: at 100k pods it is tens of megabytes).
struct Gathered {
    /// Each pod's usage as the list streams in, put into the book only once the whole list
    /// is in: the book always holds one complete reading (a list that fails half-way, or a
    /// parse still running after its read gave up, changes nothing), and a list that copies
    /// from it late sees a newer complete reading, never half of one.
    pods: Vec<(u64, Amounts)>,
    /// Usage by node name (a few thousand at most).
    nodes: HashMap<String, Amounts>,
}

impl Gathered {
    /// `pods`: room for this many pods' usage (none for a nodes list).
    fn new(pods: usize) -> Gathered {
        Gathered {
            pods: Vec::with_capacity(pods),
            nodes: HashMap::new(),
        }
    }

    /// Makes this reading the book's: a pod it does not list says n/a rather than showing
    /// the last reading's numbers as new; a pod the book does not know (its watch has not
    /// seen it yet) is left out.
    fn record(&mut self, book: &Book) {
        let mut ledger = lock(book);
        for b in ledger.pods.values_mut() {
            b.figures = b.figures.with_used(None);
        }
        for (key, used) in self.pods.drain(..) {
            if let Some(b) = ledger.pods.get_mut(&key) {
                b.figures = b.figures.with_used(Some(used));
            }
        }
    }
}

impl metrics_list::Each for Gathered {
    fn item(&mut self, namespace: &str, name: &str, used: Amounts) {
        if namespace.is_empty() {
            self.nodes.insert(name.to_string(), used);
        } else {
            self.pods
                .push((figures::fingerprint(namespace, name), used));
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
    // A pods list's reading has usage for about every pod the book holds.
    let room = || match target {
        Target::Pods { .. } => lock(&book).pods.len(),
        Target::Nodes => 0,
    };
    let mut first = true;
    loop {
        if !first {
            tokio::time::sleep(EVERY).await;
        }
        first = false;
        let (served, why) =
            match metrics_list::read(&client, &metrics_path, Gathered::new(room())).await {
                Ok(Some(mut gathered)) => {
                    gathered.record(&book);
                    node_usage = gathered.nodes;
                    (true, None)
                }
                // Not served, or a read that failed through its retries (10 s): n/a and,
                // for a failure, why, rather than the last reading as if it were fresh; the
                // nodes' requests still show.
                failed => {
                    node_usage.clear();
                    (false, failed.err())
                }
            };
        let news = match &target {
            Target::Pods { .. } => UsageNews {
                columns: POD_COLUMNS.to_vec(),
                figures: if served {
                    Reading::Book(book.clone())
                } else {
                    Reading::Map(HashMap::new())
                },
                served,
                why,
            },
            Target::Nodes => {
                // A failed list keeps the nodes known from the last one.
                let params = ListParams::default();
                if let Ok(list) = retry_kube(PATIENCE, || nodes_api.list(&params)).await {
                    nodes = list.items.iter().map(allocatable).collect();
                }
                let ledger = lock(&book);
                // What the pods on each node (by its index in the book) request.
                let mut requested = vec![Amounts::default(); ledger.nodes.len()];
                for b in ledger.pods.values().filter(|b| !b.done) {
                    if let Some(sum) = requested.get_mut(b.node as usize) {
                        let asked = |of| b.figures.requested(of).unwrap_or(0);
                        sum.cpu = sum.cpu.saturating_add(asked(Resource::Cpu));
                        sum.mem = sum.mem.saturating_add(asked(Resource::Mem));
                    }
                }
                let figures = nodes
                    .iter()
                    .map(|(name, allocatable)| {
                        let req = ledger
                            .node_index
                            .get(name.as_str())
                            .and_then(|&i| requested.get(i as usize))
                            .copied()
                            .unwrap_or_default();
                        let used = node_usage.get(name).copied();
                        let f = node_figures(used, *allocatable, req);
                        (figures::fingerprint("", name), f)
                    })
                    .collect();
                UsageNews {
                    columns: NODE_COLUMNS.to_vec(),
                    figures: Reading::Map(figures),
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
    use metrics_list::Each;
    use serde_json::json;

    fn asks(node: &str, cpu: u64) -> PodResources {
        PodResources {
            node: node.into(),
            asks: Figures::new(
                None,
                Some(Amounts { cpu, mem: 1 << 20 }),
                Some(cpu * 2),
                None,
            ),
            done: false,
        }
    }

    /// A relist of `pods`, as the book's watch carries one out.
    fn relist(book: &Book, pods: Vec<(u64, PodResources)>) {
        let seen = pods.iter().map(|(key, _)| *key).collect();
        for (key, r) in pods {
            lock(book).put(key, r);
        }
        lock(book).relisted(&seen);
    }

    fn used(cpu: u64) -> Amounts {
        Amounts { cpu, mem: 5 << 20 }
    }

    #[test]
    fn the_books_entries_and_figures_stay_small() {
        assert_eq!(std::mem::size_of::<Figures>(), 40);
        assert_eq!(std::mem::size_of::<Booked>(), 48);
    }

    #[test]
    fn a_reading_fills_the_book_whole_and_the_next_forgets_what_it_does_not_list() {
        let book: Book = Arc::default();
        let key = |name| figures::fingerprint("shop", name);
        lock(&book).put(key("web-1"), asks("n1", 100));
        lock(&book).put(key("web-2"), asks("n1", 100));
        let reading = Reading::Book(book.clone());
        let mut first = Gathered::new(2);
        first.item("shop", "web-1", used(50));
        first.item("shop", "web-2", used(20));
        // A pod the book does not know (its watch has not seen it yet) is left out.
        first.item("shop", "web-3", used(20));
        first.item("", "n1", used(900));
        assert!(
            reading.is_empty(),
            "nothing shows before the list is all in"
        );
        first.record(&book);
        let web_1 = reading.get(key("web-1")).expect("web-1 was listed");
        assert_eq!(web_1.amounts_used(), Some(used(50)));
        assert_eq!(web_1.requested(Resource::Cpu), Some(100));
        assert_eq!(web_1.ceiling(Resource::Cpu), Some(200));
        assert_eq!(reading.get(key("web-3")), None);
        assert_eq!(reading.len(), 2);
        assert_eq!(first.nodes.get("n1"), Some(&used(900)));
        // A change of the pod keeps its usage; a new pod has none yet.
        lock(&book).put(key("web-1"), asks("n1", 300));
        lock(&book).put(key("web-4"), asks("n2", 10));
        let web_1 = reading.get(key("web-1")).unwrap();
        assert_eq!(
            (web_1.amounts_used(), web_1.requested(Resource::Cpu)),
            (Some(used(50)), Some(300))
        );
        assert_eq!(reading.get(key("web-4")), None);
        // The next reading lists web-2 only: while it streams in, the last one stands; once
        // it is in, web-1 says n/a, not its old numbers.
        let mut second = Gathered::new(2);
        second.item("shop", "web-2", used(30));
        assert_eq!(
            reading.get(key("web-1")).and_then(|f| f.amounts_used()),
            Some(used(50))
        );
        second.record(&book);
        assert_eq!(reading.get(key("web-1")), None);
        assert_eq!(
            reading.get(key("web-2")).and_then(|f| f.amounts_used()),
            Some(used(30))
        );
        // A relist drops the pods gone meanwhile and keeps the usage of the rest.
        relist(
            &book,
            vec![
                (key("web-2"), asks("n1", 100)),
                (key("web-5"), asks("n2", 10)),
            ],
        );
        assert_eq!(lock(&book).pods.len(), 2);
        assert_eq!(
            reading.get(key("web-2")).and_then(|f| f.amounts_used()),
            Some(used(30))
        );
        // Node names are kept once each, whatever the number of pods on them, and a relist
        // forgets the nodes no pod runs on any more.
        assert_eq!(lock(&book).nodes.len(), 2);
        relist(&book, vec![(key("web-5"), asks("n2", 10))]);
        let ledger = lock(&book);
        assert_eq!(ledger.nodes, vec![Arc::<str>::from("n2")]);
        let web_5 = ledger.pods[&key("web-5")];
        assert_eq!(&*ledger.nodes[web_5.node as usize], "n2");
        assert_eq!(ledger.node_index.get("n2"), Some(&0));
    }

    #[test]
    fn a_relist_after_much_churn_gives_the_room_back() {
        let book: Book = Arc::default();
        let key = |i: usize| figures::fingerprint("jobs", &format!("run-{i}"));
        relist(
            &book,
            (0..20_000).map(|i| (key(i), asks("n1", 1))).collect(),
        );
        let grown = lock(&book).pods.capacity();
        // While the watch was away, all but ten of them finished: the relist lists ten.
        relist(&book, (0..10).map(|i| (key(i), asks("n2", 1))).collect());
        let ledger = lock(&book);
        assert_eq!(ledger.pods.len(), 10);
        assert!(
            ledger.pods.capacity() < grown / 4,
            "{} of {grown}",
            ledger.pods.capacity()
        );
        assert_eq!(ledger.nodes, vec![Arc::<str>::from("n2")]);
    }

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
