//! The app's side of health: `X` and `:explain` (a diagnosis of the selected object, or of
//! KIND/NAME), `:lint` (the live linter), and what the runtime sends back. Pure: reading the
//! cluster is the runtime's.

use super::App;
use crate::cluster::target::resolve_target;
use crate::explain::Diagnosis;
use crate::lint::live::{Live, Prepared};
use crate::tui::action::{Effect, Message};
use crate::tui::feed::FeedNews;
use crate::tui::screen::Nav;
use crate::tui::screens::explain::{self, EVERY};
use crate::tui::screens::lint::LintScreen;
use crate::tui::session::LintState;

impl App {
    /// `X`: the diagnosis of the selected row (or the object on screen).
    pub(super) fn explain_key(&mut self) -> Vec<Effect> {
        let Some(target) = self.targets(false).into_iter().next() else {
            self.message = Some(Message::Info(
                "nothing selected to explain (:explain KIND/NAME names one)".into(),
            ));
            return Vec::new();
        };
        let step = self.with_front(|_, cx| explain::open(target, cx));
        step.map(|s| self.carry_out(s)).unwrap_or_default()
    }

    /// `:explain [KIND/NAME] [-n NAMESPACE]`.
    pub(in crate::tui) fn explain_command(&mut self, rest: &[&str]) -> Vec<Effect> {
        let mut namespace = self.session.namespace.clone();
        let mut what = None;
        let mut words = rest.iter();
        while let Some(w) = words.next() {
            match *w {
                "-n" => namespace = words.next().map(|s| s.to_string()),
                other => what = Some(other),
            }
        }
        let Some(what) = what else {
            return self.explain_key();
        };
        let namespace = namespace.unwrap_or_else(|| "default".into());
        let target = resolve_target(
            what,
            &self.session.resources,
            &self.session.aliases,
            &namespace,
        );
        match target {
            Ok(target) => {
                let step = self.with_front(|_, cx| explain::open(target, cx));
                step.map(|s| self.carry_out(s)).unwrap_or_default()
            }
            Err(e) => {
                self.message = Some(Message::Error(format!(":explain {what}: {e}")));
                Vec::new()
            }
        }
    }

    /// A reading came back: shown if its screen is still open, and the next one asked for.
    pub(super) fn on_explained(
        &mut self,
        id: u64,
        result: Result<Diagnosis, String>,
    ) -> Vec<Effect> {
        let now = self.session.now;
        let Some(e) = self.data.explained.get_mut(&id) else {
            return Vec::new();
        };
        e.result = Some(result);
        e.at = now;
        vec![Effect::Explain {
            id,
            target: Box::new(e.target.clone()),
            after: EVERY,
        }]
    }

    /// `:lint [NAMESPACE | -A]`: the live linter over the namespace in view (or the one named).
    pub(in crate::tui) fn lint_command(&mut self, rest: &[&str]) -> Vec<Effect> {
        let namespace = match rest.first() {
            Some(&"-A") | Some(&"all") => None,
            Some(ns) => Some(ns.to_string()),
            None => self.session.namespace.clone(),
        };
        let id = self.data.take_id();
        let settings = self.session.lint.clone();
        self.data.lint = Some(LintState {
            id,
            live: Live::new(settings.clone(), true),
            namespace: namespace.clone(),
            listed: Default::default(),
            problems: Default::default(),
        });
        let mut effects = vec![Effect::Lint {
            id,
            namespace: namespace.clone(),
            settings: Box::new(settings),
        }];
        let screen = LintScreen::new(id, namespace);
        effects.extend(self.carry_out(crate::tui::screen::Step::go(Nav::Push(Box::new(screen)))));
        effects
    }

    /// Objects the lint watches saw: put into the linter, which re-checks what they move.
    pub(super) fn on_lint_news(&mut self, id: u64, news: Vec<FeedNews<Prepared>>) -> Vec<Effect> {
        let Some(state) = self.data.lint.as_mut().filter(|l| l.id == id) else {
            return Vec::new();
        };
        let mut hidden = Vec::new();
        for n in news {
            match n {
                FeedNews::Relist(kind) => state.live.begin_relist(kind),
                FeedNews::Put(p) => state.live.put(*p),
                FeedNews::Gone(s) => state.live.remove(&s),
                FeedNews::Listed(kind) => {
                    state.live.end_relist(kind);
                    state.listed.insert(kind);
                    state.problems.remove(kind);
                }
                FeedNews::Failed {
                    kind,
                    error,
                    for_good,
                } => {
                    if for_good {
                        hidden.push((kind, error.clone()));
                        // Nothing more comes for it: it counts as read (as nothing).
                        state.listed.insert(kind);
                    }
                    state.problems.insert(kind, error);
                }
            }
        }
        if !hidden.is_empty() {
            // Rules that would misjudge without a kind are off, as kx lint does.
            let mut settings = state.live.settings().clone();
            crate::lint::skip_rules_without(&hidden, &mut settings);
            state.live.set_settings(settings);
        }
        Vec::new()
    }

