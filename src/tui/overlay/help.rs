//! The keys of the screen in front, from the user's key map: that screen's own section first,
//! then the global keys it does not override. Scrolls with the movement keys (it has to fit
//! 80×24); any other key closes it.

use super::Outcome;
use crate::config::keys::{Key, KeyAction, Lookup, Section};
use crate::config::theme::Theme;
use crate::tui::session::Session;
use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::widgets::{Block, Borders, Clear, Row, Table};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Help {
    pub section: Section,
    /// What the screen is called in the title: `pods`, `web-1:yaml`.
    pub screen: String,
    /// The first row shown.
    pub scroll: usize,
    /// The plugins of the screen in front: `(keys, what)`, after kx's own keys.
    pub plugins: Vec<(String, String)>,
}

/// Rows of the help box that are not key rows: its top and bottom border.
const BORDER_ROWS: usize = 2;

impl Help {
    pub fn new(section: Section, screen: String) -> Help {
        Help {
            section,
            screen,
            scroll: 0,
            plugins: Vec::new(),
        }
    }

    fn rows(&self, session: &Session) -> Vec<(String, String)> {
        let mut rows: Vec<(String, String)> = session
            .keys
            .help_rows(self.section)
            .into_iter()
            .map(|(keys, _, help)| (keys, help.to_string()))
            .collect();
        rows.extend(self.plugins.iter().cloned());
        rows
    }

    /// How many key rows fit on the screen's body.
    fn visible(session: &Session) -> usize {
        session.body_rows().saturating_sub(BORDER_ROWS).max(1)
    }

    pub fn on_key(&mut self, ev: KeyEvent, session: &Session) -> Outcome {
        let rows = self.rows(session).len();
        let page = Help::visible(session);
        let last = rows.saturating_sub(page);
        let step = |at: usize, by: isize| (at as isize + by).clamp(0, last as isize) as usize;
        self.scroll = match session.keys.lookup(Section::Global, &[Key::from_event(ev)]) {
            Lookup::Action(KeyAction::Down) => step(self.scroll, 1),
            Lookup::Action(KeyAction::Up) => step(self.scroll, -1),
            Lookup::Action(KeyAction::PageDown) => step(self.scroll, page as isize),
            Lookup::Action(KeyAction::PageUp) => step(self.scroll, -(page as isize)),
            Lookup::Action(KeyAction::Top) => 0,
            Lookup::Action(KeyAction::Bottom) => last,
            // The first key of a chord (g of `g g`) keeps the help open.
            Lookup::Pending => self.scroll,
            _ => return Outcome::Close,
        };
        Outcome::Stay
    }

    pub fn draw(&self, f: &mut Frame, area: Rect, session: &Session, theme: &Theme) {
        let rows = self.rows(session);
        let total = rows.len();
        let width = area.width.min(80);
        let height = area.height.min(total as u16 + BORDER_ROWS as u16);
        let rect = Rect {
            x: area.x + (area.width - width) / 2,
            y: area.y,
            width,
            height,
        };
        let shown = (height as usize).saturating_sub(BORDER_ROWS);
        let lines: Vec<Row> = rows
            .into_iter()
            .skip(self.scroll)
            .take(shown)
            .map(|(keys, help)| Row::new(vec![keys, help]))
            .collect();
        let more = if total > shown {
            format!(
                " {}–{} of {}, ↑↓ scroll",
                self.scroll + 1,
                (self.scroll + shown).min(total),
                total
            )
        } else {
            String::new()
        };
        f.render_widget(Clear, rect);
        let table = Table::new(lines, [Constraint::Length(18), Constraint::Min(10)])
            .block(Block::default().borders(Borders::ALL).title(format!(
                " keys: {} ({}){more}; other keys close ",
                self.screen,
                self.section.name()
            )))
            .style(theme.style("row.normal"));
        f.render_widget(table, rect);
    }
}
