//! The runtime owns the explorer's background work: watches, the object follower, log
//! streams, discovery, context switches, saves, writes and edits. Each `Effect` becomes
//! spawned work that answers on one inbound channel; nothing here is awaited by the UI loop,
//! so a slow credential plugin, a saturated API server or a slow disk never stops a frame.

use super::action::{Action, Effect, WatchKey};
use super::writes::{self, WriteReport};
use crate::cluster::connect::{self, ContextInfo, Source};
use crate::cluster::discovery::{ResourceInfo, keep_discovering};
use crate::cluster::object::{self, ObjectRef};
use crate::cluster::usage;
use crate::cluster::watch::{self, Scope};
use crate::logs::stream::LogEvent;
use kube::Client;
use std::collections::HashMap;
use std::future::Future;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// How long a watch whose list left the screen keeps running, so going back is instant.
const LINGER: Duration = Duration::from_secs(30);

/// Messages waiting for the UI at most; a UI that falls behind slows the streams (which
/// then wait) rather than losing anything.
const INBOUND: usize = 8192;

/// Log events handed to the UI in one batch at most: at 20,000 lines a second, one update per
/// line would be too many.
const LOG_BATCH: usize = 5000;

/// What arrives on the runtime's inbound channel.
pub enum Inbound {
    /// News for the app.
    Action(Action),
    /// A context switch connected: the runtime moves its work to the new client, then the
    /// app hears `ContextSwitched`.
    Connected {
        client: Client,
        info: ContextInfo,
        namespace: Option<String>,
    },
    /// An edit finished: the terminal is the UI's again.
    Edited(WriteReport),
    /// A shell or an attach ended: the terminal is the UI's again.
    Exited(super::action::ExecReport),
    /// A port-forward listens: the runtime keeps it.
    Forwarding(u64, crate::remote::forward::Forward),
    /// A plugin on the terminal ended (how, and whether well): the terminal is the UI's
    /// again.
    PluginReturned(u64, String, bool),
    /// Text for the clipboard (OSC 52 is the loop's: it owns the terminal), and what to say.
    Copy(String, String),
}

/// How the runtime works, from the launch options.
#[derive(Debug, Clone)]
pub struct Options {
    pub paging: watch::Paging,
    pub edit: crate::edit::Options,
    /// Where context switches read contexts from; None in the demo (one context).
    pub switch_from: Option<Source>,
    /// CPU and MEM columns for pods and nodes (`metrics:` in config.yaml).
    pub usage: bool,
    /// Lines each container's log starts with (`log_tail:`).
    pub log_tail: i64,
}

pub struct Runtime {
    client: Client,
    tx: mpsc::Sender<Inbound>,
    options: Options,
    /// Running watches, and when a lingering one stops.
    watches: HashMap<WatchKey, (Vec<JoinHandle<()>>, Option<Instant>)>,
    follower: Option<JoinHandle<()>>,
    tails: HashMap<u64, JoinHandle<()>>,
    discovery: Option<JoinHandle<()>>,
    switching: Option<JoinHandle<()>>,
    /// Port-forwards by id; they keep running across context switches until stopped.
    forwards: Vec<(u64, crate::remote::forward::Forward)>,
    next_forward: u64,
    /// The lint and xray screens' watches, by screen id.
    feeds: HashMap<u64, Vec<JoinHandle<()>>>,
}

impl Runtime {
    pub fn new(client: Client, options: Options) -> (Runtime, mpsc::Receiver<Inbound>) {
        let (tx, rx) = mpsc::channel(INBOUND);
        let runtime = Runtime {
            client,
            tx,
            options,
            watches: HashMap::new(),
            follower: None,
            tails: HashMap::new(),
            discovery: None,
            switching: None,
            forwards: Vec::new(),
            next_forward: 1,
            feeds: HashMap::new(),
        };
        (runtime, rx)
    }

