//! The interactive explorer. `app` is its pure core (a stack of screens and `update`),
//! `screens` the views, `draw` the frame, `runtime` the background work, and `run` the loop
//! that joins them to a terminal: keys and news in, one update each, a frame when something
//! changed. The loop never awaits the network or the disk.

pub mod action;
pub mod app;
pub mod clipboard;
pub mod commands;
pub mod console;
pub mod describe;
pub mod diffview;
pub mod diffview_draw;
pub mod draw;
pub mod feed;
pub mod logview;
pub mod logview_draw;
pub mod model;
pub mod mouse;
pub mod object_text;
pub mod overlay;
pub mod pane;
pub mod plugin_run;
pub mod plugins;
pub mod remote;
pub mod runtime;
pub mod screen;
pub mod screens;
pub mod session;
pub mod writes;

pub use logview::LogRequest;

use crate::cluster::connect::{ContextInfo, Source};
use crate::config::theme::Theme;
use action::{Action, Effect};
use anyhow::{Context, Result};
use app::App;
use console::{Console, Input};
use runtime::{Inbound, Runtime};
use session::Session;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// Where the explorer connects.
pub enum Target {
    /// A context of the user's kubeconfig.
    Kubeconfig(Source),
    /// The built-in simulator's (`kx --demo`): its kubeconfig, as YAML.
    Demo(String),
}

/// What the explorer starts with, from the command line.
pub struct Launch {
    pub target: Target,
    pub all_namespaces: bool,
    /// `-n`, if given.
    pub namespace: Option<String>,
    pub theme: Option<String>,
    pub readonly: bool,
    pub no_preview: bool,
    /// How long one-shot requests (edits, saves, a previous log) keep retrying.
    pub request_timeout: Duration,
    /// A log screen to open first (`kx logs … --tui`).
    pub initial_logs: Option<LogRequest>,
    /// Saved port-forwards to start (`--forward NAME`).
    pub forwards: Vec<String>,
}

/// The demo's kubeconfig in a private temporary file (removed when dropped), for plugins.
fn demo_kubeconfig_file(text: &str) -> Option<tempfile::NamedTempFile> {
    use std::io::Write;
    let mut file = tempfile::Builder::new()
        .prefix("kx-demo-")
        .suffix(".kubeconfig")
        .tempfile()
        .ok()?;
    file.write_all(text.as_bytes()).ok()?;
    Some(file)
}

/// The shortest time between two frames drawn for news (about 30 frames a second).
const MIN_FRAME: Duration = Duration::from_millis(33);

/// Actions taken from the inbound channel for one update at most: a burst of watch events
/// becomes one frame, and a key waits behind no more than this.
const BURST: usize = 5000;

