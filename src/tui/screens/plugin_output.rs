//! A background plugin's output: its command lines, what it wrote (stdout and stderr as they
//! came), and how it ended; scrolls, and follows the end while the cursor is there. Closing
//! the screen stops a plugin still running.

use super::super::screen::{Cx, Dx, Hint, Screen};
use super::super::session::PluginRun;
use crate::config::keys::{KeyAction, Section};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use std::any::Any;

/// Lines above the output: the command line(s) and the state.
const ABOVE: u16 = 2;

pub struct PluginOutputScreen {
    pub id: u64,
    name: String,
    /// The first output line shown.
    offset: usize,
    /// Whether the view keeps to the newest line.
    follow: bool,
    /// Lines dropped from the top when `offset` was last set: a view scrolled up stays on
    /// its lines as older ones go.
    dropped: u64,
}

impl PluginOutputScreen {
    pub fn new(id: u64, name: &str) -> PluginOutputScreen {
        PluginOutputScreen {
            id,
            name: name.to_string(),
            offset: 0,
            follow: true,
            dropped: 0,
        }
    }

    fn run<'a>(&self, data: &'a super::super::session::Data) -> Option<&'a PluginRun> {
        data.plugin_runs.get(&self.id)
    }

    fn page(rows: usize) -> usize {
        rows.saturating_sub(ABOVE as usize).max(1)
    }
}

impl Screen for PluginOutputScreen {
    fn section(&self) -> Section {
        Section::Detail
    }

    fn crumb(&self) -> String {
        format!("plugin {}", self.name)
    }

    fn on_action(&mut self, action: KeyAction, cx: &mut Cx) -> super::super::screen::Step {
        let len = self.run(cx.data).map_or(0, |r| r.lines.len());
        let page = Self::page(cx.session.body_rows());
        let last = len.saturating_sub(page);
        let to = match action {
            KeyAction::Down => self.offset + 1,
            KeyAction::Up => self.offset.saturating_sub(1),
            KeyAction::PageDown => self.offset + page,
            KeyAction::PageUp => self.offset.saturating_sub(page),
            KeyAction::Top => 0,
            KeyAction::Bottom => last,
            _ => return super::super::screen::Step::Pass,
        };
        self.offset = to.min(last);
        self.follow = self.offset >= last;
        super::super::screen::Step::nothing()
    }

    fn refresh(&mut self, cx: &mut Cx) {
        let (len, dropped) = self
            .run(cx.data)
            .map_or((0, 0), |r| (r.lines.len(), r.dropped));
        let gone = usize::try_from(dropped.saturating_sub(self.dropped)).unwrap_or(usize::MAX);
        self.offset = self.offset.saturating_sub(gone);
        self.dropped = dropped;
        let last = len.saturating_sub(Self::page(cx.session.body_rows()));
        self.offset = if self.follow {
            last
        } else {
            self.offset.min(last)
        };
    }

    fn status(&self, dx: &Dx) -> Vec<Span<'static>> {
        match self.run(dx.data).and_then(|r| r.ended.as_ref()) {
            None => vec![Span::styled("  running", dx.theme.style("status.warn"))],
            Some((said, ok)) => vec![Span::styled(
                format!("  {said}"),
                dx.theme
                    .style(if *ok { "status.ok" } else { "status.error" }),
            )],
        }
    }

    fn draw(&self, f: &mut Frame, area: Rect, dx: &Dx) {
        let Some(run) = self.run(dx.data) else {
            return;
        };
        let theme = dx.theme;
        let command = match run.commands.as_slice() {
            [one] => format!("$ {one}"),
            many => format!(
                "$ {} (and {} more)",
                many.first().cloned().unwrap_or_default(),
                many.len().saturating_sub(1)
            ),
        };
        let state = match &run.ended {
            None => Span::styled("running…", theme.style("status.warn")),
            Some((said, ok)) => Span::styled(
                said.clone(),
                theme.style(if *ok { "status.ok" } else { "status.error" }),
            ),
        };
        let mut state_line = vec![state];
        if run.dropped > 0 {
            state_line.push(Span::raw(format!(
                "  ({} earlier lines dropped to keep {} lines)",
                run.dropped,
                run.lines.len()
            )));
        }
        let head = vec![
            Line::styled(
                crate::text::visible(&command).into_owned(),
                theme.style("table.header"),
            ),
            Line::from(state_line),
        ];
        f.render_widget(
            Paragraph::new(head),
            Rect {
                height: ABOVE.min(area.height),
                ..area
            },
        );
        let body = Rect {
            y: area.y + ABOVE.min(area.height),
            height: area.height.saturating_sub(ABOVE),
            ..area
        };
        // Only the visible slice is turned into lines.
        let lines: Vec<Line> = run
            .lines
            .iter()
            .skip(self.offset)
            .take(body.height as usize)
            .map(|l| Line::raw(crate::text::visible(l).into_owned()))
            .collect();
        if lines.is_empty() && run.ended.is_some() {
            f.render_widget(Paragraph::new("(no output)"), body);
        } else {
            f.render_widget(Paragraph::new(lines).style(theme.style("row.normal")), body);
        }
    }

    fn hints(&self) -> &'static [Hint] {
        &[
            (&[KeyAction::Down], "scroll"),
            (&[KeyAction::Bottom], "follow"),
            (&[KeyAction::Back], "back (stops it)"),
        ]
    }

    fn runs(&self) -> Option<u64> {
        Some(self.id)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
