//! The user's own keys in the explorer. A key no built-in action takes runs the plugin bound
//! to it for what the screen in front lists, after the checks a person relies on (a row to
//! act on, --readonly, a confirmation; background output goes to its own screen), or opens
//! the hotkey's view bound to it.

use super::action::{Effect, Message, PluginLaunch};
use super::app::App;
use super::overlay::{ConfirmRun, Overlay};
use super::screen::{Nav, Step};
use super::screens::plugin_output::PluginOutputScreen;
use super::session::PluginRun;
use crate::cluster::discovery::ResourceInfo;
use crate::config::hotkeys::Hotkey;
use crate::config::keys::Key;
use crate::config::plugins::{Plugin, column_value};

/// What a plugin acts on, as the screen in front has it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PluginScope {
    /// Every name of what is listed (plural, singular, kind, short names, `plural.group`),
    /// or `containers`.
    pub names: Vec<String>,
    pub resource: Option<ResourceInfo>,
    /// The list's filter, for $FILTER.
    pub filter: Option<String>,
    pub rows: Vec<PluginRow>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PluginRow {
    pub namespace: String,
    pub name: String,
    pub container: Option<String>,
    /// Column titles and the row's text under them, for $COL-<COLUMN>.
    pub columns: Vec<(String, String)>,
}

/// The names a resource is known by, for plugin scopes.
pub fn scope_names(r: &ResourceInfo) -> Vec<String> {
    let mut names = vec![
        r.plural.clone(),
        r.singular.clone(),
        r.kind.clone(),
        r.full_name(),
    ];
    names.extend(r.short_names.iter().cloned());
    names
}

/// What the keys typed so far are to the hotkeys.
pub(super) enum HotkeyMatch {
    Run(Box<Hotkey>),
    Pending,
    None,
}

/// What the keys typed so far are to the plugins of the screen in front.
pub(super) enum PluginMatch {
    Run(Box<(Plugin, PluginScope)>),
    /// They begin a plugin's chord.
    Pending,
    None,
}

impl App {
    pub(super) fn plugin_for(&mut self, typed: &[Key]) -> PluginMatch {
        if self.session.plugins.is_empty() {
            return PluginMatch::None;
        }
        let Some(Some(scope)) = self.with_front(|front, cx| front.plugin_scope(cx)) else {
            return PluginMatch::None;
        };
        let names: Vec<&str> = scope.names.iter().map(String::as_str).collect();
        let mut pending = false;
        for p in self.session.plugins.iter().filter(|p| p.applies(&names)) {
            if p.keys == typed {
                return PluginMatch::Run(Box::new((p.clone(), scope)));
            }
            pending |= p.keys.len() > typed.len() && p.keys.starts_with(typed);
        }
        if pending {
            PluginMatch::Pending
        } else {
            PluginMatch::None
        }
    }

    pub(super) fn hotkey_for(&self, typed: &[Key]) -> HotkeyMatch {
        let mut pending = false;
        for h in &self.session.hotkeys {
            let Some(keys) = &h.keys else { continue };
            if keys == typed {
                return HotkeyMatch::Run(Box::new(h.clone()));
            }
            pending |= keys.len() > typed.len() && keys.starts_with(typed);
        }
        if pending {
            HotkeyMatch::Pending
        } else {
            HotkeyMatch::None
        }
    }

    /// Opens a hotkey's view; in another context, after switching there.
    pub(super) fn run_hotkey(&mut self, h: &Hotkey) -> Vec<Effect> {
        match &h.context {
            Some(ctx) if *ctx != self.session.context.name => {
                let effects = self.context_command(Some(ctx));
                if self.session.switching.is_some() {
                    self.pending_view = Some(h.command.clone());
                }
                effects
            }
            _ => {
                self.opening_hotkey = true;
                let effects = self.run_command(&h.command);
                self.opening_hotkey = false;
                effects
            }
        }
    }

    /// Runs `plugin` on `scope`'s rows, or says why not.
    pub(super) fn start_plugin(&mut self, plugin: &Plugin, scope: PluginScope) -> Vec<Effect> {
        if scope.rows.is_empty() {
            self.message = Some(Message::Info(format!(
                "plugin {}: no row selected to run it on",
                plugin.name
            )));
            return Vec::new();
        }
        if plugin.writes && self.session.readonly {
            self.message = Some(Message::Error(format!(
                "plugin {} changes the cluster (writes: true) and kx is read-only (--readonly or readonly: true); not run",
                plugin.name
            )));
            return Vec::new();
        }
        let launch = match self.launch(plugin, &scope) {
            Ok(l) => l,
            Err(why) => {
                self.message = Some(Message::Error(why));
                return Vec::new();
            }
        };
        if plugin.confirm {
            self.overlay = Some(Overlay::ConfirmRun(ConfirmRun::new(launch)));
            return Vec::new();
        }
        self.run_plugin(launch)
    }