pub async fn run(launch: Launch) -> Result<()> {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let mut config = crate::config::Config::load(
        crate::config::config_dir(),
        launch.theme.as_deref(),
        no_color,
    );
    config.settings.readonly |= launch.readonly;
    if launch.no_preview {
        config.settings.edit_preview = false;
    }
    let demo = matches!(launch.target, Target::Demo(_));
    let (kube_config, context, contexts, switch_from) = match &launch.target {
        Target::Demo(kubeconfig) => {
            let kc =
                kube::config::Kubeconfig::from_yaml(kubeconfig).context("the demo kubeconfig")?;
            let config = kube::Config::from_custom_kubeconfig(kc, &Default::default()).await?;
            let info = ContextInfo {
                name: "kx-sim (demo)".into(),
                cluster: "built-in simulator".into(),
                user: "kx".into(),
            };
            (config, info.clone(), vec![info.name], None)
        }
        Target::Kubeconfig(source) => {
            let found = crate::cluster::connect::find(source).await?;
            (
                found.config,
                found.context,
                found.contexts,
                Some(source.clone()),
            )
        }
    };
    // kubectl's rule: -n wins, -A means all, else the context's namespace (the demo shows everything).
    let namespace = if launch.all_namespaces || (demo && launch.namespace.is_none()) {
        None
    } else {
        Some(
            launch
                .namespace
                .clone()
                .unwrap_or_else(|| kube_config.default_namespace.clone()),
        )
    };
    let client = crate::cluster::connect::client(kube_config)?;

    let mut session = Session::new(context, namespace, config.keys.clone());
    session.contexts = contexts;
    session.aliases = config.settings.aliases.clone();
    session.favourites = config.settings.favourite_namespaces.clone();
    session.readonly = config.settings.readonly;
    session.warnings = config.warnings.clone();
    session.shells = config.settings.shells.clone();
    session.lint = config.settings.lint.clone();
    session.thresholds = config.settings.thresholds;
    session.saved_forwards = config.settings.port_forwards.clone();
    session.plugins = config.plugins.clone();
    session.hotkeys = config.hotkeys.clone();
    session.log_capacity = config.settings.log_buffer;
    // Plugins' kubectl talks to the cluster kx shows: the demo's kubeconfig is written to a
    // file that lives as long as kx.
    let demo_kubeconfig = match &launch.target {
        Target::Demo(text) => demo_kubeconfig_file(text),
        Target::Kubeconfig(_) => None,
    };
    session.pin_context = matches!(launch.target, Target::Kubeconfig(_));
    session.kubeconfig = match (&launch.target, &demo_kubeconfig) {
        (Target::Demo(_), Some(file)) => Some(file.path().display().to_string()),
        (Target::Demo(_), None) => None,
        (Target::Kubeconfig(source), _) => source
            .kubeconfig
            .as_ref()
            .map(|p| p.display().to_string())
            .or_else(|| std::env::var("KUBECONFIG").ok().filter(|k| !k.is_empty())),
    };
    if let Ok(address) = config.settings.forward_address.parse() {
        session.forward_address = address;
    }
    session.now = jiff::Timestamp::now().as_second();
    let mut app = App::new(session);
    if config.settings.default_view != "pods" {
        app.pending_view = Some(config.settings.default_view.clone());
    }
    let budget = usize::try_from(config.settings.history_budget_mib << 20).unwrap_or(usize::MAX);
    app.data.revisions = crate::history::History::new(budget);

    let options = runtime::Options {
        paging: crate::cluster::watch::Paging {
            page_size: crate::cluster::watch::PAGE_SIZE,
            whole_up_to: config.settings.history_full_list_max,
        },
        edit: crate::edit::Options {
            preview: config.settings.edit_preview,
            request_timeout: launch.request_timeout,
        },
        switch_from,
        usage: config.settings.metrics,
        log_tail: i64::from(config.settings.log_tail),
    };
    let (mut runtime, inbound) = Runtime::new(client, options);
    runtime.discover();
    if let Some(request) = launch.initial_logs {
        let _ = runtime
            .sender()
            .send(Inbound::Action(Action::OpenLogs(request)))
            .await;
    }
    for name in &launch.forwards {
        let start = Action::Command(format!("pf start {name}"));
        let _ = runtime.sender().send(Inbound::Action(start)).await;
    }
    // A plugin on the terminal shares kx's process group: ctrl-c there must stop the plugin,
    // not kx. With a handler registered (raw mode turns ctrl-c into a key anyway), SIGINT and
    // SIGQUIT no longer end kx; programs kx starts get the default back when they exec.
    #[cfg(unix)]
    let _signals = (
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt()),
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::quit()),
    );
    let (input_tx, inputs) = mpsc::channel(256);
    let mut console = console::Terminal::open(input_tx, config.settings.mouse)?;
    let result = run_loop(app, runtime, inbound, &mut console, inputs, &config.theme).await;
    drop(console);
    result
}

/// When the next frame is due, and what it answers (for the key-to-frame time in the log).
struct Frames {
    dirty: bool,
    /// A key or a resize: draw now, not at the next frame time.
    urgent: bool,
    last: Instant,
    key_at: Option<Instant>,
    /// The editor has the terminal: nothing is drawn.
    suspended: bool,
}

impl Frames {
    fn draw_if_due<C: Console>(
        &mut self,
        app: &mut App,
        console: &mut C,
        theme: &Theme,
    ) -> Result<()> {
        if !self.dirty || self.suspended || !(self.urgent || self.last.elapsed() >= MIN_FRAME) {
            return Ok(());
        }
        let started = Instant::now();
        self.last = started;
        self.urgent = false;
        self.dirty = false;
        app.prepare();
        console.draw(app, theme)?;
        // For the scale runs (benches/): KX_LOG=kx=debug records each frame and each key.
        tracing::debug!(draw_ms = started.elapsed().as_secs_f64() * 1000.0, "frame");
        if let Some(at) = self.key_at.take() {
            tracing::debug!(key_ms = at.elapsed().as_secs_f64() * 1000.0, "key to frame");
        }
        Ok(())
    }
}