    /// A sender for news from outside the runtime's own tasks (the first log screen).
    pub fn sender(&self) -> mpsc::Sender<Inbound> {
        self.tx.clone()
    }

    /// Discovers what the cluster serves, again after each change of its API groups.
    pub fn discover(&mut self) {
        abort(self.discovery.take());
        let tx = self.tx.clone();
        self.discovery = Some(pipe(
            |inner| keep_discovering(self.client.clone(), inner),
            1,
            tx,
            |found| {
                Inbound::Action(match found {
                    Ok(resources) => Action::Discovered(resources),
                    Err(trouble) => Action::DiscoveryFailed(trouble),
                })
            },
        ));
    }

    /// Starts the work an effect asks for; what comes of it arrives on the inbound channel.
    /// `Edit` hands the terminal to the editor: the UI must have let go of it first.
    pub fn carry(&mut self, effect: Effect) {
        match effect {
            Effect::Watch(key, resource, scope) => self.watch(key, *resource, scope),
            Effect::Unwatch(key) => {
                if let Some((_, linger)) = self.watches.get_mut(&key) {
                    *linger = Some(Instant::now() + LINGER);
                }
            }
            Effect::Follow(id, target) => {
                abort(self.follower.take());
                self.follower = Some(pipe(
                    |inner| object::follow(self.client.clone(), *target, inner),
                    256,
                    self.tx.clone(),
                    move |msg| Inbound::Action(Action::Object(id, msg)),
                ));
            }
            Effect::Unfollow => abort(self.follower.take()),
            Effect::Logs(id, request) => {
                abort(self.tails.remove(&id));
                match request.tail_spec(self.options.edit.request_timeout) {
                    Ok(mut spec) => {
                        if spec.stream.tail.is_some() {
                            spec.stream.tail = Some(self.options.log_tail);
                        }
                        let task = tail(self.client.clone(), id, spec, self.tx.clone());
                        self.tails.insert(id, task);
                    }
                    Err(e) => self.answer(Action::Saved(Err(e))),
                }
            }
            Effect::StopLogs(id) => abort(self.tails.remove(&id)),
            Effect::Save(path, text) => {
                let tx = self.tx.clone();
                tokio::spawn(async move {
                    let lines = text.lines().count();
                    let result = tokio::fs::write(&path, text)
                        .await
                        .map(|_| format!("saved {lines} lines to {path}"))
                        .map_err(|e| format!("cannot save to {path}: {e}"));
                    let _ = tx.send(Inbound::Action(Action::Saved(result))).await;
                });
            }
            Effect::Write(op) => {
                let (client, tx) = (self.client.clone(), self.tx.clone());
                tokio::spawn(async move {
                    let report = writes::perform(client, op).await;
                    let _ = tx.send(Inbound::Action(Action::Written(report))).await;
                });
            }
            Effect::Edit(target) => self.edit(*target),
            Effect::PrepareExec {
                target,
                container,
                attach,
            } => {
                let (client, tx) = (self.client.clone(), self.tx.clone());
                tokio::spawn(async move {
                    let action =
                        super::remote::prepare_exec(client, *target, container, attach).await;
                    let _ = tx.send(Inbound::Action(action)).await;
                });
            }
            Effect::Exec(request) => {
                let (client, tx) = (self.client.clone(), self.tx.clone());
                tokio::spawn(async move {
                    let report = super::remote::exec(client, *request).await;
                    let _ = tx.send(Inbound::Exited(report)).await;
                });
            }
            Effect::PrepareForward(target) => {
                let (client, tx) = (self.client.clone(), self.tx.clone());
                tokio::spawn(async move {
                    let action = super::remote::offers(client, *target).await;
                    let _ = tx.send(Inbound::Action(action)).await;
                });
            }
            Effect::StartForward(spec) => {
                let id = self.next_forward;
                self.next_forward += 1;
                super::remote::start_forward(self.client.clone(), id, *spec, self.tx.clone());
            }
            Effect::StopForward(id) => {
                if let Some(at) = self.forwards.iter().position(|(i, _)| *i == id) {
                    let (_, f) = self.forwards.remove(at);
                    f.stop();
                    self.answer(Action::Forwards(self.forward_rows()));
                }
            }
            Effect::Explain { id, target, after } => {
                let (client, tx) = (self.client.clone(), self.tx.clone());
                let limit = self.options.edit.request_timeout;
                tokio::spawn(async move {
                    tokio::time::sleep(after).await;
                    let result = crate::explain::gather::gather(client, &target, limit)
                        .await
                        .map(|facts| crate::explain::diagnose(&facts))
                        .map_err(|e| e.to_string());
                    let _ = tx
                        .send(Inbound::Action(Action::Explained(id, result)))
                        .await;
                });
            }
            Effect::Lint {
                id,
                namespace,
                settings,
            } => {
                let tasks = super::feed::start(
                    self.client.clone(),
                    crate::lint::KINDS,
                    namespace,
                    move |v| crate::lint::live::prepare(v, &settings, true),
                    move |news| Action::LintBatch(id, news),
                    self.tx.clone(),
                );
                if let Some(old) = self.feeds.insert(id, tasks) {
                    old.into_iter().for_each(|t| t.abort());
                }
            }
            Effect::Xray { id, namespace } => {
                let tasks = super::feed::start(
                    self.client.clone(),
                    crate::xray::KINDS,
                    namespace,
                    crate::xray::compact,
                    move |news| Action::XrayBatch(id, news),
                    self.tx.clone(),
                );
                if let Some(old) = self.feeds.insert(id, tasks) {
                    old.into_iter().for_each(|t| t.abort());
                }
            }
            Effect::Plugin(launch) => {
                let tx = self.tx.clone();
                if launch.background {
                    let id = launch.id;
                    let task = tokio::spawn(super::plugin_run::background(*launch, tx));
                    self.feeds.insert(id, vec![task]);
                } else {
                    tokio::spawn(super::plugin_run::foreground(*launch, tx));
                }
            }
            Effect::Copy(text) => {
                tokio::spawn(super::clipboard::to_local_tool(text));
            }
            Effect::CopyYaml(target) => {
                let (client, tx) = (self.client.clone(), self.tx.clone());
                let patience = self.options.edit.request_timeout;
                tokio::spawn(async move {
                    let api = crate::cluster::object::dynamic_api(client, &target);
                    let got =
                        crate::cluster::backoff::retry_kube(patience, || api.get(&target.name))
                            .await;
                    let inbound = match got.map(serde_json::to_value) {
                        Ok(Ok(obj)) => {
                            let text = super::object_text::yaml_lines(&obj, false, false)
                                .join("\n")
                                + "\n";
                            let said = format!(
                                "copied the YAML of {} ({} lines) to the clipboard",
                                target.display(),
                                text.lines().count()
                            );
                            Inbound::Copy(text, said)
                        }
                        Ok(Err(e)) => Inbound::Action(Action::Copied(Err(format!(
                            "cannot copy {}: {e}",
                            target.display()
                        )))),
                        Err(e) => {
                            let why = e.map_or_else(
                                || "the API server did not answer in time".to_string(),
                                |e| crate::cluster::errors::classify(&e).to_string(),
                            );
                            Inbound::Action(Action::Copied(Err(format!(
                                "cannot copy {}: {why}",
                                target.display()
                            ))))
                        }
                    };
                    let _ = tx.send(inbound).await;
                });
            }
            Effect::StopFeed(id) => {
                for t in self.feeds.remove(&id).into_iter().flatten() {
                    t.abort();
                }
            }
            Effect::SwitchContext(name) => self.switch(name),
            Effect::Quit => {}
        }
    }

