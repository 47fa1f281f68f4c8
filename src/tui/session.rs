//! What every screen may read: the session (where kx is connected, what the cluster serves,
//! the user's settings, the clock, the size of the screen) and the data the runtime feeds (the
//! rows of every watched list, the revision history, the followed object). Screens get them
//! through `Cx`, never through globals.

use super::action::WatchKey;
use crate::cluster::backoff::Trouble;
use crate::cluster::connect::ContextInfo;
use crate::cluster::discovery::ResourceInfo;
use crate::cluster::object::{ObjectMsg, ObjectRef};
use crate::cluster::store::RowStore;
use crate::config::keys::KeyMap;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

pub struct Session {
    pub context: ContextInfo,
    /// Every context of the kubeconfig, for `:ctx`.
    pub contexts: Vec<String>,
    /// Bumped on each context switch; see `WatchKey::epoch`.
    pub epoch: u64,
    /// The context a switch is under way to, for the header.
    pub switching: Option<String>,
    /// The namespace new lists open in; None: all namespaces.
    pub namespace: Option<String>,
    pub resources: Vec<ResourceInfo>,
    pub discovery_error: Option<Trouble>,
    pub aliases: Vec<(String, String)>,
    pub favourites: Vec<String>,
    /// Write actions are off (--readonly, or `readonly: true`).
    pub readonly: bool,
    /// Problems with the user's configuration, shown in the footer until something else is.
    pub warnings: Vec<String>,
    pub keys: KeyMap,
    /// Unix seconds, set by the runtime before each update (views take it, never the clock).
    pub now: i64,
    /// The terminal's size, columns and rows.
    pub size: (u16, u16),
    /// Lines of scrollback a log screen keeps.
    pub log_capacity: usize,
    /// Commands typed after `:`, oldest first, for ↑.
    pub history: Vec<String>,
    /// The shells `s` tries, in order (`shell:` in config.yaml).
    pub shells: Vec<String>,
    /// `lint:` in config.yaml: rules off or re-levelled, the restart threshold.
    pub lint: crate::lint::Settings,
    /// When usage percentages turn to the warning and error colours.
    pub thresholds: crate::config::Thresholds,
    /// The metrics API's trouble last said (Some(None): not served), so each is said once.
    pub metrics_trouble_said: Option<Option<String>>,
    /// Where port-forwards listen (`forward_address:`).
    pub forward_address: std::net::IpAddr,
    /// `port_forwards:` of config.yaml, for `:pf start NAME`.
    pub saved_forwards: Vec<crate::config::SavedForward>,
    /// plugins.yaml.
    pub plugins: Vec<crate::config::plugins::Plugin>,
    /// hotkeys.yaml.
    pub hotkeys: Vec<crate::config::hotkeys::Hotkey>,
    /// The kubeconfig file of the cluster shown, for plugins ($KUBECONFIG); None: kubectl's
    /// default.
    pub kubeconfig: Option<String>,
    /// Whether plugins get the shown context pinned (a kubeconfig's context; not the demo's).
    pub pin_context: bool,
}

/// The rows of the screen's body: the terminal less the header, crumbs and footer lines.
pub const CHROME_ROWS: u16 = 3;

impl Session {
    pub fn new(context: ContextInfo, namespace: Option<String>, keys: KeyMap) -> Session {
        Session {
            contexts: vec![context.name.clone()],
            context,
            epoch: 0,
            switching: None,
            namespace,
            resources: Vec::new(),
            discovery_error: None,
            aliases: Vec::new(),
            favourites: Vec::new(),
            readonly: false,
            warnings: Vec::new(),
            keys,
            now: 0,
            size: (120, 40),
            log_capacity: 100_000,
            history: Vec::new(),
            shells: vec!["bash".into(), "sh".into()],
            lint: crate::lint::Settings::default(),
            thresholds: crate::config::Thresholds::default(),
            metrics_trouble_said: None,
            forward_address: std::net::IpAddr::from([127, 0, 0, 1]),
            saved_forwards: Vec::new(),
            plugins: Vec::new(),
            hotkeys: Vec::new(),
            kubeconfig: None,
            pin_context: false,
        }
    }

    /// Rows of the body, for paging (at least one).
    pub fn body_rows(&self) -> usize {
        self.size.1.saturating_sub(CHROME_ROWS).max(1) as usize
    }
}

/// Whether the followed object is there.
#[derive(Debug, Clone, PartialEq)]
pub enum Presence {
    Loading,
    Live,
    /// The object is not there: never found, or deleted while shown (the last copy stays).
    Missing,
    Deleted,
}

