//! The app's side of shells, attaches and port-forwards: the keys (`s`, `a`, `f`), the
//! commands (`:shell`, `:attach`, `:pf`), and what the runtime reports back. Pure: the work
//! is the runtime's (see `tui::remote`).

use super::App;
use crate::cluster::kinds;
use crate::cluster::object::ObjectRef;
use crate::config::keys::KeyAction;
use crate::remote::exec::Mode;
use crate::remote::forward::{self, Event, FORWARDABLE, Spec};
use crate::remote::ports::PortPair;
use crate::tui::action::{Action, Effect, Message};
use crate::tui::overlay::Overlay;
use crate::tui::overlay::picker::Picker;
use crate::tui::screen::Nav;
use crate::tui::screens::forwards::ForwardsScreen;
use std::time::Duration;

/// How long a saved forward waits for a first ready pod.
const SAVED_PATIENCE: Duration = Duration::from_secs(60);

impl App {
    /// When shell and scale share the key pressed, the row decides: a pod (or a container)
    /// gets a shell, anything else is scaled.
    pub(super) fn shared_key(&mut self, action: KeyAction) -> KeyAction {
        if !matches!(action, KeyAction::Shell | KeyAction::Scale) {
            return action;
        }
        let section = self.section();
        let keys = &self.session.keys;
        let shared = keys
            .chords(section, KeyAction::Shell)
            .iter()
            .any(|c| keys.chords(section, KeyAction::Scale).contains(c));
        if !shared {
            return action;
        }
        let on_pod = self.front().is_some_and(|s| s.container().is_some())
            || self
                .targets(false)
                .first()
                .is_some_and(|t| kinds::is_pod(&t.resource.group, &t.resource.kind));
        if on_pod {
            KeyAction::Shell
        } else {
            KeyAction::Scale
        }
    }

    /// `s` and `a`: a shell in, or an attach to, the selected pod or container.
    pub(super) fn exec_key(&mut self, attach: bool) -> Vec<Effect> {
        let what = if attach { "attach" } else { "shell" };
        if self.exec_busy {
            self.message = Some(Message::Info(format!(
                "a shell or attach is starting already; {what} after it"
            )));
            return Vec::new();
        }
        if self.session.readonly {
            self.message = Some(Message::Error(format!(
                "kx is read-only (--readonly, or readonly: true in the config): {what} is off"
            )));
            return Vec::new();
        }
        let Some(target) = self.targets(false).into_iter().next() else {
            self.message = Some(Message::Info("no row selected".into()));
            return Vec::new();
        };
        if !kinds::is_pod(&target.resource.group, &target.resource.kind) {
            self.message = Some(Message::Info(format!(
                "{what} works on pods and their containers, not {}: open its pods first (Enter)",
                target.resource.plural
            )));
            return Vec::new();
        }
        let container = self.front().and_then(|s| s.container());
        self.message = Some(Message::Info(format!("connecting to {}…", target.name)));
        self.exec_busy = true;
        vec![Effect::PrepareExec {
            target: Box::new(target),
            container,
            attach,
        }]
    }

    /// `f`: a forward from the selected pod, service or workload, its port picked.
    pub(super) fn forward_key(&mut self) -> Vec<Effect> {
        let Some(target) = self.targets(false).into_iter().next() else {
            self.message = Some(Message::Info("no row selected".into()));
            return Vec::new();
        };
        let kind_ok = FORWARDABLE.contains(&target.resource.kind.as_str())
            && matches!(target.resource.group.as_str(), "" | "apps");
        if !kind_ok {
            self.message = Some(Message::Info(format!(
                "port-forward works on pods, services, deployments, statefulsets, replicasets and daemonsets, not {}",
                target.resource.plural
            )));
            return Vec::new();
        }
        vec![Effect::PrepareForward(Box::new(target))]
    }

    fn pod_ref(&self, namespace: String, name: &str) -> Option<ObjectRef> {
        let resource = self
            .session
            .resources
            .iter()
            .find(|r| kinds::is_pod(&r.group, &r.kind))?
            .clone();
        Some(ObjectRef {
            resource,
            namespace: Some(namespace),
            name: name.to_string(),
        })
    }

