//! The explorer's state and its pure `update`: actions in, effects out. No IO here, so every
//! behaviour is tested without a cluster or a terminal.

use super::detail::{DetailKind, DetailView};
use super::model::{self, RowFilter};
use crate::cluster::discovery::{ResourceInfo, resolve};
use crate::cluster::object::{ObjectMsg, ObjectRef};
use crate::cluster::store::RowStore;
use crate::cluster::watch::{Scope, WatchMsg};
use crate::config::keys::{Key, KeyAction, KeyMap, Lookup};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::collections::HashMap;

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
    /// Follow one object (and its events) for a detail view; the id tags its messages.
    Follow(u64, Box<ObjectRef>),
    /// Edit the object in $EDITOR (the runtime suspends the UI around it).
    Edit(Box<ObjectRef>),
    /// A confirmed write action.
    Write(super::state_write::WriteOp),
    /// The detail view closed: stop following.
    Unfollow,
    /// Connect to another kubeconfig context; the runtime answers with `ContextSwitched` or
    /// `ContextFailed`.
    SwitchContext(String),
    /// Follow logs for the log view with this id; the runtime answers with `LogBatch`es.
    Logs(u64, Box<super::logview::LogRequest>),
    StopLogs,
    /// Write the text to the file; the runtime answers with `Saved`.
    Save(String, String),
    Quit,
}

pub use crate::cluster::connect::ContextInfo;

/// A list to choose one item from, over the current view (contexts, for one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picker {
    pub title: String,
    pub items: Vec<String>,
    pub selected: usize,
    /// The command run with the chosen item appended.
    pub command: String,
}

// Watch messages are the hot path and move once from channel to store; boxing them would add
// an allocation per event for no gain.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Action {
    Key(KeyEvent),
    Discovered(Vec<ResourceInfo>),
    DiscoveryFailed(crate::cluster::backoff::Trouble),
    Watch(WatchKey, WatchMsg),
    /// How an edit or a write action went: a report or an error, and the objects before and
    /// after for the revision history.
    Written(super::writes::WriteReport),
    /// News of the object a detail view follows, tagged with the view's id.
    Object(u64, ObjectMsg),
    /// Connected to another context: everything shown so far belongs to the old one.
    ContextSwitched {
        info: ContextInfo,
        namespace: Option<String>,
    },
    ContextFailed(String),
    /// Log events for the log view with this id, batched.
    LogBatch(u64, Vec<crate::logs::stream::LogEvent>),
    /// A save finished: what to tell the user.
    Saved(Result<String, String>),
    /// Open a log view (`kx logs … --tui` starts with one).
    OpenLogs(super::logview::LogRequest),
    /// Write the rows of the list on screen (namespace, name, uid, resourceVersion; one per
    /// line, in order) to this file: how the soak run compares kx's store with the server's.
    DumpRows(String),
    Tick,
}

