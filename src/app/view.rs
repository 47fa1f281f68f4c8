//! Draws the explorer: header, breadcrumbs, the visible slice of the list, the status line or
//! prompt, and the help generated from the key map. Drawing only: no IO, no state changes
//! beyond the page height the next key press pages by.

use super::model::{self, cell_text};
use super::state::{Message, Prompt, State};
use crate::config::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Row as TableRow, Table, Wrap};

pub const MIN_WIDTH: u16 = 40;
pub const MIN_HEIGHT: u16 = 6;

fn status_slot(status: &str) -> &'static str {
    match status {
        "Running" | "Completed" | "Succeeded" | "Active" | "Ready" | "Bound" | "Complete"
        | "True" => "status.ok",
        "Pending" | "ContainerCreating" | "Terminating" | "PodInitializing" | "NotReady"
        | "Unknown" => "status.warn",
        s if s.starts_with("Init:") => "status.warn",
        _ => "status.error",
    }
}

pub fn draw(f: &mut Frame, state: &mut State, theme: &Theme) {
    let area = f.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let notice = format!(
            "terminal too small: {}x{}, kx needs {MIN_WIDTH}x{MIN_HEIGHT}",
            area.width, area.height
        );
        f.render_widget(Paragraph::new(notice).wrap(Wrap { trim: true }), area);
        return;
    }
    let [header, crumbs, body, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(area);
    // Order the rows once per frame; header and list share them.
    let order: Vec<String> = state.visible_rows().iter().map(|r| r.uid.clone()).collect();
    draw_header(f, state, theme, header, order.len());
    f.render_widget(
        Paragraph::new(Span::styled(
            format!(" {}", state.breadcrumbs()),
            theme.style("status.line"),
        )),
        crumbs,
    );
    draw_list(f, state, theme, body, &order);
    draw_footer(f, state, theme, footer);
    if state.help {
        draw_help(f, state, theme, body);
    }
}

fn draw_header(f: &mut Frame, state: &State, theme: &Theme, area: Rect, shown: usize) {
    let scope = state.namespace.clone().unwrap_or_else(|| "all".to_string());
    let mut spans = vec![
        Span::styled(
            format!(" kx {} ", env!("CARGO_PKG_VERSION")),
            theme.style("header"),
        ),
        Span::styled(
            format!("  ctx: {}", state.context),
            theme.style("header.context"),
        ),
        Span::raw(format!("  ns: {scope}")),
    ];
    let store = state.current().and_then(|v| state.store_of(v));
    match (store, &state.discovery_error) {
        (_, Some(e)) => spans.push(Span::styled(
            format!("  API unreachable: {e}"),
            theme.style("status.error"),
        )),
        (Some(s), _)
            if s.error
                .as_deref()
                .is_some_and(|e| e.starts_with("forbidden")) =>
        {
            spans.push(Span::styled(
                format!("  {}", s.error.as_deref().unwrap_or_default()),
                theme.style("status.error"),
            ))
        }
        (Some(s), _) if s.error.is_some() => spans.push(Span::styled(
            format!(
                "  reconnecting… ({})",
                s.error.as_deref().unwrap_or_default()
            ),
            theme.style("status.error"),
        )),
        (Some(s), _) if !s.loaded => {
            spans.push(Span::styled("  loading…", theme.style("status.warn")))
        }
        (Some(_), _) => {
            let total = store.map_or(0, |s| s.rows.len());
            let count = if shown == total {
                format!("  {total} rows")
            } else {
                format!("  {shown}/{total} rows")
            };
            spans.push(Span::raw(count));
        }
        (None, _) => spans.push(Span::styled("  discovering…", theme.style("status.warn"))),
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn draw_list(f: &mut Frame, state: &mut State, theme: &Theme, area: Rect, order: &[String]) {
    let height = area.height.saturating_sub(1) as usize;
    state.page_height = height.max(1);
    let now = state.now;
    let cols = state.display_columns();
    if let Some(v) = state.stack.last_mut() {
        // Rows may have gone since the last key press: keep the selection on a row.
        v.selected = v.selected.min(order.len().saturating_sub(1));
    }
    let Some(view) = state.current().cloned() else {
        return;
    };
    let store = state.store_of(&view);
    let offset = model::scroll_offset(view.selected, view.offset, height);
    // Only the visible slice is looked up and built into table rows.
    let rows: Vec<&crate::cluster::rows::Row> = order
        .iter()
        .skip(offset)
        .take(height)
        .filter_map(|uid| store.and_then(|s| s.rows.get(uid)))
        .collect();
    let status_col = cols.iter().position(|c| c.title == "STATUS");
    let table_rows: Vec<TableRow> = rows
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let i = i + offset;
            let changed = store
                .and_then(|s| s.changed_at.get(&row.uid))
                .is_some_and(|t| now - t < 3);
            let base = if i == view.selected {
                theme.style("row.selected")
            } else if view.marks.contains(&row.uid) {
                theme.style("row.marked")
            } else if row.deleting {
                theme.style("row.deleted")
            } else if changed {
                theme.style("row.changed")
            } else {
                theme.style("row.normal")
            };
            let cells: Vec<Span> = cols
                .iter()
                .enumerate()
                .map(|(ci, c)| {
                    let text = cell_text(row, c, now);
                    if Some(ci) == status_col && i != view.selected {
                        let slot = status_slot(&text);
                        Span::styled(text, theme.style(slot))
                    } else {
                        Span::raw(text)
                    }
                })
                .collect();
            TableRow::new(cells).style(base)
        })
        .collect();
    let widths: Vec<Constraint> = cols
        .iter()
        .map(|c| {
            let longest = rows
                .iter()
                .skip(offset)
                .take(height)
                .map(|r| cell_text(r, c, now).chars().count())
                .max()
                .unwrap_or(0);
            Constraint::Length(longest.max(c.title.len()).min(60) as u16)
        })
        .collect();
    let header =
        TableRow::new(cols.iter().map(|c| c.title.clone())).style(theme.style("table.header"));
    f.render_widget(
        Table::new(table_rows, widths)
            .header(header)
            .column_spacing(2),
        area,
    );
    // Deleted rows still on screen for a moment are listed at the bottom edge, dimmed.
    if let Some(s) = store
        && !s.deleted.is_empty()
        && height > 2
    {
        let names: Vec<&str> = s
            .deleted
            .values()
            .map(|(r, _)| r.name.as_str())
            .take(3)
            .collect();
        let line = Rect {
            y: area.y + area.height - 1,
            height: 1,
            ..area
        };
        f.render_widget(
            Paragraph::new(Span::styled(
                format!(" deleted: {}", names.join(", ")),
                theme.style("row.deleted"),
            )),
            line,
        );
    }
    if let Some(v) = state.stack.last_mut() {
        v.offset = offset;
    }
}

