//! The live set of containers a log query follows: a pod watch per namespace (with the query's
//! label and field selectors) attaches new pods' containers as they appear — a rollout, a
//! scale-up — and each container's stream detaches itself when its pod is gone. A broken pod
//! watch is re-established with kx's retry policy; following never exits because of one, and
//! a one-shot read (`--no-follow`) gives up after `--request-timeout`. Without follow, logs
//! are read a few at a time (`--max-log-requests`): opening thousands at once is what makes
//! kubelets refuse.

use super::select::{Selection, Target};
use super::stream::{LogEvent, StreamOpts, follow_container};
use crate::cluster::backoff::{Policy, Trouble, watched};
use crate::cluster::errors::KxError;
use futures::StreamExt;
use k8s_openapi::api::core::v1::Pod;
use kube::runtime::watcher::{self, Event};
use kube::{Api, Client};
use std::collections::HashSet;
use std::sync::Arc;
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;

/// Containers followed at most (following), unless `--max-log-requests` says otherwise.
pub const DEFAULT_MAX_REQUESTS: usize = 100;

/// Logs read at once without follow. Opening thousands at once made a real cluster's kubelets
/// refuse most of them (see README); twenty keeps a 10,000-container read quick.
pub const DEFAULT_NO_FOLLOW_REQUESTS: usize = 20;

pub struct TailSpec {
    /// None: all namespaces.
    pub namespaces: Vec<Option<String>>,
    pub label_selector: Option<String>,
    pub field_selector: Option<String>,
    pub selection: Selection,
    pub stream: StreamOpts,
    /// Following: at most this many containers at once (more is an error). Not following:
    /// how many logs are read at once (all are read, this many at a time).
    pub max_requests: usize,
    /// Not following: how long the command may take to get its first pod list (failing or
    /// silent) before kx gives up, and when that time is up (it started before the tail did).
    pub request_timeout: std::time::Duration,
    pub deadline: tokio::time::Instant,
    /// The API server's URL, for messages.
    pub server: String,
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
    let policy = if spec.stream.follow {
        Policy::FOLLOWING
    } else {
        Policy::bounded(spec.request_timeout)
    };
    let streams = spec.namespaces.iter().map(|ns| {
        let api = |c| match ns {
            Some(n) => Api::<Pod>::namespaced(c, n),
            None => Api::<Pod>::all(c),
        };
        watched(&client, api, config.clone(), policy)
            .map(|ev| match ev {
                Ok(ev) => PodNews::Event(Box::new(ev)),
                Err(t) => PodNews::Trouble(*t),
            })
            // A bounded watch that gives up ends: say so, so that the run can end with it.
            .chain(futures::stream::once(async { PodNews::Ended }))
            .boxed()
    });
    let mut pods = futures::stream::select_all(streams);
    // Not following, logs are read this many at a time; following, each has its own stream.
    let permits = (!spec.stream.follow).then(|| Arc::new(Semaphore::new(spec.max_requests.max(1))));
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
    let mut watch_troubled = false;
    let mut last_trouble: Option<Trouble> = None;
    // A server that accepts and never answers fails no request: the first list has a deadline.
    let list_deadline = tokio::time::sleep_until(spec.deadline);
    tokio::pin!(list_deadline);
    loop {
        tokio::select! {
            _ = &mut list_deadline, if !spec.stream.follow && listing > 0 => {
                let last = last_trouble.take().map(|t| t.error).unwrap_or(KxError::Unreachable {
                    url: spec.server.clone(),
                    cause: crate::cluster::errors::Unreachable::TimedOut,
                });
                return Err(KxError::GaveUp {
                    after: spec.request_timeout,
                    last: Box::new(last),
                }
                .to_string());
            }
            // Without follow only the first list matters: once it is in, the watch is no longer
            // read, so nothing it does can end the reads under way.
            ev = pods.next(), if spec.stream.follow || listing > 0 => {
                let Some(ev) = ev else { return Ok(()) };
                let pod = match ev {
                    // A watch stream ended; only a bounded one does (it gave up).
                    PodNews::Ended if spec.stream.follow => continue,
                    PodNews::Ended => {
                        let last = last_trouble
                            .take()
                            .map(|t| t.error)
                            .unwrap_or_else(|| KxError::Other("the pod list failed".into()));
                        return Err(KxError::GaveUp {
                            after: spec.request_timeout,
                            last: Box::new(last),
                        }
                        .to_string());
                    }
                    // Without follow, waiting does not fix RBAC or credentials: say it now.
                    PodNews::Trouble(t) if !spec.stream.follow && !t.error.is_transient() => {
                        return Err(t.error.to_string());
                    }
                    // 410 Gone: the watch's version was too old; the watcher lists again by
                    // itself, and there is nothing to tell.
                    PodNews::Trouble(t) if t.error.is_gone() => continue,
                    PodNews::Trouble(t) => {
                        watch_troubled = true;
                        last_trouble = Some(t.clone());
                        let _ = tx.send(LogEvent::WatchTrouble(Some(t))).await;
                        continue;
                    }
                    PodNews::Event(ev) => {
                        // The watcher's own marker before a (re)list is no news from the server.
                        if !matches!(*ev, Event::Init) && std::mem::take(&mut watch_troubled) {
                            let _ = tx.send(LogEvent::WatchTrouble(None)).await;
                        }
                        ev
                    }
                };
                let pod = match *pod {
                    Event::Apply(p) | Event::InitApply(p) => p,
                    Event::Init | Event::Delete(_) => continue,
                    Event::InitDone => {
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
                                start(&client, &spec, t, uid, &mut followed, &mut tasks, &tx, permits.clone());
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
                        start(&client, &spec, t, uid.clone(), &mut followed, &mut tasks, &tx, None);
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

/// What a pod watch stream says.
enum PodNews {
    Event(Box<Event<Pod>>),
    Trouble(Trouble),
    /// The stream ended: its retries gave up (only a bounded watch does).
    Ended,
}

#[allow(clippy::too_many_arguments)]
fn start(
    client: &Client,
    spec: &TailSpec,
    target: Target,
    uid: String,
    followed: &mut HashSet<Target>,
    tasks: &mut JoinSet<(Target, String)>,
    tx: &mpsc::Sender<LogEvent>,
    permits: Option<Arc<Semaphore>>,
) {
    followed.insert(target.clone());
    let (client, opts, tx) = (client.clone(), spec.stream.clone(), tx.clone());
    tasks.spawn(async move {
        // Held for the whole read: at most `max_requests` logs are open at once.
        let _permit = match permits {
            Some(p) => p.acquire_owned().await.ok(),
            None => None,
        };
        follow_container(client, Arc::new(target.clone()), opts, tx).await;
        (target, uid)
    });
}