    fn answer(&self, action: Action) {
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let _ = tx.send(Inbound::Action(action)).await;
        });
    }

    fn watch(&mut self, key: WatchKey, resource: ResourceInfo, scope: Scope) {
        if let Some((_, linger)) = self.watches.get_mut(&key) {
            *linger = None;
            return;
        }
        let (client, paging, tagged) = (self.client.clone(), self.options.paging, key.clone());
        let usage = match (resource.group.as_str(), resource.plural.as_str()) {
            ("", "pods") => Some(usage::Target::Pods {
                namespace: scope.namespace.clone(),
                labels: scope.label_selector.clone(),
                fields: scope.field_selector.clone(),
            }),
            ("", "nodes") => Some(usage::Target::Nodes),
            _ => None,
        };
        let task = pipe(
            |inner| watch::run(client, resource, scope, inner, paging),
            1024,
            self.tx.clone(),
            move |msg| Inbound::Action(Action::Watch(tagged.clone(), msg)),
        );
        let mut tasks = vec![task];
        // CPU and MEM columns ride with the list's watch: they stop when it stops.
        if let Some(target) = usage.filter(|_| self.options.usage) {
            let (client, tagged) = (self.client.clone(), key.clone());
            tasks.push(pipe(
                |inner| usage::run(client, target, inner),
                2,
                self.tx.clone(),
                move |news| Inbound::Action(Action::Usage(tagged.clone(), Box::new(news))),
            ));
        }
        self.watches.insert(key, (tasks, None));
    }

    fn edit(&mut self, target: ObjectRef) {
        let (client, tx, options) = (self.client.clone(), self.tx.clone(), self.options.edit);
        tokio::spawn(async move {
            let what = target.display();
            let (result, revisions) = match crate::edit::edit(client, &target, options).await {
                Ok(outcome) => {
                    let (report, objects) = outcome.report(&what);
                    let revisions = objects
                        .map(|(before, after)| vec![(target.clone(), before), (target, after)])
                        .unwrap_or_default();
                    (report, revisions)
                }
                Err(e) => (Err(format!("{e:#}")), Vec::new()),
            };
            let _ = tx
                .send(Inbound::Edited(WriteReport { result, revisions }))
                .await;
        });
    }

    /// Connects to another context in the background (its credential plugin may take
    /// seconds); a newer switch replaces one still under way.
    fn switch(&mut self, name: String) {
        abort(self.switching.take());
        let tx = self.tx.clone();
        let Some(base) = self.options.switch_from.clone() else {
            self.answer(Action::ContextFailed("the demo has one context".into()));
            return;
        };
        self.switching = Some(tokio::spawn(async move {
            let source = Source {
                context: Some(name.clone()),
                ..base
            };
            let message = match connect_to(source).await {
                Ok((client, info, namespace)) => Inbound::Connected {
                    client,
                    info,
                    namespace,
                },
                Err(e) => Inbound::Action(Action::ContextFailed(format!(
                    "cannot switch to context {name}: {e}"
                ))),
            };
            let _ = tx.send(message).await;
        }));
    }

    /// A forward started listening: kept until stopped.
    pub fn adopt(&mut self, id: u64, forward: crate::remote::forward::Forward) {
        self.forwards.push((id, forward));
    }

    /// The forwards as the `:pf` screen lists them; None when there are none (and were none).
    pub fn forward_rows(&self) -> Vec<super::action::ForwardRow> {
        self.forwards
            .iter()
            .map(|(id, f)| super::remote::row(*id, f))
            .collect()
    }

    pub fn has_forwards(&self) -> bool {
        !self.forwards.is_empty()
    }

    /// The switch connected: nothing of the old context may reach the new one's screens.
    pub fn switched(&mut self, client: Client) {
        self.stop_all();
        self.client = client;
        self.discover();
    }

    /// Stops the watches whose linger is over; the app forgets their rows.
    pub fn expire(&mut self) -> Vec<WatchKey> {
        let now = Instant::now();
        let done: Vec<WatchKey> = self
            .watches
            .iter()
            .filter(|(_, (_, l))| l.is_some_and(|t| t <= now))
            .map(|(k, _)| k.clone())
            .collect();
        for k in &done {
            if let Some((tasks, _)) = self.watches.remove(k) {
                tasks.iter().for_each(JoinHandle::abort);
            }
        }
        done
    }

    pub fn stop_all(&mut self) {
        for (_, (tasks, _)) in self.watches.drain() {
            tasks.iter().for_each(JoinHandle::abort);
        }
        for (_, task) in self.tails.drain() {
            task.abort();
        }
        for (_, tasks) in self.feeds.drain() {
            tasks.iter().for_each(JoinHandle::abort);
        }
        abort(self.follower.take());
        abort(self.discovery.take());
        abort(self.switching.take());
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.stop_all();
    }
}