fn draw_footer(f: &mut Frame, state: &State, theme: &Theme, area: Rect) {
    let line = match (&state.prompt, &state.message, state.warnings.first()) {
        (Some(Prompt::Command(t)), _, _) => Span::styled(format!(":{t}█"), theme.style("prompt")),
        (Some(Prompt::Filter(t)), _, _) => Span::styled(format!("/{t}█"), theme.style("prompt")),
        (None, Some(Message::Error(e)), _) => {
            Span::styled(format!(" {e}"), theme.style("status.error"))
        }
        (None, Some(Message::Info(m)), _) => {
            Span::styled(format!(" {m}"), theme.style("status.line"))
        }
        (None, None, Some(w)) => Span::styled(
            format!(" config: {w} (kx config check lists all)"),
            theme.style("status.warn"),
        ),
        (None, None, None) => {
            let key = |a| {
                state
                    .keys
                    .chords(a)
                    .first()
                    .map(|c| crate::config::keys::chord_display(c))
                    .unwrap_or_else(|| "-".into())
            };
            use crate::config::keys::KeyAction as A;
            Span::styled(
                format!(
                    " {} help  {} command  {} filter  {} open  {} back  {} quit",
                    key(A::Help),
                    key(A::Command),
                    key(A::Filter),
                    key(A::Enter),
                    key(A::Back),
                    key(A::Quit)
                ),
                theme.style("status.line"),
            )
        }
    };
    f.render_widget(
        Paragraph::new(Line::from(line)).style(Style::default()),
        area,
    );
}