/// One list on the navigation stack.
#[derive(Debug, Clone)]
pub struct ListView {
    pub key: WatchKey,
    pub resource: ResourceInfo,
    /// What the breadcrumb shows for this level.
    pub crumb: String,
    pub filter: Option<RowFilter>,
    /// (display column index, descending)
    pub sort: Option<(usize, bool)>,
    pub selected: usize,
    pub offset: usize,
    pub wide: bool,
    /// uids of the rows marked for a bulk action.
    pub marks: std::collections::HashSet<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Prompt {
    Command(String),
    Filter(String),
    LogFilter(String),
    ContainerFilter(String),
    SavePath(String),
    /// Replicas for `scale`.
    Scale(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    Info(String),
    Error(String),
}

pub struct State {
    pub context: ContextInfo,
    /// Every context of the kubeconfig, for `:ctx`.
    pub contexts: Vec<String>,
    pub picker: Option<Picker>,
    /// Bumped on each context switch; see `WatchKey::epoch`.
    pub epoch: u64,
    /// The namespace new lists open in; None: all namespaces.
    pub namespace: Option<String>,
    pub resources: Vec<ResourceInfo>,
    pub discovery_error: Option<crate::cluster::backoff::Trouble>,
    pub stack: Vec<ListView>,
    /// A detail view over the top list, when one is open.
    pub detail: Option<DetailView>,
    pub(crate) next_detail_id: u64,
    /// A log view over everything else, when one is open.
    pub logs: Option<super::logview::LogView>,
    /// Lines of scrollback a log view keeps.
    pub log_capacity: usize,
    pub stores: HashMap<WatchKey, RowStore>,
    /// Revisions of the objects kx watches, for diff views.
    pub revisions: crate::history::History,
    pub prompt: Option<Prompt>,
    /// A write action waiting for y or n.
    pub confirm: Option<super::state_write::Confirm>,
    /// Write actions are off (--readonly, or `readonly: true`).
    pub readonly: bool,
    pub history: Vec<String>,
    pub message: Option<Message>,
    pub help: bool,
    pub keys: KeyMap,
    pub aliases: Vec<(String, String)>,
    pub favourites: Vec<String>,
    pub warnings: Vec<String>,
    typed: Vec<Key>,
    /// The resource to open once discovery is done.
    pending_open: Option<String>,
    pub quit: bool,
    pub now: i64,
    /// Rows of the list area, set by the view on each draw (for paging).
    pub page_height: usize,
}

impl State {
    pub fn new(context: ContextInfo, namespace: Option<String>, keys: KeyMap) -> Self {
        State {
            contexts: vec![context.name.clone()],
            context,
            picker: None,
            epoch: 0,
            namespace,
            resources: Vec::new(),
            discovery_error: None,
            stack: Vec::new(),
            detail: None,
            next_detail_id: 1,
            logs: None,
            log_capacity: 100_000,
            stores: HashMap::new(),
            revisions: crate::history::History::default(),
            prompt: None,
            confirm: None,
            readonly: false,
            history: Vec::new(),
            message: None,
            help: false,
            keys,
            aliases: Vec::new(),
            favourites: Vec::new(),
            warnings: Vec::new(),
            typed: Vec::new(),
            pending_open: Some("pods".to_string()),
            quit: false,
            now: 0,
            page_height: 20,
        }
    }

    pub fn current(&self) -> Option<&ListView> {
        self.stack.last()
    }

    pub fn store_of(&self, view: &ListView) -> Option<&RowStore> {
        self.stores.get(&view.key)
    }

    fn all_namespaces(view: &ListView) -> bool {
        view.resource.namespaced && view.key.namespace.is_none()
    }

    /// The rows of the current list in display order (the view slices them).
    pub fn visible_rows(&self) -> Vec<&crate::cluster::rows::Row> {
        let Some(view) = self.current() else {
            return Vec::new();
        };
        let Some(store) = self.store_of(view) else {
            return Vec::new();
        };
        let cols = model::columns(store, Self::all_namespaces(view), view.wide);
        let sort = view.sort.and_then(|(i, d)| cols.get(i).map(|c| (c, d)));
        model::ordered_rows(store, view.filter.as_ref(), sort)
    }

    pub fn display_columns(&self) -> Vec<model::DisplayColumn> {
        match self
            .current()
            .and_then(|v| self.store_of(v).map(|s| (v, s)))
        {
            Some((v, s)) => model::columns(s, Self::all_namespaces(v), v.wide),
            None => Vec::new(),
        }
    }

    pub fn update(&mut self, action: Action) -> Vec<Effect> {
        let effects = self.reduce(action);
        self.refresh_diff();
        effects
    }

    fn reduce(&mut self, action: Action) -> Vec<Effect> {
        match action {
            Action::Tick => {
                for s in self.stores.values_mut() {
                    s.expire(self.now, 5);
                }
                Vec::new()
            }
            Action::Discovered(resources) => {
                self.resources = resources;
                self.discovery_error = None;
                match self.pending_open.take() {
                    Some(name) => self.open(&name, self.namespace.clone(), None, None, None),
                    None => Vec::new(),
                }
            }
            Action::DiscoveryFailed(trouble) => {
                // The header counts the failures; the footer says it once, not per retry.
                if self.discovery_error.is_none() {
                    self.message = Some(Message::Error(trouble.error.to_string()));
                }
                self.discovery_error = Some(trouble);
                Vec::new()
            }
            Action::Watch(key, _) if key.epoch != self.epoch => Vec::new(),
            Action::Watch(key, msg) => {
                let now = self.now;
                // No per-event work beyond the store and the history: at 1,000 events/s over
                // 100k rows, ordering and clamping happen once per frame, in the view.
                self.record_revision(&key, &msg);
                self.stores.entry(key).or_default().apply(msg, now);
                Vec::new()
            }
            Action::Written(report) => {
                for (target, object) in &report.revisions {
                    let key = super::state_diff::history_key(target);
                    self.revisions.record(&key, object, self.now);
                }
                self.message = Some(match report.result {
                    Ok(report) => Message::Info(report),
                    Err(e) => Message::Error(e),
                });
                Vec::new()
            }
            Action::Object(id, msg) => {
                if let Some(d) = self.detail.as_mut().filter(|d| d.id == id) {
                    let key = super::state_diff::history_key(&d.target);
                    match &msg {
                        ObjectMsg::Object(o) => {
                            self.revisions.record(&key, o, self.now);
                        }
                        ObjectMsg::Deleted => self.revisions.deleted(&key, self.now),
                        _ => {}
                    }
                    d.apply(msg, self.now);
                }
                Vec::new()
            }
            Action::ContextSwitched { info, namespace } => {
                // The runtime has stopped the old context's watches; start afresh and reopen
                // the same kind of list once the new cluster's resources are known.
                let reopen = self
                    .stack
                    .first()
                    .map(|v| v.resource.full_name())
                    .unwrap_or_else(|| "pods".into());
                self.message = Some(Message::Info(format!("switched to context {}", info.name)));
                self.context = info;
                self.namespace = namespace;
                self.epoch += 1;
                self.stack.clear();
                self.detail = None;
                self.logs = None;
                self.stores.clear();
                self.revisions = crate::history::History::new(self.revisions.budget());
                self.resources.clear();
                self.discovery_error = None;
                self.pending_open = Some(reopen);
                Vec::new()
            }
            Action::LogBatch(id, events) => {
                if let Some(v) = self.logs.as_mut().filter(|v| v.id == id) {
                    for e in events {
                        v.apply(e);
                    }
                }
                Vec::new()
            }
            Action::OpenLogs(request) => self.open_logs(request),
            Action::DumpRows(path) => {
                let text: String = self
                    .current()
                    .and_then(|v| self.store_of(v))
                    .map(|store| {
                        store
                            .ordered()
                            .map(|r| {
                                format!(
                                    "{}\t{}\t{}\t{}\n",
                                    r.namespace, r.name, r.uid, r.resource_version
                                )
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                vec![Effect::Save(path, text)]
            }
            Action::Saved(result) => {
                self.message = Some(match result {
                    Ok(m) => Message::Info(m),
                    Err(e) => Message::Error(e),
                });
                Vec::new()
            }
            Action::ContextFailed(e) => {
                self.message = Some(Message::Error(e));
                Vec::new()
            }
            Action::Key(ev) => self.on_key(ev),
        }
    }

    fn on_key(&mut self, ev: KeyEvent) -> Vec<Effect> {
        if ev.code == KeyCode::Char('c') && ev.modifiers.contains(KeyModifiers::CONTROL) {
            self.quit = true;
            return vec![Effect::Quit];
        }
        if self.confirm.is_some() {
            return self.on_confirm_key(ev);
        }
        if self.prompt.is_some() {
            return self.on_prompt_key(ev);
        }
        if self.picker.is_some() {
            return self.on_picker_key(ev);
        }
        if self.help {
            // Any key leaves help; the help key or Esc are the usual ones.
            self.help = false;
            return Vec::new();
        }
        self.typed.push(Key::from_event(ev));
        let action = match self.keys.lookup(&self.typed) {
            Lookup::Pending => return Vec::new(),
            Lookup::Unbound => {
                self.typed.clear();
                return Vec::new();
            }
            Lookup::Action(a) => {
                self.typed.clear();
                a
            }
        };
        self.message = None;
        if self.logs.is_some() {
            return self.on_log_action(action);
        }
        if self.detail.is_some() {
            return self.on_detail_action(action);
        }
        self.on_action(action)
    }

    fn move_selection(&mut self, delta: isize) {
        let len = self.visible_rows().len();
        if let Some(v) = self.stack.last_mut() {
            let max = len.saturating_sub(1) as isize;
            v.selected = (v.selected as isize + delta).clamp(0, max.max(0)) as usize;
        }
    }

    fn on_action(&mut self, action: KeyAction) -> Vec<Effect> {
        let page = self.page_height.max(1) as isize;
        match action {
            KeyAction::Quit => {
                self.quit = true;
                return vec![Effect::Quit];
            }
            KeyAction::Up => self.move_selection(-1),
            KeyAction::Down => self.move_selection(1),
            KeyAction::PageUp => self.move_selection(-page),
            KeyAction::PageDown => self.move_selection(page),
            KeyAction::Top => self.move_selection(isize::MIN / 2),
            KeyAction::Bottom => self.move_selection(isize::MAX / 2),
            KeyAction::Command => self.prompt = Some(Prompt::Command(String::new())),
            KeyAction::Filter => {
                let current = self
                    .current()
                    .and_then(|v| v.filter.as_ref().map(|f| f.text.clone()))
                    .unwrap_or_default();
                self.prompt = Some(Prompt::Filter(current));
            }
            KeyAction::Help => self.help = true,
            KeyAction::Back => return self.back(),
            KeyAction::Enter => return self.drill_down(),
            KeyAction::Logs => return self.logs_of_row(false),
            KeyAction::PreviousLogs => return self.logs_of_row(true),
            KeyAction::Yaml => return self.open_detail(DetailKind::Yaml),
            KeyAction::Describe => return self.open_detail(DetailKind::Describe),
            KeyAction::Events => return self.open_detail(DetailKind::Events),
            KeyAction::Diff => return self.open_detail(DetailKind::Diff),
            KeyAction::Edit
            | KeyAction::Delete
            | KeyAction::Scale
            | KeyAction::Restart
            | KeyAction::Cordon
            | KeyAction::Uncordon => return self.start_write(action),
            KeyAction::ToggleWide => {
                if let Some(v) = self.stack.last_mut() {
                    v.wide = !v.wide;
                    v.sort = None;
                }
            }
            KeyAction::SortNextColumn | KeyAction::SortPreviousColumn => {
                let n = self.display_columns().len();
                if let Some(v) = self.stack.last_mut()
                    && n > 0
                {
                    let cur = v.sort.map(|(i, _)| i);
                    let next = match (cur, action) {
                        (None, KeyAction::SortNextColumn) => 0,
                        (None, _) => n - 1,
                        (Some(i), KeyAction::SortNextColumn) => (i + 1) % n,
                        (Some(i), _) => (i + n - 1) % n,
                    };
                    v.sort = Some((next, false));
                }
            }
            KeyAction::ToggleMarks => {
                let selected = self
                    .current()
                    .and_then(|v| self.visible_rows().get(v.selected).map(|r| r.uid.clone()));
                if let (Some(uid), Some(v)) = (selected, self.stack.last_mut())
                    && !v.marks.remove(&uid)
                {
                    v.marks.insert(uid);
                }
                self.move_selection(1);
            }
            KeyAction::SortReverse => {
                if let Some(v) = self.stack.last_mut() {
                    v.sort = Some(match v.sort {
                        Some((i, d)) => (i, !d),
                        None => (0, true),
                    });
                }
            }
            a if (KeyAction::Favourite0..=KeyAction::Favourite9).contains(&a) => {
                let index = KeyAction::ALL.iter().position(|x| *x == a).unwrap_or(0)
                    - KeyAction::ALL
                        .iter()
                        .position(|x| *x == KeyAction::Favourite0)
                        .unwrap_or(0);
                match self.favourites.get(index).cloned() {
                    Some(ns) => return self.switch_namespace(Some(ns)),
                    None => {
                        self.message = Some(Message::Info(format!(
                            "no favourite namespace {index} (set favourite_namespaces in config.yaml)"
                        )))
                    }
                }
            }
            other => {
                self.message = Some(Message::Info(format!(
                    "{} is not available in this view yet",
                    other.name()
                )));
            }
        }
        Vec::new()
    }

    fn on_picker_key(&mut self, ev: KeyEvent) -> Vec<Effect> {
        let Some(p) = self.picker.as_mut() else {
            return Vec::new();
        };
        let last = p.items.len().saturating_sub(1);
        match self.keys.lookup(&[Key::from_event(ev)]) {
            Lookup::Action(KeyAction::Up) => p.selected = p.selected.saturating_sub(1),
            Lookup::Action(KeyAction::Down) => p.selected = (p.selected + 1).min(last),
            Lookup::Action(KeyAction::Enter) => {
                let chosen = p.items.get(p.selected).cloned();
                let command = p.command.clone();
                self.picker = None;
                if let Some(item) = chosen {
                    return self.run_command(&format!("{command} {item}"));
                }
            }
            Lookup::Action(KeyAction::Back | KeyAction::Quit) => self.picker = None,
            _ => {}
        }
        Vec::new()
    }

    fn on_prompt_key(&mut self, ev: KeyEvent) -> Vec<Effect> {
        let Some(prompt) = self.prompt.as_mut() else {
            return Vec::new();
        };
        let text = match prompt {
            Prompt::Command(t)
            | Prompt::Filter(t)
            | Prompt::LogFilter(t)
            | Prompt::ContainerFilter(t)
            | Prompt::SavePath(t)
            | Prompt::Scale(t) => t,
        };
        match ev.code {
            KeyCode::Esc => {
                self.prompt = None;
                Vec::new()
            }
            KeyCode::Backspace => {
                text.pop();
                Vec::new()
            }
            KeyCode::Tab => {
                if let Prompt::Command(t) = prompt {
                    let completed = match t.split_once(' ') {
                        Some((cmd @ ("ctx" | "context"), word)) => {
                            format!("{cmd} {}", complete_from(word, &self.contexts))
                        }
                        _ => complete(t, &self.resources, &self.aliases),
                    };
                    *t = completed;
                }
                Vec::new()
            }
            KeyCode::Up => {
                if let (Prompt::Command(t), Some(last)) = (prompt, self.history.last()) {
                    *t = last.clone();
                }
                Vec::new()
            }
            KeyCode::Enter => {
                let prompt = self.prompt.take();
                match prompt {
                    Some(Prompt::Command(t)) => {
                        if !t.trim().is_empty() {
                            self.history.push(t.clone());
                        }
                        let mut effects = Vec::new();
                        if self.logs.is_some() && !t.trim().is_empty() {
                            effects.extend(self.close_logs());
                        }
                        if self.detail.is_some() && !t.trim().is_empty() {
                            effects.extend(self.close_detail());
                        }
                        effects.extend(self.run_command(&t));
                        effects
                    }
                    Some(Prompt::Filter(t)) if self.logs.is_some() => {
                        self.log_search(t.trim());
                        Vec::new()
                    }
                    Some(Prompt::LogFilter(t)) => {
                        self.log_filter(t.trim());
                        Vec::new()
                    }
                    Some(Prompt::ContainerFilter(t)) => {
                        self.log_container_filter(t.trim());
                        Vec::new()
                    }
                    Some(Prompt::SavePath(t)) => self.log_save(t.trim()),
                    Some(Prompt::Scale(t)) => self.scale_entered(&t),
                    Some(Prompt::Filter(t)) if self.detail.is_some() => {
                        self.apply_search(t.trim());
                        Vec::new()
                    }
                    Some(Prompt::Filter(t)) => self.apply_filter(&t),
                    None => Vec::new(),
                }
            }
            KeyCode::Char(c) if !ev.modifiers.contains(KeyModifiers::CONTROL) => {
                text.push(c);
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    fn apply_filter(&mut self, text: &str) -> Vec<Effect> {
        let text = text.trim();
        if let Some(selector) = text.strip_prefix("-l").map(str::trim) {
            // A label selector is applied by the server: reopen this resource with it.
            let Some(view) = self.current().cloned() else {
                return Vec::new();
            };
            let selector = (!selector.is_empty()).then(|| selector.to_string());
            return self.replace_current(
                view.resource.clone(),
                view.key.namespace.clone(),
                selector,
                view.key.fields.clone(),
            );
        }
        let filter = if text.is_empty() {
            None
        } else {
            match RowFilter::parse(text) {
                Ok(f) => Some(f),
                Err(e) => {
                    self.message = Some(Message::Error(e));
                    return Vec::new();
                }
            }
        };
        if let Some(v) = self.stack.last_mut() {
            v.filter = filter;
            v.selected = 0;
            v.offset = 0;
        }
        Vec::new()
    }

    fn run_command(&mut self, text: &str) -> Vec<Effect> {
        let mut words = text.split_whitespace();
        let Some(first) = words.next() else {
            return Vec::new();
        };
        let rest: Vec<&str> = words.collect();
        match first {
            "q" | "q!" | "quit" => {
                self.quit = true;
                vec![Effect::Quit]
            }
            "ns" | "namespace" | "namespaces" if !rest.is_empty() => {
                let ns = rest[0];
                let target = if ns == "-A" || ns == "all" {
                    None
                } else {
                    Some(ns.to_string())
                };
                self.switch_namespace(target)
            }
            "help" => {
                self.help = true;
                Vec::new()
            }
            "logs" | "log" => self.logs_command(&rest),
            "ctx" | "context" | "contexts" => match rest.first() {
                None => {
                    let selected = self
                        .contexts
                        .iter()
                        .position(|c| *c == self.context.name)
                        .unwrap_or(0);
                    self.picker = Some(Picker {
                        title: "contexts (Enter switches, Esc closes)".into(),
                        items: self.contexts.clone(),
                        selected,
                        command: "ctx".into(),
                    });
                    Vec::new()
                }
                Some(name) if self.contexts.iter().any(|c| c == name) => {
                    if *name == self.context.name {
                        self.message = Some(Message::Info(format!("already on context {name}")));
                        return Vec::new();
                    }
                    self.message = Some(Message::Info(format!("switching to context {name}…")));
                    vec![Effect::SwitchContext(name.to_string())]
                }
                Some(name) => {
                    let close = crate::cluster::discovery::close_matches(name, &self.contexts);
                    self.message = Some(Message::Error(if close.is_empty() {
                        format!("no context {name:?} in the kubeconfig (:ctx lists them)")
                    } else {
                        format!("no context {name:?}; did you mean {}?", close.join(", "))
                    }));
                    Vec::new()
                }
            },
            name => {
                // :RESOURCE [NAMESPACE | -A] [/filter] [label=selector]
                let mut namespace = self.namespace.clone();
                let mut filter = None;
                let mut labels = None;
                for word in rest {
                    if word == "-A" || word == "all" {
                        namespace = None;
                    } else if let Some(f) = word.strip_prefix('/') {
                        filter = Some(f.to_string());
                    } else if word.contains('=') || word.contains(" in ") {
                        labels = Some(word.to_string());
                    } else {
                        namespace = Some(word.to_string());
                    }
                }
                let effects = self.open(name, namespace, labels, None, None);
                if let Some(f) = filter {
                    self.apply_filter(&f);
                }
                effects
            }
        }
    }

    fn switch_namespace(&mut self, ns: Option<String>) -> Vec<Effect> {
        self.namespace = ns.clone();
        self.message = Some(Message::Info(format!(
            "namespace: {}",
            ns.as_deref().unwrap_or("all namespaces")
        )));
        let Some(view) = self.current().cloned() else {
            return Vec::new();
        };
        if !view.resource.namespaced {
            return Vec::new();
        }
        self.replace_current(view.resource, ns, view.key.labels, view.key.fields)
    }

    /// Opens a resource list by the name the user typed, as a new level of the stack.
    fn open(
        &mut self,
        name: &str,
        namespace: Option<String>,
        labels: Option<String>,
        fields: Option<String>,
        crumb: Option<String>,
    ) -> Vec<Effect> {
        if self.resources.is_empty() {
            self.pending_open = Some(name.to_string());
            return Vec::new();
        }
        let resource = match resolve(name, &self.resources, &self.aliases) {
            Ok(r) => r.clone(),
            Err(e) => {
                self.message = Some(Message::Error(e));
                return Vec::new();
            }
        };
        if !resource.can("list") {
            self.message = Some(Message::Error(format!(
                "{} cannot be listed",
                resource.full_name()
            )));
            return Vec::new();
        }
        let namespace = if resource.namespaced { namespace } else { None };
        let mut effects = Vec::new();
        // A top-level command replaces the whole stack; drill-downs push.
        if crumb.is_none() {
            effects.extend(self.stack.drain(..).map(|v| Effect::Unwatch(v.key)));
        }
        let (key, watch) = watch_of(&resource, namespace, labels, fields, self.epoch);
        let crumb = crumb.unwrap_or_else(|| resource.plural.clone());
        effects.push(watch);
        self.stack.push(ListView {
            key,
            resource,
            crumb,
            filter: None,
            sort: None,
            selected: 0,
            offset: 0,
            wide: false,
            marks: Default::default(),
        });
        effects
    }

    fn replace_current(
        &mut self,
        resource: ResourceInfo,
        namespace: Option<String>,
        labels: Option<String>,
        fields: Option<String>,
    ) -> Vec<Effect> {
        let Some(old) = self.stack.pop() else {
            return Vec::new();
        };
        let namespace = if resource.namespaced { namespace } else { None };
        let (key, watch) = watch_of(&resource, namespace, labels, fields, self.epoch);
        let effects = vec![Effect::Unwatch(old.key.clone()), watch];
        self.stack.push(ListView {
            key,
            resource,
            selected: 0,
            offset: 0,
            ..old
        });
        effects
    }

    fn back(&mut self) -> Vec<Effect> {
        if let Some(v) = self.stack.last_mut()
            && v.filter.is_some()
        {
            // Esc clears a filter first, like k9s.
            v.filter = None;
            return Vec::new();
        }
        if self.stack.len() > 1 {
            let gone = self.stack.pop().map(|v| v.key);
            return gone.map(Effect::Unwatch).into_iter().collect();
        }
        Vec::new()
    }

    fn drill_down(&mut self) -> Vec<Effect> {
        let Some(view) = self.current().cloned() else {
            return Vec::new();
        };
        let rows = self.visible_rows();
        let Some(row) = rows.get(view.selected).map(|r| (*r).clone()) else {
            return Vec::new();
        };
        let store = self.store_of(&view);
        let selector_cell = store
            .and_then(|s| s.columns.iter().position(|c| c.name == "Selector"))
            .and_then(|i| row.cells.get(i))
            .map(|c| c.to_string());
        let crumb = |what: &str| format!("{}:{what}", row.name);
        match view.resource.kind.as_str() {
            "Pod" => self.open_detail(DetailKind::Containers),
            "Namespace" => self.open(
                "pods",
                Some(row.name.clone()),
                None,
                None,
                Some(crumb("pods")),
            ),
            "Node" => self.open(
                "pods",
                None,
                None,
                Some(format!("spec.nodeName={}", row.name)),
                Some(crumb("pods")),
            ),
            "Deployment" | "ReplicaSet" | "StatefulSet" | "DaemonSet" | "Job" | "Service" => {
                match selector_cell.filter(|s| !s.is_empty() && s != "<none>") {
                    Some(sel) => self.open(
                        "pods",
                        Some(row.namespace.clone()),
                        Some(sel),
                        None,
                        Some(crumb("pods")),
                    ),
                    None => {
                        self.message = Some(Message::Info(format!(
                            "{} {} selects no pods",
                            view.resource.kind, row.name
                        )));
                        Vec::new()
                    }
                }
            }
            kind => {
                self.message = Some(Message::Info(format!("nothing to open below a {kind} yet")));
                Vec::new()
            }
        }
    }

    /// The breadcrumb trail, e.g. `deployments › web:pods › web-1:yaml`.
    pub fn breadcrumbs(&self) -> String {
        let mut crumbs: Vec<String> = self.stack.iter().map(|v| v.crumb.clone()).collect();
        if let Some(d) = &self.detail {
            crumbs.push(format!("{}:{}", d.target.name, d.kind.label()));
        }
        if let Some(l) = &self.logs {
            crumbs.push(l.request.title.clone());
        }
        crumbs.join(" › ")
    }

    /// Opens a detail view of the selected row's object.
    fn open_detail(&mut self, kind: DetailKind) -> Vec<Effect> {
        let Some(view) = self.current().cloned() else {
            return Vec::new();
        };
        let rows = self.visible_rows();
        let Some(row) = rows.get(view.selected) else {
            self.message = Some(Message::Info("no row selected".into()));
            return Vec::new();
        };
        let target = ObjectRef {
            namespace: (view.resource.namespaced && !row.namespace.is_empty())
                .then(|| row.namespace.clone()),
            name: row.name.clone(),
            resource: view.resource.clone(),
        };
        if !target.resource.can("get") && !target.resource.can("watch") {
            self.message = Some(Message::Error(format!(
                "{} cannot be read one by one",
                target.resource.full_name()
            )));
            return Vec::new();
        }
        let id = self.next_detail_id;
        self.next_detail_id += 1;
        let mut detail = DetailView::new(id, target.clone(), kind);
        if kind == DetailKind::Diff {
            self.start_diff(&mut detail);
        }
        self.detail = Some(detail);
        vec![Effect::Follow(id, Box::new(target))]
    }

    fn close_detail(&mut self) -> Vec<Effect> {
        if let Some(diff) = self.detail.take().and_then(|d| d.diff) {
            self.revisions.unpin(&diff.key);
        }
        vec![Effect::Unfollow]
    }

    fn on_detail_action(&mut self, action: KeyAction) -> Vec<Effect> {
        let page = self.page_height.max(1) as isize;
        let now = self.now;
        if self
            .detail
            .as_ref()
            .is_some_and(|d| d.kind == DetailKind::Diff)
            && let Some(effects) = self.on_diff_action(action)
        {
            return effects;
        }
        match action {
            KeyAction::Diff => return self.switch_to_diff(),
            KeyAction::Edit
            | KeyAction::Delete
            | KeyAction::Scale
            | KeyAction::Restart
            | KeyAction::Cordon
            | KeyAction::Uncordon => return self.start_write(action),
            _ => {}
        }
        let Some(d) = self.detail.as_mut() else {
            return Vec::new();
        };
        let containers = d.kind == DetailKind::Containers;
        let mut step = |delta: isize| {
            let max = d.line_count().saturating_sub(1) as isize;
            let at = if containers {
                &mut d.selected
            } else {
                &mut d.scroll
            };
            *at = (*at as isize + delta).clamp(0, max.max(0)) as usize;
        };
        match action {
            KeyAction::Quit => {
                self.quit = true;
                return vec![Effect::Quit];
            }
            KeyAction::Up => step(-1),
            KeyAction::Down => step(1),
            KeyAction::PageUp => step(-page),
            KeyAction::PageDown => step(page),
            KeyAction::Top => step(isize::MIN / 2),
            KeyAction::Bottom => step(isize::MAX / 2),
            KeyAction::Back if d.search.is_some() => d.search = None,
            KeyAction::Back => return self.close_detail(),
            KeyAction::Command => self.prompt = Some(Prompt::Command(String::new())),
            KeyAction::Help => self.help = true,
            KeyAction::Filter if !containers => {
                let current = d.search.as_ref().map(|r| r.as_str().to_string());
                self.prompt = Some(Prompt::Filter(current.unwrap_or_default()));
            }
            KeyAction::SearchNext | KeyAction::SearchPrevious => {
                let forward = action == KeyAction::SearchNext;
                if d.search.is_none() {
                    self.message = Some(Message::Info("no search: type / first".into()));
                } else if !d.find(forward) {
                    self.message = Some(Message::Info("no match".into()));
                }
            }
            KeyAction::Yaml => d.switch(DetailKind::Yaml, now),
            KeyAction::Describe => d.switch(DetailKind::Describe, now),
            KeyAction::Events => d.switch(DetailKind::Events, now),
            KeyAction::ToggleManagedFields if d.kind == DetailKind::Yaml => {
                d.show_managed_fields = !d.show_managed_fields;
                d.rebuild(now);
            }
            KeyAction::Reveal if d.object.as_ref().is_some_and(|o| o["kind"] == "Secret") => {
                d.reveal = !d.reveal;
                d.rebuild(now);
                self.message = Some(Message::Info(
                    if d.reveal {
                        "secret values shown decoded (x hides them)"
                    } else {
                        "secret values hidden"
                    }
                    .into(),
                ));
            }
            KeyAction::Enter | KeyAction::Logs | KeyAction::PreviousLogs if containers => {
                let previous = action == KeyAction::PreviousLogs;
                return self.logs_of_container(previous);
            }
            KeyAction::Logs | KeyAction::PreviousLogs
                if d.target.resource.kind == "Pod" && d.target.resource.group.is_empty() =>
            {
                let previous = action == KeyAction::PreviousLogs;
                let (ns, pod) = (d.target.namespace.clone(), d.target.name.clone());
                return self.open_logs(super::logview::LogRequest {
                    namespace: ns,
                    pod_regex: format!("^{}$", regex::escape(&pod)),
                    container_regex: None,
                    label_selector: None,
                    previous,
                    one_pod: true,
                    max_requests: super::logview::DEFAULT_MAX_REQUESTS,
                    title: format!("{pod}:{}", if previous { "previous" } else { "logs" }),
                });
            }
            other => {
                self.message = Some(Message::Info(format!(
                    "{} is not available in the {} view",
                    other.name(),
                    d.kind.label()
                )));
            }
        }
        Vec::new()
    }

    fn apply_search(&mut self, text: &str) {
        let Some(d) = self.detail.as_mut() else {
            return;
        };
        if text.is_empty() {
            d.search = None;
            return;
        }
        match RowFilter::smart_case_regex(text) {
            Ok(re) => {
                d.search = Some(re);
                // Search from the line above the top, so a match on the top line counts.
                let top = d.scroll;
                d.scroll = top
                    .checked_sub(1)
                    .unwrap_or(d.lines.len().saturating_sub(1));
                if !d.find(true) {
                    d.scroll = top;
                    self.message = Some(Message::Info(format!("no match for /{text}")));
                }
            }
            Err(e) => {
                self.message = Some(Message::Error(format!(
                    "invalid search regex {text:?}: {e}"
                )))
            }
        }
    }
}

/// The key of a resource list and the effect that starts its watch.
fn watch_of(
    resource: &ResourceInfo,
    namespace: Option<String>,
    labels: Option<String>,
    fields: Option<String>,
    epoch: u64,
) -> (WatchKey, Effect) {
    let key = WatchKey {
        resource: resource.full_name(),
        namespace: namespace.clone(),
        labels: labels.clone(),
        fields: fields.clone(),
        epoch,
    };
    let scope = Scope {
        namespace,
        label_selector: labels,
        field_selector: fields,
    };
    (
        key.clone(),
        Effect::Watch(key, Box::new(resource.clone()), scope),
    )
}

/// Completes the first word of a command from resource names and aliases (the longest common prefix).
pub fn complete(text: &str, resources: &[ResourceInfo], aliases: &[(String, String)]) -> String {
    if text.contains(' ') {
        return text.to_string();
    }
    let mut names: Vec<String> = resources
        .iter()
        .flat_map(|r| [r.plural.clone(), r.full_name()])
        .collect();
    names.extend(aliases.iter().map(|(a, _)| a.clone()));
    names.extend(["ns", "ctx", "quit", "help"].map(String::from));
    complete_from(text, &names)
}

/// The longest common prefix of the candidates that start with `text`.
fn complete_from(text: &str, names: &[String]) -> String {
    let matches: Vec<&String> = names.iter().filter(|n| n.starts_with(text)).collect();
    match matches.as_slice() {
        [] => text.to_string(),
        [one] => one.to_string(),
        many => {
            let mut prefix = many[0].clone();
            for m in &many[1..] {
                while !m.starts_with(&prefix) {
                    prefix.pop();
                }
            }
            prefix
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::rows::{Column, Row};
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    fn res(
        group: &str,
        plural: &str,
        kind: &str,
        short: &[&str],
        namespaced: bool,
    ) -> ResourceInfo {
        ResourceInfo {
            namespaced,
            ..ResourceInfo::example(group, plural, kind, short)
        }
    }

    fn state() -> State {
        let mut s = State::new("ctx".into(), Some("shop".into()), KeyMap::load(None));
        let effects = s.update(Action::Discovered(vec![
            res("", "pods", "Pod", &["po"], true),
            res("", "namespaces", "Namespace", &["ns"], false),
            res("", "nodes", "Node", &["no"], false),
            res("apps", "deployments", "Deployment", &["deploy"], true),
        ]));
        assert!(
            matches!(&effects[..], [Effect::Watch(k, _, _)] if k.resource == "pods" && k.namespace.as_deref() == Some("shop"))
        );
        s
    }

    fn press(s: &mut State, c: char) -> Vec<Effect> {
        s.update(Action::Key(KeyEvent::new(
            KeyCode::Char(c),
            KeyModifiers::NONE,
        )))
    }

    fn key(s: &mut State, code: KeyCode) -> Vec<Effect> {
        s.update(Action::Key(KeyEvent::new(code, KeyModifiers::NONE)))
    }

    fn type_line(s: &mut State, text: &str) -> Vec<Effect> {
        for c in text.chars() {
            press(s, c);
        }
        key(s, KeyCode::Enter)
    }

    fn feed(s: &mut State, key: &WatchKey, columns: &[&str], rows: &[(&str, &[&str])]) {
        let cols = columns
            .iter()
            .map(|c| Column {
                name: c.to_string(),
                type_: "string".into(),
                format: String::new(),
                priority: 0,
            })
            .collect();
        s.update(Action::Watch(key.clone(), WatchMsg::Columns(cols)));
        s.update(Action::Watch(key.clone(), WatchMsg::Init));
        for (name, cells) in rows {
            let row = Row {
                uid: name.to_string(),
                namespace: "shop".into(),
                name: name.to_string(),
                resource_version: "1".into(),
                created: Some(0),
                deleting: false,
                cells: cells.iter().map(|c| (*c).into()).collect(),
                search: Default::default(),
            }
            .refresh_search();
            s.update(Action::Watch(key.clone(), WatchMsg::InitRow(row)));
        }
        s.update(Action::Watch(key.clone(), WatchMsg::InitDone));
    }

    #[test]
    fn live_changes_from_a_list_feed_the_history_and_d_on_the_row_shows_them() {
        let mut s = state();
        let wk = s.current().unwrap().key.clone();
        feed(
            &mut s,
            &wk,
            &["Name", "Status"],
            &[("web-1", &["web-1", "Running"])],
        );
        let pod = |rv: &str, image: &str| {
            serde_json::json!({"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": "web-1", "namespace": "shop", "uid": "web-1", "resourceVersion": rv},
                "spec": {"containers": [{"name": "app", "image": image}]}})
            .to_string()
        };
        s.now = 100;
        for (rv, image) in [("2", "web:1"), ("3", "web:2")] {
            s.update(Action::Watch(
                wk.clone(),
                WatchMsg::Revision(pod(rv, image).into()),
            ));
            let mut row = s.stores[&wk].get("web-1").unwrap().clone();
            row.resource_version = rv.into();
            s.update(Action::Watch(wk.clone(), WatchMsg::Apply(row)));
        }
        let effects = press(&mut s, 'D');
        assert!(matches!(&effects[..], [Effect::Follow(_, t)] if t.name == "web-1"));
        let d = s.detail.as_ref().unwrap();
        let diff = d.diff.as_ref().unwrap();
        assert_eq!(diff.rows.len(), 2);
        assert_eq!(diff.rows[0].summary, "spec.containers[0].image web:1→web:2");
        assert!(
            d.lines.contains(&"-  - image: web:1".to_string()),
            "{:?}",
            d.lines
        );
        assert!(d.lines.contains(&"+  - image: web:2".to_string()));
        // Down selects the older revision; S hides the status; Esc unpins and closes.
        press(&mut s, 'j');
        assert_eq!(
            s.detail
                .as_ref()
                .unwrap()
                .diff
                .as_ref()
                .unwrap()
                .selected_index(),
            1
        );
        press(&mut s, 'S');
        assert!(matches!(&s.message, Some(Message::Info(m)) if m == "the status hidden in diffs"));
        // A deletion seen by the list ends the history with DELETED.
        s.update(Action::Watch(wk.clone(), WatchMsg::Delete("web-1".into())));
        let diff = s.detail.as_ref().unwrap().diff.as_ref().unwrap();
        assert_eq!(diff.rows[0].change, crate::history::Change::Deleted);
        let effects = key(&mut s, KeyCode::Esc);
        assert_eq!(effects, [Effect::Unfollow]);
    }

    #[test]
    fn d_in_a_yaml_view_switches_to_the_diff_of_the_same_object() {
        let mut s = state();
        let key = s.current().unwrap().key.clone();
        feed(&mut s, &key, &["Name"], &[("web-1", &["web-1"])]);
        let effects = press(&mut s, 'y');
        let [Effect::Follow(id, _)] = &effects[..] else {
            panic!("{effects:?}");
        };
        let obj = serde_json::json!({"metadata": {"name": "web-1", "namespace": "shop", "resourceVersion": "4"}});
        s.update(Action::Object(*id, ObjectMsg::Object(obj)));
        assert!(
            press(&mut s, 'D').is_empty(),
            "the same object stays followed"
        );
        let d = s.detail.as_ref().unwrap();
        assert_eq!(d.kind, DetailKind::Diff);
        assert_eq!(d.diff.as_ref().unwrap().rows.len(), 1);
        assert_eq!(s.breadcrumbs(), "pods › web-1:diff");
    }

    #[test]
    fn a_command_opens_any_resource_by_short_name_and_replaces_the_stack() {
        let mut s = state();
        press(&mut s, ':');
        let effects = type_line(&mut s, "deploy");
        assert!(matches!(&effects[0], Effect::Unwatch(k) if k.resource == "pods"));
        assert!(
            matches!(&effects[1], Effect::Watch(k, r, _) if k.resource == "deployments.apps" && r.kind == "Deployment")
        );
        assert_eq!(s.breadcrumbs(), "deployments");
        assert_eq!(s.history, ["deploy"]);
    }

    #[test]
    fn unknown_resources_say_so_with_close_matches_and_change_nothing() {
        let mut s = state();
        press(&mut s, ':');
        let effects = type_line(&mut s, "deplyoments");
        assert!(effects.is_empty());
        assert!(
            matches!(&s.message, Some(Message::Error(e)) if e.contains("did you mean deployments")),
            "{:?}",
            s.message
        );
        assert_eq!(s.breadcrumbs(), "pods");
    }

    #[test]
    fn enter_on_a_deployment_drills_to_its_pods_by_selector_and_esc_comes_back() {
        let mut s = state();
        press(&mut s, ':');
        type_line(&mut s, "deploy");
        let wk = s.current().unwrap().key.clone();
        feed(
            &mut s,
            &wk,
            &["Name", "Ready", "Selector"],
            &[
                ("api", &["api", "2/2", "app=api"]),
                ("web", &["web", "3/3", "app=web"]),
            ],
        );
        press(&mut s, 'j');
        let effects = key_enter(&mut s);
        match &effects[..] {
            [Effect::Watch(k, _, scope)] => {
                assert_eq!(
                    (
                        k.resource.as_str(),
                        scope.label_selector.as_deref(),
                        scope.namespace.as_deref()
                    ),
                    ("pods", Some("app=web"), Some("shop"))
                );
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(s.breadcrumbs(), "deployments › web:pods");
        let effects = key(&mut s, KeyCode::Esc);
        assert!(
            matches!(&effects[..], [Effect::Unwatch(k)] if k.labels.as_deref() == Some("app=web"))
        );
        assert_eq!(s.breadcrumbs(), "deployments");
        assert_eq!(
            s.current().unwrap().selected,
            1,
            "the selection is where it was"
        );
    }

    fn key_enter(s: &mut State) -> Vec<Effect> {
        key(s, KeyCode::Enter)
    }

    #[test]
    fn nodes_drill_to_their_pods_by_field_selector_across_namespaces() {
        let mut s = state();
        press(&mut s, ':');
        type_line(&mut s, "no");
        let wk = s.current().unwrap().key.clone();
        assert_eq!(wk.namespace, None, "nodes are cluster-scoped");
        feed(
            &mut s,
            &wk,
            &["Name", "Status"],
            &[("node-1", &["node-1", "Ready"])],
        );
        let effects = key_enter(&mut s);
        assert!(
            matches!(&effects[..], [Effect::Watch(k, _, sc)] if k.namespace.is_none() && sc.field_selector.as_deref() == Some("spec.nodeName=node-1"))
        );
    }

    #[test]
    fn filters_narrow_rows_bad_regexes_are_reported_and_esc_clears_first() {
        let mut s = state();
        let wk = s.current().unwrap().key.clone();
        feed(
            &mut s,
            &wk,
            &["Name", "Status"],
            &[
                ("web-1", &["web-1", "Running"]),
                ("db-0", &["db-0", "Running"]),
            ],
        );
        press(&mut s, '/');
        type_line(&mut s, "web");
        assert_eq!(
            s.visible_rows()
                .iter()
                .map(|r| r.name.as_str())
                .collect::<Vec<_>>(),
            ["web-1"]
        );
        press(&mut s, '/');
        for _ in 0..3 {
            key(&mut s, KeyCode::Backspace);
        }
        type_line(&mut s, "(");
        assert!(
            matches!(&s.message, Some(Message::Error(e)) if e.contains("invalid filter regex"))
        );
        assert_eq!(s.visible_rows().len(), 1, "the previous filter stays");
        key(&mut s, KeyCode::Esc);
        assert_eq!(s.visible_rows().len(), 2);
    }

    #[test]
    fn a_label_selector_filter_reopens_the_list_server_side() {
        let mut s = state();
        press(&mut s, '/');
        let effects = type_line(&mut s, "-l app=web");
        assert!(
            matches!(&effects[..], [Effect::Unwatch(_), Effect::Watch(k, _, sc)] if k.labels.as_deref() == Some("app=web") && sc.label_selector.as_deref() == Some("app=web"))
        );
    }

    #[test]
    fn namespace_commands_and_favourites_switch_the_scope() {
        let mut s = state();
        s.favourites = vec!["kube-system".into()];
        press(&mut s, ':');
        let effects = type_line(&mut s, "ns -A");
        assert!(matches!(&effects[1], Effect::Watch(k, _, _) if k.namespace.is_none()));
        let effects = press(&mut s, '0');
        assert!(
            matches!(&effects[1], Effect::Watch(k, _, _) if k.namespace.as_deref() == Some("kube-system"))
        );
        press(&mut s, '5');
        assert!(
            matches!(&s.message, Some(Message::Info(m)) if m.contains("no favourite namespace 5"))
        );
    }

    #[test]
    fn quit_by_command_key_or_ctrl_c_and_tab_completes_resource_names() {
        let mut s = state();
        press(&mut s, ':');
        press(&mut s, 'd');
        press(&mut s, 'e');
        key(&mut s, KeyCode::Tab);
        assert_eq!(s.prompt, Some(Prompt::Command("deployments".into())));
        key(&mut s, KeyCode::Esc);
        assert_eq!(s.prompt, None);
        press(&mut s, ':');
        assert_eq!(type_line(&mut s, "q"), vec![Effect::Quit]);
        let mut s = state();
        assert_eq!(press(&mut s, 'q'), vec![Effect::Quit]);
        let mut s = state();
        let ctrl_c = s.update(Action::Key(KeyEvent::new(
            KeyCode::Char('c'),
            KeyModifiers::CONTROL,
        )));
        assert_eq!(ctrl_c, vec![Effect::Quit]);
    }

    #[test]
    fn space_marks_rows_and_moves_on_and_a_second_press_unmarks() {
        let mut s = state();
        let wk = s.current().unwrap().key.clone();
        feed(&mut s, &wk, &["Name"], &[("a", &["a"]), ("b", &["b"])]);
        press(&mut s, ' ');
        assert!(s.current().unwrap().marks.contains("a"));
        assert_eq!(s.current().unwrap().selected, 1);
        press(&mut s, 'k');
        press(&mut s, ' ');
        assert!(s.current().unwrap().marks.is_empty());
    }

    #[test]
    fn sorting_cycles_columns_and_reverses() {
        let mut s = state();
        let wk = s.current().unwrap().key.clone();
        feed(
            &mut s,
            &wk,
            &["Name", "Restarts"],
            &[("a", &["a", "10"]), ("b", &["b", "9"])],
        );
        press(&mut s, '>');
        press(&mut s, '>');
        assert_eq!(
            s.visible_rows()
                .iter()
                .map(|r| r.name.as_str())
                .collect::<Vec<_>>(),
            ["b", "a"]
        );
        s.update(Action::Key(KeyEvent::new(
            KeyCode::Char('r'),
            KeyModifiers::CONTROL,
        )));
        assert_eq!(
            s.visible_rows()
                .iter()
                .map(|r| r.name.as_str())
                .collect::<Vec<_>>(),
            ["a", "b"]
        );
    }

    fn open_yaml_of_web_1(s: &mut State) -> u64 {
        let wk = s.current().unwrap().key.clone();
        feed(
            s,
            &wk,
            &["Name"],
            &[("web-1", &["web-1"]), ("web-2", &["web-2"])],
        );
        let effects = press(s, 'y');
        let [Effect::Follow(id, target)] = &effects[..] else {
            panic!("y should follow the selected object: {effects:?}");
        };
        assert_eq!(
            (target.name.as_str(), target.namespace.as_deref()),
            ("web-1", Some("shop"))
        );
        *id
    }

    #[test]
    fn y_opens_the_yaml_of_the_selected_row_and_esc_stops_following() {
        let mut s = state();
        let id = open_yaml_of_web_1(&mut s);
        assert_eq!(s.breadcrumbs(), "pods › web-1:yaml");
        s.update(Action::Object(
            id,
            ObjectMsg::Object(
                serde_json::json!({"kind": "Pod", "metadata": {"name": "web-1"},
                "spec": {"containers": [{"name": "nginx", "image": "nginx"}]}}),
            ),
        ));
        let d = s.detail.as_ref().unwrap();
        assert!(
            d.lines.iter().any(|l| l == "  name: web-1"),
            "{:?}",
            d.lines
        );
        // News of an older view is ignored.
        s.update(Action::Object(id + 7, ObjectMsg::Deleted));
        assert_eq!(
            s.detail.as_ref().unwrap().presence,
            super::super::detail::Presence::Live
        );
        press(&mut s, 'd');
        assert_eq!(s.breadcrumbs(), "pods › web-1:describe");
        assert!(s.detail.as_ref().unwrap().lines[0].starts_with("Name:"));
        assert_eq!(key(&mut s, KeyCode::Esc), vec![Effect::Unfollow]);
        assert!(s.detail.is_none());
        assert_eq!(s.breadcrumbs(), "pods");
    }

    #[test]
    fn search_in_a_detail_view_jumps_with_n_and_a_bad_regex_is_reported() {
        let mut s = state();
        let id = open_yaml_of_web_1(&mut s);
        let lines: serde_json::Map<String, serde_json::Value> = (0..50)
            .map(|i| (format!("key{i:02}"), serde_json::json!(i)))
            .collect();
        s.update(Action::Object(
            id,
            ObjectMsg::Object(serde_json::json!({"kind": "ConfigMap", "data": lines})),
        ));
        press(&mut s, '/');
        type_line(&mut s, "key1[05]");
        let d = s.detail.as_ref().unwrap();
        assert!(d.lines[d.scroll].contains("key10"), "{}", d.lines[d.scroll]);
        press(&mut s, 'n');
        let d = s.detail.as_ref().unwrap();
        assert!(d.lines[d.scroll].contains("key15"));
        press(&mut s, 'N');
        let d = s.detail.as_ref().unwrap();
        assert!(d.lines[d.scroll].contains("key10"));
        press(&mut s, '/');
        for _ in 0.."key1[05]".len() {
            key(&mut s, KeyCode::Backspace);
        }
        type_line(&mut s, "[");
        assert!(
            matches!(&s.message, Some(Message::Error(e)) if e.contains("invalid search regex")),
            "{:?}",
            s.message
        );
        // Esc clears the search before it leaves the view.
        assert!(key(&mut s, KeyCode::Esc).is_empty());
        assert!(s.detail.as_ref().unwrap().search.is_none());
        assert_eq!(key(&mut s, KeyCode::Esc), vec![Effect::Unfollow]);
    }

    #[test]
    fn enter_on_a_pod_lists_its_containers_and_a_command_closes_the_detail() {
        let mut s = state();
        let wk = s.current().unwrap().key.clone();
        feed(&mut s, &wk, &["Name"], &[("web-1", &["web-1"])]);
        let effects = key_enter(&mut s);
        let [Effect::Follow(id, _)] = &effects[..] else {
            panic!("{effects:?}")
        };
        s.update(Action::Object(
            *id,
            ObjectMsg::Object(serde_json::json!({"kind": "Pod",
                "spec": {"containers": [{"name": "app"}, {"name": "envoy"}]}})),
        ));
        assert_eq!(s.breadcrumbs(), "pods › web-1:containers");
        press(&mut s, 'j');
        assert_eq!(s.detail.as_ref().unwrap().selected, 1);
        press(&mut s, 'j');
        assert_eq!(s.detail.as_ref().unwrap().selected, 1, "stops at the last");
        press(&mut s, ':');
        let effects = type_line(&mut s, "deploy");
        assert_eq!(effects[0], Effect::Unfollow);
        assert!(s.detail.is_none());
        assert_eq!(s.breadcrumbs(), "deployments");
    }

    #[test]
    fn ctx_lists_contexts_and_switching_starts_afresh_in_the_new_one() {
        let mut s = state();
        s.contexts = vec!["ctx".into(), "prod-eu".into(), "prod-us".into()];
        press(&mut s, ':');
        assert!(type_line(&mut s, "ctx").is_empty());
        let picker = s.picker.clone().expect("a picker of contexts");
        assert_eq!((picker.items.len(), picker.selected), (3, 0));
        press(&mut s, 'j');
        let effects = key_enter(&mut s);
        assert_eq!(effects, vec![Effect::SwitchContext("prod-eu".into())]);
        assert!(s.picker.is_none());

        // News from the old context still in flight must not reach the new one.
        let old_key = s.current().unwrap().key.clone();
        s.update(Action::ContextSwitched {
            info: "prod-eu".into(),
            namespace: Some("default".into()),
        });
        assert!(s.stack.is_empty() && s.stores.is_empty() && s.logs.is_none());
        s.update(Action::Watch(old_key, WatchMsg::Init));
        assert!(s.stores.is_empty(), "stale news was stored");
        let effects = s.update(Action::Discovered(vec![res("", "pods", "Pod", &[], true)]));
        assert!(
            matches!(&effects[..], [Effect::Watch(k, _, _)] if k.resource == "pods" && k.epoch == 1 && k.namespace.as_deref() == Some("default")),
            "{effects:?}"
        );
        assert_eq!(s.context.name, "prod-eu");
    }

    #[test]
    fn ctx_with_a_name_switches_and_typos_get_close_matches() {
        let mut s = state();
        s.contexts = vec!["ctx".into(), "staging".into()];
        press(&mut s, ':');
        press(&mut s, 'c');
        press(&mut s, 't');
        press(&mut s, 'x');
        press(&mut s, ' ');
        press(&mut s, 's');
        key(&mut s, KeyCode::Tab);
        assert_eq!(s.prompt, Some(Prompt::Command("ctx staging".into())));
        assert_eq!(
            key_enter(&mut s),
            vec![Effect::SwitchContext("staging".into())]
        );
        press(&mut s, ':');
        assert!(type_line(&mut s, "ctx stagin").is_empty());
        assert!(
            matches!(&s.message, Some(Message::Error(e)) if e.contains("did you mean staging")),
            "{:?}",
            s.message
        );
        s.update(Action::ContextFailed(
            "cannot switch to context staging: boom".into(),
        ));
        assert!(matches!(&s.message, Some(Message::Error(e)) if e.contains("boom")));
        assert_eq!(s.context.name, "ctx", "a failed switch changes nothing");
    }
}