    /// `:shell [-n NS] POD [-c CONTAINER]` (and `:attach`); alone, the selected row.
    pub(in crate::tui) fn exec_command(&mut self, rest: &[&str], attach: bool) -> Vec<Effect> {
        let (mut namespace, mut container, mut pod) = (self.session.namespace.clone(), None, None);
        let mut words = rest.iter();
        while let Some(w) = words.next() {
            match *w {
                "-n" => namespace = words.next().map(|s| s.to_string()),
                "-c" => container = words.next().map(|s| s.to_string()),
                name => pod = Some(name.trim_start_matches("pod/").trim_start_matches("pods/")),
            }
        }
        let Some(pod) = pod else {
            return self.exec_key(attach);
        };
        let Some(namespace) = namespace else {
            self.message = Some(Message::Error(format!(
                "which namespace is {pod} in? :{} -n NAMESPACE {pod}",
                if attach { "attach" } else { "shell" }
            )));
            return Vec::new();
        };
        if self.exec_busy {
            self.message = Some(Message::Info(
                "a shell or attach is starting already".into(),
            ));
            return Vec::new();
        }
        match self.pod_ref(namespace, pod) {
            Some(target) => {
                self.exec_busy = true;
                vec![Effect::PrepareExec {
                    target: Box::new(target),
                    container,
                    attach,
                }]
            }
            None => {
                self.message = Some(Message::Info(
                    "still discovering the cluster's resources…".into(),
                ));
                Vec::new()
            }
        }
    }

    /// `:pf` lists the forwards; `:pf start NAME` starts a saved one; `:pf [-n NS] TARGET
    /// [LOCAL:]REMOTE...` starts one.
    pub(in crate::tui) fn forward_command(&mut self, rest: &[&str]) -> Vec<Effect> {
        match rest {
            [] => {
                if self.front_as::<ForwardsScreen>().is_none() {
                    self.go(Nav::Push(Box::new(ForwardsScreen::default())));
                }
                Vec::new()
            }
            ["start", name] => self.start_saved(name),
            _ => {
                let mut namespace = self.session.namespace.clone();
                let mut words = Vec::new();
                let mut it = rest.iter();
                while let Some(w) = it.next() {
                    match *w {
                        "-n" => namespace = it.next().map(|s| s.to_string()),
                        // The picker's item ends with a label in parentheses.
                        w if w.starts_with('(') => break,
                        w => words.push(w),
                    }
                }
                let Some((target, ports)) = words.split_first() else {
                    return Vec::new();
                };
                let Some(namespace) = namespace else {
                    self.message = Some(Message::Error(format!(
                        "which namespace is {target} in? :pf -n NAMESPACE {target} PORT"
                    )));
                    return Vec::new();
                };
                let address = self.session.forward_address;
                self.forward_specs(&namespace, target, ports, address, Duration::ZERO)
            }
        }
    }

    fn forward_specs(
        &mut self,
        namespace: &str,
        target: &str,
        ports: &[&str],
        address: std::net::IpAddr,
        patience: std::time::Duration,
    ) -> Vec<Effect> {
        let parsed = forward::parse_target(target).and_then(|(kind, name)| {
            if ports.is_empty() {
                return Err(format!("which port? :pf {target} [LOCAL:]REMOTE"));
            }
            ports
                .iter()
                .map(|p| PortPair::parse(p))
                .collect::<Result<Vec<_>, _>>()
                .map(|pairs| (kind, name, pairs))
        });
        match parsed {
            Ok((kind, name, pairs)) => pairs
                .into_iter()
                .map(|pair| {
                    Effect::StartForward(Box::new(Spec {
                        namespace: namespace.to_string(),
                        kind: kind.clone(),
                        name: name.clone(),
                        remote: pair.remote,
                        local: pair.local,
                        address,
                        patience,
                    }))
                })
                .collect(),
            Err(e) => {
                self.message = Some(Message::Error(format!("port-forward: {e}")));
                Vec::new()
            }
        }
    }

