//! The explorer's pure core: a stack of screens, at most one overlay, and `update`, which
//! turns an Action into Effects without IO. Keys go to the overlay if one is open, else to the
//! screen in front (through its key-map section), and what the screen passes on is answered
//! here: quit, `:`, `?`, favourite namespaces and the write actions. After every change the
//! background work the stack needs is compared with what it needed before, so a screen that
//! goes stops its watch, follow or log stream without saying so itself.

use super::action::{Action, Effect, Message, WatchKey};
use super::overlay::{Confirm, Help, Outcome, Overlay, Prompt};
use super::plugins::{HotkeyMatch, PluginMatch};
use super::screen::{Ask, Cx, Nav, Screen, Step};
use super::screens::list::ListScreen;
use super::session::{Data, Session};
use super::writes::{Propagation, WriteOp};
use crate::cluster::kinds;
use crate::cluster::object::{ObjectMsg, ObjectRef};
use crate::cluster::watch::WatchMsg;
use crate::config::keys::{Key, KeyAction, Lookup, Section};
use crate::history::HistoryKey;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::collections::HashSet;

pub struct App {
    pub session: Session,
    pub data: Data,
    pub(super) screens: Vec<Box<dyn Screen>>,
    pub overlay: Option<Overlay>,
    pub message: Option<Message>,
    pub quit: bool,
    /// The keys of a chord typed so far.
    typed: Vec<Key>,
    /// The resource to open once discovery is done.
    pub(super) pending_open: Option<String>,
    /// A hotkey's view waiting for its context switch: the `:` command to run then.
    pub(crate) pending_view: Option<String>,
    /// The last click's line and time, for double-clicks.
    pub(super) last_click: Option<(u16, u64)>,
    /// A hotkey's view is being opened: its words name a resource, never a hotkey again (a
    /// hotkey `pods: pods` would call itself forever).
    pub(super) opening_hotkey: bool,
    /// A shell or attach is being prepared or runs: one terminal, one session.
    exec_busy: bool,
}

/// The background work a stack of screens needs.
#[derive(Default, PartialEq)]
struct Needs {
    watches: HashSet<WatchKey>,
    follows: HashSet<u64>,
    tails: HashSet<u64>,
    explains: HashSet<u64>,
    lints: HashSet<u64>,
    xrays: HashSet<u64>,
    runs: HashSet<u64>,
}

/// The history key of an object: its resource, namespace and name.
pub fn history_key(target: &ObjectRef) -> HistoryKey {
    HistoryKey {
        resource: target.resource.full_name(),
        namespace: target.namespace.clone().unwrap_or_default(),
        name: target.name.clone(),
    }
}

impl App {
    pub fn new(session: Session) -> App {
        App {
            session,
            data: Data::default(),
            screens: Vec::new(),
            overlay: None,
            message: None,
            quit: false,
            exec_busy: false,
            typed: Vec::new(),
            pending_open: Some("pods".to_string()),
            pending_view: None,
            last_click: None,
            opening_hotkey: false,
        }
    }

    pub fn screens(&self) -> &[Box<dyn Screen>] {
        &self.screens
    }

    pub fn front(&self) -> Option<&dyn Screen> {
        self.screens.last().map(|s| s.as_ref())
    }

    /// The screen in front as its own type, if it is one.
    pub fn front_as<T: Screen>(&self) -> Option<&T> {
        self.front().and_then(|s| s.as_any().downcast_ref::<T>())
    }

    /// The list nearest the front: the one a namespace switch re-scopes.
    pub fn list(&self) -> Option<&ListScreen> {
        self.screens
            .iter()
            .rev()
            .find_map(|s| s.as_any().downcast_ref::<ListScreen>())
    }

    /// The breadcrumb trail, e.g. `deployments › web:pods › web-1:yaml`.
    pub fn crumbs(&self) -> String {
        let crumbs: Vec<String> = self.screens.iter().map(|s| s.crumb()).collect();
        crumbs.join(" › ")
    }

