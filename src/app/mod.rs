//! The interactive explorer: the runtime that connects the pure state (`state`) and drawing
//! (`view`) to the terminal, discovery and the watch layer.

pub mod describe;
pub mod detail;
pub mod detail_view;
pub mod diffview;
pub mod diffview_draw;
pub mod logview;
pub mod logview_draw;
pub mod model;
pub mod state;
pub(crate) mod state_diff;
mod state_logs;
pub mod state_write;
pub mod view;
pub mod writes;

use crate::cli::Connection;
use crate::cluster::discovery::keep_discovering;
use crate::cluster::object::{self, ObjectMsg, ObjectRef};
use crate::cluster::watch::{self, WatchMsg};
use crate::logs::stream::LogEvent;
use anyhow::{Context, Result};
use crossterm::event::{Event as TermEvent, EventStream, KeyEventKind};
use futures::StreamExt;
use kube::{Client, Config};
use state::{Action, ContextInfo, Effect, State, WatchKey};
use std::collections::HashMap;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// How long a watch whose view left the screen keeps running, so going back is instant.
const LINGER: Duration = Duration::from_secs(30);

/// The shortest time between two frames drawn for watch events (about 30 frames a second).
const MIN_FRAME: Duration = Duration::from_millis(33);

pub async fn run(
    conn: Connection,
    demo: bool,
    theme: Option<String>,
    writes: crate::cli::WriteFlags,
) -> Result<()> {
    run_with(conn, demo, theme, writes, None).await
}

/// The explorer, opening a log view first when asked (`kx logs … --tui`).
pub async fn run_with(
    conn: Connection,
    demo: bool,
    theme: Option<String>,
    writes: crate::cli::WriteFlags,
    initial_logs: Option<logview::LogRequest>,
) -> Result<()> {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let mut settings =
        crate::config::Config::load(crate::config::config_dir(), theme.as_deref(), no_color);
    settings.settings.readonly |= writes.readonly;
    if writes.no_preview {
        settings.settings.edit_preview = false;
    }
    let (config, sim, context, contexts) = if demo {
        let sim = crate::sim::start(crate::sim::SimOptions::default())
            .await
            .context("starting the demo cluster")?;
        let kc =
            kube::config::Kubeconfig::from_yaml(&sim.kubeconfig).context("the demo kubeconfig")?;
        let config = Config::from_custom_kubeconfig(kc, &Default::default()).await?;
        let info = ContextInfo {
            name: "kx-sim (demo)".into(),
            cluster: "built-in simulator".into(),
            user: "kx".into(),
        };
        (config, Some(sim), info.clone(), vec![info.name])
    } else {
        let found = crate::cluster::connect::find(&conn.source()).await?;
        (found.config, None, found.context, found.contexts)
    };
    // kubectl's rule: -n wins, -A means all, else the context's namespace (the demo shows everything).
    let namespace = if conn.all_namespaces || (demo && conn.namespace.is_empty()) {
        None
    } else {
        Some(
            conn.namespace
                .first()
                .cloned()
                .unwrap_or_else(|| config.default_namespace.clone()),
        )
    };
    let client = crate::cluster::connect::client(config)?;
    let session = Session {
        context,
        contexts,
        namespace,
        switch_from: (!demo).then_some(conn),
        initial_logs,
    };
    let result = run_ui(client, session, settings).await;
    if let Some(sim) = sim {
        sim.stop().await;
    }
    result
}

/// Where the explorer starts, and how it may switch contexts (not at all in the demo).
struct Session {
    context: ContextInfo,
    contexts: Vec<String>,
    namespace: Option<String>,
    switch_from: Option<Connection>,
    initial_logs: Option<logview::LogRequest>,
}

/// Connects to another context of the same kubeconfig, keeping -A if it was on.
async fn connect_context(
    base: &Connection,
    name: &str,
    all_namespaces: bool,
) -> Result<(Client, ContextInfo, Option<String>), crate::cluster::errors::KxError> {
    let conn = Connection {
        context: Some(name.to_string()),
        ..base.clone()
    };
    let found = crate::cluster::connect::find(&conn.source()).await?;
    let namespace = (!all_namespaces).then(|| found.config.default_namespace.clone());
    Ok((
        crate::cluster::connect::client(found.config)?,
        found.context,
        namespace,
    ))
}

struct Watches {
    client: Client,
    /// Page size, and the list size up to which lists take whole objects (history_full_list_max).
    paging: watch::Paging,
    tx: mpsc::Sender<(WatchKey, WatchMsg)>,
    running: HashMap<WatchKey, (Vec<JoinHandle<()>>, Option<Instant>)>,
}

