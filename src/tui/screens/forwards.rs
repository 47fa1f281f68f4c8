//! `:pf`: the port-forwards running now — local address, target, the pod serving it,
//! connections open and total, bytes each way, state — and ctrl-d to stop the selected one.

use super::super::action::{Effect, ForwardRow};
use super::super::screen::{Cx, Dx, Hint, Screen, Step};
use crate::config::keys::{KeyAction, Section};
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Span;
use ratatui::widgets::{Paragraph, Row as TableRow, Table};
use std::any::Any;

#[derive(Default)]
pub struct ForwardsScreen {
    selected: usize,
    offset: usize,
}

/// `1.5 MiB`, `312 B`: byte counts a person reads at a glance.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

impl ForwardsScreen {
    fn row<'a>(&self, cx: &'a Cx) -> Option<&'a ForwardRow> {
        cx.data.forwards.get(self.selected)
    }
}

impl Screen for ForwardsScreen {
    fn section(&self) -> Section {
        Section::List
    }

    fn crumb(&self) -> String {
        "port-forwards".into()
    }

    fn on_action(&mut self, action: KeyAction, cx: &mut Cx) -> Step {
        let last = cx.data.forwards.len().saturating_sub(1);
        match action {
            KeyAction::Up => self.selected = self.selected.saturating_sub(1),
            KeyAction::Down => self.selected = (self.selected + 1).min(last),
            KeyAction::Top => self.selected = 0,
            KeyAction::Bottom => self.selected = last,
            KeyAction::Delete => {
                let Some(row) = self.row(cx) else {
                    cx.info("no port-forward selected");
                    return Step::nothing();
                };
                let (id, what) = (row.id, format!("{} → {}", row.local, row.target));
                cx.info(format!("stopped port-forward {what}"));
                return Step::effects(vec![Effect::StopForward(id)]);
            }
            _ => return Step::Pass,
        }
        Step::nothing()
    }

    fn refresh(&mut self, cx: &mut Cx) {
        self.selected = self.selected.min(cx.data.forwards.len().saturating_sub(1));
        let page = cx.session.body_rows().saturating_sub(1);
        self.offset = super::super::model::scroll_offset(self.selected, self.offset, page);
    }

    fn status(&self, dx: &Dx) -> Vec<Span<'static>> {
        let n = dx.data.forwards.len();
        vec![Span::raw(format!(
            "  {n} port-forward{}",
            if n == 1 { "" } else { "s" }
        ))]
    }

    fn draw(&self, f: &mut Frame, area: Rect, dx: &Dx) {
        let theme = dx.theme;
        if dx.data.forwards.is_empty() {
            f.render_widget(
                Paragraph::new("No port-forwards. Press f on a pod, service or workload, or type :pf svc/NAME PORT.")
                    .style(theme.style("row.normal")),
                area,
            );
            return;
        }
        let height = area.height.saturating_sub(1) as usize;
        let rows: Vec<TableRow> = dx
            .data
            .forwards
            .iter()
            .enumerate()
            .skip(self.offset)
            .take(height)
            .map(|(i, r)| {
                let state = if i == self.selected {
                    theme.style("row.selected")
                } else if r.serving {
                    theme.style("status.ok")
                } else {
                    theme.style("status.warn")
                };
                TableRow::new(vec![
                    Span::raw(r.local.clone()),
                    Span::raw(r.target.clone()),
                    Span::raw(r.pod.clone()),
                    Span::raw(format!("{}/{}", r.open, r.total)),
                    Span::raw(bytes(r.sent)),
                    Span::raw(bytes(r.received)),
                    Span::styled(r.state.clone(), state),
                ])
                .style(theme.style(if i == self.selected {
                    "row.selected"
                } else {
                    "row.normal"
                }))
            })
            .collect();
        let widths = [
            Constraint::Length(21),
            Constraint::Min(16),
            Constraint::Min(12),
            Constraint::Length(7),
            Constraint::Length(10),
            Constraint::Length(10),
            Constraint::Min(8),
        ];
        let header = TableRow::new([
            "LOCAL", "TARGET", "POD", "CONNS", "SENT", "RECEIVED", "STATE",
        ])
        .style(theme.style("table.header"));
        f.render_widget(
            Table::new(rows, widths).header(header).column_spacing(2),
            area,
        );
    }

    fn hints(&self) -> &'static [Hint] {
        &[(&[KeyAction::Delete], "stop"), (&[KeyAction::Back], "back")]
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_counts_read_at_a_glance() {
        assert_eq!(bytes(312), "312 B");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(bytes(100 * 1024 * 1024), "100.0 MiB");
    }
}
