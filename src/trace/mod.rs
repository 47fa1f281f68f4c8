//! A live summary of a rollout or a service (`kx trace`): the object is followed by a watcher,
//! and its replica sets, pods and endpoints by others narrowed to its selector; all of them
//! resume and relist by themselves after errors, so the summary is always current. A changed
//! selector restarts the narrowed watchers. `Trace` owns them all and turns their news into
//! the summary's lines; the front end decides when to draw.

pub mod render;

use crate::cluster::backoff::{Policy, Trouble, watched};
use crate::cluster::object::{ObjectMsg, ObjectRef, follow_with};
use futures::StreamExt;
use k8s_openapi::api::apps::v1::ReplicaSet;
use k8s_openapi::api::core::v1::{Endpoints, Pod};
use kube::Client;
use kube::api::{Api, ApiResource, DynamicObject};
use kube::runtime::watcher::{self, Event};
use render::Objects;
use serde_json::Value;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Deployment,
    Service,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Which {
    ReplicaSets,
    Pods,
    Endpoints,
}

/// News from a narrowed watcher, tagged with the selector generation it was started for.
enum SetMsg {
    Relist(u64, Which),
    /// The first (or a re-) list is complete.
    Listed(u64, Which),
    Apply(u64, Which, Value),
    Delete(u64, Which, String),
    Error(Trouble),
}

async fn watch_set(
    client: Client,
    ar: ApiResource,
    namespace: String,
    config: watcher::Config,
    which: Which,
    generation: u64,
    tx: mpsc::Sender<SetMsg>,
) {
    let api = |c| Api::<DynamicObject>::namespaced_with(c, &namespace, &ar);
    let mut stream = std::pin::pin!(watched(&client, api, config, Policy::FOLLOWING));
    while let Some(ev) = stream.next().await {
        let msg = match ev {
            Err(t) if t.error.is_gone() => continue,
            Err(t) => SetMsg::Error(*t),
            Ok(Event::Init) => SetMsg::Relist(generation, which),
            Ok(Event::InitDone) => SetMsg::Listed(generation, which),
            Ok(Event::Apply(o) | Event::InitApply(o)) => match serde_json::to_value(&o) {
                Ok(v) => SetMsg::Apply(generation, which, v),
                Err(_) => continue,
            },
            Ok(Event::Delete(o)) => {
                SetMsg::Delete(generation, which, o.metadata.name.unwrap_or_default())
            }
        };
        if tx.send(msg).await.is_err() {
            return;
        }
    }
}

#[derive(Default)]
struct Traced {
    main: Option<Value>,
    /// The server's complete list said there is no such object (until then, nothing is known).
    missing: bool,
    /// "live", "waiting for it to exist", "deleted", or the reconnect report.
    state: String,
    /// Whether `state` is a reconnect report (the next news replaces it with "live").
    reconnecting: bool,
    sets: Objects,
    pods: Objects,
    endpoints: Option<Value>,
    /// Narrowed lists not complete yet: the summary waits for them rather than saying "none".
    listing: Vec<Which>,
}

impl Traced {
    fn lines(&self, kind: Kind, what: &str, now: i64) -> Vec<String> {
        let mut out = vec![format!("kx trace {what} · {}", self.state)];
        match &self.main {
            None if self.missing => {
                out.push(format!("{what} does not exist (yet); waiting for it"))
            }
            None => out.push(format!(
                "waiting for the API server's first answer about {what}"
            )),
            Some(d) if kind == Kind::Deployment => {
                out.extend(render::deployment(d, &self.sets, &self.pods, now))
            }
            Some(s) => out.extend(render::service(s, self.endpoints.as_ref(), &self.pods, now)),
        }
        out
    }
}

fn start_narrowed(
    client: &Client,
    kind: Kind,
    namespace: &str,
    selector: Option<&str>,
    generation: u64,
    tx: &mpsc::Sender<SetMsg>,
) -> Vec<JoinHandle<()>> {
    // A service without a selector has its endpoints managed by hand: no pods to match.
    let Some(selector) = selector else {
        return Vec::new();
    };
    let config = watcher::Config::default().labels(selector);
    let mut tasks = vec![tokio::spawn(watch_set(
        client.clone(),
        ApiResource::erase::<Pod>(&()),
        namespace.to_string(),
        config.clone(),
        Which::Pods,
        generation,
        tx.clone(),
    ))];
    if kind == Kind::Deployment {
        tasks.push(tokio::spawn(watch_set(
            client.clone(),
            ApiResource::erase::<ReplicaSet>(&()),
            namespace.to_string(),
            config,
            Which::ReplicaSets,
            generation,
            tx.clone(),
        )));
    }
    tasks
}

/// Applies a narrowed watcher's news; false when it was for an older selector.
fn apply(traced: &mut Traced, msg: SetMsg, generation: u64) -> bool {
    let current = |g: u64, which: Which| which == Which::Endpoints || g == generation;
    match msg {
        SetMsg::Listed(g, which) if current(g, which) => traced.listing.retain(|w| *w != which),
        SetMsg::Relist(g, which) if current(g, which) => match which {
            Which::ReplicaSets => traced.sets.clear(),
            Which::Pods => traced.pods.clear(),
            Which::Endpoints => traced.endpoints = None,
        },
        SetMsg::Apply(g, which, v) if current(g, which) => {
            if traced.reconnecting && traced.main.is_some() {
                traced.reconnecting = false;
                traced.state = "live".into();
            }
            let name = v["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            match which {
                Which::ReplicaSets => {
                    traced.sets.insert(name, v);
                }
                Which::Pods => {
                    traced.pods.insert(name, v);
                }
                Which::Endpoints => traced.endpoints = Some(v),
            }
        }
        SetMsg::Delete(g, which, name) if current(g, which) => match which {
            Which::ReplicaSets => {
                traced.sets.remove(&name);
            }
            Which::Pods => {
                traced.pods.remove(&name);
            }
            Which::Endpoints => traced.endpoints = None,
        },
        SetMsg::Error(t) => {
            traced.reconnecting = true;
            traced.state = t.line(jiff::Timestamp::now());
        }
        _ => return false,
    }
    true
}