    fn start_saved(&mut self, name: &str) -> Vec<Effect> {
        let Some(saved) = self
            .session
            .saved_forwards
            .iter()
            .find(|f| f.name == name)
            .cloned()
        else {
            let known: Vec<&str> = self
                .session
                .saved_forwards
                .iter()
                .map(|f| f.name.as_str())
                .collect();
            self.message = Some(Message::Error(format!(
                "no saved port-forward {name:?} ({}; add it under port_forwards: in config.yaml)",
                if known.is_empty() {
                    "none saved".to_string()
                } else {
                    format!("saved: {}", known.join(", "))
                }
            )));
            return Vec::new();
        };
        let namespace = saved
            .namespace
            .clone()
            .or_else(|| self.session.namespace.clone())
            .unwrap_or_else(|| "default".into());
        let address = match saved.address.as_deref().map(str::parse) {
            Some(Ok(a)) => a,
            Some(Err(_)) => {
                self.message = Some(Message::Error(format!(
                    "port_forwards: {name}: address is not an IP address"
                )));
                return Vec::new();
            }
            None => self.session.forward_address,
        };
        let ports: Vec<&str> = saved.ports.iter().map(String::as_str).collect();
        // A saved forward may start with kx, before its pods are ready: it waits for one.
        self.forward_specs(&namespace, &saved.target, &ports, address, SAVED_PATIENCE)
    }

    /// What the runtime reports about shells and forwards.
    pub(super) fn on_remote(&mut self, action: Action) -> Vec<Effect> {
        match action {
            Action::ExecReady(mut request) => {
                if let Mode::Shell(shells) = &mut request.mode
                    && shells.is_empty()
                {
                    *shells = self.session.shells.clone();
                }
                self.message = None;
                vec![Effect::Exec(Box::new(request))]
            }
            Action::ExecChoose {
                target,
                containers,
                attach,
            } => {
                // The choice asks again (`:shell … -c NAME`).
                self.exec_busy = false;
                let verb = if attach { "attach" } else { "shell" };
                self.overlay = Some(Overlay::Picker(Picker {
                    title: format!("{verb}: which container of {}?", target.name),
                    items: containers,
                    selected: 0,
                    command: format!(
                        "{verb} -n {} {} -c",
                        target.namespace.unwrap_or_default(),
                        target.name
                    ),
                }));
                Vec::new()
            }
            Action::ExecFailed(e) => {
                self.exec_busy = false;
                self.message = Some(Message::Error(e));
                Vec::new()
            }
            Action::ExecEnded(report) => {
                self.exec_busy = false;
                self.message = Some(match crate::tui::remote::ended_message(&report) {
                    Ok(m) => Message::Info(m),
                    Err(e) => Message::Error(e),
                });
                Vec::new()
            }
            Action::ForwardOffers { target, offers } => {
                let ns = target.namespace.clone().unwrap_or_default();
                let short = format!("{}/{}", target.resource.kind.to_lowercase(), target.name);
                match offers.as_slice() {
                    [] => {
                        self.message = Some(Message::Info(format!(
                            "{short} declares no ports: give one with :pf -n {ns} {short} PORT"
                        )));
                        Vec::new()
                    }
                    [one] => {
                        let port = one.remote.to_string();
                        let address = self.session.forward_address;
                        self.forward_specs(&ns, &short, &[port.as_str()], address, Duration::ZERO)
                    }
                    several => {
                        self.overlay = Some(Overlay::Picker(Picker {
                            title: format!("forward which port of {short}?"),
                            items: several
                                .iter()
                                .map(|o| format!("{} ({})", o.remote, o.label))
                                .collect(),
                            selected: 0,
                            command: format!("pf -n {ns} {short}"),
                        }));
                        Vec::new()
                    }
                }
            }
            Action::ForwardStarted(said) => {
                self.message = Some(Message::Info(said));
                Vec::new()
            }
            Action::ForwardEvent(id, local, event) => {
                // A forward that ended (its bare pod gone) is let go of: the port is free again.
                let effects = match &event {
                    Event::Stopped(_) => vec![Effect::StopForward(id)],
                    _ => Vec::new(),
                };
                self.message = match event {
                    Event::Serving { .. } => None,
                    Event::Moved { from, to } => Some(Message::Info(format!(
                        "forward {local}: pod {from} went away; now forwarding to {to}"
                    ))),
                    Event::Waiting(why) => Some(Message::Info(format!(
                        "forward {local}: {why}; connections wait"
                    ))),
                    Event::Stopped(why) => {
                        Some(Message::Error(format!("forward {local} stopped: {why}")))
                    }
                    Event::ConnectionFailed(why) => {
                        Some(Message::Error(format!("forward {local}: {why}")))
                    }
                }
                .or(self.message.take());
                effects
            }
            Action::Forwards(rows) => {
                self.data.forwards = rows;
                Vec::new()
            }
            Action::Failed(e) => {
                self.message = Some(Message::Error(e));
                Vec::new()
            }
            _ => Vec::new(),
        }
    }
}
