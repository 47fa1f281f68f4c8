//! What opens over the screens, one at a time: a prompt or a question in the footer, a
//! picker or the help over the body. The overlay gets every key while it is open; what it
//! decides comes back as an `Outcome` for the app to carry out.

pub mod confirm;
pub mod help;
pub mod picker;
pub mod prompt;

use super::screen::Ask;
use super::session::Session;
use crate::cluster::object::ObjectRef;
use crate::config::theme::Theme;
use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;

pub use confirm::{Confirm, ConfirmRun};
pub use help::Help;
pub use picker::Picker;
pub use prompt::Prompt;

pub enum Overlay {
    Prompt(Prompt),
    Picker(Picker),
    Confirm(Confirm),
    ConfirmRun(ConfirmRun),
    Help(Help),
}

/// What a key did to an overlay.
#[derive(Debug, PartialEq)]
pub enum Outcome {
    /// Still open.
    Stay,
    /// Closed; nothing to do.
    Close,
    /// A prompt's text was entered, with the object it was about (scale's).
    Entered(Ask, String, Option<ObjectRef>),
    /// A picker's choice: this command is run.
    Run(String),
    /// A write action was confirmed.
    Confirmed(crate::tui::writes::WriteOp),
    /// A plugin's run was confirmed.
    Launch(Box<crate::tui::action::PluginLaunch>),
    /// A write action was declined: this is said.
    Declined(String),
}

impl Overlay {
    pub fn on_key(&mut self, ev: KeyEvent, session: &Session) -> Outcome {
        match self {
            Overlay::Prompt(p) => p.on_key(ev, session),
            Overlay::Picker(p) => p.on_key(ev, session),
            Overlay::Confirm(c) => c.on_key(ev),
            Overlay::ConfirmRun(c) => c.on_key(ev),
            Overlay::Help(h) => h.on_key(ev, session),
        }
    }

    /// Draws over the `body` or into the `footer`, whichever the overlay takes.
    pub fn draw(&self, f: &mut Frame, body: Rect, footer: Rect, session: &Session, theme: &Theme) {
        match self {
            Overlay::Prompt(p) => p.draw(f, footer, theme),
            Overlay::Picker(p) => p.draw(f, body, theme),
            Overlay::Confirm(c) => c.draw(f, footer, theme),
            Overlay::ConfirmRun(c) => c.draw(f, footer, theme),
            Overlay::Help(h) => h.draw(f, body, session, theme),
        }
    }

    /// Whether it takes the footer (so the footer's message and hints are not drawn).
    pub fn in_footer(&self) -> bool {
        matches!(
            self,
            Overlay::Prompt(_) | Overlay::Confirm(_) | Overlay::ConfirmRun(_)
        )
    }
}
