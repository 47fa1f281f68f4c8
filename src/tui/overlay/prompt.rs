//! A line of text typed in the footer: a `:` command, a `/` filter or search, the log
//! screen's `&` filter, a container filter, a file to save to, or replicas to scale to. Tab
//! completes commands and contexts; ↑ and ↓ go through the commands typed before.

use super::Outcome;
use crate::cluster::object::ObjectRef;
use crate::config::theme::Theme;
use crate::tui::commands::{complete, complete_from};
use crate::tui::screen::Ask;
use crate::tui::session::Session;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::widgets::Paragraph;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    pub ask: Ask,
    pub text: String,
    /// The object the answer is about (how many replicas for which workload).
    pub target: Option<ObjectRef>,
    /// Where ↑ and ↓ are in the command history: None is the line being typed.
    recalled: Option<usize>,
}

impl Prompt {
    pub fn new(ask: Ask, text: impl Into<String>) -> Prompt {
        Prompt {
            ask,
            text: text.into(),
            target: None,
            recalled: None,
        }
    }

    pub fn about(ask: Ask, target: ObjectRef) -> Prompt {
        Prompt {
            target: Some(target),
            ..Prompt::new(ask, "")
        }
    }

    pub fn on_key(&mut self, ev: KeyEvent, session: &Session) -> Outcome {
        match ev.code {
            KeyCode::Esc => Outcome::Close,
            KeyCode::Enter => {
                Outcome::Entered(self.ask, std::mem::take(&mut self.text), self.target.take())
            }
            KeyCode::Backspace => {
                self.text.pop();
                Outcome::Stay
            }
            KeyCode::Tab if self.ask == Ask::Command => {
                self.text = match self.text.split_once(' ') {
                    Some((cmd @ ("ctx" | "context"), word)) => {
                        format!("{cmd} {}", complete_from(word, &session.contexts))
                    }
                    _ => complete(&self.text, &session.resources, &session.aliases),
                };
                Outcome::Stay
            }
            KeyCode::Up | KeyCode::Down if self.ask == Ask::Command => {
                let history = &session.history;
                let at = match (ev.code, self.recalled) {
                    (KeyCode::Up, None) => history.len().checked_sub(1),
                    (KeyCode::Up, Some(i)) => Some(i.saturating_sub(1)),
                    (_, Some(i)) if i + 1 < history.len() => Some(i + 1),
                    _ => None,
                };
                self.recalled = at;
                self.text = at.and_then(|i| history.get(i).cloned()).unwrap_or_default();
                Outcome::Stay
            }
            KeyCode::Char(c) if !ev.modifiers.contains(KeyModifiers::CONTROL) => {
                self.text.push(c);
                Outcome::Stay
            }
            _ => Outcome::Stay,
        }
    }

    /// The footer line: what is asked, the text, a cursor.
    pub fn line(&self) -> String {
        let t = &self.text;
        match self.ask {
            Ask::Command => format!(":{t}█"),
            Ask::Filter => format!("/{t}█"),
            Ask::LogFilter => format!("&{t}█"),
            Ask::ContainerFilter => format!("containers: {t}█"),
            Ask::SavePath => format!("save to: {t}█"),
            Ask::Scale => {
                format!("scale to how many replicas? {t}█ (Enter scales, Esc cancels)")
            }
        }
    }

    pub fn draw(&self, f: &mut Frame, footer: Rect, theme: &Theme) {
        f.render_widget(
            Paragraph::new(Span::styled(self.line(), theme.style("prompt"))),
            footer,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::keys::KeyMap;

    fn session() -> Session {
        let mut s = Session::new("ctx".into(), None, KeyMap::load(None));
        s.history = vec!["pods".into(), "deploy -A".into()];
        s.contexts = vec!["ctx".into(), "staging".into()];
        s
    }

    fn typed(p: &mut Prompt, s: &Session, keys: &[KeyCode]) -> Outcome {
        let mut last = Outcome::Stay;
        for k in keys {
            last = p.on_key(KeyEvent::from(*k), s);
        }
        last
    }

    #[test]
    fn up_and_down_walk_the_command_history_and_enter_gives_the_text() {
        let s = session();
        let mut p = Prompt::new(Ask::Command, "");
        typed(&mut p, &s, &[KeyCode::Up]);
        assert_eq!(p.text, "deploy -A");
        typed(&mut p, &s, &[KeyCode::Up, KeyCode::Up]);
        assert_eq!(p.text, "pods", "stops at the oldest");
        typed(&mut p, &s, &[KeyCode::Down]);
        assert_eq!(p.text, "deploy -A");
        typed(&mut p, &s, &[KeyCode::Down]);
        assert_eq!(p.text, "", "past the newest: the empty line");
        let out = typed(
            &mut p,
            &s,
            &[KeyCode::Char('n'), KeyCode::Char('s'), KeyCode::Enter],
        );
        assert_eq!(out, Outcome::Entered(Ask::Command, "ns".into(), None));
    }

    #[test]
    fn tab_completes_contexts_after_ctx_and_only_in_commands() {
        let s = session();
        let mut p = Prompt::new(Ask::Command, "ctx st");
        typed(&mut p, &s, &[KeyCode::Tab]);
        assert_eq!(p.text, "ctx staging");
        let mut f = Prompt::new(Ask::Filter, "st");
        typed(&mut f, &s, &[KeyCode::Tab, KeyCode::Backspace]);
        assert_eq!(f.text, "s");
        assert_eq!(typed(&mut f, &s, &[KeyCode::Esc]), Outcome::Close);
    }
}
