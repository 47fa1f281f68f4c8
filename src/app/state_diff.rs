//! The revision history and the diff view, in the reducer: watch events and followed objects
//! feed the history; `D` opens the diff view from a row or another detail view; keys move
//! between revisions, mark a base to compare against and toggle the noise filters.

use super::detail::{DetailKind, DetailView};
use super::diffview::DiffState;
use super::state::{Effect, Message, State, WatchKey};
use crate::cluster::object::ObjectRef;
use crate::cluster::watch::WatchMsg;
use crate::config::keys::KeyAction;
use crate::history::HistoryKey;

pub fn history_key(target: &ObjectRef) -> HistoryKey {
    HistoryKey {
        resource: target.resource.full_name(),
        namespace: target.namespace.clone().unwrap_or_default(),
        name: target.name.clone(),
    }
}

impl State {
    /// Live changes of every list on screen go into the history (the list itself, with
    /// metadata only, does not): the object before a change is what the diff needs next time.
    pub(super) fn record_revision(&mut self, key: &WatchKey, msg: &WatchMsg) {
        match msg {
            WatchMsg::Revision(text) => {
                self.revisions.record_watched(&key.resource, text, self.now);
            }
            WatchMsg::Delete(uid) => {
                let Some(row) = self.stores.get(key).and_then(|s| s.get(uid)) else {
                    return;
                };
                let object = HistoryKey {
                    resource: key.resource.clone(),
                    namespace: row.namespace.clone(),
                    name: row.name.clone(),
                };
                self.revisions.deleted(&object, self.now);
            }
            _ => {}
        }
    }

    /// Gives a detail view its diff state and keeps the object's history whole while shown.
    pub(super) fn start_diff(&mut self, detail: &mut DetailView) {
        if detail.diff.is_none() {
            let key = history_key(&detail.target);
            self.revisions.pin(&key);
            detail.diff = Some(DiffState::new(key));
        }
    }

    pub(super) fn switch_to_diff(&mut self) -> Vec<Effect> {
        let Some(mut d) = self.detail.take() else {
            return Vec::new();
        };
        self.start_diff(&mut d);
        d.switch(DetailKind::Diff, self.now);
        self.detail = Some(d);
        Vec::new()
    }

    pub(super) fn refresh_diff(&mut self) {
        if let Some(d) = self.detail.as_mut().filter(|d| d.kind == DetailKind::Diff)
            && let Some(diff) = d.diff.as_mut()
        {
            let before = diff.compared.clone();
            diff.refresh(&self.revisions, &mut d.lines);
            if diff.compared != before {
                d.scroll = 0;
            }
        }
    }

    /// Keys of the diff view; None for those it leaves to every detail view (y, d, Esc, /…).
    pub(super) fn on_diff_action(&mut self, action: KeyAction) -> Option<Vec<Effect>> {
        let page = self.page_height.max(1) as isize;
        let d = self.detail.as_mut()?;
        let diff = d.diff.as_mut()?;
        let lines = d.lines.len();
        let mut scroll = |delta: isize| {
            d.scroll =
                (d.scroll as isize + delta).clamp(0, lines.saturating_sub(1) as isize) as usize
        };
        let noise = &mut diff.noise;
        let toggled = match action {
            KeyAction::Up => {
                diff.step(-1);
                None
            }
            KeyAction::Down => {
                diff.step(1);
                None
            }
            KeyAction::Top => {
                diff.step(isize::MIN / 2);
                None
            }
            KeyAction::Bottom => {
                diff.step(isize::MAX / 2);
                None
            }
            KeyAction::PageUp => {
                scroll(-page);
                None
            }
            KeyAction::PageDown => {
                scroll(page);
                None
            }
            KeyAction::ToggleMarks => {
                self.message = diff.toggle_base().map(Message::Info);
                None
            }
            KeyAction::ToggleResourceVersion => {
                noise.resource_version = !noise.resource_version;
                Some(("resourceVersion", noise.resource_version))
            }
            KeyAction::ToggleManagedFields => {
                noise.managed_fields = !noise.managed_fields;
                Some(("managedFields", noise.managed_fields))
            }
            KeyAction::ToggleGeneration => {
                noise.generation = !noise.generation;
                Some(("generation and observedGeneration", noise.generation))
            }
            KeyAction::ToggleTimestamps => {
                noise.timestamps = !noise.timestamps;
                Some(("heartbeat and transition times", noise.timestamps))
            }
            KeyAction::ToggleStatus => {
                noise.status = !noise.status;
                Some(("the status", noise.status))
            }
            KeyAction::Diff => None,
            _ => return None,
        };
        if let Some((what, hidden)) = toggled {
            let verb = if hidden { "hidden" } else { "shown" };
            self.message = Some(Message::Info(format!("{what} {verb} in diffs")));
        }
        Some(Vec::new())
    }
}
