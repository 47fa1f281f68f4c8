//! Draws the explorer: header, breadcrumbs, the visible slice of the list, the status line or
//! prompt, and the help generated from the key map. Drawing only: no IO, no state changes
//! beyond the page height the next key press pages by.

use super::model::{self, cell_text};
use super::state::{Message, Prompt, State};
use crate::cluster::rows::Row;
use crate::cluster::store::RowStore;
use crate::config::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Row as TableRow, Table, Wrap};

pub const MIN_WIDTH: u16 = 40;
pub const MIN_HEIGHT: u16 = 6;

pub(crate) fn status_slot(status: &str) -> &'static str {
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
    if let Some(logs) = &state.logs {
        draw_logs_header(f, state, logs, theme, header);
        draw_crumbs(f, state, theme, crumbs);
        state.page_height = body.height.max(1) as usize;
        super::logview_draw::draw_logs(f, logs, theme, body);
        draw_footer(f, state, theme, footer);
        draw_overlays(f, state, theme, body);
        return;
    }
    if state.detail.is_some() {
        draw_detail_header(f, state, theme, header);
        draw_crumbs(f, state, theme, crumbs);
        state.page_height = body.height.max(1) as usize;
        if let Some(d) = state.detail.as_mut() {
            super::detail_view::draw_detail(f, d, theme, body);
        }
        draw_footer(f, state, theme, footer);
        draw_overlays(f, state, theme, body);
        return;
    }
    // Order the rows once per frame, and copy out only the visible slice: at 100k rows,
    // copying anything per row per frame costs more than the ordering itself.
    let height = body.height.saturating_sub(1) as usize;
    let (shown, slice, selected, offset) = {
        let rows = state.visible_rows();
        let view = state.current();
        // Rows may have gone since the last key press: keep the selection on a row.
        let selected = view.map_or(0, |v| v.selected.min(rows.len().saturating_sub(1)));
        let offset = model::scroll_offset(selected, view.map_or(0, |v| v.offset), height);
        let slice: Vec<Row> = rows
            .iter()
            .skip(offset)
            .take(height)
            .map(|r| (*r).clone())
            .collect();
        (rows.len(), slice, selected, offset)
    };
    if let Some(v) = state.stack.last_mut() {
        v.selected = selected;
        v.offset = offset;
    }
    state.page_height = height.max(1);
    draw_header(f, state, theme, header, shown);
    draw_crumbs(f, state, theme, crumbs);
    draw_list(f, state, theme, body, &slice, offset);
    draw_footer(f, state, theme, footer);
    draw_overlays(f, state, theme, body);
}

fn draw_overlays(f: &mut Frame, state: &State, theme: &Theme, area: Rect) {
    if let Some(p) = &state.picker {
        draw_picker(f, p, theme, area);
    }
    if state.help {
        draw_help(f, state, theme, area);
    }
}

fn draw_picker(f: &mut Frame, picker: &super::state::Picker, theme: &Theme, area: Rect) {
    let longest = picker
        .items
        .iter()
        .map(|i| i.chars().count())
        .max()
        .unwrap_or(0);
    let width = (longest.max(picker.title.chars().count()) as u16 + 4).min(area.width);
    let height = (picker.items.len() as u16 + 2).min(area.height);
    let rect = Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y,
        width,
        height,
    };
    let visible = height.saturating_sub(2) as usize;
    let offset = picker.selected.saturating_sub(visible.saturating_sub(1));
    let lines: Vec<Line> = picker
        .items
        .iter()
        .enumerate()
        .skip(offset)
        .take(visible)
        .map(|(i, item)| {
            let style = if i == picker.selected {
                theme.style("row.selected")
            } else {
                theme.style("row.normal")
            };
            Line::from(Span::styled(format!(" {item} "), style))
        })
        .collect();
    f.render_widget(Clear, rect);
    f.render_widget(
        Paragraph::new(lines).block(
            Block::default()
                .borders(Borders::ALL)
                .title(format!(" {} ", picker.title)),
        ),
        rect,
    );
}

fn draw_crumbs(f: &mut Frame, state: &State, theme: &Theme, area: Rect) {
    f.render_widget(
        Paragraph::new(Span::styled(
            format!(" {}", state.breadcrumbs()),
            theme.style("status.line"),
        )),
        area,
    );
}

