//! The `:` commands: a resource list by any name the cluster knows (`:deploy -A`,
//! `:po shop /web app=web`), `:ns`, `:ctx`, `:logs`, `:help` and `:q`; and Tab completion of
//! their first word.

use super::action::{Effect, Message};
use super::app::App;
use super::overlay::{Overlay, Picker};
use super::screen::{Ask, Step};
use crate::cluster::discovery::ResourceInfo;

impl App {
    pub(super) fn run_command(&mut self, text: &str) -> Vec<Effect> {
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
            "help" => {
                self.open_help();
                Vec::new()
            }
            "ns" | "namespace" | "namespaces" if !rest.is_empty() => {
                let target = match rest[0] {
                    "-A" | "all" => None,
                    ns => Some(ns.to_string()),
                };
                self.switch_namespace(target)
            }
            "logs" | "log" => self.logs_command(&rest),
            "shell" | "sh" => self.exec_command(&rest, false),
            "attach" => self.exec_command(&rest, true),
            "pf" | "port-forward" | "portforward" | "forwards" => self.forward_command(&rest),
            "explain" | "why" => self.explain_command(&rest),
            "lint" | "popeye" => self.lint_command(&rest),
            "pulse" | "pu" => self.pulse_command(&rest),
            "xray" | "x" => self.xray_command(&rest),
            "ctx" | "context" | "contexts" => self.context_command(rest.first().copied()),
            name if rest.is_empty()
                && !self.opening_hotkey
                && self.session.hotkeys.iter().any(|h| h.name == name) =>
            {
                let hotkey = self
                    .session
                    .hotkeys
                    .iter()
                    .find(|h| h.name == name)
                    .cloned();
                hotkey.map(|h| self.run_hotkey(&h)).unwrap_or_default()
            }
            name => {
                // :RESOURCE [NAMESPACE | -A] [/filter] [label=selector]
                let mut namespace = self.session.namespace.clone();
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
                let effects = self.open_list(name, namespace, labels, None);
                if let Some(f) = filter {
                    let step = self
                        .with_front(|front, cx| front.on_prompt(Ask::Filter, &f, cx))
                        .unwrap_or_else(Step::nothing);
                    let mut effects = effects;
                    effects.extend(self.carry_out(step));
                    return effects;
                }
                effects
            }
        }
    }

    pub(super) fn context_command(&mut self, name: Option<&str>) -> Vec<Effect> {
        let session = &mut self.session;
        match name {
            None => {
                let selected = session
                    .contexts
                    .iter()
                    .position(|c| *c == session.context.name)
                    .unwrap_or(0);
                self.overlay = Some(Overlay::Picker(Picker {
                    title: "contexts (Enter switches, Esc closes)".into(),
                    items: session.contexts.clone(),
                    selected,
                    command: "ctx".into(),
                }));
                Vec::new()
            }
            Some(name) if *name == session.context.name => {
                self.message = Some(Message::Info(format!("already on context {name}")));
                Vec::new()
            }
            Some(name) if session.contexts.iter().any(|c| c == name) => {
                // The header says it until the runtime answers; the UI goes on meanwhile.
                session.switching = Some(name.to_string());
                vec![Effect::SwitchContext(name.to_string())]
            }
            Some(name) => {
                let close = crate::cluster::discovery::close_matches(name, &session.contexts);
                self.message = Some(Message::Error(if close.is_empty() {
                    format!("no context {name:?} in the kubeconfig (:ctx lists them)")
                } else {
                    format!("no context {name:?}; did you mean {}?", close.join(", "))
                }));
                Vec::new()
            }
        }
    }

    /// `:logs REGEX [NAMESPACE | -A]`: every pod whose name matches, as a live set.
    fn logs_command(&mut self, words: &[&str]) -> Vec<Effect> {
        let Some(query) = words.first() else {
            self.message = Some(Message::Info(
                "usage: :logs POD-REGEX [NAMESPACE | -A]".into(),
            ));
            return Vec::new();
        };
        if let Err(e) = regex::Regex::new(query) {
            self.message = Some(Message::Error(format!(
                "invalid regex for :logs {query:?}: {e}"
            )));
            return Vec::new();
        }
        let namespace = match words.get(1) {
            Some(&"-A") | Some(&"all") => None,
            Some(ns) => Some(ns.to_string()),
            None => self.session.namespace.clone(),
        };
        self.back_to_list();
        let request = super::logview::LogRequest {
            namespace,
            pod_regex: query.to_string(),
            container_regex: None,
            label_selector: None,
            previous: false,
            one_pod: false,
            max_requests: super::logview::DEFAULT_MAX_REQUESTS,
            title: format!("{query}:logs"),
        };
        let step = super::screens::logs::open(request, &mut self.data, &self.session);
        self.carry_out(step)
    }
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
    names.extend(["ns", "ctx", "logs", "quit", "help"].map(String::from));
    complete_from(text, &names)
}

/// The longest common prefix of the candidates that start with `text`.
pub fn complete_from(text: &str, names: &[String]) -> String {
    let matches: Vec<&String> = names.iter().filter(|n| n.starts_with(text)).collect();
    let Some((first, others)) = matches.split_first() else {
        return text.to_string();
    };
    let mut prefix = first.to_string();
    for m in others {
        while !m.starts_with(&prefix) {
            prefix.pop();
        }
    }
    prefix
}