    fn section(&self) -> Section {
        self.front().map_or(Section::Global, |s| s.section())
    }

    pub fn update(&mut self, action: Action) -> Vec<Effect> {
        // Watch events and log lines are the hot path: they change no screen, so the stack's
        // needs are not compared, and the screen in front catches up once before the frame.
        let hot = matches!(
            action,
            Action::Watch(..)
                | Action::LogBatch(..)
                | Action::Object(..)
                | Action::LintBatch(..)
                | Action::XrayBatch(..)
                | Action::Tick
        );
        if hot {
            return self.reduce(action);
        }
        let before = self.needs();
        let mut effects = self.reduce(action);
        effects.extend(self.settle(before));
        self.prepare();
        effects
    }

    /// Brings the screen in front up to date (its rows, lines and scroll limits) before a frame.
    pub fn prepare(&mut self) {
        self.with_front(|front, cx| front.refresh(cx));
    }

    /// Runs `f` on the screen in front, with what a screen may change.
    pub(super) fn with_front<R>(
        &mut self,
        f: impl FnOnce(&mut dyn Screen, &mut Cx) -> R,
    ) -> Option<R> {
        let front = self.screens.last_mut()?;
        let mut cx = Cx {
            session: &mut self.session,
            data: &mut self.data,
            message: &mut self.message,
        };
        Some(f(front.as_mut(), &mut cx))
    }

    fn needs(&self) -> Needs {
        let mut needs = Needs::default();
        for s in &self.screens {
            needs.watches.extend(s.watches().into_iter().cloned());
            needs.follows.extend(s.follows());
            needs.tails.extend(s.tails());
            needs.explains.extend(s.explains());
            needs.lints.extend(s.lints());
            needs.xrays.extend(s.xrays());
            needs.runs.extend(s.runs());
        }
        needs
    }

    /// Stops what the screens no longer need.
    fn settle(&mut self, before: Needs) -> Vec<Effect> {
        let after = self.needs();
        // A closed explain screen's diagnosis goes, and with it the next reading.
        self.data
            .explained
            .retain(|id, _| after.explains.contains(id));
        let mut stopped = Vec::new();
        if let Some(l) = &self.data.lint
            && !after.lints.contains(&l.id)
        {
            stopped.push(Effect::StopFeed(l.id));
            self.data.lint = None;
        }
        if let Some(x) = &self.data.xray
            && !after.xrays.contains(&x.id)
        {
            stopped.push(Effect::StopFeed(x.id));
            self.data.xray = None;
        }
        // A background plugin whose screen closed is stopped (it is killed if still running).
        let closed: Vec<u64> = self
            .data
            .plugin_runs
            .keys()
            .filter(|id| !after.runs.contains(id))
            .copied()
            .collect();
        for id in closed {
            self.data.plugin_runs.remove(&id);
            stopped.push(Effect::StopFeed(id));
        }
        if after == before && self.data.followed.is_none() {
            return stopped;
        }
        let mut effects: Vec<Effect> = before
            .watches
            .difference(&after.watches)
            .filter(|k| k.epoch == self.session.epoch)
            .map(|k| Effect::Unwatch(k.clone()))
            .collect();
        effects.extend(
            before
                .tails
                .difference(&after.tails)
                .map(|id| Effect::StopLogs(*id)),
        );
        effects.extend(stopped);
        if let Some(f) = &self.data.followed
            && !after.follows.contains(&f.id)
        {
            self.data.followed = None;
            effects.push(Effect::Unfollow);
        }
        effects
    }