impl Watches {
    fn start(
        &mut self,
        key: WatchKey,
        resource: crate::cluster::discovery::ResourceInfo,
        scope: watch::Scope,
    ) {
        if let Some((_, linger)) = self.running.get_mut(&key) {
            *linger = None;
            return;
        }
        let (tx, mut rx) = mpsc::channel(1024);
        let client = self.client.clone();
        let watcher = tokio::spawn(watch::run(client, resource, scope, tx, self.paging));
        let out = self.tx.clone();
        let tagged = key.clone();
        let forward = tokio::spawn(async move {
            while let Some(msg) = rx.recv().await {
                if out.send((tagged.clone(), msg)).await.is_err() {
                    return;
                }
            }
        });
        self.running.insert(key, (vec![watcher, forward], None));
    }

    fn linger(&mut self, key: &WatchKey) {
        if let Some((_, l)) = self.running.get_mut(key) {
            *l = Some(Instant::now() + LINGER);
        }
    }

    fn expire(&mut self) -> Vec<WatchKey> {
        let now = Instant::now();
        let done: Vec<WatchKey> = self
            .running
            .iter()
            .filter(|(_, (_, l))| l.is_some_and(|t| t <= now))
            .map(|(k, _)| k.clone())
            .collect();
        for k in &done {
            if let Some((tasks, _)) = self.running.remove(k) {
                tasks.iter().for_each(JoinHandle::abort);
            }
        }
        done
    }

    fn stop_all(&mut self) {
        for (_, (tasks, _)) in self.running.drain() {
            tasks.iter().for_each(JoinHandle::abort);
        }
    }
}