    fn launch(&mut self, plugin: &Plugin, scope: &PluginScope) -> Result<PluginLaunch, String> {
        let session = &self.session;
        let resource = scope.resource.as_ref();
        let common = |var: &str| -> Option<String> {
            Some(match var {
                "CONTEXT" => session.context.name.clone(),
                "CLUSTER" => session.context.cluster.clone(),
                "USER" => session.context.user.clone(),
                "KUBECONFIG" => session.kubeconfig.clone().unwrap_or_default(),
                "GROUP" => resource.map(|r| r.group.clone()).unwrap_or_default(),
                "VERSION" => resource.map(|r| r.version.clone()).unwrap_or_default(),
                "RESOURCE" => resource.map(|r| r.plural.clone()).unwrap_or_default(),
                "FILTER" => scope.filter.clone().unwrap_or_default(),
                _ => return None,
            })
        };
        let row = |i: usize, var: &str| -> Option<String> {
            let r = scope.rows.get(i)?;
            match var {
                "NAMESPACE" => Some(r.namespace.clone()),
                "NAME" => Some(r.name.clone()),
                "CONTAINER" => Some(r.container.clone().unwrap_or_default()),
                v => column_value(v, &r.columns).map(str::to_string),
            }
        };
        // A column the list does not have would reach the command as the text `$COL-…`.
        if let Some(first) = scope.rows.first() {
            for var in plugin.columns_used() {
                if column_value(&var, &first.columns).is_none() {
                    let have: Vec<&str> = first.columns.iter().map(|(c, _)| c.as_str()).collect();
                    return Err(format!(
                        "plugin {}: this list has no column {} (it has {}); not run",
                        plugin.name,
                        var.trim_start_matches("COL-"),
                        have.join(", ")
                    ));
                }
            }
        }
        let argvs = plugin.argvs(scope.rows.len(), &row, &common)?;
        let kubeconfig = session.kubeconfig.clone();
        let context = session
            .contexts
            .contains(&session.context.name)
            .then(|| session.context.name.clone())
            .filter(|_| session.pin_context);
        Ok(PluginLaunch {
            id: self.data.take_id(),
            name: plugin.name.clone(),
            argvs,
            background: plugin.background,
            kubeconfig,
            context,
        })
    }

    /// Starts a plugin (confirmed, or not asked): background output gets its screen.
    pub(super) fn run_plugin(&mut self, launch: PluginLaunch) -> Vec<Effect> {
        let shown: Vec<String> = launch.argvs.iter().map(|a| Plugin::display(a)).collect();
        if launch.background {
            self.data.plugin_runs.insert(
                launch.id,
                PluginRun {
                    name: launch.name.clone(),
                    commands: shown,
                    ..PluginRun::default()
                },
            );
            let screen = PluginOutputScreen::new(launch.id, &launch.name);
            self.carry_out(Step::go(Nav::Push(Box::new(screen))));
        } else {
            self.message = Some(Message::Info(format!(
                "plugin {}: {}",
                launch.name,
                shown.join("; ")
            )));
        }
        vec![Effect::Plugin(Box::new(launch))]
    }

    /// A background plugin wrote lines: kept up to the log capacity, oldest dropped.
    pub(super) fn on_plugin_output(&mut self, id: u64, lines: Vec<String>) -> Vec<Effect> {
        let capacity = self.session.log_capacity.max(1);
        if let Some(run) = self.data.plugin_runs.get_mut(&id) {
            run.lines.extend(lines);
            while run.lines.len() > capacity {
                run.lines.pop_front();
                run.dropped += 1;
            }
        }
        Vec::new()
    }

    pub(super) fn on_plugin_ended(&mut self, id: u64, said: String, ok: bool) -> Vec<Effect> {
        if let Some(run) = self.data.plugin_runs.get_mut(&id) {
            run.ended = Some((said, ok));
        } else {
            // A foreground plugin: the footer says how it went.
            self.message = Some(if ok {
                Message::Info(said)
            } else {
                Message::Error(said)
            });
        }
        Vec::new()
    }

    /// Plugin and hotkey rows for the help of the screen in front: `(keys, what)`.
    pub(super) fn plugin_help(&mut self) -> Vec<(String, String)> {
        let mut rows: Vec<(String, String)> = self
            .session
            .hotkeys
            .iter()
            .map(|h| {
                let keys = h.keys.as_ref().map_or_else(
                    || format!(":{}", h.name),
                    |k| crate::config::keys::chord_display(k),
                );
                let what = if h.description.is_empty() {
                    h.view()
                } else {
                    format!("{} ({})", h.description, h.view())
                };
                (keys, format!("hotkey {}: {what}", h.name))
            })
            .collect();
        let Some(Some(scope)) = self.with_front(|front, cx| front.plugin_scope(cx)) else {
            return rows;
        };
        let names: Vec<&str> = scope.names.iter().map(String::as_str).collect();
        let plugins = self
            .session
            .plugins
            .iter()
            .filter(|p| p.applies(&names))
            .map(|p| {
                let what = if p.description.is_empty() {
                    p.command.clone()
                } else {
                    p.description.clone()
                };
                (
                    crate::config::keys::chord_display(&p.keys),
                    format!("plugin {}: {what}", p.name),
                )
            });
        let mut all: Vec<(String, String)> = plugins.collect();
        all.append(&mut rows);
        all
    }
}
