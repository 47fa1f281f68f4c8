//! Port-forwards that outlive their pod. A forward listens locally and, for each connection,
//! opens the API's `portforward` subresource to the pod serving the target now: for a Service
//! or a workload, a pod watch keeps a ready pod chosen (the same one while it stays ready), so
//! when that pod goes away new connections go to the next ready pod as soon as the watch says
//! it is ready — where `kubectl port-forward svc/x` dies with its pod. A forward to a bare pod
//! says the pod is gone and stops.

use super::pods;
use super::ports::{Local, RemotePort, in_pod, service_target};
use crate::cluster::backoff::{Policy, watched};
use crate::cluster::errors::{KxError, classify};
use crate::cluster::kinds;
use futures::StreamExt;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, DynamicObject, ListParams};
use kube::core::{ApiResource, GroupVersionKind};
use serde_json::Value;
use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;

/// Kinds a forward can target.
pub const FORWARDABLE: [&str; 6] = [
    "Pod",
    "Service",
    "Deployment",
    "StatefulSet",
    "ReplicaSet",
    "DaemonSet",
];

/// `svc/web` → ("Service", "web"); a bare name is a pod.
pub fn parse_target(text: &str) -> Result<(String, String), String> {
    match text.split_once('/') {
        None => Ok(("Pod".to_string(), text.to_string())),
        Some((kind, name)) if !name.is_empty() => {
            let kind = kinds::log_target(kind)
                .filter(|k| FORWARDABLE.contains(k))
                .ok_or_else(|| {
                    format!("port-forward works on pod, svc, deploy, sts, rs and ds, not {kind:?}")
                })?;
            Ok((kind.to_string(), name.to_string()))
        }
        Some(_) => Err(format!("{text:?} is not KIND/NAME")),
    }
}

/// How long a new connection waits for a ready pod before it is closed.
const WAIT_FOR_POD: Duration = Duration::from_secs(30);

/// How long one connection keeps trying to reach its pod through a failing API server.
const CONNECT_WITHIN: Duration = Duration::from_secs(5);

/// How many ports above the wanted one are tried when it is taken.
const NEXT_FREE_TRIES: u16 = 50;

/// What to forward.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    pub namespace: String,
    /// Pod, Service, Deployment, StatefulSet, ReplicaSet or DaemonSet.
    pub kind: String,
    pub name: String,
    /// A Service's port (number or name), else a container port.
    pub remote: RemotePort,
    pub local: Local,
    pub address: IpAddr,
    /// How long to wait for a first ready pod before giving up (zero: not at all). A forward
    /// started with the explorer (`--forward`) waits while the cluster's pods start.
    pub patience: Duration,
}

impl Spec {
    /// `svc/web:80`, as lists and messages show it.
    pub fn target(&self) -> String {
        let short = match self.kind.as_str() {
            "Service" => "svc",
            "Deployment" => "deploy",
            "StatefulSet" => "sts",
            "ReplicaSet" => "rs",
            "DaemonSet" => "ds",
            _ => "pod",
        };
        format!("{}/{short}/{}:{}", self.namespace, self.name, self.remote)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    /// A ready pod serves new connections.
    Serving,
    /// No ready pod now: connections wait for one (the reason says what is seen).
    Waiting(String),
    /// The forward has ended (a bare pod gone, the user stopped it).
    Stopped(String),
}

/// What a forward tells whoever started it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    Serving {
        pod: String,
    },
    Moved {
        from: String,
        to: String,
    },
    Waiting(String),
    Stopped(String),
    /// One connection could not be carried (the pod refused the port, the API failed).
    ConnectionFailed(String),
}

/// Live figures of one forward, read by lists while it runs.
#[derive(Debug, Default)]
pub struct Stats {
    pub open: AtomicU64,
    pub total: AtomicU64,
    /// Bytes from local clients to the pod.
    pub sent: AtomicU64,
    /// Bytes from the pod to local clients.
    pub received: AtomicU64,
    now: Mutex<(Option<String>, Option<State>)>,
}