async fn run_ui(client: Client, session: Session, config: crate::config::Config) -> Result<()> {
    let (watch_tx, mut watch_rx) = mpsc::channel(4096);
    let (mut disc_tx, mut disc_rx) = mpsc::channel(1);
    let mut discovery = tokio::spawn(keep_discovering(client.clone(), disc_tx.clone()));
    let mut watches = Watches {
        client,
        paging: watch::Paging {
            page_size: watch::PAGE_SIZE,
            whole_up_to: config.settings.history_full_list_max,
        },
        tx: watch_tx,
        running: HashMap::new(),
    };
    let (object_tx, mut object_rx) = mpsc::channel::<(u64, ObjectMsg)>(256);
    let mut following: Option<JoinHandle<()>> = None;
    let (log_tx, mut log_rx) = mpsc::channel::<(u64, Vec<LogEvent>)>(16);
    let mut tailing: Option<JoinHandle<()>> = None;
    let (write_tx, mut write_rx) = mpsc::channel::<writes::WriteReport>(16);
    let edit_options = crate::edit::Options {
        preview: config.settings.edit_preview,
        request_timeout: crate::cluster::backoff::DEFAULT_REQUEST_TIMEOUT,
    };
    let mut state = State::new(session.context, session.namespace, config.keys.clone());
    state.contexts = session.contexts;
    let mut seed: Vec<Action> = session
        .initial_logs
        .map(Action::OpenLogs)
        .into_iter()
        .collect();
    state.aliases = config.settings.aliases.clone();
    state.favourites = config.settings.favourite_namespaces.clone();
    state.readonly = config.settings.readonly;
    let budget = usize::try_from(config.settings.history_budget_mib << 20).unwrap_or(usize::MAX);
    state.revisions = crate::history::History::new(budget);
    state.warnings = config.warnings.clone();
    state.now = jiff::Timestamp::now().as_second();

    // For the soak run (benches/soak.sh): SIGUSR1 writes the list's rows to $KX_DUMP_DIR.
    let mut dumps = dump_signal();
    let mut dumped = 0u32;

    let mut terminal = ratatui::init();
    let mut input = EventStream::new();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut dirty = true;
    // Watch events alone redraw at most every MIN_FRAME: at 1,000 events/s, drawing after each
    // small batch would order 100k rows hundreds of times a second for no visible gain. Keys
    // and resizes draw at once.
    let mut urgent = true;
    let mut last_draw = Instant::now();
    // When the key being answered arrived, for the key-to-frame time in the debug log.
    let mut key_at: Option<Instant> = None;
    let outcome: Result<()> = loop {
        if dirty && (urgent || last_draw.elapsed() >= MIN_FRAME) {
            let started = Instant::now();
            last_draw = started;
            urgent = false;
            if let Err(e) = terminal.draw(|f| view::draw(f, &mut state, &config.theme)) {
                break Err(e.into());
            }
            // For the scale runs (benches/explorer_churn.sh): KX_LOG=kx=debug records each frame.
            tracing::debug!(draw_ms = started.elapsed().as_secs_f64() * 1000.0, "frame");
            if let Some(at) = key_at.take() {
                tracing::debug!(key_ms = at.elapsed().as_secs_f64() * 1000.0, "key to frame");
            }
            dirty = false;
        }
        let mut actions = Vec::new();
        tokio::select! {
            ev = input.next() => match ev {
                Some(Ok(TermEvent::Key(key))) if key.kind == KeyEventKind::Press => {
                    urgent = true;
                    key_at.get_or_insert_with(Instant::now);
                    actions.push(Action::Key(key));
                }
                Some(Ok(TermEvent::Resize(_, _))) => {
                    dirty = true;
                    urgent = true;
                }
                Some(Err(e)) => break Err(e.into()),
                None => break Ok(()),
                _ => {}
            },
            found = disc_rx.recv() => match found {
                Some(Ok(resources)) => actions.push(Action::Discovered(resources)),
                Some(Err(e)) => actions.push(Action::DiscoveryFailed(e)),
                None => {}
            },
            msg = watch_rx.recv() => {
                if let Some((key, msg)) = msg {
                    actions.push(Action::Watch(key, msg));
                    // Coalesce a burst of events into one frame.
                    while actions.len() < 5000 {
                        match watch_rx.try_recv() {
                            Ok((k, m)) => actions.push(Action::Watch(k, m)),
                            Err(_) => break,
                        }
                    }
                }
            },
            Some((id, msg)) = object_rx.recv() => actions.push(Action::Object(id, msg)),
            Some((id, events)) = log_rx.recv() => actions.push(Action::LogBatch(id, events)),
            Some(result) = write_rx.recv() => actions.push(Action::Written(result)),
            _ = tokio::time::sleep_until((last_draw + MIN_FRAME).into()), if dirty => {}
            _ = tick.tick() => {
                watches.expire();
                actions.push(Action::Tick);
            }
            Some(dir) = next_dump(&mut dumps) => {
                dumped += 1;
                actions.push(Action::DumpRows(format!("{dir}/rows-{dumped:04}.tsv")));
            }
        }
        state.now = jiff::Timestamp::now().as_second();
        actions.splice(0..0, seed.drain(..));
        let updating = Instant::now();
        let batch = actions.len();
        let mut queue: std::collections::VecDeque<Action> = actions.into();
        while let Some(action) = queue.pop_front() {
            dirty = true;
            for effect in state.update(action) {
                match effect {
                    Effect::Watch(key, resource, scope) => watches.start(key, *resource, scope),
                    Effect::Unwatch(key) => watches.linger(&key),
                    Effect::Follow(id, target) => {
                        if let Some(old) = following.take() {
                            old.abort();
                        }
                        following = Some(spawn_follow(
                            watches.client.clone(),
                            id,
                            *target,
                            object_tx.clone(),
                        ));
                    }
                    Effect::SwitchContext(name) => {
                        let Some(base) = &session.switch_from else {
                            queue.push_back(Action::ContextFailed(
                                "the demo has one context".into(),
                            ));
                            continue;
                        };
                        match connect_context(base, &name, state.namespace.is_none()).await {
                            Ok((client, info, namespace)) => {
                                // Nothing of the old context may reach the new one's views.
                                watches.stop_all();
                                watches.client = client.clone();
                                if let Some(old) = following.take() {
                                    old.abort();
                                }
                                if let Some(old) = tailing.take() {
                                    old.abort();
                                }
                                discovery.abort();
                                (disc_tx, disc_rx) = mpsc::channel(1);
                                discovery = tokio::spawn(keep_discovering(client, disc_tx.clone()));
                                queue.push_back(Action::ContextSwitched { info, namespace });
                            }
                            Err(e) => queue.push_back(Action::ContextFailed(format!(
                                "cannot switch to context {name}: {e}"
                            ))),
                        }
                    }
                    Effect::Logs(id, request) => {
                        if let Some(old) = tailing.take() {
                            old.abort();
                        }
                        match request.tail_spec() {
                            Ok(spec) => {
                                tailing = Some(spawn_logs(
                                    watches.client.clone(),
                                    id,
                                    spec,
                                    log_tx.clone(),
                                ))
                            }
                            Err(e) => queue.push_back(Action::Saved(Err(e))),
                        }
                    }
                    Effect::StopLogs => {
                        if let Some(old) = tailing.take() {
                            old.abort();
                        }
                    }
                    Effect::Save(path, text) => {
                        let lines = text.lines().count();
                        queue.push_back(Action::Saved(
                            std::fs::write(&path, text)
                                .map(|_| format!("saved {lines} lines to {path}"))
                                .map_err(|e| format!("cannot save to {path}: {e}")),
                        ));
                    }
                    Effect::Unfollow => {
                        if let Some(old) = following.take() {
                            old.abort();
                        }
                    }
                    Effect::Write(op) => {
                        let (client, tx) = (watches.client.clone(), write_tx.clone());
                        tokio::spawn(async move {
                            let _ = tx.send(writes::perform(client, op).await).await;
                        });
                    }
                    Effect::Edit(target) => {
                        // The editor owns the terminal meanwhile: no input reader, no
                        // alternate screen, no raw mode. Watches keep running.
                        drop(input);
                        ratatui::restore();
                        let result =
                            crate::edit::edit(watches.client.clone(), &target, edit_options).await;
                        terminal = ratatui::init();
                        let _ = terminal.clear();
                        input = EventStream::new();
                        urgent = true;
                        let (result, revisions) = match result {
                            Ok(outcome) => {
                                let (report, objects) = outcome.report(&target.display());
                                let revisions = objects
                                    .map(|(before, after)| {
                                        vec![((*target).clone(), before), (*target, after)]
                                    })
                                    .unwrap_or_default();
                                (report, revisions)
                            }
                            Err(e) => (Err(format!("{e:#}")), Vec::new()),
                        };
                        queue.push_back(Action::Written(writes::WriteReport { result, revisions }));
                    }
                    Effect::Quit => {}
                }
            }
        }
        // Coalesced watch events, or a batch of log lines: the updates that could be slow.
        if batch > 1 || updating.elapsed() > Duration::from_millis(1) {
            tracing::debug!(
                update_ms = updating.elapsed().as_secs_f64() * 1000.0,
                batch,
                "update"
            );
        }
        if state.quit {
            break Ok(());
        }
    };
    watches.stop_all();
    if let Some(f) = following {
        f.abort();
    }
    if let Some(t) = tailing {
        t.abort();
    }
    discovery.abort();
    ratatui::restore();
    outcome
}