/// The object the object screens (YAML, describe, events, containers, diff) show, kept live by
/// one follower; switching between those screens keeps it.
#[derive(Debug, Clone)]
pub struct Followed {
    /// Tells this follow's news from a closed one's.
    pub id: u64,
    pub target: ObjectRef,
    pub object: Option<Value>,
    /// Events about the object, by uid.
    pub events: BTreeMap<String, Value>,
    pub presence: Presence,
    pub error: Option<Trouble>,
    /// Why the object's Events cannot be listed, if they cannot.
    pub events_error: Option<Trouble>,
    /// Bumped on every change, so screens rebuild their lines only when it moved.
    pub version: u64,
}

impl Followed {
    pub fn new(id: u64, target: ObjectRef) -> Followed {
        Followed {
            id,
            target,
            object: None,
            events: BTreeMap::new(),
            presence: Presence::Loading,
            error: None,
            events_error: None,
            version: 0,
        }
    }

    pub fn apply(&mut self, msg: ObjectMsg) {
        self.version += 1;
        match msg {
            ObjectMsg::Object(o) => {
                self.object = Some(o);
                self.presence = Presence::Live;
                self.error = None;
            }
            ObjectMsg::Missing if self.object.is_some() => self.presence = Presence::Deleted,
            ObjectMsg::Missing => self.presence = Presence::Missing,
            ObjectMsg::Deleted => self.presence = Presence::Deleted,
            ObjectMsg::EventSeen(uid, e) => {
                self.events.insert(uid, e);
                self.events_error = None;
            }
            ObjectMsg::EventGone(uid) => {
                self.events.remove(&uid);
            }
            ObjectMsg::Error(e) => self.error = Some(e),
            ObjectMsg::EventsError(e) => self.events_error = Some(e),
        }
    }

    /// Events, oldest first by when they were last seen.
    pub fn sorted_events(&self) -> Vec<&Value> {
        let mut events: Vec<&Value> = self.events.values().collect();
        events.sort_by_key(|e| super::object_text::last_seen(e).unwrap_or(0));
        events
    }
}

/// What the runtime feeds and screens read.
#[derive(Default)]
pub struct Data {
    pub stores: HashMap<WatchKey, RowStore>,
    /// Revisions of the objects kx watches, for the diff screen.
    pub revisions: crate::history::History,
    pub followed: Option<Followed>,
    /// The next id for a follow or a log screen.
    pub next_id: u64,
    /// The running port-forwards, as the runtime last told.
    pub forwards: Vec<super::action::ForwardRow>,
    /// Diagnoses of the open explain screens, by screen id.
    pub explained: HashMap<u64, Explained>,
    /// The live linter of the open lint screen.
    pub lint: Option<LintState>,
    /// What the open xray screen shows.
    pub xray: Option<XrayState>,
    /// Background plugins' output, by run id, while their screen is open.
    pub plugin_runs: HashMap<u64, PluginRun>,
}

/// A background plugin's output as its screen shows it.
#[derive(Debug, Default)]
pub struct PluginRun {
    pub name: String,
    /// The command lines, as shown.
    pub commands: Vec<String>,
    pub lines: std::collections::VecDeque<String>,
    /// Lines dropped from the top to keep to the log capacity.
    pub dropped: u64,
    /// How it ended (exit code, or why it could not start); None while it runs.
    pub ended: Option<(String, bool)>,
}

/// The xray screen's objects, fed by the runtime's watches.
pub struct XrayState {
    pub id: u64,
    pub graph: crate::xray::Graph,
    /// Objects seen again since a relist of their kind began.
    pub relisting: HashMap<&'static str, std::collections::HashSet<(String, String)>>,
    pub listed: std::collections::BTreeSet<&'static str>,
    pub problems: std::collections::BTreeMap<&'static str, String>,
}

/// The lint screen's linter, fed by the runtime's watches.
pub struct LintState {
    pub id: u64,
    pub live: crate::lint::live::Live,
    /// None: all namespaces.
    pub namespace: Option<String>,
    /// Kinds whose first list is complete.
    pub listed: std::collections::BTreeSet<&'static str>,
    /// Kinds that could not be read, and why.
    pub problems: std::collections::BTreeMap<&'static str, String>,
}

/// An explain screen's object and its latest diagnosis.
#[derive(Debug, Clone)]
pub struct Explained {
    pub target: ObjectRef,
    /// None until the first reading comes back.
    pub result: Option<Result<crate::explain::Diagnosis, String>>,
    /// When it was read (Unix seconds).
    pub at: i64,
}

impl Data {
    pub fn take_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }
}