fn draw_help(f: &mut Frame, state: &State, theme: &Theme, area: Rect) {
    let rows = state.keys.help_rows();
    let width = area.width.min(72);
    let height = area.height.min(rows.len() as u16 + 2);
    let rect = Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y,
        width,
        height,
    };
    let lines: Vec<TableRow> = rows
        .into_iter()
        .map(|(keys, _, help)| TableRow::new(vec![keys, help.to_string()]))
        .collect();
    f.render_widget(Clear, rect);
    let table = Table::new(lines, [Constraint::Length(16), Constraint::Min(10)])
        .block(
            Block::default()
                .borders(Borders::ALL)
                .title(" keys (from your key map; any key closes) "),
        )
        .style(theme.style("row.normal"));
    f.render_widget(table, rect);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::state::{Action, State, WatchKey};
    use crate::cluster::discovery::ResourceInfo;
    use crate::cluster::rows::{Column, Row};
    use crate::cluster::watch::WatchMsg;
    use crate::config::keys::KeyMap;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    use ratatui::style::Color;

    fn theme() -> Theme {
        Theme::load("default-dark", None, false)
    }

    fn pods_state() -> (State, WatchKey) {
        let mut s = State::new("kx-sim".into(), None, KeyMap::load(None));
        s.now = 3600;
        s.update(Action::Discovered(vec![ResourceInfo::example(
            "",
            "pods",
            "Pod",
            &["po"],
        )]));
        let key = s.current().unwrap().key.clone();
        (s, key)
    }

    fn render(s: &mut State, w: u16, h: u16) -> Terminal<TestBackend> {
        let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
        term.draw(|f| draw(f, s, &theme())).unwrap();
        term
    }

    #[test]
    fn a_list_in_flight_says_loading_never_an_empty_table() {
        let (mut s, key) = pods_state();
        s.update(Action::Watch(key, WatchMsg::Init));
        let text = format!("{}", render(&mut s, 80, 8).backend());
        assert!(text.contains("loading…"), "{text}");
    }

    #[test]
    fn pods_across_namespaces_with_ticking_ages_and_status_colours() {
        let (mut s, key) = pods_state();
        let col = |n: &str, p| Column {
            name: n.into(),
            type_: "string".into(),
            format: String::new(),
            priority: p,
        };
        s.update(Action::Watch(
            key.clone(),
            WatchMsg::Columns(vec![
                col("Name", 0),
                col("Ready", 0),
                col("Status", 0),
                col("Restarts", 0),
                col("Age", 0),
                col("IP", 1),
            ]),
        ));
        s.update(Action::Watch(key.clone(), WatchMsg::Init));
        for (ns, name, ready, status, created) in [
            ("shop", "web-1", "1/1", "Running", 0),
            ("shop", "flaky-1", "0/1", "CrashLoopBackOff", 1800),
            ("kube-system", "dns-1", "1/1", "Running", 3000),
        ] {
            let row = Row {
                uid: name.into(),
                namespace: ns.into(),
                name: name.into(),
                resource_version: "1".into(),
                created: Some(created),
                deleting: false,
                cells: vec![
                    name.into(),
                    ready.into(),
                    status.into(),
                    "0".into(),
                    "stale".into(),
                    "10.0.0.1".into(),
                ],
                search: Default::default(),
            }
            .refresh_search();
            s.update(Action::Watch(key.clone(), WatchMsg::InitRow(row)));
        }
        s.update(Action::Watch(key.clone(), WatchMsg::InitDone));
        let term = render(&mut s, 90, 9);
        insta::assert_snapshot!(format!("{}", term.backend()));
        let buf = term.backend().buffer();
        let crash_row = (0..9)
            .find(|y| {
                (0..90).any(|x| buf[(x, *y)].symbol() == "C" && buf[(x + 1, *y)].symbol() == "r")
            })
            .unwrap();
        let x = (0..90)
            .find(|x| buf[(*x, crash_row)].symbol() == "C")
            .unwrap();
        assert_eq!(
            buf[(x, crash_row)].fg,
            theme().style("status.error").fg.unwrap()
        );
        assert_eq!(theme().style("status.error").fg, Some(Color::LightRed));
    }

    #[test]
    fn help_lists_the_active_key_map() {
        let (mut s, _) = pods_state();
        s.keys = KeyMap::load(Some(("help: [f1]\nquit: [ctrl-q]\n", "keys.yaml")));
        s.help = true;
        let text = format!("{}", render(&mut s, 80, 30).backend());
        assert!(
            text.contains("ctrl-q") && text.contains("quit kx"),
            "{text}"
        );
        assert!(text.contains("f1"), "{text}");
    }

    #[test]
    fn a_tiny_terminal_gets_a_notice_instead_of_a_broken_table() {
        let (mut s, _) = pods_state();
        let text = format!("{}", render(&mut s, 30, 4).backend());
        assert!(text.contains("too small"), "{text}");
    }
}
