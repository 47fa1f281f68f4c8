//! What flows through the TUI: Actions in (keys, the terminal's size, news from the cluster,
//! the results of work the runtime did) and Effects out (work for the runtime). The app's
//! `update` turns one into the other without IO.

use super::logview::LogRequest;
use super::writes::{WriteOp, WriteReport};
use crate::cluster::backoff::Trouble;
use crate::cluster::connect::ContextInfo;
use crate::cluster::discovery::ResourceInfo;
use crate::cluster::object::{ObjectMsg, ObjectRef};
use crate::cluster::watch::{Scope, WatchMsg};
use crate::logs::stream::LogEvent;
use crate::remote::exec::{Ended, Mode, Target};
use crate::remote::forward::{Event as ForwardEvent, Spec as ForwardSpec};
use crate::remote::ports::Offer;
use crossterm::event::KeyEvent;

/// A shell, a command or an attach to run on the terminal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecRequest {
    pub target: Target,
    pub mode: Mode,
}

/// A plugin's command lines, run one after the other.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginLaunch {
    pub id: u64,
    pub name: String,
    pub argvs: Vec<Vec<String>>,
    /// Output captured to a view, instead of the terminal handed over.
    pub background: bool,
    /// KUBECONFIG for the plugin, so its kubectl talks to the cluster kx shows.
    pub kubeconfig: Option<String>,
    /// The kubeconfig context kx shows, pinned for the plugin (the file's current-context
    /// may be another one); None in the demo and in a pod, which have one.
    pub context: Option<String>,
}

/// How a session on the terminal ended, for the footer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecReport {
    pub request: ExecRequest,
    pub result: Result<Ended, String>,
}

/// One running port-forward as the `:pf` screen lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForwardRow {
    pub id: u64,
    pub local: String,
    pub target: String,
    pub pod: String,
    pub open: u64,
    pub total: u64,
    pub sent: u64,
    pub received: u64,
    pub state: String,
    /// Serving (else waiting or stopped), for the state's colour.
    pub serving: bool,
}

/// What a watch is of: one resource in one scope.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct WatchKey {
    pub resource: String,
    pub namespace: Option<String>,
    pub labels: Option<String>,
    pub fields: Option<String>,
    /// Which connection (context) the watch belongs to, so that news still in flight from
    /// before a context switch is told apart from the new context's.
    pub epoch: u64,
}

/// What `update` asks the runtime to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Watch(WatchKey, Box<ResourceInfo>, Scope),
    /// Not on screen any more; the runtime stops it after a short linger.
    Unwatch(WatchKey),
    /// Follow one object (and its events) for the object screens; the id tags its messages.
    Follow(u64, Box<ObjectRef>),
    /// No object screen is open any more: stop following.
    Unfollow,
    /// Edit the object in $EDITOR (the runtime suspends the UI around it).
    Edit(Box<ObjectRef>),
    /// A confirmed write action.
    Write(WriteOp),
    /// Connect to another kubeconfig context; the runtime answers with `ContextSwitched` or
    /// `ContextFailed`, and the UI goes on meanwhile.
    SwitchContext(String),
    /// Follow logs for the log screen with this id; the runtime answers with `LogBatch`es.
    Logs(u64, Box<LogRequest>),
    StopLogs(u64),
    /// Write the text to the file; the runtime answers with `Saved`.
    Save(String, String),
    /// Look at a pod before a shell or an attach: the container to use (or the ones to choose
    /// from). The runtime answers with `ExecReady`, `ExecChoose` or `Failed`.
    PrepareExec {
        target: Box<ObjectRef>,
        container: Option<String>,
        attach: bool,
    },
    /// Run on the terminal (the loop lets go of it first); answered with `ExecEnded`.
    Exec(Box<ExecRequest>),
    /// Read a target's ports for the port picker; answered with `ForwardOffers`.
    PrepareForward(Box<ObjectRef>),
    StartForward(Box<ForwardSpec>),
    StopForward(u64),
    /// Read what a diagnosis needs for the explain screen with this id, `after` a pause (an
    /// open diagnosis is read again every few seconds); answered with `Explained`.
    Explain {
        id: u64,
        target: Box<ObjectRef>,
        after: std::time::Duration,
    },
    /// Watch what the lint rules read, in a namespace or all; answered with `LintBatch`es.
    Lint {
        id: u64,
        namespace: Option<String>,
        settings: Box<crate::lint::Settings>,
    },
    /// Watch what xray shows, in a namespace or all; answered with `XrayBatch`es.
    Xray {
        id: u64,
        namespace: Option<String>,
    },
    /// The lint or xray screen with this id is gone: stop its watches (or a background
    /// plugin's process).
    StopFeed(u64),
    /// Run a plugin: on the terminal (the loop lets go of it first; answered with
    /// `PluginEnded`), or in the background (answered with `PluginOutput`s, then
    /// `PluginEnded`).
    Plugin(Box<PluginLaunch>),
    /// Put the text on the clipboard: OSC 52 by the loop (it owns the terminal), a local
    /// clipboard tool by the runtime.
    Copy(String),
    /// Read the object and put its YAML on the clipboard (answered with `Copied`).
    CopyYaml(Box<ObjectRef>),
    Quit,
}

