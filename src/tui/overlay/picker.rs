//! A list to choose one item from, over the screen (the contexts of `:ctx`): ↑/↓ (or the
//! keys bound to up and down) move, Enter runs the picker's command with the item, Esc closes.

use super::Outcome;
use crate::config::keys::{Key, KeyAction, Lookup, Section};
use crate::config::theme::Theme;
use crate::tui::session::Session;
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picker {
    pub title: String,
    pub items: Vec<String>,
    pub selected: usize,
    /// The command run with the chosen item appended.
    pub command: String,
}

impl Picker {
    pub fn on_key(&mut self, ev: KeyEvent, session: &Session) -> Outcome {
        let last = self.items.len().saturating_sub(1);
        match ev.code {
            KeyCode::Enter => {
                return match self.items.get(self.selected) {
                    Some(item) => Outcome::Run(format!("{} {item}", self.command)),
                    None => Outcome::Close,
                };
            }
            KeyCode::Esc => return Outcome::Close,
            _ => {}
        }
        match session.keys.lookup(Section::Global, &[Key::from_event(ev)]) {
            Lookup::Action(KeyAction::Up) => self.selected = self.selected.saturating_sub(1),
            Lookup::Action(KeyAction::Down) => self.selected = (self.selected + 1).min(last),
            Lookup::Action(KeyAction::Top) => self.selected = 0,
            Lookup::Action(KeyAction::Bottom) => self.selected = last,
            Lookup::Action(KeyAction::Back | KeyAction::Quit) => return Outcome::Close,
            _ => {}
        }
        Outcome::Stay
    }

    pub fn draw(&self, f: &mut Frame, area: Rect, theme: &Theme) {
        let longest = self
            .items
            .iter()
            .map(|i| i.chars().count())
            .max()
            .unwrap_or(0);
        let width = (longest.max(self.title.chars().count()) as u16 + 4).min(area.width);
        let height = (self.items.len() as u16 + 2).min(area.height);
        let rect = Rect {
            x: area.x + (area.width - width) / 2,
            y: area.y,
            width,
            height,
        };
        let visible = height.saturating_sub(2) as usize;
        let offset = self.selected.saturating_sub(visible.saturating_sub(1));
        let lines: Vec<Line> = self
            .items
            .iter()
            .enumerate()
            .skip(offset)
            .take(visible)
            .map(|(i, item)| {
                let slot = if i == self.selected {
                    "row.selected"
                } else {
                    "row.normal"
                };
                Line::from(Span::styled(format!(" {item} "), theme.style(slot)))
            })
            .collect();
        f.render_widget(Clear, rect);
        f.render_widget(
            Paragraph::new(lines).block(
                Block::default()
                    .borders(Borders::ALL)
                    .title(format!(" {} ", self.title)),
            ),
            rect,
        );
    }
}