/// A traced deployment or service: its watchers, and the summary they keep current.
pub struct Trace {
    client: Client,
    kind: Kind,
    what: String,
    namespace: String,
    main_rx: mpsc::Receiver<ObjectMsg>,
    set_tx: mpsc::Sender<SetMsg>,
    set_rx: mpsc::Receiver<SetMsg>,
    tasks: Vec<JoinHandle<()>>,
    narrowed: Vec<JoinHandle<()>>,
    selector: Option<String>,
    generation: u64,
    listing_since: tokio::time::Instant,
    traced: Traced,
}

impl Drop for Trace {
    fn drop(&mut self) {
        self.tasks
            .iter()
            .chain(&self.narrowed)
            .for_each(JoinHandle::abort);
    }
}

impl Trace {
    /// Starts following a deployment or a service; other kinds are refused with a way out.
    pub fn start(client: Client, target: ObjectRef) -> Result<Trace, String> {
        let kind = match (
            target.resource.group.as_str(),
            target.resource.kind.as_str(),
        ) {
            ("apps", "Deployment") => Kind::Deployment,
            ("", "Service") => Kind::Service,
            (_, other) => {
                return Err(format!(
                    "kx trace follows deployments and services, not {other}; `kx changes {}/{}` shows how any object changes",
                    target.resource.plural, target.name
                ));
            }
        };
        let namespace = target.namespace.clone().unwrap_or_default();
        let (main_tx, main_rx) = mpsc::channel(64);
        let mut tasks = vec![tokio::spawn(follow_with(
            client.clone(),
            target.clone(),
            false,
            main_tx,
            Policy::FOLLOWING,
        ))];
        let (set_tx, set_rx) = mpsc::channel::<SetMsg>(1024);
        if kind == Kind::Service {
            let by_name =
                watcher::Config::default().fields(&format!("metadata.name={}", target.name));
            tasks.push(tokio::spawn(watch_set(
                client.clone(),
                ApiResource::erase::<Endpoints>(&()),
                namespace.clone(),
                by_name,
                Which::Endpoints,
                0,
                set_tx.clone(),
            )));
        }
        Ok(Trace {
            client,
            kind,
            what: target.display(),
            namespace,
            main_rx,
            set_tx,
            set_rx,
            tasks,
            narrowed: Vec::new(),
            selector: None,
            generation: 0,
            listing_since: tokio::time::Instant::now(),
            traced: Traced {
                state: "connecting…".into(),
                ..Default::default()
            },
        })
    }

    /// Waits for the next news and takes it in. Some(true) when the summary may have
    /// changed, Some(false) when not, None when the watchers are gone.
    pub async fn next(&mut self) -> Option<bool> {
        tokio::select! {
            msg = self.main_rx.recv() => {
                self.on_object(msg?);
                Some(true)
            }
            msg = self.set_rx.recv() => {
                let msg = msg?;
                Some(apply(&mut self.traced, msg, self.generation))
            }
        }
    }

    fn on_object(&mut self, msg: ObjectMsg) {
        let traced = &mut self.traced;
        match msg {
            ObjectMsg::Object(o) => {
                let kind_name = match self.kind {
                    Kind::Service => "Service",
                    Kind::Deployment => "Deployment",
                };
                let wanted = crate::cluster::kinds::pod_selector(kind_name, &o)
                    .ok()
                    .filter(|s| !s.is_empty());
                if wanted != self.selector {
                    self.selector = wanted;
                    self.generation += 1;
                    self.narrowed.drain(..).for_each(|t| t.abort());
                    traced.sets.clear();
                    traced.pods.clear();
                    traced.listing = match (&self.selector, self.kind) {
                        (None, _) => Vec::new(),
                        (Some(_), Kind::Deployment) => vec![Which::Pods, Which::ReplicaSets],
                        (Some(_), Kind::Service) => vec![Which::Pods],
                    };
                    self.listing_since = tokio::time::Instant::now();
                    self.narrowed = start_narrowed(
                        &self.client,
                        self.kind,
                        &self.namespace,
                        self.selector.as_deref(),
                        self.generation,
                        &self.set_tx,
                    );
                }
                traced.main = Some(o);
                traced.missing = false;
                traced.reconnecting = false;
                traced.state = "live".into();
            }
            ObjectMsg::Missing if traced.main.is_some() => {
                traced.state = "deleted (last known state)".into()
            }
            ObjectMsg::Missing => {
                traced.missing = true;
                traced.state = "waiting for it to exist".into();
            }
            ObjectMsg::Deleted => traced.state = "deleted (last known state)".into(),
            ObjectMsg::Error(t) => {
                traced.reconnecting = true;
                traced.state = t.line(jiff::Timestamp::now());
            }
            ObjectMsg::EventSeen(..) | ObjectMsg::EventGone(_) | ObjectMsg::EventsError(_) => {}
        }
    }

    /// Whether the narrowed lists are in (or have had three seconds): drawing before then
    /// would show "no pods" for pods that exist.
    pub fn settled(&self) -> bool {
        self.traced.listing.is_empty() || self.listing_since.elapsed() >= Duration::from_secs(3)
    }

    /// The summary, with ages as of `now` (Unix seconds).
    pub fn lines(&self, now: i64) -> Vec<String> {
        self.traced.lines(self.kind, &self.what, now)
    }
}
