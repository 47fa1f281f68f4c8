//! The state of the first screen and its pure `update`.

use crate::config::keys::{Key, KeyAction, KeyMap, Lookup};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use k8s_openapi::api::core::v1::Pod;
use kube::runtime::watcher;
use std::collections::BTreeMap;

#[derive(Debug)]
pub enum BackendMsg {
    Pods(Box<watcher::Event<Pod>>),
    WatchError(String),
}

#[derive(Debug)]
pub enum Action {
    Quit,
    Up,
    Down,
    Redraw,
    Backend(BackendMsg),
}

#[derive(Debug, Clone, PartialEq)]
pub struct PodRow {
    pub namespace: String,
    pub name: String,
    pub ready: String,
    pub status: String,
    pub restarts: i64,
    pub created: Option<i64>,
}

impl PodRow {
    pub fn from_pod(pod: &Pod) -> Option<PodRow> {
        let value = serde_json::to_value(pod).ok()?;
        let meta = &pod.metadata;
        let statuses = pod
            .status
            .as_ref()
            .and_then(|s| s.container_statuses.clone())
            .unwrap_or_default();
        let total = pod.spec.as_ref().map_or(0, |s| s.containers.len());
        let ready = statuses.iter().filter(|c| c.ready).count();
        Some(PodRow {
            namespace: meta.namespace.clone().unwrap_or_default(),
            name: meta.name.clone()?,
            ready: format!("{ready}/{total}"),
            status: crate::sim::table::pod_status(&value),
            restarts: statuses.iter().map(|c| i64::from(c.restart_count)).sum(),
            created: meta.creation_timestamp.as_ref().map(|t| t.0.as_second()),
        })
    }
}

pub struct State {
    pub context: String,
    pub namespace: Option<String>,
    pub pods: BTreeMap<(String, String), PodRow>,
    /// Rows of a relist in progress; swapped in at InitDone so nothing flickers or lingers.
    relist: Option<BTreeMap<(String, String), PodRow>>,
    pub loaded: bool,
    pub error: Option<String>,
    pub selected: usize,
    pub quit: bool,
    /// Configuration problems, shown in the status line.
    pub warnings: Vec<String>,
}

/// Turns a key press into an action through the key map, keeping the keys of an unfinished
/// chord in `typed`. ctrl-c always quits, whatever the map says.
pub fn key_action(typed: &mut Vec<Key>, event: KeyEvent, keys: &KeyMap) -> Option<Action> {
    if event.code == KeyCode::Char('c') && event.modifiers.contains(KeyModifiers::CONTROL) {
        typed.clear();
        return Some(Action::Quit);
    }
    typed.push(Key::from_event(event));
    match keys.lookup(typed) {
        Lookup::Pending => None,
        Lookup::Unbound => {
            typed.clear();
            None
        }
        Lookup::Action(action) => {
            typed.clear();
            match action {
                KeyAction::Quit => Some(Action::Quit),
                KeyAction::Up => Some(Action::Up),
                KeyAction::Down => Some(Action::Down),
                // The rest arrive with the explorer.
                _ => None,
            }
        }
    }
}

impl State {
    pub fn new(context: String, namespace: Option<String>) -> Self {
        State {
            context,
            namespace,
            pods: BTreeMap::new(),
            relist: None,
            loaded: false,
            error: None,
            selected: 0,
            quit: false,
            warnings: Vec::new(),
        }
    }