impl Stats {
    /// The pod serving now, and the state.
    pub fn status(&self) -> (Option<String>, State) {
        let now = self.now.lock().unwrap_or_else(|e| e.into_inner());
        (
            now.0.clone(),
            now.1.clone().unwrap_or(State::Waiting("starting".into())),
        )
    }

    fn set(&self, pod: Option<String>, state: State) {
        *self.now.lock().unwrap_or_else(|e| e.into_inner()) = (pod, Some(state));
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ForwardError {
    #[error("{0}")]
    Api(KxError),
    #[error("{0}")]
    Target(String),
    #[error("{0}")]
    NoReadyPod(String),
    #[error("{0}")]
    LocalPort(String),
}

/// A running forward. Dropping it (or `stop`) closes the listener and every connection.
pub struct Forward {
    pub spec: Spec,
    pub local: SocketAddr,
    pub stats: Arc<Stats>,
    /// Said once at the start: the local port moved, or the remote port is not declared.
    pub notes: Vec<String>,
    tasks: Vec<tokio::task::AbortHandle>,
}

impl Forward {
    pub fn stop(&self) {
        for t in &self.tasks {
            t.abort();
        }
        let (pod, _) = self.stats.status();
        self.stats.set(pod, State::Stopped("stopped".into()));
    }
}

impl Drop for Forward {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// Reads an object of a kind kx forwards to, as JSON.
async fn get_object(client: &kube::Client, spec: &Spec) -> Result<Value, ForwardError> {
    let (group, version) = if matches!(spec.kind.as_str(), "Pod" | "Service") {
        ("", "v1")
    } else {
        ("apps", "v1")
    };
    let resource = ApiResource::from_gvk(&GroupVersionKind::gvk(group, version, &spec.kind));
    let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), &spec.namespace, &resource);
    let obj = api.get(&spec.name).await.map_err(|e| match classify(&e) {
        KxError::NotFound { .. } => ForwardError::Target(format!(
            "{} {} not found in namespace {}",
            spec.kind.to_lowercase(),
            spec.name,
            spec.namespace
        )),
        other => ForwardError::Api(other),
    })?;
    serde_json::to_value(obj).map_err(|e| ForwardError::Target(e.to_string()))
}

/// Listens on the address and port asked for; `Prefer` moves up to the next free port.
async fn bind(
    address: IpAddr,
    local: Local,
    notes: &mut Vec<String>,
) -> Result<TcpListener, ForwardError> {
    let wanted = match local {
        Local::Any => 0,
        Local::Exactly(p) | Local::Prefer(p) => p,
    };
    match TcpListener::bind(SocketAddr::new(address, wanted)).await {
        Ok(l) => return Ok(l),
        Err(e) if matches!(local, Local::Exactly(_) | Local::Any) => {
            return Err(ForwardError::LocalPort(format!(
                "cannot listen on {address}:{wanted}: {}{}",
                e,
                if e.kind() == std::io::ErrorKind::AddrInUse {
                    "; another program has it: pick another local port (LOCAL:REMOTE)"
                } else {
                    ""
                }
            )));
        }
        Err(e) => {
            let why = if e.kind() == std::io::ErrorKind::PermissionDenied {
                "needs privileges"
            } else {
                "is not free"
            };
            // Ports below 1024 need privileges: try the same port 8000 higher, as people do
            // by hand.
            let starts = [
                wanted.checked_add(1),
                (wanted < 1024).then_some(wanted + 8000),
            ];
            for start in starts.into_iter().flatten() {
                for port in start..start.saturating_add(NEXT_FREE_TRIES) {
                    if let Ok(l) = TcpListener::bind(SocketAddr::new(address, port)).await {
                        notes.push(format!(
                            "local port {wanted} {why}; listening on {port} instead"
                        ));
                        return Ok(l);
                    }
                }
            }
        }
    }
    Err(ForwardError::LocalPort(format!(
        "no free local port at or after {wanted} on {address}"
    )))
}

/// What the pods behind a target are, and how to find the port in one of them.
struct Behind {
    /// None: a bare pod.
    selector: Option<String>,
    /// The port in the pod: a container port (number or name).
    port: RemotePort,
    /// The remote port as a number (a service's port, or the container port a name resolves
    /// to): the local port a named port prefers.
    number: u16,
    pods: Vec<Value>,
}

async fn resolve(
    client: &kube::Client,
    spec: &Spec,
    notes: &mut Vec<String>,
) -> Result<Behind, ForwardError> {
    if !FORWARDABLE.contains(&spec.kind.as_str()) {
        return Err(ForwardError::Target(format!(
            "port-forward works on pods, services, deployments, statefulsets, replicasets and daemonsets, not {}",
            spec.kind.to_lowercase()
        )));
    }
    let obj = get_object(client, spec).await?;
    let pods_api: Api<Pod> = Api::namespaced(client.clone(), &spec.namespace);
    let (selector, port, template) = match spec.kind.as_str() {
        "Pod" => (None, spec.remote.clone(), obj["spec"].clone()),
        "Service" => {
            let port = service_target(&obj, &spec.remote).map_err(ForwardError::Target)?;
            if obj["spec"]["selector"]
                .as_object()
                .is_none_or(|m| m.is_empty())
            {
                return Err(ForwardError::Target(format!(
                    "service {} has no selector, so no pods behind it to forward to",
                    spec.name
                )));
            }
            let sel = kinds::pod_selector("Service", &obj).map_err(ForwardError::Target)?;
            (Some(sel), port, Value::Null)
        }
        kind => {
            let sel = kinds::pod_selector(kind, &obj).map_err(ForwardError::Target)?;
            (
                Some(sel),
                spec.remote.clone(),
                obj["spec"]["template"]["spec"].clone(),
            )
        }
    };
    let mut number = match &spec.remote {
        RemotePort::Number(n) => *n,
        RemotePort::Name(name) => obj["spec"]["ports"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|p| p["name"].as_str() == Some(name.as_str()))
            .and_then(|p| p["port"].as_u64())
            .and_then(|n| u16::try_from(n).ok())
            .unwrap_or(0),
    };
    if !template.is_null() {
        let resolved = in_pod(&template, &port).map_err(|e| {
            ForwardError::Target(format!("{} {}: {e}", spec.kind.to_lowercase(), spec.name))
        })?;
        if spec.kind != "Service" {
            number = resolved;
        }
        if !super::ports::declared(&template, resolved) {
            notes.push(format!(
                "port {number} is not declared by any container of {} {}; connections fail unless something listens on it",
                spec.kind.to_lowercase(),
                spec.name
            ));
        }
    }
    let pods = match &selector {
        None => vec![obj],
        Some(sel) => pods_api
            .list(&ListParams::default().labels(sel))
            .await
            .map_err(|e| ForwardError::Api(classify(&e)))?
            .items
            .into_iter()
            .filter_map(|p| serde_json::to_value(p).ok())
            .collect(),
    };
    let servable = if selector.is_none() {
        pods.iter().any(pods::is_running)
    } else {
        pods::pick(&pods, None).is_some()
    };
    if !servable {
        return Err(ForwardError::NoReadyPod(no_ready(spec, &pods)));
    }
    Ok(Behind {
        selector,
        port,
        number,
        pods,
    })
}

fn no_ready<P: std::borrow::Borrow<Value>>(spec: &Spec, pods: &[P]) -> String {
    let first = pods.first().map(std::borrow::Borrow::borrow);
    if spec.kind == "Pod" {
        let phase = first
            .and_then(|p| p["status"]["phase"].as_str())
            .unwrap_or("unknown");
        if first.is_some_and(|p| !p["metadata"]["deletionTimestamp"].is_null()) {
            return format!("pod {} is terminating", spec.name);
        }
        return format!("pod {} is not running (phase {phase})", spec.name);
    }
    format!(
        "no ready pod behind {} {} ({} pod{}, none ready)",
        spec.kind.to_lowercase(),
        spec.name,
        pods.len(),
        if pods.len() == 1 { "" } else { "s" }
    )
}

/// Starts a forward: checks the target, port and local address first (so mistakes are said
/// before anything listens), then serves in the background.
pub async fn start(
    client: kube::Client,
    spec: Spec,
    events: mpsc::UnboundedSender<Event>,
) -> Result<Forward, ForwardError> {
    let mut notes = Vec::new();
    let waiting_until = tokio::time::Instant::now() + spec.patience;
    let behind = loop {
        match resolve(&client, &spec, &mut notes).await {
            Err(ForwardError::NoReadyPod(_)) if tokio::time::Instant::now() < waiting_until => {
                notes.clear();
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            other => break other?,
        }
    };
    // A port given by name alone prefers the local port of the same number, as kubectl does.
    let local = match spec.local {
        Local::Prefer(0) => Local::Prefer(behind.number),
        other => other,
    };
    let listener = bind(spec.address, local, &mut notes).await?;
    let local = listener
        .local_addr()
        .map_err(|e| ForwardError::LocalPort(e.to_string()))?;
    let stats = Arc::new(Stats::default());
    let first = if behind.selector.is_none() {
        behind.pods.first().cloned()
    } else {
        pods::pick(&behind.pods, None).cloned()
    };
    let (chosen_tx, chosen_rx) = watch::channel::<Option<Value>>(first.clone());
    if let Some(p) = &first {
        stats.set(Some(pods::name(p).to_string()), State::Serving);
        let _ = events.send(Event::Serving {
            pod: pods::name(p).to_string(),
        });
    }
    let follower = tokio::spawn(follow_pods(
        client.clone(),
        spec.clone(),
        behind.selector.clone(),
        behind.pods,
        chosen_tx,
        stats.clone(),
        events.clone(),
    ));
    let acceptor = tokio::spawn(accept(
        listener,
        client,
        spec.clone(),
        behind.port,
        chosen_rx,
        stats.clone(),
        events,
    ));
    Ok(Forward {
        spec,
        local,
        stats,
        notes,
        tasks: vec![follower.abort_handle(), acceptor.abort_handle()],
    })
}

/// Watches the pods behind the target and keeps the chosen one current.
async fn follow_pods(
    client: kube::Client,
    spec: Spec,
    selector: Option<String>,
    initial: Vec<Value>,
    chosen: watch::Sender<Option<Value>>,
    stats: Arc<Stats>,
    events: mpsc::UnboundedSender<Event>,
) {
    let config = match &selector {
        Some(sel) => kube::runtime::watcher::Config::default().labels(sel),
        None => kube::runtime::watcher::Config::default()
            .fields(&format!("metadata.name={}", spec.name)),
    };
    let mut current: BTreeMap<String, Value> = initial
        .into_iter()
        .map(|p| (pods::name(&p).to_string(), p))
        .collect();
    let mut relisting: Option<BTreeMap<String, Value>> = None;
    let api = |c| Api::<Pod>::namespaced(c, &spec.namespace);
    let mut stream = std::pin::pin!(watched(&client, api, config, Policy::FOLLOWING));
    while let Some(event) = stream.next().await {
        use kube::runtime::watcher::Event as W;
        let value = |p: Pod| serde_json::to_value(p).unwrap_or(Value::Null);
        match event {
            Ok(W::Init) => relisting = Some(BTreeMap::new()),
            Ok(W::InitApply(p)) => {
                let v = value(p);
                if let Some(r) = relisting.as_mut() {
                    r.insert(pods::name(&v).to_string(), v);
                }
            }
            Ok(W::InitDone) => {
                if let Some(r) = relisting.take() {
                    current = r;
                }
            }
            Ok(W::Apply(p)) => {
                let v = value(p);
                current.insert(pods::name(&v).to_string(), v);
            }
            Ok(W::Delete(p)) => {
                let v = value(p);
                current.remove(pods::name(&v));
            }
            // The watch retries by itself; the forward keeps what it knew meanwhile.
            Err(_) => continue,
        }
        if relisting.is_some() {
            continue;
        }
        // Borrowed: only the chosen pod is copied (a large deployment's pods change often).
        let all: Vec<&Value> = current.values().collect();
        let before = chosen.borrow().as_ref().map(|p| pods::name(p).to_string());
        let next = if selector.is_none() {
            // kubectl forwards to a pod that is running, ready or not (debugging an unready
            // pod is a reason to forward to it).
            all.first()
                .filter(|p| pods::is_running(p))
                .map(|p| (*p).clone())
        } else {
            pods::pick(&all, before.as_deref()).cloned()
        };
        let after = next.as_ref().map(|p| pods::name(p).to_string());
        if selector.is_none() && all.is_empty() {
            let reason = format!("pod {} is gone", spec.name);
            stats.set(before, State::Stopped(reason.clone()));
            let _ = chosen.send(None);
            let _ = events.send(Event::Stopped(reason));
            return;
        }
        match (&before, &after) {
            (Some(b), Some(a)) if b != a => {
                let _ = events.send(Event::Moved {
                    from: b.clone(),
                    to: a.clone(),
                });
            }
            (None, Some(a)) => {
                let _ = events.send(Event::Serving { pod: a.clone() });
            }
            (Some(_), None) => {
                let _ = events.send(Event::Waiting(no_ready(&spec, &all)));
            }
            _ => {}
        }
        match &after {
            Some(a) => stats.set(Some(a.clone()), State::Serving),
            None => stats.set(None, State::Waiting(no_ready(&spec, &all))),
        }
        // Only a change of pod wakes connections waiting for one (not every status update).
        if before != after || next.is_none() {
            let _ = chosen.send(next);
        } else {
            chosen.send_if_modified(|c| {
                *c = next;
                false
            });
        }
    }
}

async fn accept(
    listener: TcpListener,
    client: kube::Client,
    spec: Spec,
    port: RemotePort,
    chosen: watch::Receiver<Option<Value>>,
    stats: Arc<Stats>,
    events: mpsc::UnboundedSender<Event>,
) {
    let mut connections = JoinSet::new();
    // The follower ends (and drops its side) when a bare pod is gone: so does the listener.
    let mut follower = chosen.clone();
    loop {
        tokio::select! {
            changed = follower.changed() => {
                if changed.is_err() {
                    return;
                }
            }
            accepted = listener.accept() => {
                let Ok((socket, _)) = accepted else {
                    // Out of descriptors, say: a moment's pause rather than a busy loop.
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                };
                let _ = socket.set_nodelay(true);
                stats.open.fetch_add(1, Ordering::Relaxed);
                stats.total.fetch_add(1, Ordering::Relaxed);
                let (client, namespace, port, chosen, stats, events) = (client.clone(), spec.namespace.clone(), port.clone(), chosen.clone(), stats.clone(), events.clone());
                let stopped = spec.kind == "Pod";
                connections.spawn(async move {
                    if let Err(e) = carry(socket, &client, &namespace, &port, chosen, &stats, stopped).await {
                        let _ = events.send(Event::ConnectionFailed(e));
                    }
                    stats.open.fetch_sub(1, Ordering::Relaxed);
                });
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

/// The pod to use for a new connection: the chosen one, or the next one chosen within the wait.
async fn ready_pod(
    mut chosen: watch::Receiver<Option<Value>>,
    bare_pod: bool,
) -> Result<Value, String> {
    let waited = tokio::time::timeout(WAIT_FOR_POD, async {
        loop {
            if let Some(p) = chosen.borrow_and_update().clone() {
                return Ok(p);
            }
            if bare_pod {
                return Err("the pod is not running or gone".to_string());
            }
            if chosen.changed().await.is_err() {
                return Err("the forward has stopped".to_string());
            }
        }
    })
    .await;
    waited.unwrap_or_else(|_| {
        Err(format!(
            "no ready pod within {} s; connection closed",
            WAIT_FOR_POD.as_secs()
        ))
    })
}

/// After the local side has closed its half, how long the pod's side may stay quiet before
/// the connection ends: the WebSocket protocol cannot pass a half-close on to the pod.
const HALF_CLOSED_IDLE: Duration = Duration::from_secs(2);

/// Opens the API's portforward subresource for one port of a pod: a WebSocket whose
/// channel 0 carries the data and channel 1 the pod side's errors.
async fn open_port(
    client: &kube::Client,
    namespace: &str,
    pod: &str,
    port: u16,
) -> Result<kube::client::Connection, kube::Error> {
    let request = kube::core::Request::new(format!("/api/v1/namespaces/{namespace}/pods"))
        .portforward(pod, &[port])
        .map_err(kube::Error::BuildRequest)?;
    client.connect(request).await
}

/// One local connection carried to the pod and back, counted. The bytes go straight between
/// the socket and the WebSocket, one task per connection (no pipe in between): what keeps a
/// forward's cost per request and per MB below kubectl's.
async fn carry(
    mut socket: TcpStream,
    client: &kube::Client,
    namespace: &str,
    port: &RemotePort,
    chosen: watch::Receiver<Option<Value>>,
    stats: &Stats,
    bare_pod: bool,
) -> Result<(), String> {
    use futures::SinkExt;
    use tokio_tungstenite::tungstenite::Message;
    let pod = ready_pod(chosen, bare_pod).await?;
    let name = pods::name(&pod).to_string();
    let number = in_pod(&pod["spec"], port).map_err(|e| format!("pod {name}: {e}"))?;
    // A busy API server may refuse an upgrade now and then: the one retry policy, bounded so
    // a connection is not held for long.
    let connection = crate::cluster::backoff::retry_kube(CONNECT_WITHIN, || {
        open_port(client, namespace, &name, number)
    })
    .await
    .map_err(|e| match e {
        Some(e) => format!("pod {name} port {number}: {}", classify(&e)),
        None => format!(
            "pod {name} port {number}: the API server did not answer within {} s",
            CONNECT_WITHIN.as_secs()
        ),
    })?;
    let (mut sink, mut stream) = connection.into_stream().split();
    let (mut local_read, mut local_write) = socket.split();
    let mut buf = vec![0u8; 64 * 1024];
    // Each channel's first frame names its port; what follows is data (0) or an error (1).
    let mut named = [false; 2];
    let mut local_open = true;
    let idle = tokio::time::sleep(Duration::MAX);
    tokio::pin!(idle);
    loop {
        tokio::select! {
            read = local_read.read(&mut buf[1..]), if local_open => match read {
                Ok(0) | Err(_) => {
                    local_open = false;
                    idle.as_mut().reset(tokio::time::Instant::now() + HALF_CLOSED_IDLE);
                }
                Ok(n) => {
                    buf[0] = 0;
                    if sink.send(Message::binary(buf[..=n].to_vec())).await.is_err() {
                        break;
                    }
                    stats.sent.fetch_add(n as u64, Ordering::Relaxed);
                }
            },
            message = stream.next() => match message {
                Some(Ok(Message::Binary(frame))) if frame.len() > 1 => {
                    let channel = usize::from(frame[0]);
                    if channel > 1 {
                        continue;
                    }
                    if !std::mem::replace(&mut named[channel], true) {
                        continue;
                    }
                    if channel == 1 {
                        let said = String::from_utf8_lossy(&frame[1..]).into_owned();
                        return Err(format!("pod {name} port {number}: {said}"));
                    }
                    if local_write.write_all(&frame[1..]).await.is_err() {
                        break;
                    }
                    stats.received.fetch_add(frame.len() as u64 - 1, Ordering::Relaxed);
                    if !local_open {
                        idle.as_mut().reset(tokio::time::Instant::now() + HALF_CLOSED_IDLE);
                    }
                }
                Some(Ok(Message::Close(_)) | Err(_)) | None => break,
                Some(Ok(_)) => {}
            },
            () = &mut idle => break,
        }
    }
    let _ = local_write.shutdown().await;
    let _ = sink.close().await;
    Ok(())
}