    /// A usage reading for a pods or nodes list: its CPU and MEM columns, every row's figures.
    pub(super) fn on_usage(
        &mut self,
        key: &crate::tui::action::WatchKey,
        news: crate::cluster::usage::UsageNews,
    ) -> Vec<Effect> {
        let Some(store) = self.data.stores.get_mut(key) else {
            return Vec::new();
        };
        // A row the reading lacks shows n/a.
        news.figures.lookup(|find| {
            store.set_usage(&news.columns, |row| {
                find(crate::cluster::figures::fingerprint(
                    &row.namespace,
                    &row.name,
                ))
                .unwrap_or_default()
            })
        });
        // Said once for each change of trouble: not served, or why it cannot be read.
        if news.served {
            self.session.metrics_trouble_said = None;
        } else if self.session.metrics_trouble_said.as_ref() != Some(&news.why) {
            self.session.metrics_trouble_said = Some(news.why.clone());
            self.message = Some(match &news.why {
                None => Message::Info(
                    "this cluster serves no metrics API (metrics-server): CPU and MEM say n/a"
                        .into(),
                ),
                Some(why) => Message::Error(format!(
                    "cannot read the metrics API: {why}; CPU and MEM say n/a"
                )),
            });
        }
        Vec::new()
    }

    /// `:pulse [NAMESPACE | -A]`: the cluster's health on one screen.
    pub(in crate::tui) fn pulse_command(&mut self, rest: &[&str]) -> Vec<Effect> {
        if self.session.resources.is_empty() {
            self.message = Some(Message::Info(
                "still discovering the cluster's resources…".into(),
            ));
            return Vec::new();
        }
        let namespace = match rest.first() {
            Some(&"-A") | Some(&"all") => None,
            Some(ns) => Some(ns.to_string()),
            None => self.session.namespace.clone(),
        };
        let step = self.with_front(|_, cx| crate::tui::screens::pulse::open(namespace, cx));
        step.map(|s| self.carry_out(s)).unwrap_or_default()
    }

    /// `:xray KIND [NAMESPACE | -A]`: a live tree from every KIND object.
    pub(in crate::tui) fn xray_command(&mut self, rest: &[&str]) -> Vec<Effect> {
        let Some(root) = rest.first().and_then(|k| crate::xray::root_kind(k)) else {
            self.message = Some(Message::Info(
                "usage: :xray deploy|sts|ds|svc|pods|rs [NAMESPACE | -A]".into(),
            ));
            return Vec::new();
        };
        let namespace = match rest.get(1) {
            Some(&"-A") | Some(&"all") => None,
            Some(ns) => Some(ns.to_string()),
            None => self.session.namespace.clone(),
        };
        let id = self.data.take_id();
        self.data.xray = Some(crate::tui::session::XrayState {
            id,
            graph: Default::default(),
            relisting: Default::default(),
            listed: Default::default(),
            problems: Default::default(),
        });
        let screen = crate::tui::screens::xray::XrayScreen::new(id, root, namespace.clone());
        let mut effects = vec![Effect::Xray { id, namespace }];
        effects.extend(self.carry_out(crate::tui::screen::Step::go(Nav::Push(Box::new(screen)))));
        effects
    }

    /// Objects the xray watches saw.
    pub(super) fn on_xray_news(
        &mut self,
        id: u64,
        news: Vec<FeedNews<crate::xray::Node>>,
    ) -> Vec<Effect> {
        let Some(state) = self.data.xray.as_mut().filter(|x| x.id == id) else {
            return Vec::new();
        };
        for n in news {
            match n {
                FeedNews::Relist(kind) => {
                    state.relisting.insert(kind, Default::default());
                }
                FeedNews::Put(node) => {
                    if let Some(seen) = state.relisting.get_mut(node.kind.as_str()) {
                        seen.insert((node.namespace.clone(), node.name.clone()));
                    }
                    state.graph.put(*node);
                }
                FeedNews::Gone(s) => state.graph.remove(&s.kind, &s.namespace, &s.name),
                FeedNews::Listed(kind) => {
                    if let Some(seen) = state.relisting.remove(kind) {
                        state.graph.retain_kind(kind, &seen);
                    }
                    state.listed.insert(kind);
                    state.problems.remove(kind);
                }
                FeedNews::Failed {
                    kind,
                    error,
                    for_good,
                } => {
                    if for_good {
                        state.listed.insert(kind);
                    }
                    state.problems.insert(kind, error);
                }
            }
        }
        Vec::new()
    }
}