impl Effect {
    /// Whether the effect needs the terminal (the loop suspends the UI before it).
    pub fn takes_terminal(&self) -> bool {
        match self {
            Effect::Edit(_) | Effect::Exec(_) => true,
            Effect::Plugin(p) => !p.background,
            _ => false,
        }
    }
}

// Watch messages are the hot path and move once from channel to store; boxing them would add
// an allocation per event for no gain.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Action {
    Key(KeyEvent),
    /// A click or the wheel (`mouse: true`), with its time in milliseconds (for double-clicks).
    Mouse(crossterm::event::MouseEvent, u64),
    /// The terminal's size (columns, rows): paging and scroll limits follow from it.
    Resize(u16, u16),
    Discovered(Vec<ResourceInfo>),
    DiscoveryFailed(Trouble),
    Watch(WatchKey, WatchMsg),
    /// The runtime stopped a watch no screen wanted any more (after its linger).
    Unwatched(WatchKey),
    /// How an edit or a write action went, and the objects before and after.
    Written(WriteReport),
    /// News of the object the object screens follow, tagged with the follow's id.
    Object(u64, ObjectMsg),
    /// Connected to another context: everything shown so far belongs to the old one.
    ContextSwitched {
        info: ContextInfo,
        namespace: Option<String>,
    },
    ContextFailed(String),
    /// Log events for the log screen with this id, batched.
    LogBatch(u64, Vec<LogEvent>),
    /// A save finished: what to tell the user.
    Saved(Result<String, String>),
    /// Open a log screen (`kx logs … --tui` starts with one).
    OpenLogs(LogRequest),
    /// Write the rows of the list on screen (namespace, name, uid, resourceVersion; one per
    /// line, in order) to this file: how the soak run compares kx's store with the server's.
    DumpRows(String),
    /// A `:` command, as if typed (`kx --forward NAME` starts with `pf start NAME`).
    Command(String),
    ExecReady(ExecRequest),
    ExecChoose {
        target: ObjectRef,
        containers: Vec<String>,
        attach: bool,
    },
    ExecEnded(ExecReport),
    /// A shell or attach could not start (the pod is not running, could not be read).
    ExecFailed(String),
    ForwardOffers {
        target: ObjectRef,
        offers: Vec<Offer>,
    },
    /// A forward listens: what to tell the user.
    ForwardStarted(String),
    ForwardEvent(u64, String, ForwardEvent),
    /// The forwards now, for the `:pf` screen (each second while any runs).
    Forwards(Vec<ForwardRow>),
    /// Background work failed before it started: the footer says why.
    Failed(String),
    /// A diagnosis for the explain screen with this id, or why it could not be made.
    Explained(u64, Result<crate::explain::Diagnosis, String>),
    /// CPU and memory for a pods or nodes list (its extra columns), every metrics window.
    Usage(WatchKey, Box<crate::cluster::usage::UsageNews>),
    /// What was put on the clipboard, for the footer (or why nothing was).
    Copied(Result<String, String>),
    /// Lines a background plugin wrote (stdout and stderr as they came).
    PluginOutput(u64, Vec<String>),
    /// A plugin is done: how it ended, and whether that was a success.
    PluginEnded(u64, String, bool),
    /// News for the xray screen with this id.
    XrayBatch(u64, Vec<super::feed::FeedNews<crate::xray::Node>>),
    /// News for the lint screen with this id.
    LintBatch(u64, Vec<super::feed::FeedNews<crate::lint::live::Prepared>>),
    Tick,
}

/// The footer's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    Info(String),
    Error(String),
}
