//! Draws the diff view: the revisions (time, resourceVersion, change, summary) above, the
//! selected revision's diff below, with a line between saying what is compared, which noise
//! is hidden and whether the history was trimmed. Drawing only.

use super::diffview::DiffState;
use super::pane::Pane;
use crate::config::theme::Theme;
use crate::history::Change;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

fn clock(at: i64) -> String {
    jiff::Timestamp::from_second(at)
        .map(|t| t.strftime("%H:%M:%S").to_string())
        .unwrap_or_default()
}

fn line_style(line: &str, theme: &Theme) -> Style {
    match line.as_bytes().first() {
        Some(b'+') => theme.style("diff.added"),
        Some(b'-') => theme.style("diff.removed"),
        Some(b'@') => theme.style("diff.hunk"),
        _ => theme.style("yaml.value"),
    }
}

/// Rows of a body of `height` the revision list takes: a third at most.
pub fn list_height(revisions: usize, height: u16) -> u16 {
    (revisions as u16).clamp(1, (height / 3).max(1))
}

/// Rows left for the diff itself (below the list and the line that says what is compared).
pub fn diff_rows(revisions: usize, height: u16) -> usize {
    height.saturating_sub(list_height(revisions, height) + 1) as usize
}

pub fn draw(f: &mut Frame, diff: &DiffState, pane: &Pane, theme: &Theme, area: Rect) {
    let list_height = list_height(diff.rows.len(), area.height);
    let [list, rule, body] = Layout::vertical([
        Constraint::Length(list_height),
        Constraint::Length(1),
        Constraint::Min(1),
    ])
    .areas(area);

    let selected = diff.selected_index();
    let shown = list_height as usize;
    let first = selected.saturating_sub(shown.saturating_sub(1));
    let rows: Vec<Line> = diff
        .rows
        .iter()
        .enumerate()
        .skip(first)
        .take(shown)
        .map(|(i, r)| {
            let mark = if diff.base == Some(r.serial) {
                "◆"
            } else {
                " "
            };
            let change_slot = match r.change {
                Change::Deleted => "status.error",
                Change::Recreated | Change::FirstSeen => "status.ok",
                Change::Modified => "status.warn",
            };
            let summary_style = if r.noise_only {
                theme.style("yaml.comment")
            } else {
                Style::default()
            };
            let summary = if r.noise_only {
                format!("(noise) {}", r.summary)
            } else {
                r.summary.clone()
            };
            let line = Line::from(vec![
                Span::raw(format!(
                    "{mark} {}  rv {:<8} ",
                    clock(r.at),
                    r.resource_version
                )),
                Span::styled(
                    format!("{:<10} ", r.change.label()),
                    theme.style(change_slot),
                ),
                Span::styled(summary, summary_style),
            ]);
            if i == selected {
                line.style(theme.style("row.selected"))
            } else {
                line
            }
        })
        .collect();
    if rows.is_empty() {
        f.render_widget(
            Paragraph::new("no revisions yet").style(theme.style("status.line")),
            list,
        );
    } else {
        f.render_widget(Paragraph::new(rows), list);
    }

    let mut about = format!("── {} · {}", diff.compared, diff.noise_label());
    if diff.trimmed > 0 {
        about.push_str(&format!(
            " · {} older revision{} trimmed (history_budget_mib)",
            diff.trimmed,
            if diff.trimmed == 1 { "" } else { "s" }
        ));
    }
    f.render_widget(
        Paragraph::new(about).style(theme.style("status.line")),
        rule,
    );

    pane.draw(f, theme, body, |_, l| {
        vec![(l.to_string(), line_style(l, theme))]
    });
}
