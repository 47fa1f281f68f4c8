//! An object's YAML: managedFields hidden until `m`, a Secret's values masked until `x`,
//! keys, values and literals coloured, `/` to search.

use super::super::object_text::yaml_lines;
use super::super::pane::yaml_pieces;
use super::super::screen::{Ask, Cx, Dx, Hint, Screen, Step};
use super::object::ObjectText;
use crate::cluster::object::ObjectRef;
use crate::config::keys::{KeyAction, Section};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Span;
use std::any::Any;

pub struct YamlScreen {
    pub text: ObjectText,
    pub show_managed_fields: bool,
    /// A Secret's values shown decoded.
    pub reveal: bool,
}

impl YamlScreen {
    pub fn new(id: u64, name: &str) -> YamlScreen {
        YamlScreen {
            text: ObjectText::new(id, name),
            show_managed_fields: false,
            reveal: false,
        }
    }
}

impl Screen for YamlScreen {
    fn section(&self) -> Section {
        Section::Detail
    }

    fn crumb(&self) -> String {
        self.text.crumb("yaml")
    }

    fn on_action(&mut self, action: KeyAction, cx: &mut Cx) -> Step {
        match action {
            KeyAction::ToggleManagedFields => {
                self.show_managed_fields = !self.show_managed_fields;
            }
            KeyAction::Reveal => {
                let secret = self
                    .text
                    .followed(cx.data)
                    .and_then(|f| f.object.as_ref())
                    .is_some_and(crate::cluster::secrets::is_secret);
                if !secret {
                    cx.info("x reveals a Secret's values; this is no Secret");
                    return Step::nothing();
                }
                self.reveal = !self.reveal;
                cx.info(if self.reveal {
                    "secret values shown decoded (x hides them)"
                } else {
                    "secret values hidden"
                });
            }
            _ => return self.text.on_action(action, KeyAction::Yaml, cx),
        }
        Step::nothing()
    }

    fn on_prompt(&mut self, ask: Ask, text: &str, cx: &mut Cx) -> Step {
        if ask == Ask::Filter {
            self.text.search(text, cx);
        }
        Step::nothing()
    }

    fn refresh(&mut self, cx: &mut Cx) {
        let (managed, reveal) = (self.show_managed_fields, self.reveal);
        let toggles = u64::from(managed) | u64::from(reveal) << 1;
        self.text.refresh(cx, toggles, |_, object, _| {
            yaml_lines(object, managed, reveal)
        });
    }

    fn status(&self, dx: &Dx) -> Vec<Span<'static>> {
        self.text.status(dx)
    }

    fn draw(&self, f: &mut Frame, area: Rect, dx: &Dx) {
        self.text
            .pane
            .draw(f, dx.theme, area, |_, l| yaml_pieces(l, dx.theme));
    }

    fn hints(&self) -> &'static [Hint] {
        DETAIL_HINTS
    }

    fn targets(&self, cx: &Cx, _marked: bool) -> Vec<ObjectRef> {
        self.text.targets(cx)
    }

    fn follows(&self) -> Option<u64> {
        Some(self.text.id)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// The footer of an object's text screens.
pub const DETAIL_HINTS: &[Hint] = &[
    (&[KeyAction::Yaml], "yaml"),
    (&[KeyAction::Describe], "describe"),
    (&[KeyAction::Events], "events"),
    (&[KeyAction::Diff], "diff"),
    (&[KeyAction::ToggleManagedFields], "managedFields"),
    (&[KeyAction::Reveal], "reveal secret"),
    (&[KeyAction::Filter], "search"),
    (
        &[KeyAction::SearchNext, KeyAction::SearchPrevious],
        "next/prev",
    ),
    (&[KeyAction::Back], "back"),
];
