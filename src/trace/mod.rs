//! `kx trace deploy/NAME` and `kx trace svc/NAME`: a live summary of a rollout or a service,
//! redrawn in place on a terminal (and printed anew on each change otherwise). The object is
//! followed by a watcher, and its replica sets, pods and endpoints by others narrowed to its
//! selector; all of them resume and relist by themselves after errors, so the summary is
//! always current. A changed selector restarts the narrowed watchers.

pub mod render;

use crate::cli::{Connection, TraceArgs};
use crate::cluster::backoff::{Policy, Trouble, watched};
use crate::cluster::object::{ObjectMsg, follow_with};
use anyhow::{Result, bail};
use futures::StreamExt;
use k8s_openapi::api::apps::v1::ReplicaSet;
use k8s_openapi::api::core::v1::{Endpoints, Pod};
use kube::Client;
use kube::api::{Api, ApiResource, DynamicObject};
use kube::runtime::watcher::{self, Event};
use render::Objects;
use serde_json::Value;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;
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
    let api: Api<DynamicObject> = Api::namespaced_with(client, &namespace, &ar);
    let mut stream = std::pin::pin!(watched(api, config, Policy::FOLLOWING));
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

fn paint(line: &str) -> String {
    let code = if line.starts_with("rollout: complete") {
        "32"
    } else if line.starts_with("rollout: STALLED") || line.contains("NO READY ENDPOINTS") {
        "1;31"
    } else if line.starts_with("rollout:") || line.contains("waiting (") {
        "33"
    } else if line.starts_with("kx trace") {
        "1"
    } else {
        return line.to_string();
    };
    format!("\x1b[{code}m{line}\x1b[0m")
}

pub async fn run(conn: Connection, args: TraceArgs) -> Result<ExitCode> {
    let (client, target) = crate::changes::connect_target(&conn, &args.target).await?;
    let kind = match (
        target.resource.group.as_str(),
        target.resource.kind.as_str(),
    ) {
        ("apps", "Deployment") => Kind::Deployment,
        ("", "Service") => Kind::Service,
        (_, other) => bail!(
            "kx trace follows deployments and services, not {other}; `kx changes {}` shows how any object changes",
            args.target
        ),
    };
    let namespace = target.namespace.clone().unwrap_or_default();
    let what = target.display();
    let (main_tx, mut main_rx) = mpsc::channel(64);
    let main_task = tokio::spawn(follow_with(
        client.clone(),
        target.clone(),
        false,
        main_tx,
        Policy::FOLLOWING,
    ));
    let (set_tx, mut set_rx) = mpsc::channel::<SetMsg>(1024);
    let endpoints_task = (kind == Kind::Service).then(|| {
        let by_name = watcher::Config::default().fields(&format!("metadata.name={}", target.name));
        tokio::spawn(watch_set(
            client.clone(),
            ApiResource::erase::<Endpoints>(&()),
            namespace.clone(),
            by_name,
            Which::Endpoints,
            0,
            set_tx.clone(),
        ))
    });
    let mut narrowed: Vec<JoinHandle<()>> = Vec::new();
    let mut selector: Option<String> = None;
    let mut generation = 0u64;
    let mut listing_since = tokio::time::Instant::now();

    let tty = std::io::stdout().is_terminal();
    let colour = args.color.enabled(tty);
    let mut traced = Traced {
        state: "connecting…".into(),
        ..Default::default()
    };
    let mut changed = true;
    let mut last: Vec<String> = Vec::new();
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    let mut ages = tokio::time::interval(Duration::from_secs(1));
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    let mut stdout = std::io::stdout();
    loop {
        tokio::select! {
            msg = main_rx.recv() => {
                let Some(msg) = msg else { break };
                changed = true;
                match msg {
                    ObjectMsg::Object(o) => {
                        let kind_name = if kind == Kind::Service { "Service" } else { "Deployment" };
                        let wanted = crate::logs::select::selector_of(kind_name, &o).ok().filter(|s| !s.is_empty());
                        if wanted != selector {
                            selector = wanted;
                            generation += 1;
                            narrowed.drain(..).for_each(|t| t.abort());
                            traced.sets.clear();
                            traced.pods.clear();
                            traced.listing = match (&selector, kind) {
                                (None, _) => Vec::new(),
                                (Some(_), Kind::Deployment) => vec![Which::Pods, Which::ReplicaSets],
                                (Some(_), Kind::Service) => vec![Which::Pods],
                            };
                            listing_since = tokio::time::Instant::now();
                            narrowed = start_narrowed(&client, kind, &namespace, selector.as_deref(), generation, &set_tx);
                        }
                        traced.main = Some(o);
                        traced.missing = false;
                        traced.reconnecting = false;
                        traced.state = "live".into();
                    }
                    ObjectMsg::Missing if traced.main.is_some() => traced.state = "deleted (last known state)".into(),
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
            msg = set_rx.recv() => {
                let Some(msg) = msg else { break };
                changed |= apply(&mut traced, msg, generation);
            }
            _ = tick.tick() => {
                // Give the narrowed lists a moment before drawing without them.
                let listing = !traced.listing.is_empty()
                    && listing_since.elapsed() < Duration::from_secs(3);
                if !changed || listing {
                    continue;
                }
                changed = false;
                let lines = traced.lines(kind, &what, jiff::Timestamp::now().as_second());
                if lines == last {
                    continue;
                }
                if draw(&mut stdout, &lines, tty, colour).is_err() {
                    break;
                }
                last = lines;
            }
            // Ages tick on a terminal; a pipe gets a new summary only when something changed.
            _ = ages.tick(), if tty => changed = true,
            _ = &mut ctrl_c => break,
        }
    }
    main_task.abort();
    narrowed.iter().for_each(JoinHandle::abort);
    if let Some(t) = endpoints_task {
        t.abort();
    }
    Ok(ExitCode::SUCCESS)
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

fn draw(out: &mut impl Write, lines: &[String], tty: bool, colour: bool) -> std::io::Result<()> {
    let mut text = String::new();
    if tty {
        // Home and clear, then the summary cut to the screen so it never scrolls.
        text.push_str("\x1b[H\x1b[2J");
        let (width, height) = crossterm::terminal::size().unwrap_or((200, 100));
        for line in lines.iter().take(height.saturating_sub(1) as usize) {
            // Cluster text (names, messages) must not drive the terminal.
            let cut: String = crate::term::visible(line)
                .chars()
                .take(width as usize)
                .collect();
            text.push_str(&if colour { paint(&cut) } else { cut });
            text.push_str("\r\n");
        }
    } else {
        for line in lines {
            text.push_str(&if colour { paint(line) } else { line.clone() });
            text.push('\n');
        }
        text.push('\n');
    }
    out.write_all(text.as_bytes())?;
    out.flush()
}