/// The dump signal, when `KX_DUMP_DIR` asks for one (Unix only).
struct DumpSignal {
    dir: String,
    #[cfg(unix)]
    signal: tokio::signal::unix::Signal,
}

fn dump_signal() -> Option<DumpSignal> {
    let dir = std::env::var("KX_DUMP_DIR")
        .ok()
        .filter(|d| !d.is_empty())?;
    #[cfg(unix)]
    {
        let signal =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::user_defined1()).ok()?;
        Some(DumpSignal { dir, signal })
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        None
    }
}

/// Resolves with the dump directory each time the signal arrives; never without one.
async fn next_dump(dumps: &mut Option<DumpSignal>) -> Option<String> {
    match dumps {
        #[cfg(unix)]
        Some(d) => {
            d.signal.recv().await;
            Some(d.dir.clone())
        }
        _ => std::future::pending().await,
    }
}

/// Follows one object for a detail view, tagging its news with the view's id so that news of
/// an object no longer shown is told apart.
fn spawn_follow(
    client: Client,
    id: u64,
    target: ObjectRef,
    out: mpsc::Sender<(u64, ObjectMsg)>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let (tx, mut rx) = mpsc::channel(256);
        let follow = object::follow(client, target, tx);
        tokio::pin!(follow);
        loop {
            tokio::select! {
                _ = &mut follow => return,
                msg = rx.recv() => {
                    let Some(m) = msg else { return };
                    if out.send((id, m)).await.is_err() {
                        return;
                    }
                }
            }
        }
    })
}

/// Runs the log layer for a log view and hands its events over in batches: at 20,000 lines a
/// second, one update per line would be too many. The channel is bounded, so a UI that falls
/// behind slows the streams instead of losing lines.
fn spawn_logs(
    client: Client,
    id: u64,
    spec: crate::logs::tail::TailSpec,
    out: mpsc::Sender<(u64, Vec<LogEvent>)>,
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
                        let _ = out.send((id, vec![LogEvent::Notice(e)])).await;
                    }
                }
                first = rx.recv() => {
                    let Some(first) = first else { return };
                    let mut batch = vec![first];
                    while batch.len() < 5000 {
                        match rx.try_recv() {
                            Ok(e) => batch.push(e),
                            Err(_) => break,
                        }
                    }
                    if out.send((id, batch)).await.is_err() {
                        return;
                    }
                }
            }
        }
    })
}
