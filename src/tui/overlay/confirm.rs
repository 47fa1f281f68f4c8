//! A write action waiting for y or n, asked in the footer; a delete also takes b, f or o to
//! choose how its dependents go.

use super::Outcome;
use crate::config::theme::Theme;
use crate::tui::writes::{Propagation, WriteOp};
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::widgets::Paragraph;

#[derive(Debug, Clone, PartialEq)]
pub struct Confirm {
    pub op: WriteOp,
}

impl Confirm {
    /// The question, with the keys that answer it.
    pub fn question(&self) -> String {
        match &self.op {
            WriteOp::Delete { propagation, .. } => format!(
                "{} ({} propagation; b/f/o to change)? y yes · n no",
                self.op.describe(),
                propagation.as_str()
            ),
            op => format!("{}? y yes · n no", op.describe()),
        }
    }

    pub fn on_key(&mut self, ev: KeyEvent) -> Outcome {
        let mut choose = |p: Propagation| {
            if let WriteOp::Delete { propagation, .. } = &mut self.op {
                *propagation = p;
            }
            Outcome::Stay
        };
        match ev.code {
            KeyCode::Char('y' | 'Y') => Outcome::Confirmed(self.op.clone()),
            KeyCode::Char('b') => choose(Propagation::Background),
            KeyCode::Char('f') => choose(Propagation::Foreground),
            KeyCode::Char('o') => choose(Propagation::Orphan),
            KeyCode::Char('n' | 'N') | KeyCode::Esc => {
                Outcome::Declined(format!("cancelled: nothing done ({})", self.op.describe()))
            }
            _ => Outcome::Stay,
        }
    }

    pub fn draw(&self, f: &mut Frame, footer: Rect, theme: &Theme) {
        f.render_widget(
            Paragraph::new(Span::styled(
                format!(" {}", self.question()),
                theme.style("prompt"),
            )),
            footer,
        );
    }
}

/// A plugin that asks first (`confirm: true`): the command lines it will run, then y or n.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfirmRun {
    pub launch: crate::tui::action::PluginLaunch,
}

impl ConfirmRun {
    pub fn new(launch: crate::tui::action::PluginLaunch) -> ConfirmRun {
        ConfirmRun { launch }
    }

    pub fn question(&self) -> String {
        let first = self
            .launch
            .argvs
            .first()
            .map(|a| crate::config::plugins::Plugin::display(a))
            .unwrap_or_default();
        let more = match self.launch.argvs.len() {
            0 | 1 => String::new(),
            n => format!(" (and {} more, one per marked row)", n - 1),
        };
        let on = self
            .launch
            .context
            .as_ref()
            .map(|c| format!(" on context {c}"))
            .unwrap_or_default();
        format!(
            "run plugin {}{on}: {first}{more}? y yes · n no",
            self.launch.name
        )
    }

    pub fn on_key(&mut self, ev: KeyEvent) -> Outcome {
        match ev.code {
            KeyCode::Char('y' | 'Y') => Outcome::Launch(Box::new(self.launch.clone())),
            KeyCode::Char('n' | 'N') | KeyCode::Esc => {
                Outcome::Declined(format!("cancelled: plugin {} not run", self.launch.name))
            }
            _ => Outcome::Stay,
        }
    }

    pub fn draw(&self, f: &mut Frame, footer: Rect, theme: &Theme) {
        f.render_widget(
            Paragraph::new(Span::styled(
                format!(" {}", crate::text::visible(&self.question())),
                theme.style("prompt"),
            )),
            footer,
        );
    }
}
