//! An object described as `kubectl describe` does: its fields in sections, its events last.

use super::super::describe::describe;
use super::super::pane::describe_pieces;
use super::super::screen::{Ask, Cx, Dx, Hint, Screen, Step};
use super::object::ObjectText;
use crate::cluster::object::ObjectRef;
use crate::config::keys::{KeyAction, Section};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Span;
use std::any::Any;

pub struct DescribeScreen {
    pub text: ObjectText,
}

impl DescribeScreen {
    pub fn new(id: u64, name: &str) -> DescribeScreen {
        DescribeScreen {
            text: ObjectText::new(id, name),
        }
    }
}

impl Screen for DescribeScreen {
    fn section(&self) -> Section {
        Section::Detail
    }

    fn crumb(&self) -> String {
        self.text.crumb("describe")
    }

    fn on_action(&mut self, action: KeyAction, cx: &mut Cx) -> Step {
        self.text.on_action(action, KeyAction::Describe, cx)
    }

    fn on_prompt(&mut self, ask: Ask, text: &str, cx: &mut Cx) -> Step {
        if ask == Ask::Filter {
            self.text.search(text, cx);
        }
        Step::nothing()
    }

    fn refresh(&mut self, cx: &mut Cx) {
        self.text.refresh(cx, 0, |followed, object, now| {
            describe(object, &followed.sorted_events(), now)
        });
    }

    fn status(&self, dx: &Dx) -> Vec<Span<'static>> {
        self.text.status(dx)
    }

    fn draw(&self, f: &mut Frame, area: Rect, dx: &Dx) {
        self.text
            .pane
            .draw(f, dx.theme, area, |_, l| describe_pieces(l, dx.theme));
    }

    fn hints(&self) -> &'static [Hint] {
        super::yaml::DETAIL_HINTS
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