/// The loop: a frame when due, then whatever arrives first (a key, news, the clock), each
/// answered by one `update` whose effects the runtime starts. Ends on quit or when input ends.
pub async fn run_loop<C: Console>(
    mut app: App,
    mut runtime: Runtime,
    mut inbound: mpsc::Receiver<Inbound>,
    console: &mut C,
    mut inputs: mpsc::Receiver<Input>,
    theme: &Theme,
) -> Result<()> {
    let mut frames = Frames {
        dirty: true,
        urgent: true,
        last: Instant::now(),
        key_at: None,
        suspended: false,
    };
    let (width, height) = console.size();
    app.update(Action::Resize(width, height));
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut dumps = dump_signal();
    // Clicks carry their time from here, for double-clicks.
    let started_at = Instant::now();
    while !app.quit {
        frames.draw_if_due(&mut app, console, theme)?;
        let news: Vec<Inbound> = tokio::select! {
            biased;
            input = inputs.recv() => match input {
                Some(Input::Key(key)) => {
                    frames.urgent = true;
                    frames.key_at.get_or_insert_with(Instant::now);
                    vec![Inbound::Action(Action::Key(key))]
                }
                Some(Input::Mouse(m)) => {
                    frames.urgent = true;
                    let at = started_at.elapsed().as_millis() as u64;
                    vec![Inbound::Action(Action::Mouse(m, at))]
                }
                Some(Input::Resize(w, h)) => {
                    frames.urgent = true;
                    vec![Inbound::Action(Action::Resize(w, h))]
                }
                Some(Input::Failed(e)) => return Err(e.into()),
                None => return Ok(()),
            },
            first = inbound.recv() => burst(first, &mut inbound),
            _ = tick.tick() => {
                let mut news: Vec<Inbound> = runtime.expire().into_iter().map(|k| Inbound::Action(Action::Unwatched(k))).collect();
                news.push(Inbound::Action(Action::Tick));
                if runtime.has_forwards() {
                    news.push(Inbound::Action(Action::Forwards(runtime.forward_rows())));
                }
                news
            }
            _ = tokio::time::sleep_until((frames.last + MIN_FRAME).into()), if frames.dirty => Vec::new(),
            Some(path) = next_dump(&mut dumps) => vec![Inbound::Action(Action::DumpRows(path))],
        };
        app.session.now = jiff::Timestamp::now().as_second();
        let started = Instant::now();
        let count = news.len();
        for item in news {
            frames.dirty = true;
            answer(item, &mut app, &mut runtime, console, &mut frames)?;
        }
        // Coalesced watch events, or a batch of log lines: the updates that could be slow.
        if count > 1 || started.elapsed() > Duration::from_millis(1) {
            tracing::debug!(
                update_ms = started.elapsed().as_secs_f64() * 1000.0,
                batch = count,
                "update"
            );
        }
    }
    Ok(())
}

/// The first message and as many more as are waiting, up to a burst.
fn burst(first: Option<Inbound>, inbound: &mut mpsc::Receiver<Inbound>) -> Vec<Inbound> {
    let mut news: Vec<Inbound> = first.into_iter().collect();
    while news.len() < BURST {
        match inbound.try_recv() {
            Ok(m) => news.push(m),
            Err(_) => break,
        }
    }
    news
}

/// One message: the app's update, and the effects it asks for started by the runtime.
fn answer<C: Console>(
    item: Inbound,
    app: &mut App,
    runtime: &mut Runtime,
    console: &mut C,
    frames: &mut Frames,
) -> Result<()> {
    let action = match item {
        Inbound::Action(action) => action,
        Inbound::Connected {
            client,
            info,
            namespace,
        } => {
            runtime.switched(client);
            Action::ContextSwitched { info, namespace }
        }
        Inbound::Edited(report) => {
            console.resume()?;
            frames.suspended = false;
            frames.urgent = true;
            Action::Written(report)
        }
        Inbound::Exited(report) => {
            console.resume()?;
            frames.suspended = false;
            frames.urgent = true;
            Action::ExecEnded(report)
        }
        Inbound::Copy(text, said) => {
            console.clipboard(&text)?;
            runtime.carry(Effect::Copy(text));
            Action::Copied(Ok(said))
        }
        Inbound::PluginReturned(id, said, ok) => {
            console.resume()?;
            frames.suspended = false;
            frames.urgent = true;
            Action::PluginEnded(id, said, ok)
        }
        Inbound::Forwarding(id, forward) => {
            runtime.adopt(id, forward);
            Action::Forwards(runtime.forward_rows())
        }
    };
    for effect in app.update(action) {
        if let Effect::Copy(text) = &effect {
            console.clipboard(text)?;
        }
        if effect.takes_terminal() {
            // The editor or a shell gets the terminal: no input reader, no alternate screen,
            // no raw mode. Everything else goes on meanwhile.
            console.suspend()?;
            frames.suspended = true;
        }
        runtime.carry(effect);
    }
    Ok(())
}

/// The dump signal, when `KX_DUMP_DIR` asks for one (Unix only): for the soak run
/// (benches/soak.sh), SIGUSR1 writes the list's rows to a file there.
struct DumpSignal {
    dir: String,
    count: u32,
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
        Some(DumpSignal {
            dir,
            count: 0,
            signal,
        })
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        None
    }
}

/// Resolves with the next dump file each time the signal arrives; never without one.
async fn next_dump(dumps: &mut Option<DumpSignal>) -> Option<String> {
    match dumps {
        #[cfg(unix)]
        Some(d) => {
            d.signal.recv().await;
            d.count += 1;
            Some(format!("{}/rows-{:04}.tsv", d.dir, d.count))
        }
        _ => std::future::pending().await,
    }
}
