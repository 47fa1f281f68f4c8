//! The live set of containers a log query follows: a pod watch per namespace (with the query's
//! label and field selectors) attaches new pods' containers as they appear — a rollout, a
//! scale-up — and each container's stream detaches itself when its pod is gone. A broken pod
//! watch is re-established by kube-runtime's backoff; kx never exits because of one.

use super::select::{Selection, Target};
use super::stream::{LogEvent, StreamOpts, follow_container};
use futures::StreamExt;
use k8s_openapi::api::core::v1::Pod;
use kube::runtime::watcher::{self, Event};
use kube::runtime::{WatchStreamExt, watcher as watch_stream};
use kube::{Api, Client};
use std::collections::HashSet;
use std::sync::Arc;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

pub struct TailSpec {
    /// None: all namespaces.
    pub namespaces: Vec<Option<String>>,
    pub label_selector: Option<String>,
    pub field_selector: Option<String>,
    pub selection: Selection,
    pub stream: StreamOpts,
    /// At most this many containers followed at once (only enforced when following).
    pub max_requests: usize,
    /// How the query was written, for messages.
    pub query: String,
}

/// Follows every matching container until the receiver goes (following) or every log is read
/// (not following). An error is returned only for what the user must change: too many
/// containers, or nothing matching when not following.
pub async fn run(client: Client, spec: TailSpec, tx: mpsc::Sender<LogEvent>) -> Result<(), String> {
    let mut config = watcher::Config::default();
    if let Some(l) = spec.label_selector.as_deref().filter(|l| !l.is_empty()) {
        config = config.labels(l);
    }
    if let Some(f) = spec.field_selector.as_deref().filter(|f| !f.is_empty()) {
        config = config.fields(f);
    }
    let streams = spec.namespaces.iter().map(|ns| {
        let api: Api<Pod> = match ns {
            Some(n) => Api::namespaced(client.clone(), n),
            None => Api::all(client.clone()),
        };
        watch_stream(api, config.clone()).default_backoff().boxed()
    });
    let mut pods = futures::stream::select_all(streams);
    // Namespaces whose first list has not finished yet.
    let mut listing = spec.namespaces.len();
    let mut followed: HashSet<Target> = HashSet::new();
    let mut tasks: JoinSet<(Target, String)> = JoinSet::new();
    // Containers (by pod uid) whose stream has ended: never followed again, so a finished pod's
    // later updates do not print its log twice; a new pod of the same name has a new uid.
    let mut ended: HashSet<(String, String)> = HashSet::new();
    let mut initial: Vec<(Target, String)> = Vec::new();
    let mut said_waiting = false;
    let mut said_limit = false;
    loop {
        tokio::select! {
            ev = pods.next() => {
                let Some(ev) = ev else { return Ok(()) };
                let pod = match ev {
                    Ok(Event::Apply(p) | Event::InitApply(p)) => p,
                    Ok(Event::Init | Event::Delete(_)) => continue,
                    Ok(Event::InitDone) => {
                        listing = listing.saturating_sub(1);
                        if listing > 0 {
                            continue;
                        }
                        if !initial.is_empty() || !followed.is_empty() {
                            // Only the first complete list is checked against the limit.
                            let found = std::mem::take(&mut initial);
                            if spec.stream.follow && found.len() + followed.len() > spec.max_requests {
                                return Err(format!(
                                    "{} containers match {}, more than --max-log-requests {}: narrow the query (a tighter regex, -n, -l, -c, --exclude-pod) or raise --max-log-requests",
                                    found.len() + followed.len(),
                                    spec.query,
                                    spec.max_requests
                                ));
                            }
                            for (t, uid) in found {
                                start(&client, &spec, t, uid, &mut followed, &mut tasks, &tx);
                            }
                        } else if !spec.stream.follow {
                            return Err(format!("no pods match {}", spec.query));
                        } else if !said_waiting {
                            said_waiting = true;
                            let _ = tx.send(LogEvent::Notice(format!(
                                "no pods match {} yet; waiting for them (ctrl-c to stop)",
                                spec.query
                            ))).await;
                        }
                        if !spec.stream.follow && tasks.is_empty() {
                            return Ok(());
                        }
                        continue;
                    }
                    Err(e) => {
                        let _ = tx.send(LogEvent::Notice(format!(
                            "the pod watch failed ({e}); retrying"
                        ))).await;
                        continue;
                    }
                };
                let Ok(value) = serde_json::to_value(&pod) else { continue };
                let uid = value["metadata"]["uid"].as_str().unwrap_or_default().to_string();
                for t in spec.selection.targets(&value) {
                    if followed.contains(&t)
                        || initial.iter().any(|(i, _)| *i == t)
                        || ended.contains(&(uid.clone(), t.container.clone()))
                    {
                        continue;
                    }
                    if listing > 0 {
                        initial.push((t, uid.clone()));
                    } else if !spec.stream.follow {
                        // Without follow, only the pods of the first list are read.
                    } else if followed.len() >= spec.max_requests {
                        if !said_limit {
                            said_limit = true;
                            let _ = tx.send(LogEvent::Notice(format!(
                                "--max-log-requests {} reached: {}/{} and later containers are not followed",
                                spec.max_requests, t.pod, t.container
                            ))).await;
                        }
                    } else {
                        start(&client, &spec, t, uid.clone(), &mut followed, &mut tasks, &tx);
                    }
                }
            }
            Some(done) = tasks.join_next(), if !tasks.is_empty() => {
                if let Ok((t, uid)) = done {
                    followed.remove(&t);
                    ended.insert((uid, t.container));
                }
                if !spec.stream.follow && tasks.is_empty() && listing == 0 {
                    return Ok(());
                }
            }
        }
        if tx.is_closed() {
            return Ok(());
        }
    }
}

fn start(
    client: &Client,
    spec: &TailSpec,
    target: Target,
    uid: String,
    followed: &mut HashSet<Target>,
    tasks: &mut JoinSet<(Target, String)>,
    tx: &mpsc::Sender<LogEvent>,
) {
    followed.insert(target.clone());
    let (client, opts, tx) = (client.clone(), spec.stream.clone(), tx.clone());
    tasks.spawn(async move {
        follow_container(client, Arc::new(target.clone()), opts, tx).await;
        (target, uid)
    });
}