fn abort(task: Option<JoinHandle<()>>) {
    if let Some(t) = task {
        t.abort();
    }
}

/// Connects to a context: the kubeconfig read, then the client built off the async threads
/// (building it runs a credential plugin, which may take seconds). The namespace is the
/// context's unless the user looks at all namespaces.
async fn connect_to(
    source: Source,
) -> Result<(Client, ContextInfo, Option<String>), crate::cluster::errors::KxError> {
    let found = connect::find(&source).await?;
    let namespace = Some(found.config.default_namespace.clone());
    let config = found.config;
    let client = tokio::task::spawn_blocking(move || connect::client(config))
        .await
        .map_err(|e| crate::cluster::errors::KxError::Other(e.to_string()))??;
    Ok((client, found.context, namespace))
}

/// Runs a producer that sends on a channel of its own, and passes each of its messages on
/// to the inbound channel as `wrap` makes it. Ends when either side is gone.
fn pipe<T, F, Fut>(
    producer: F,
    capacity: usize,
    out: mpsc::Sender<Inbound>,
    wrap: impl Fn(T) -> Inbound + Send + 'static,
) -> JoinHandle<()>
where
    T: Send + 'static,
    F: FnOnce(mpsc::Sender<T>) -> Fut,
    Fut: Future + Send + 'static,
    Fut::Output: Send,
{
    let (tx, mut rx) = mpsc::channel(capacity);
    let work = producer(tx);
    tokio::spawn(async move {
        tokio::pin!(work);
        let mut working = true;
        loop {
            tokio::select! {
                _ = &mut work, if working => working = false,
                msg = rx.recv() => {
                    let Some(m) = msg else { return };
                    if out.send(wrap(m)).await.is_err() {
                        return;
                    }
                }
            }
        }
    })
}

/// Runs the log layer for a log screen and hands its events over in batches. The channel is
/// bounded, so a UI that falls behind slows the streams instead of losing lines.
fn tail(
    client: Client,
    id: u64,
    spec: crate::logs::tail::TailSpec,
    out: mpsc::Sender<Inbound>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let (tx, mut rx) = mpsc::channel(4096);
        let tail = crate::logs::tail::run(client, spec, tx);
        tokio::pin!(tail);
        let mut tail_done = false;
        loop {
            tokio::select! {
                result = &mut tail, if !tail_done => {
                    tail_done = true;
                    if let Err(e) = result {
                        let notice = Action::LogBatch(id, vec![LogEvent::Notice(e)]);
                        let _ = out.send(Inbound::Action(notice)).await;
                    }
                }
                first = rx.recv() => {
                    let Some(first) = first else { return };
                    let mut batch = vec![first];
                    while batch.len() < LOG_BATCH {
                        match rx.try_recv() {
                            Ok(e) => batch.push(e),
                            Err(_) => break,
                        }
                    }
                    if out.send(Inbound::Action(Action::LogBatch(id, batch))).await.is_err() {
                        return;
                    }
                }
            }
        }
    })
}
