//! An object described as `kubectl describe` does: its fields in sections, its events last.

use super::super::describe::describe;
use super::super::pane::{Pieces, describe_pieces};
use super::super::session::Followed;
use super::object::{TextScreen, TextView};
use crate::config::keys::KeyAction;
use crate::config::theme::Theme;
use serde_json::Value;

pub struct Describe;

pub type DescribeScreen = TextScreen<Describe>;

impl TextView for Describe {
    fn what(&self) -> &'static str {
        "describe"
    }

    fn key(&self) -> KeyAction {
        KeyAction::Describe
    }

    fn lines(&self, followed: &Followed, object: &Value, now: i64) -> Vec<String> {
        describe(object, &followed.sorted_events(), now)
    }

    fn pieces(&self, _: usize, line: &str, theme: &Theme) -> Pieces {
        describe_pieces(line, theme)
    }
}
