//! An object's revisions, newest first, and the selected one's diff against its predecessor
//! (or against a revision marked with space); noise (resourceVersion, managedFields,
//! generation, heartbeat times, the status) hidden or shown by key. The object's history is
//! kept whole while the screen is open.

use super::super::diffview::DiffState;
use super::super::diffview_draw::{self, diff_rows};
use super::super::pane::Pane;
use super::super::screen::{Ask, Cx, Dx, Hint, Screen, Step};
use super::object::{ObjectText, switch};
use crate::cluster::object::ObjectRef;
use crate::config::keys::{KeyAction, Section};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Span;
use std::any::Any;

pub struct DiffScreen {
    /// The follow (its text pane holds the diff's lines).
    pub object: ObjectText,
    pub diff: DiffState,
}

impl DiffScreen {
    pub fn new(id: u64, target: &ObjectRef, cx: &mut Cx) -> DiffScreen {
        let key = super::super::app::history_key(target);
        cx.data.revisions.pin(&key);
        DiffScreen {
            object: ObjectText::new(id, &target.name),
            diff: DiffState::new(key),
        }
    }

    fn pane(&mut self) -> &mut Pane {
        &mut self.object.pane
    }

    fn rows(&self, cx: &Cx) -> usize {
        diff_rows(self.diff.rows.len(), cx.session.body_rows() as u16).max(1)
    }
}

impl Screen for DiffScreen {
    fn section(&self) -> Section {
        Section::Diff
    }

    fn crumb(&self) -> String {
        self.object.crumb("diff")
    }

    fn on_action(&mut self, action: KeyAction, cx: &mut Cx) -> Step {
        let rows = self.rows(cx);
        let noise = &mut self.diff.noise;
        let toggled = match action {
            KeyAction::Up => {
                self.diff.step(-1);
                None
            }
            KeyAction::Down => {
                self.diff.step(1);
                None
            }
            KeyAction::Top => {
                self.diff.step(isize::MIN / 2);
                None
            }
            KeyAction::Bottom => {
                self.diff.step(isize::MAX / 2);
                None
            }
            KeyAction::PageUp => {
                self.pane().scroll_by(-(rows as isize), rows);
                None
            }
            KeyAction::PageDown => {
                self.pane().scroll_by(rows as isize, rows);
                None
            }
            KeyAction::ToggleMarks => {
                if let Some(said) = self.diff.toggle_base() {
                    cx.info(said);
                }
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
            KeyAction::Yaml | KeyAction::Describe | KeyAction::Events => {
                return switch(action, self.object.id, cx);
            }
            _ => return self.object.on_action(action, KeyAction::Diff, cx),
        };
        if let Some((what, hidden)) = toggled {
            let verb = if hidden { "hidden" } else { "shown" };
            cx.info(format!("{what} {verb} in diffs"));
        }
        Step::nothing()
    }

    fn on_prompt(&mut self, ask: Ask, text: &str, cx: &mut Cx) -> Step {
        if ask == Ask::Filter {
            self.object.search(text, cx);
        }
        Step::nothing()
    }

    fn refresh(&mut self, cx: &mut Cx) {
        let before = self.diff.compared.clone();
        self.diff
            .refresh(&cx.data.revisions, &mut self.object.pane.lines);
        if self.diff.compared != before {
            self.object.pane.scroll = 0;
        }
        let rows = self.rows(cx);
        self.pane().clamp(rows);
    }

    fn on_close(&mut self, cx: &mut Cx) {
        cx.data.revisions.unpin(&self.diff.key);
    }

    fn status(&self, dx: &Dx) -> Vec<Span<'static>> {
        self.object.status(dx)
    }

    fn draw(&self, f: &mut Frame, area: Rect, dx: &Dx) {
        diffview_draw::draw(f, &self.diff, &self.object.pane, dx.theme, area);
    }

    fn hints(&self) -> &'static [Hint] {
        &[
            (&[KeyAction::Up, KeyAction::Down], "revision"),
            (&[KeyAction::ToggleMarks], "base"),
            (&[KeyAction::ToggleResourceVersion], "rv"),
            (&[KeyAction::ToggleManagedFields], "managed"),
            (&[KeyAction::ToggleGeneration], "gen"),
            (&[KeyAction::ToggleTimestamps], "times"),
            (&[KeyAction::ToggleStatus], "status"),
            (&[KeyAction::PageDown], "scroll"),
            (&[KeyAction::Yaml], "yaml"),
            (&[KeyAction::Back], "back"),
        ]
    }

    fn targets(&self, cx: &Cx, _marked: bool) -> Vec<ObjectRef> {
        self.object.targets(cx)
    }

    fn follows(&self) -> Option<u64> {
        Some(self.object.id)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