    fn reduce(&mut self, action: Action) -> Vec<Effect> {
        match action {
            Action::Tick => {
                for s in self.data.stores.values_mut() {
                    s.expire(self.session.now, 5);
                }
                Vec::new()
            }
            Action::Resize(width, height) => {
                self.session.size = (width, height);
                Vec::new()
            }
            Action::Discovered(resources) => {
                self.session.resources = resources;
                self.session.discovery_error = None;
                if let Some(command) = self.pending_view.take() {
                    let effects = self.run_command(&command);
                    if !self.screens.is_empty() {
                        self.pending_open = None;
                        return effects;
                    }
                    // It opened nothing (its message says why): the usual list instead.
                }
                match self.pending_open.take() {
                    Some(name) => self.open_first(&name),
                    None => Vec::new(),
                }
            }
            Action::DiscoveryFailed(trouble) => {
                // The header counts the failures; the footer says it once, not per retry.
                if self.session.discovery_error.is_none() {
                    self.message = Some(Message::Error(trouble.error.to_string()));
                }
                self.session.discovery_error = Some(trouble);
                Vec::new()
            }
            Action::Watch(key, _) if key.epoch != self.session.epoch => Vec::new(),
            Action::Watch(key, msg) => {
                let now = self.session.now;
                // No per-event work beyond the store and the history: at 1,000 events/s over
                // 100k rows, the list catches up once per frame, change by change.
                self.record_revision(&key, &msg);
                self.data.stores.entry(key).or_default().apply(msg, now);
                Vec::new()
            }
            Action::Unwatched(key) => {
                if !self.needs().watches.contains(&key) {
                    self.data.stores.remove(&key);
                }
                Vec::new()
            }
            Action::Written(report) => {
                for (target, object) in &report.revisions {
                    let key = history_key(target);
                    self.data.revisions.record(&key, object, self.session.now);
                }
                self.message = Some(match report.result {
                    Ok(report) => Message::Info(report),
                    Err(e) => Message::Error(e),
                });
                Vec::new()
            }
            Action::Object(id, msg) => {
                let now = self.session.now;
                if let Some(f) = self.data.followed.as_mut().filter(|f| f.id == id) {
                    let key = history_key(&f.target);
                    match &msg {
                        ObjectMsg::Object(o) => {
                            self.data.revisions.record(&key, o, now);
                        }
                        ObjectMsg::Deleted => self.data.revisions.deleted(&key, now),
                        _ => {}
                    }
                    f.apply(msg);
                }
                Vec::new()
            }
            Action::ContextSwitched { info, namespace } => {
                // The runtime has stopped the old context's work; start afresh and reopen the
                // same kind of list once the new cluster's resources are known.
                let reopen = self
                    .screens
                    .iter()
                    .find_map(|s| s.as_any().downcast_ref::<ListScreen>())
                    .map(|l| l.resource.full_name())
                    .unwrap_or_else(|| "pods".into());
                self.message = Some(Message::Info(format!("switched to context {}", info.name)));
                self.session.context = info;
                // Someone looking at all namespaces keeps doing so in the new context.
                if self.session.namespace.is_some() {
                    self.session.namespace = namespace;
                }
                self.session.epoch += 1;
                self.session.switching = None;
                self.session.resources.clear();
                self.session.discovery_error = None;
                self.close_all();
                self.overlay = None;
                self.data.stores.clear();
                self.data.followed = None;
                self.data.revisions = crate::history::History::new(self.data.revisions.budget());
                self.pending_open = Some(reopen);
                Vec::new()
            }
            Action::ContextFailed(e) => {
                self.session.switching = None;
                self.pending_view = None;
                self.message = Some(Message::Error(e));
                Vec::new()
            }
            Action::LogBatch(id, events) => {
                if let Some(s) = self.screens.iter_mut().find(|s| s.tails() == Some(id)) {
                    s.on_logs(id, events);
                }
                Vec::new()
            }
            Action::Saved(result) => {
                self.message = Some(match result {
                    Ok(m) => Message::Info(m),
                    Err(e) => Message::Error(e),
                });
                Vec::new()
            }
            Action::OpenLogs(request) => {
                let step = super::screens::logs::open(request, &mut self.data, &self.session);
                self.carry_out(step)
            }
            Action::DumpRows(path) => {
                let text: String = self
                    .list()
                    .and_then(|l| self.data.stores.get(&l.key))
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
            Action::Key(ev) => self.on_key(ev),
            Action::Mouse(ev, at) => self.on_mouse(ev, at),
            Action::Command(text) => self.run_command(&text),
            remote @ (Action::ExecReady(_)
            | Action::ExecChoose { .. }
            | Action::ExecEnded(_)
            | Action::ExecFailed(_)
            | Action::ForwardOffers { .. }
            | Action::ForwardStarted(_)
            | Action::ForwardEvent(..)
            | Action::Forwards(_)
            | Action::Failed(_)) => self.on_remote(remote),
            Action::Explained(id, result) => self.on_explained(id, result),
            Action::LintBatch(id, news) => self.on_lint_news(id, news),
            Action::XrayBatch(id, news) => self.on_xray_news(id, news),
            Action::Usage(key, news) => self.on_usage(&key, *news),
            Action::Copied(result) => {
                self.message = Some(match result {
                    Ok(said) => Message::Info(said),
                    Err(why) => Message::Error(why),
                });
                Vec::new()
            }
            Action::PluginOutput(id, lines) => self.on_plugin_output(id, lines),
            Action::PluginEnded(id, said, ok) => self.on_plugin_ended(id, said, ok),
        }
    }

    /// Live changes of every list on screen go into the history (the list itself, with
    /// metadata only, does not): the object before a change is what the diff needs next time.
    fn record_revision(&mut self, key: &WatchKey, msg: &WatchMsg) {
        let now = self.session.now;
        match msg {
            WatchMsg::Revision(text) => {
                self.data.revisions.record_watched(&key.resource, text, now);
            }
            WatchMsg::Delete(uid) => {
                let Some(row) = self.data.stores.get(key).and_then(|s| s.get(uid)) else {
                    return;
                };
                let object = HistoryKey {
                    resource: key.resource.clone(),
                    namespace: row.namespace.clone(),
                    name: row.name.clone(),
                };
                self.data.revisions.deleted(&object, now);
            }
            _ => {}
        }
    }

    fn on_key(&mut self, ev: KeyEvent) -> Vec<Effect> {
        if ev.code == KeyCode::Char('c') && ev.modifiers.contains(KeyModifiers::CONTROL) {
            self.quit = true;
            return vec![Effect::Quit];
        }
        if let Some(overlay) = self.overlay.as_mut() {
            let outcome = overlay.on_key(ev, &self.session);
            if outcome != Outcome::Stay {
                self.overlay = None;
            }
            return self.on_outcome(outcome);
        }
        // Refresh first: the key acts on the rows as they are now, and the row under the
        // cursor is the object it acts on.
        self.prepare();
        self.typed.push(Key::from_event(ev));
        let action = match self.session.keys.lookup(self.section(), &self.typed) {
            Lookup::Pending => return Vec::new(),
            Lookup::Unbound => {
                // Not kx's: perhaps a plugin's, for what the screen in front lists.
                let typed = self.typed.clone();
                return match self.plugin_for(&typed) {
                    PluginMatch::Pending => Vec::new(),
                    PluginMatch::Run(found) => {
                        let (plugin, scope) = *found;
                        self.typed.clear();
                        self.message = None;
                        self.start_plugin(&plugin, scope)
                    }
                    PluginMatch::None => match self.hotkey_for(&typed) {
                        HotkeyMatch::Pending => Vec::new(),
                        HotkeyMatch::Run(h) => {
                            self.typed.clear();
                            self.message = None;
                            self.run_hotkey(&h)
                        }
                        HotkeyMatch::None => {
                            self.typed.clear();
                            Vec::new()
                        }
                    },
                };
            }
            Lookup::Action(a) => {
                self.typed.clear();
                a
            }
        };
        let action = self.shared_key(action);
        self.message = None;
        let step = self
            .with_front(|front, cx| front.on_action(action, cx))
            .unwrap_or(Step::Pass);
        match step {
            Step::Pass => self.on_global(action),
            step => self.carry_out(step),
        }
    }

    /// What happens after an overlay closed or chose.
    fn on_outcome(&mut self, outcome: Outcome) -> Vec<Effect> {
        match outcome {
            Outcome::Stay | Outcome::Close => Vec::new(),
            Outcome::Run(command) => self.run_command(&command),
            Outcome::Confirmed(op) => {
                self.message = Some(Message::Info(format!("{}…", op.describe())));
                if let WriteOp::Delete { .. } = op
                    && let Some(front) = self.screens.last_mut()
                {
                    front.clear_marks();
                }
                vec![Effect::Write(op)]
            }
            Outcome::Launch(launch) => self.run_plugin(*launch),
            Outcome::Declined(said) => {
                self.message = Some(Message::Info(said));
                Vec::new()
            }
            Outcome::Entered(Ask::Command, text, _) => {
                if !text.trim().is_empty() {
                    self.session.history.push(text.clone());
                }
                self.run_command(&text)
            }
            Outcome::Entered(Ask::Scale, text, target) => match target {
                Some(target) => self.scale_entered(target, &text),
                None => Vec::new(),
            },
            Outcome::Entered(ask, text, _) => {
                let step = self.with_front(|front, cx| front.on_prompt(ask, &text, cx));
                self.carry_out(step.unwrap_or_else(Step::nothing))
            }
        }
    }

    /// The keys every screen shares, when the screen in front passed.
    fn on_global(&mut self, action: KeyAction) -> Vec<Effect> {
        match action {
            KeyAction::Quit => {
                self.quit = true;
                vec![Effect::Quit]
            }
            KeyAction::Command => {
                self.overlay = Some(Overlay::Prompt(Prompt::new(Ask::Command, "")));
                Vec::new()
            }
            KeyAction::Help => {
                self.open_help();
                Vec::new()
            }
            KeyAction::Back => self.carry_out(Step::go(Nav::Pop)),
            KeyAction::CopyName => {
                let names: Vec<String> = self
                    .with_front(|front, cx| front.targets(cx, true))
                    .unwrap_or_default()
                    .into_iter()
                    .map(|t| t.name)
                    .collect();
                match names.as_slice() {
                    [] => {
                        self.message = Some(Message::Info("nothing selected to copy".into()));
                        Vec::new()
                    }
                    [one] => {
                        self.message =
                            Some(Message::Info(format!("copied {one} to the clipboard")));
                        vec![Effect::Copy(one.clone())]
                    }
                    many => {
                        self.message = Some(Message::Info(format!(
                            "copied {} names to the clipboard, one per line",
                            many.len()
                        )));
                        vec![Effect::Copy(many.join("\n"))]
                    }
                }
            }
            KeyAction::CopyYaml => {
                let target = self
                    .with_front(|front, cx| front.targets(cx, false))
                    .unwrap_or_default()
                    .into_iter()
                    .next();
                match target {
                    Some(t) => {
                        self.message = Some(Message::Info(format!("reading {}…", t.display())));
                        vec![Effect::CopyYaml(Box::new(t))]
                    }
                    None => {
                        self.message = Some(Message::Info("nothing selected to copy".into()));
                        Vec::new()
                    }
                }
            }
            KeyAction::Shell => self.exec_key(false),
            KeyAction::Attach => self.exec_key(true),
            KeyAction::PortForward => self.forward_key(),
            KeyAction::Explain => self.explain_key(),
            KeyAction::Edit
            | KeyAction::Delete
            | KeyAction::Scale
            | KeyAction::Restart
            | KeyAction::Cordon
            | KeyAction::Uncordon => self.start_write(action),
            a if (KeyAction::Favourite0..=KeyAction::Favourite9).contains(&a) => {
                let index = KeyAction::ALL.iter().position(|x| *x == a).unwrap_or(0)
                    - KeyAction::ALL
                        .iter()
                        .position(|x| *x == KeyAction::Favourite0)
                        .unwrap_or(0);
                match self.session.favourites.get(index).cloned() {
                    Some(ns) => self.switch_namespace(Some(ns)),
                    None => {
                        self.message = Some(Message::Info(format!(
                            "no favourite namespace {index} (set favourite_namespaces in config.yaml)"
                        )));
                        Vec::new()
                    }
                }
            }
            other => {
                let here = self.front().map_or_else(|| "this".into(), |s| s.crumb());
                self.message = Some(Message::Info(format!(
                    "{} does nothing on {here} (? lists what does)",
                    other.name()
                )));
                Vec::new()
            }
        }
    }

    pub(super) fn open_help(&mut self) {
        let screen = self.front().map_or_else(String::new, |s| s.crumb());
        let mut help = Help::new(self.section(), screen);
        help.plugins = self.plugin_help();
        self.overlay = Some(Overlay::Help(help));
    }

    /// Carries out a screen's step: its effects, then where it goes.
    pub(super) fn carry_out(&mut self, step: Step) -> Vec<Effect> {
        let Step::Done(effects, nav) = step else {
            return Vec::new();
        };
        if let Some(nav) = nav {
            self.go(nav);
        }
        effects
    }

    fn go(&mut self, nav: Nav) {
        match nav {
            Nav::Push(s) => self.screens.push(s),
            Nav::Replace(s) => {
                self.close_front();
                self.screens.push(s);
            }
            Nav::Pop => {
                if self.screens.len() > 1 {
                    self.close_front();
                }
            }
            Nav::Reset(s) => {
                self.close_all();
                self.screens.push(s);
            }
            Nav::Open(o) => self.overlay = Some(*o),
        }
    }

    fn close_front(&mut self) {
        if let Some(mut s) = self.screens.pop() {
            let mut cx = Cx {
                session: &mut self.session,
                data: &mut self.data,
                message: &mut self.message,
            };
            s.on_close(&mut cx);
        }
    }

    fn close_all(&mut self) {
        while !self.screens.is_empty() {
            self.close_front();
        }
    }

    /// Takes the screens above the nearest list away (an object's screens, logs), for
    /// commands that act on the list.
    pub(super) fn back_to_list(&mut self) {
        while self.screens.len() > 1 && self.front_as::<ListScreen>().is_none() {
            self.close_front();
        }
    }

    /// Opens a resource list by the name the user typed, in place of every screen.
    pub(super) fn open_list(
        &mut self,
        name: &str,
        namespace: Option<String>,
        labels: Option<String>,
        fields: Option<String>,
    ) -> Vec<Effect> {
        if self.session.resources.is_empty() {
            self.pending_open = Some(name.to_string());
            return Vec::new();
        }
        match ListScreen::open(name, namespace, labels, fields, None, &self.session) {
            Ok((list, watch)) => {
                self.go(Nav::Reset(Box::new(list)));
                vec![watch]
            }
            Err(e) => {
                self.message = Some(Message::Error(e));
                Vec::new()
            }
        }
    }

    /// The first list, once discovery is done: under the screens already open (the log
    /// screen `kx logs --tui` starts with), so Esc comes back to it.
    fn open_first(&mut self, name: &str) -> Vec<Effect> {
        if self.screens.is_empty() {
            let namespace = self.session.namespace.clone();
            return self.open_list(name, namespace, None, None);
        }
        let namespace = self.session.namespace.clone();
        match ListScreen::open(name, namespace, None, None, None, &self.session) {
            Ok((list, watch)) => {
                self.screens.insert(0, Box::new(list));
                vec![watch]
            }
            Err(e) => {
                self.message = Some(Message::Error(e));
                Vec::new()
            }
        }
    }

    /// Sets the namespace new lists open in, and re-scopes the list in front.
    pub(super) fn switch_namespace(&mut self, ns: Option<String>) -> Vec<Effect> {
        self.session.namespace = ns.clone();
        self.message = Some(Message::Info(format!(
            "namespace: {}",
            ns.as_deref().unwrap_or("all namespaces")
        )));
        self.back_to_list();
        let rescoped = match self.front_as::<ListScreen>() {
            Some(list) if list.resource.namespaced => {
                list.rescoped(ns, list.key.labels.clone(), &self.session)
            }
            _ => return Vec::new(),
        };
        let (list, watch) = rescoped;
        self.go(Nav::Replace(Box::new(list)));
        vec![watch]
    }

    /// False (and says why) when write actions are off.
    fn writable(&mut self, what: &str) -> bool {
        if self.session.readonly {
            self.message = Some(Message::Error(format!(
                "kx is read-only (--readonly, or readonly: true in the config): {what} is off"
            )));
        }
        !self.session.readonly
    }

    /// The objects the screen in front offers to a write: the marked rows when `marked`
    /// and there are some, else the selected row or the object shown.
    fn targets(&mut self, marked: bool) -> Vec<ObjectRef> {
        self.with_front(|front, cx| front.targets(cx, marked))
            .unwrap_or_default()
    }

    /// The one target of a write that works on some kinds only.
    fn target_of_kind(&mut self, kinds: &[&str], what: &str) -> Option<ObjectRef> {
        let Some(target) = self.targets(false).into_iter().next() else {
            self.message = Some(Message::Info("no row selected".into()));
            return None;
        };
        if kinds.contains(&target.resource.kind.as_str()) {
            Some(target)
        } else {
            self.message = Some(Message::Info(format!(
                "{what} works on {}, not {}",
                kinds.join(", "),
                target.resource.plural
            )));
            None
        }
    }

    fn confirm(&mut self, op: WriteOp) {
        self.overlay = Some(Overlay::Confirm(Confirm { op }));
    }

    /// A write key: edit goes straight to the editor; the others ask first.
    fn start_write(&mut self, action: KeyAction) -> Vec<Effect> {
        let what = match action {
            KeyAction::Edit => "edit",
            KeyAction::Delete => "delete",
            KeyAction::Scale => "scale",
            KeyAction::Restart => "restart",
            KeyAction::Cordon => "cordon",
            _ => "uncordon",
        };
        if !self.writable(what) {
            return Vec::new();
        }
        match action {
            KeyAction::Edit => match self.targets(false).into_iter().next() {
                Some(t) => return vec![Effect::Edit(Box::new(t))],
                None => self.message = Some(Message::Info("no row selected".into())),
            },
            KeyAction::Delete => {
                let targets = self.targets(true);
                if targets.is_empty() {
                    self.message = Some(Message::Info("no row selected".into()));
                } else {
                    self.confirm(WriteOp::Delete {
                        targets,
                        propagation: Propagation::Background,
                    });
                }
            }
            KeyAction::Scale => {
                if let Some(target) = self.target_of_kind(&kinds::SCALABLE, "scale") {
                    self.overlay = Some(Overlay::Prompt(Prompt::about(Ask::Scale, target)));
                }
            }
            KeyAction::Restart => {
                if let Some(target) = self.target_of_kind(&kinds::RESTARTABLE, "rollout restart") {
                    self.confirm(WriteOp::Restart { target });
                }
            }
            _ => {
                let unschedulable = action == KeyAction::Cordon;
                if let Some(target) = self.target_of_kind(&kinds::CORDONABLE, what) {
                    self.confirm(WriteOp::Cordon {
                        target,
                        unschedulable,
                    });
                }
            }
        }
        Vec::new()
    }

    fn scale_entered(&mut self, target: ObjectRef, text: &str) -> Vec<Effect> {
        match text.trim().parse::<i64>() {
            Ok(replicas) if replicas >= 0 => {
                vec![Effect::Write(WriteOp::Scale { target, replicas })]
            }
            _ => {
                self.message = Some(Message::Error(format!(
                    "scale: {text:?} is not a number of replicas (0 or more)"
                )));
                Vec::new()
            }
        }
    }
}

mod health;
#[cfg(test)]
pub(in crate::tui) mod health_tests;
#[cfg(test)]
mod plugin_tests;
mod remote;
#[cfg(test)]
mod remote_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod write_tests;