fn header_start<'a>(state: &State, theme: &Theme) -> Vec<Span<'a>> {
    // The namespace of the list on screen (`:pods shop` shows shop whatever the default is).
    let namespace = match state.current() {
        Some(v) if v.resource.namespaced => v.key.namespace.clone(),
        _ => state.namespace.clone(),
    };
    let scope = namespace.unwrap_or_else(|| "all".to_string());
    vec![
        Span::styled(
            format!(" kx {} ", env!("CARGO_PKG_VERSION")),
            theme.style("header"),
        ),
        Span::styled(
            format!("  ctx: {}", state.context.name),
            theme.style("header.context"),
        ),
        Span::raw(format!("  ns: {scope}")),
    ]
}

/// Cluster and user last: on a narrow terminal they are what gets cut, not the status.
fn header_end<'a>(state: &State) -> Vec<Span<'a>> {
    let mut spans = Vec::new();
    let c = &state.context;
    if !c.cluster.is_empty() && c.cluster != c.name {
        spans.push(Span::raw(format!("  cluster: {}", c.cluster)));
    }
    if !c.user.is_empty() {
        spans.push(Span::raw(format!("  user: {}", c.user)));
    }
    spans
}

fn draw_logs_header(
    f: &mut Frame,
    state: &State,
    logs: &super::logview::LogView,
    theme: &Theme,
    area: Rect,
) {
    let mut spans = header_start(state, theme);
    let (mode, slot) = if logs.follow {
        ("  following".to_string(), "status.ok")
    } else if logs.unseen > 0 {
        (format!("  paused ({} new)", logs.unseen), "status.warn")
    } else {
        ("  paused".to_string(), "status.warn")
    };
    spans.push(Span::styled(mode, theme.style(slot)));
    spans.push(Span::raw(format!(
        "  {} containers  {} lines",
        logs.members,
        logs.visible_len()
    )));
    if logs.evicted > 0 {
        spans.push(Span::styled(
            format!(
                "  {} oldest lines dropped (scrollback {})",
                logs.evicted, logs.capacity
            ),
            theme.style("status.warn"),
        ));
    }
    if let Some(flt) = &logs.filter {
        spans.push(Span::raw(format!("  &{}", flt.text)));
    }
    if let Some(c) = &logs.container_filter {
        spans.push(Span::raw(format!("  containers: {}", c.as_str())));
    }
    let now = jiff::Timestamp::from_second(state.now).unwrap_or_else(|_| jiff::Timestamp::now());
    // Failing reads outrank the latest note: lines may be missing, and the header says so.
    match logs.trouble_summary(now) {
        Some(trouble) => spans.push(Span::styled(
            format!("  {trouble}"),
            theme.style("status.error"),
        )),
        None => {
            if let Some(n) = logs.notices.back() {
                spans.push(Span::styled(format!("  {n}"), theme.style("status.error")));
            }
        }
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn draw_detail_header(f: &mut Frame, state: &State, theme: &Theme, area: Rect) {
    use super::detail::Presence;
    let mut spans = header_start(state, theme);
    if let Some(d) = &state.detail {
        let (text, slot) = match (&d.error, &d.presence) {
            (Some(t), _) => {
                let now = jiff::Timestamp::from_second(state.now)
                    .unwrap_or_else(|_| jiff::Timestamp::now());
                (format!("  {}", t.line(now)), "status.error")
            }
            (None, Presence::Loading) => ("  loading…".to_string(), "status.warn"),
            (None, Presence::Missing) => ("  not found; waiting for it".to_string(), "status.warn"),
            (None, Presence::Deleted) => {
                ("  deleted (last known copy)".to_string(), "status.error")
            }
            (None, Presence::Live) => ("  live".to_string(), "status.ok"),
        };
        spans.push(Span::styled(text, theme.style(slot)));
        if d.kind != super::detail::DetailKind::Containers && !d.lines.is_empty() {
            spans.push(Span::raw(format!(
                "  line {}/{}",
                (d.scroll + 1).min(d.lines.len()),
                d.lines.len()
            )));
        }
        if let Some(re) = &d.search {
            spans.push(Span::raw(format!("  /{}", re.as_str())));
        }
    }
    spans.extend(header_end(state));
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn draw_header(f: &mut Frame, state: &State, theme: &Theme, area: Rect, shown: usize) {
    let mut spans = header_start(state, theme);
    let store = state.current().and_then(|v| state.store_of(v));
    let now = jiff::Timestamp::from_second(state.now).unwrap_or_else(|_| jiff::Timestamp::now());
    match (store, &state.discovery_error) {
        // Without a list, discovery's trouble is all there is to say.
        (None, Some(trouble)) => spans.push(Span::styled(
            format!("  {}", trouble.line(now)),
            theme.style("status.error"),
        )),
        // RBAC is not fixed by waiting: say what is denied, not that kx is reconnecting.
        (Some(s), _) if s.error.as_ref().is_some_and(|t| t.error.is_forbidden()) => {
            spans.push(Span::styled(
                format!(
                    "  {}",
                    s.error
                        .as_ref()
                        .map(|t| t.error.to_string())
                        .unwrap_or_default()
                ),
                theme.style("status.error"),
            ))
        }
        (Some(s), _) if s.error.is_some() => spans.push(Span::styled(
            format!(
                "  {}",
                s.error.as_ref().map(|t| t.line(now)).unwrap_or_default()
            ),
            theme.style("status.error"),
        )),
        // The list's own watch is fine, but discovery is not (a CRD may be missing).
        (Some(s), Some(trouble)) if s.loaded => spans.push(Span::styled(
            format!("  {} rows · {}", s.len(), trouble.line(now)),
            theme.style("status.error"),
        )),
        (Some(s), _) if !s.loaded => {
            spans.push(Span::styled("  loading…", theme.style("status.warn")))
        }
        (Some(_), _) => {
            let total = store.map_or(0, |s| s.len());
            let count = if shown == total {
                format!("  {total} rows")
            } else {
                format!("  {shown}/{total} rows")
            };
            spans.push(Span::raw(count));
            // Which history this list feeds: whole objects from the start (small lists), or
            // rows only, so an object's first change is its first revision (large lists).
            let mode = match store.and_then(|s| s.whole_objects) {
                Some(true) => " · diffs from open",
                Some(false) => " · diffs from 2nd change (large list)",
                None => "",
            };
            spans.push(Span::styled(mode, theme.style("status.line")));
        }
        (None, _) => spans.push(Span::styled("  discovering…", theme.style("status.warn"))),
    }
    spans.extend(header_end(state));
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

const CHANGED: &str = "CHANGED";

/// "12s ago" for a row kx saw change live (D shows what changed), else blank.
fn changed_text(store: Option<&RowStore>, row: &Row, now: i64) -> String {
    store
        .and_then(|s| s.changed_at.get(&row.uid))
        .map(|t| format!("{} ago", crate::age::human_duration(now - t)))
        .unwrap_or_default()
}

fn draw_list(f: &mut Frame, state: &State, theme: &Theme, area: Rect, rows: &[Row], offset: usize) {
    let height = area.height.saturating_sub(1) as usize;
    let now = state.now;
    let cols = state.display_columns();
    let Some(view) = state.current() else {
        return;
    };
    let store = state.store_of(view);
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
            let mut cells: Vec<Span> = cols
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
            cells.push(Span::raw(changed_text(store, row, now)));
            TableRow::new(cells).style(base)
        })
        .collect();
    let widths: Vec<Constraint> = cols
        .iter()
        .map(|c| {
            let longest = rows
                .iter()
                .map(|r| cell_text(r, c, now).chars().count())
                .max()
                .unwrap_or(0);
            Constraint::Length(longest.max(c.title.len()).min(60) as u16)
        })
        .collect();
    let mut widths = widths;
    // CHANGED: when kx saw each row change live; D on the row shows what changed.
    let marks = !cols.is_empty();
    widths.extend(marks.then(|| {
        Constraint::Length(
            rows.iter()
                .map(|r| changed_text(store, r, now).len())
                .max()
                .unwrap_or(0)
                .max(CHANGED.len()) as u16,
        )
    }));
    let header = TableRow::new(
        cols.iter()
            .map(|c| c.title.clone())
            .chain(marks.then(|| CHANGED.to_string())),
    )
    .style(theme.style("table.header"));
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
}

/// The first key bound to an action, as the footer shows it.
fn key_hint(state: &State, action: crate::config::keys::KeyAction) -> String {
    state
        .keys
        .chords(action)
        .first()
        .map(|c| crate::config::keys::chord_display(c))
        .unwrap_or_else(|| "-".into())
}

fn draw_footer(f: &mut Frame, state: &State, theme: &Theme, area: Rect) {
    if let Some(confirm) = &state.confirm {
        let question = Span::styled(format!(" {}", confirm.question()), theme.style("prompt"));
        f.render_widget(Paragraph::new(Line::from(question)), area);
        return;
    }
    let line = match (&state.prompt, &state.message, state.warnings.first()) {
        (Some(Prompt::Command(t)), _, _) => Span::styled(format!(":{t}█"), theme.style("prompt")),
        (Some(Prompt::Filter(t)), _, _) => Span::styled(format!("/{t}█"), theme.style("prompt")),
        (Some(Prompt::LogFilter(t)), _, _) => Span::styled(format!("&{t}█"), theme.style("prompt")),
        (Some(Prompt::ContainerFilter(t)), _, _) => {
            Span::styled(format!("containers: {t}█"), theme.style("prompt"))
        }
        (Some(Prompt::Scale(t)), _, _) => Span::styled(
            format!("scale to how many replicas? {t}█ (Enter scales, Esc cancels)"),
            theme.style("prompt"),
        ),
        (Some(Prompt::SavePath(t)), _, _) => {
            Span::styled(format!("save to: {t}█"), theme.style("prompt"))
        }
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
        (None, None, None) if state.logs.is_some() => {
            let key = |a| key_hint(state, a);
            use crate::config::keys::KeyAction as A;
            Span::styled(
                format!(
                    " {} follow/pause  {} wrap  {} timestamps  {} json  {} search  {} filter  {} containers  {} save  {} back",
                    key(A::ToggleFollow),
                    key(A::ToggleWrap),
                    key(A::ToggleTimestamps),
                    key(A::ToggleFormat),
                    key(A::Filter),
                    key(A::LogFilter),
                    key(A::ContainerFilter),
                    key(A::Save),
                    key(A::Back)
                ),
                theme.style("status.line"),
            )
        }
        (None, None, None)
            if state
                .detail
                .as_ref()
                .is_some_and(|d| d.kind == super::detail::DetailKind::Diff) =>
        {
            let key = |a| key_hint(state, a);
            use crate::config::keys::KeyAction as A;
            Span::styled(
                format!(
                    " {}/{} revision  {} base  hide: {} rv {} managed {} gen {} times {} status  {} scroll  {} yaml  {} back",
                    key(A::Up),
                    key(A::Down),
                    key(A::ToggleMarks),
                    key(A::ToggleResourceVersion),
                    key(A::ToggleManagedFields),
                    key(A::ToggleGeneration),
                    key(A::ToggleTimestamps),
                    key(A::ToggleStatus),
                    key(A::PageDown),
                    key(A::Yaml),
                    key(A::Back)
                ),
                theme.style("status.line"),
            )
        }
        (None, None, None) if state.detail.is_some() => {
            let key = |a| key_hint(state, a);
            use crate::config::keys::KeyAction as A;
            Span::styled(
                format!(
                    " {} yaml  {} describe  {} events  {} diff  {} managedFields  {} reveal secret  {} search  {}/{} next/prev  {} back",
                    key(A::Yaml),
                    key(A::Describe),
                    key(A::Events),
                    key(A::Diff),
                    key(A::ToggleManagedFields),
                    key(A::Reveal),
                    key(A::Filter),
                    key(A::SearchNext),
                    key(A::SearchPrevious),
                    key(A::Back)
                ),
                theme.style("status.line"),
            )
        }
        (None, None, None) => {
            let key = |a| key_hint(state, a);
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
    use std::sync::Arc;

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
        // A live change 12 s ago: its row says so in the CHANGED column.
        s.now = 3588;
        let changed = s.stores[&key].get("dns-1").unwrap().clone();
        s.update(Action::Watch(key.clone(), WatchMsg::Apply(changed)));
        s.now = 3600;
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

    fn detail_state(kind: char, object: serde_json::Value) -> State {
        use crate::cluster::object::ObjectMsg;
        let (mut s, key) = pods_state();
        s.update(Action::Watch(key.clone(), WatchMsg::Init));
        let row = Row {
            uid: "u1".into(),
            namespace: "shop".into(),
            name: "web-1".into(),
            resource_version: "1".into(),
            created: Some(0),
            deleting: false,
            cells: vec!["web-1".into()],
            search: Default::default(),
        }
        .refresh_search();
        s.update(Action::Watch(key.clone(), WatchMsg::InitRow(row)));
        s.update(Action::Watch(key, WatchMsg::InitDone));
        let effects = s.update(Action::Key(crossterm::event::KeyEvent::from(
            crossterm::event::KeyCode::Char(kind),
        )));
        let Some(crate::app::state::Effect::Follow(id, _)) = effects.first() else {
            panic!("{effects:?}");
        };
        s.update(Action::Object(*id, ObjectMsg::Object(object)));
        s
    }

    fn pod_object() -> serde_json::Value {
        serde_json::json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "web-1", "namespace": "shop", "creationTimestamp": "1970-01-01T00:00:00Z",
                "labels": {"app": "web"}, "managedFields": [{"manager": "kube-controller-manager"}]},
            "spec": {"nodeName": "kx-worker-1", "containers": [{"name": "nginx", "image": "nginx:1.27",
                "ports": [{"containerPort": 80, "protocol": "TCP"}]}]},
            "status": {"phase": "Running", "podIP": "10.244.1.5",
                "containerStatuses": [{"name": "nginx", "ready": true, "restartCount": 0,
                   "state": {"running": {"startedAt": "1970-01-01T00:00:05Z"}}}]}})
    }

    #[test]
    fn yaml_view_colours_keys_and_literals_and_hides_managed_fields() {
        let mut s = detail_state('y', pod_object());
        let term = render(&mut s, 70, 14);
        insta::assert_snapshot!(format!("{}", term.backend()));
        let buf = term.backend().buffer();
        let (x, y) = (0..14u16)
            .flat_map(|y| (0..70u16).map(move |x| (x, y)))
            .find(|&(x, y)| {
                y > 1
                    && buf[(x, y)].symbol() == "l"
                    && buf[(x + 1, y)].symbol() == "a"
                    && buf[(x + 2, y)].symbol() == "b"
            })
            .expect("labels: is on screen");
        assert_eq!(buf[(x, y)].fg, theme().style("yaml.key").fg.unwrap());
        let text = format!("{}", term.backend());
        assert!(!text.contains("kube-controller-manager"), "{text}");
    }

    #[test]
    fn diff_view_lists_revisions_and_colours_what_changed() {
        use crate::cluster::object::ObjectMsg;
        let mut first = pod_object();
        first["metadata"]["resourceVersion"] = "5".into();
        let mut s = detail_state('D', first.clone());
        let id = s.detail.as_ref().unwrap().id;
        let mut second = first.clone();
        second["metadata"]["resourceVersion"] = "7".into();
        second["metadata"]["labels"]["app"] = "web-v2".into();
        s.now += 42;
        s.update(Action::Object(id, ObjectMsg::Object(second)));
        let term = render(&mut s, 70, 16);
        insta::assert_snapshot!(format!("{}", term.backend()));
        let text = format!("{}", term.backend());
        assert!(
            text.contains("MODIFIED   metadata.labels.app web→web-v2"),
            "{text}"
        );
        assert!(!text.contains("resourceVersion"), "noise hidden: {text}");
        let buf = term.backend().buffer();
        let colour_of = |start: &str| {
            (2..16u16)
                .find(|&y| {
                    let line: String = (0..70u16).map(|x| buf[(x, y)].symbol()).collect();
                    line.starts_with(start)
                })
                .map(|y| buf[(0, y)].fg)
                .unwrap_or_else(|| panic!("no line starting {start:?} in {text}"))
        };
        assert_eq!(
            colour_of("+    app: web-v2"),
            theme().style("diff.added").fg.unwrap()
        );
        assert_eq!(
            colour_of("-    app: web"),
            theme().style("diff.removed").fg.unwrap()
        );
        assert_eq!(colour_of("@@"), theme().style("diff.hunk").fg.unwrap());
    }

    #[test]
    fn describe_view_of_a_pod() {
        let mut s = detail_state('d', pod_object());
        let term = render(&mut s, 70, 22);
        insta::assert_snapshot!(format!("{}", term.backend()));
    }

    #[test]
    fn containers_view_lists_image_state_and_ports() {
        let mut s = detail_state('y', pod_object());
        s.detail
            .as_mut()
            .unwrap()
            .switch(crate::app::detail::DetailKind::Containers, 0);
        let term = render(&mut s, 80, 6);
        insta::assert_snapshot!(format!("{}", term.backend()));
    }

    #[test]
    fn events_view_lists_the_objects_events_with_warnings_coloured() {
        use crate::cluster::object::ObjectMsg;
        let mut s = detail_state('E', pod_object());
        let id = s.detail.as_ref().unwrap().id;
        s.update(Action::Object(
            id,
            ObjectMsg::EventSeen(
                "e1".into(),
                serde_json::json!({"type": "Normal", "reason": "Scheduled", "message": "Successfully assigned shop/web-1 to kx-worker-1",
                    "lastTimestamp": "1970-01-01T00:00:01Z", "source": {"component": "default-scheduler"}}),
            ),
        ));
        s.update(Action::Object(
            id,
            ObjectMsg::EventSeen(
                "e2".into(),
                serde_json::json!({"type": "Warning", "reason": "Unhealthy", "message": "Readiness probe failed", "count": 3,
                    "lastTimestamp": "1970-01-01T00:59:00Z", "source": {"component": "kubelet"}}),
            ),
        ));
        let term = render(&mut s, 90, 7);
        insta::assert_snapshot!(format!("{}", term.backend()));
        let buf = term.backend().buffer();
        let warning_row = (0..7u16)
            .find(|y| buf[(0, *y)].symbol() == "W")
            .expect("the warning row");
        assert_eq!(
            buf[(0, warning_row)].fg,
            theme().style("status.warn").fg.unwrap()
        );
    }

    #[test]
    fn the_context_picker_highlights_the_current_context() {
        let (mut s, _) = pods_state();
        s.contexts = vec!["kx-sim".into(), "prod-eu".into(), "staging".into()];
        s.picker = Some(crate::app::state::Picker {
            title: "contexts (Enter switches, Esc closes)".into(),
            items: s.contexts.clone(),
            selected: 1,
            command: "ctx".into(),
        });
        let term = render(&mut s, 60, 9);
        insta::assert_snapshot!(format!("{}", term.backend()));
        let buf = term.backend().buffer();
        let (x, y) = (0..9u16)
            .flat_map(|y| (0..60u16).map(move |x| (x, y)))
            .find(|&(x, y)| buf[(x, y)].symbol() == "p" && buf[(x + 1, y)].symbol() == "r")
            .expect("prod-eu on screen");
        assert_eq!(buf[(x, y)].bg, theme().style("row.selected").bg.unwrap());
    }

    #[test]
    fn log_view_prefixes_pods_and_colours_levels() {
        use crate::logs::format::LogLine;
        use crate::logs::select::Target;
        use crate::logs::stream::LogEvent;
        let (mut s, _) = pods_state();
        s.logs = Some(crate::app::logview::LogView::new(
            7,
            crate::app::logview::LogRequest {
                namespace: Some("shop".into()),
                pod_regex: ".*".into(),
                container_regex: None,
                label_selector: Some("app=api".into()),
                previous: false,
                one_pod: false,
                max_requests: crate::app::logview::DEFAULT_MAX_REQUESTS,
                title: "api:logs".into(),
            },
            1000,
        ));
        let mut events = Vec::new();
        for (pod, text) in [
            ("api-1", r#"{"level":"info","msg":"listening","port":8080}"#),
            ("api-2", "level=warn msg=\"slow query\" ms=900"),
            ("api-1", "ERROR connection refused"),
        ] {
            let target = Arc::new(Target {
                namespace: "shop".into(),
                pod: pod.into(),
                container: "api".into(),
            });
            if !events
                .iter()
                .any(|e| matches!(e, LogEvent::Joined(t) if t.pod == pod))
            {
                events.push(LogEvent::Joined(target.clone()));
            }
            events.push(LogEvent::Line(LogLine {
                target,
                ts: "2026-11-22T05:00:00Z".into(),
                text: text.into(),
            }));
        }
        s.update(Action::LogBatch(7, events));
        let term = render(&mut s, 80, 7);
        insta::assert_snapshot!(format!("{}", term.backend()));
        let buf = term.backend().buffer();
        let row = (0..7u16)
            .find(|y| {
                (0..80u16).any(|x| buf[(x, *y)].symbol() == "E" && buf[(x + 1, *y)].symbol() == "R")
            })
            .expect("the error line");
        let x = (0..80u16)
            .find(|x| buf[(*x, row)].symbol() == "E" && buf[(*x + 1, row)].symbol() == "R")
            .unwrap();
        assert_eq!(buf[(x, row)].fg, theme().style("log.error").fg.unwrap());
    }
}