    pub fn update(&mut self, action: Action) {
        match action {
            Action::Quit => self.quit = true,
            Action::Up => self.selected = self.selected.saturating_sub(1),
            Action::Down => {
                self.selected = (self.selected + 1).min(self.pods.len().saturating_sub(1))
            }
            Action::Redraw => {}
            Action::Backend(BackendMsg::WatchError(e)) => self.error = Some(e),
            Action::Backend(BackendMsg::Pods(event)) => {
                self.error = None;
                match *event {
                    watcher::Event::Init => self.relist = Some(BTreeMap::new()),
                    watcher::Event::InitApply(pod) => {
                        if let (Some(row), Some(relist)) =
                            (PodRow::from_pod(&pod), self.relist.as_mut())
                        {
                            relist.insert((row.namespace.clone(), row.name.clone()), row);
                        }
                    }
                    watcher::Event::InitDone => {
                        if let Some(fresh) = self.relist.take() {
                            self.pods = fresh;
                        }
                        self.loaded = true;
                    }
                    watcher::Event::Apply(pod) => {
                        if let Some(row) = PodRow::from_pod(&pod) {
                            self.pods
                                .insert((row.namespace.clone(), row.name.clone()), row);
                        }
                    }
                    watcher::Event::Delete(pod) => {
                        let key = (
                            pod.metadata.namespace.clone().unwrap_or_default(),
                            pod.metadata.name.clone().unwrap_or_default(),
                        );
                        self.pods.remove(&key);
                    }
                }
                self.selected = self.selected.min(self.pods.len().saturating_sub(1));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ev(e: watcher::Event<Pod>) -> Action {
        Action::Backend(BackendMsg::Pods(Box::new(e)))
    }

    fn pod(ns: &str, name: &str) -> Pod {
        serde_json::from_value(json!({"metadata": {"name": name, "namespace": ns, "creationTimestamp": "2026-01-01T00:00:00Z"},
            "spec": {"containers": [{"name": "c"}]},
            "status": {"phase": "Running", "containerStatuses": [{"name": "c", "ready": true, "restartCount": 2, "image": "x", "imageID": "", "state": {"running": {}}}]}}))
        .unwrap()
    }

    #[test]
    fn relist_replaces_the_rows_only_when_done_and_drops_what_is_gone() {
        let mut s = State::new("ctx".into(), None);
        s.update(ev(watcher::Event::Init));
        s.update(ev(watcher::Event::InitApply(pod("a", "old"))));
        assert!(!s.loaded && s.pods.is_empty(), "no half list is shown");
        s.update(ev(watcher::Event::InitDone));
        assert!(s.loaded);
        assert_eq!(s.pods.len(), 1);
        s.update(ev(watcher::Event::Init));
        s.update(ev(watcher::Event::InitApply(pod("a", "new"))));
        assert_eq!(
            s.pods.len(),
            1,
            "the old rows stay until the relist is complete"
        );
        s.update(ev(watcher::Event::InitDone));
        let names: Vec<_> = s.pods.values().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["new"]);
        let row = &s.pods[&("a".to_string(), "new".to_string())];
        assert_eq!(
            (row.ready.as_str(), row.status.as_str(), row.restarts),
            ("1/1", "Running", 2)
        );
    }

    #[test]
    fn selection_stays_in_range_and_quit_keys_quit() {
        let mut s = State::new("ctx".into(), None);
        s.update(Action::Down);
        assert_eq!(s.selected, 0);
        s.update(ev(watcher::Event::Apply(pod("a", "p1"))));
        s.update(ev(watcher::Event::Apply(pod("a", "p2"))));
        s.update(Action::Down);
        s.update(Action::Down);
        assert_eq!(s.selected, 1);
        s.update(ev(watcher::Event::Delete(pod("a", "p2"))));
        assert_eq!(s.selected, 0);
        let keys = KeyMap::load(Some(("quit: [x x]\n", "keys.yaml")));
        let mut typed = Vec::new();
        let press = |c| KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE);
        assert!(
            key_action(&mut typed, press('q'), &keys).is_none(),
            "q was rebound away"
        );
        assert!(
            key_action(&mut typed, press('x'), &keys).is_none(),
            "half a chord"
        );
        assert!(matches!(
            key_action(&mut typed, press('x'), &keys),
            Some(Action::Quit)
        ));
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert!(matches!(
            key_action(&mut typed, ctrl_c, &keys),
            Some(Action::Quit)
        ));
    }
}
