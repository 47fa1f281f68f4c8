//! The mouse (`mouse: true`), as a person expects it: a click selects the row under it, a
//! second click on the same row soon after opens it, the wheel scrolls, a click on a
//! breadcrumb goes back to that screen. Where the rows and crumbs are follows `draw`'s
//! layout: the header on the first line, the crumbs on the second, the body after.

use super::action::Effect;
use super::app::App;
use super::screen::Step;
use crate::config::keys::KeyAction;
use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};

/// Two clicks on one row within this are a double-click.
const DOUBLE_CLICK_MS: u64 = 400;
/// Rows one wheel notch moves.
const WHEEL_ROWS: usize = 3;
/// The crumbs' line, and the first line of the body.
const CRUMBS_ROW: u16 = 1;
const BODY_TOP: u16 = 2;
/// What separates crumbs (see `App::crumbs`).
const CRUMB_GAP: usize = 3;

impl App {
    pub(super) fn on_mouse(&mut self, ev: MouseEvent, at_ms: u64) -> Vec<Effect> {
        if self.overlay.is_some() {
            // A question or the help is open: it wants keys, not clicks.
            return Vec::new();
        }
        match ev.kind {
            MouseEventKind::ScrollDown | MouseEventKind::ScrollUp => {
                let action = if ev.kind == MouseEventKind::ScrollDown {
                    KeyAction::Down
                } else {
                    KeyAction::Up
                };
                let mut effects = Vec::new();
                for _ in 0..WHEEL_ROWS {
                    self.prepare();
                    let step = self.with_front(|front, cx| front.on_action(action, cx));
                    effects.extend(self.carry_out(step.unwrap_or_else(Step::nothing)));
                }
                effects
            }
            MouseEventKind::Down(MouseButton::Left) if ev.row == CRUMBS_ROW => {
                self.last_click = None;
                self.crumb_clicked(ev.column)
            }
            // The body: below the crumbs, above the footer (the last line).
            MouseEventKind::Down(MouseButton::Left)
                if ev.row >= BODY_TOP && ev.row + 1 < self.session.size.1 =>
            {
                let row = ev.row - BODY_TOP;
                let double = self.last_click.is_some_and(|(r, t)| {
                    r == ev.row && at_ms.saturating_sub(t) <= DOUBLE_CLICK_MS
                });
                self.last_click = if double { None } else { Some((ev.row, at_ms)) };
                self.prepare();
                let clicked = self
                    .with_front(|front, cx| front.click(row, cx))
                    .unwrap_or(false);
                if !clicked {
                    return Vec::new();
                }
                if double {
                    self.message = None;
                    let step = self.with_front(|front, cx| front.on_action(KeyAction::Enter, cx));
                    return self.carry_out(step.unwrap_or_else(Step::nothing));
                }
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    /// Back to the screen whose crumb is at `column` (the crumbs start one column in).
    fn crumb_clicked(&mut self, column: u16) -> Vec<Effect> {
        let mut x = 1usize;
        let mut target = None;
        for (i, s) in self.screens().iter().enumerate() {
            let width = ratatui::text::Span::raw(s.crumb()).width();
            if (x..x + width).contains(&(column as usize)) {
                target = Some(i);
                break;
            }
            x += width + CRUMB_GAP;
        }
        let Some(i) = target else {
            return Vec::new();
        };
        let mut effects = Vec::new();
        while self.screens().len() > i + 1 {
            effects.extend(self.carry_out(Step::go(super::screen::Nav::Pop)));
        }
        effects
    }
}
