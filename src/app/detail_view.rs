//! Draws a detail view: the visible slice of its lines with YAML or describe colouring and
//! search matches highlighted, or a pod's containers as a table. Drawing only.

use super::detail::{DetailKind, DetailView};
use crate::config::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Row as TableRow, Table};
use regex::Regex;

/// The pieces of one line with their styles, before search highlighting.
pub(crate) type Pieces = Vec<(String, Style)>;

fn yaml_scalar_slot(value: &str) -> &'static str {
    let v = value.trim();
    let literal =
        matches!(v, "true" | "false" | "null" | "~" | "{}" | "[]") || v.parse::<f64>().is_ok();
    if literal {
        "yaml.literal"
    } else {
        "yaml.value"
    }
}

fn yaml_pieces(line: &str, theme: &Theme) -> Pieces {
    let trimmed = line.trim_start();
    if trimmed.starts_with('#') {
        return vec![(line.to_string(), theme.style("yaml.comment"))];
    }
    let indent_len = line.len() - trimmed.len();
    let (indent, rest) = line.split_at(indent_len);
    let (dash, rest) = match rest.strip_prefix("- ") {
        Some(r) => ("- ", r),
        None => ("", rest),
    };
    let mut out = vec![(format!("{indent}{dash}"), Style::default())];
    // `key: value` or `key:`; a colon inside a quoted scalar is not a key.
    let key_end = if rest.starts_with(['"', '\'']) {
        None
    } else {
        rest.find(": ")
            .or_else(|| rest.ends_with(':').then(|| rest.len() - 1))
    };
    match key_end {
        Some(i) => {
            out.push((rest[..=i].to_string(), theme.style("yaml.key")));
            let value = &rest[i + 1..];
            out.push((value.to_string(), theme.style(yaml_scalar_slot(value))));
        }
        None => out.push((rest.to_string(), theme.style(yaml_scalar_slot(rest)))),
    }
    out
}

fn describe_pieces(line: &str, theme: &Theme) -> Pieces {
    let trimmed = line.trim_start();
    if !trimmed.is_empty() && trimmed.ends_with(':') && !trimmed.contains(": ") {
        return vec![(line.to_string(), theme.style("table.header"))];
    }
    match line.find(": ") {
        Some(i) if !line[..i].trim().contains("  ") => vec![
            (line[..=i].to_string(), theme.style("yaml.key")),
            (line[i + 1..].to_string(), theme.style("yaml.value")),
        ],
        _ => vec![(line.to_string(), Style::default())],
    }
}

fn event_pieces(line: &str, index: usize, theme: &Theme) -> Pieces {
    let style = if index == 0 {
        theme.style("table.header")
    } else if line.starts_with("Warning") {
        theme.style("status.warn")
    } else {
        Style::default()
    };
    vec![(line.to_string(), style)]
}

/// Splits the pieces at the search matches and gives the matches the match style.
pub(crate) fn highlight<'a>(pieces: Pieces, search: Option<&Regex>, matched: Style) -> Line<'a> {
    let text: String = pieces.iter().map(|(t, _)| t.as_str()).collect();
    let ranges: Vec<(usize, usize)> = match search {
        Some(re) => re
            .find_iter(&text)
            .filter(|m| !m.is_empty())
            .map(|m| (m.start(), m.end()))
            .collect(),
        None => Vec::new(),
    };
    if ranges.is_empty() {
        return Line::from(
            pieces
                .into_iter()
                .map(|(t, s)| Span::styled(t, s))
                .collect::<Vec<_>>(),
        );
    }
    let mut spans = Vec::new();
    let mut at = 0;
    for (piece, style) in pieces {
        let end = at + piece.len();
        let mut cut = at;
        for &(ms, me) in &ranges {
            let (s, e) = (ms.max(at), me.min(end));
            if s >= e {
                continue;
            }
            if s > cut {
                spans.push(Span::styled(text[cut..s].to_string(), style));
            }
            spans.push(Span::styled(text[s..e].to_string(), matched));
            cut = e;
        }
        if cut < end {
            spans.push(Span::styled(text[cut..end].to_string(), style));
        }
        at = end;
    }
    Line::from(spans)
}

pub fn draw_detail(f: &mut Frame, detail: &mut DetailView, theme: &Theme, area: Rect) {
    if detail.kind == DetailKind::Containers {
        draw_containers(f, detail, theme, area);
        return;
    }
    if detail.kind == DetailKind::Diff {
        super::diffview_draw::draw(f, detail, theme, area);
        return;
    }
    let kind = detail.kind;
    draw_lines(f, detail, theme, area, |i, l| match kind {
        DetailKind::Yaml => yaml_pieces(l, theme),
        DetailKind::Describe => describe_pieces(l, theme),
        _ => event_pieces(l, i, theme),
    });
}

/// The visible slice of a text view's lines, styled by `pieces` (line index, text) and with
/// search matches highlighted. The last page stays full rather than scrolling past the end.
pub(crate) fn draw_lines(
    f: &mut Frame,
    detail: &mut DetailView,
    theme: &Theme,
    area: Rect,
    pieces: impl Fn(usize, &str) -> Pieces,
) {
    let height = area.height as usize;
    detail.scroll = detail
        .scroll
        .min(detail.lines.len().saturating_sub(height.max(1)));
    let matched = theme.style("search.match");
    let lines: Vec<Line> = detail
        .lines
        .iter()
        .enumerate()
        .skip(detail.scroll)
        .take(height)
        .map(|(i, l)| highlight(pieces(i, l), detail.search.as_ref(), matched))
        .collect();
    f.render_widget(Paragraph::new(lines), area);
}

fn draw_containers(f: &mut Frame, detail: &DetailView, theme: &Theme, area: Rect) {
    let height = area.height.saturating_sub(1) as usize;
    let offset = detail.selected.saturating_sub(height.saturating_sub(1));
    let rows: Vec<TableRow> = detail
        .containers
        .iter()
        .enumerate()
        .skip(offset)
        .take(height)
        .map(|(i, c)| {
            let name = if c.role.is_empty() {
                c.name.clone()
            } else {
                format!("{} ({})", c.name, c.role)
            };
            let state_style = if i == detail.selected {
                Style::default()
            } else {
                theme.style(super::view::status_slot(
                    c.state.split(' ').next().unwrap_or(""),
                ))
            };
            TableRow::new(vec![
                Span::raw(name),
                Span::raw(c.image.clone()),
                Span::raw(if c.ready { "true" } else { "false" }),
                Span::styled(c.state.clone(), state_style),
                Span::raw(c.restarts.to_string()),
                Span::raw(c.ports.clone()),
            ])
            .style(if i == detail.selected {
                theme.style("row.selected")
            } else {
                theme.style("row.normal")
            })
        })
        .collect();
    let longest = |f: fn(&super::detail::ContainerRow) -> usize, title: &str| {
        let widest = detail.containers.iter().map(f).max().unwrap_or(0);
        Constraint::Length(widest.max(title.len()) as u16)
    };
    let widths = [
        longest(|c| c.name.len() + c.role.len() + 3, "NAME"),
        longest(|c| c.image.len(), "IMAGE"),
        Constraint::Length(5),
        longest(|c| c.state.len(), "STATE"),
        Constraint::Length(8),
        Constraint::Min(5),
    ];
    let header = TableRow::new(["NAME", "IMAGE", "READY", "STATE", "RESTARTS", "PORTS"])
        .style(theme.style("table.header"));
    f.render_widget(
        Table::new(rows, widths).header(header).column_spacing(2),
        area,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn theme() -> Theme {
        Theme::load("default-dark", None, false)
    }

    #[test]
    fn yaml_keys_values_and_literals_get_their_slots() {
        let t = theme();
        let pieces = yaml_pieces("  replicas: 3", &t);
        assert_eq!(pieces[1], ("replicas:".to_string(), t.style("yaml.key")));
        assert_eq!(pieces[2], (" 3".to_string(), t.style("yaml.literal")));
        let pieces = yaml_pieces("- name: web", &t);
        assert_eq!(pieces[0].0, "- ");
        assert_eq!(pieces[2], (" web".to_string(), t.style("yaml.value")));
        let pieces = yaml_pieces("  \"a: b\"", &t);
        assert_eq!(
            pieces[1].1,
            t.style("yaml.value"),
            "a quoted colon is no key"
        );
    }

    #[test]
    fn search_matches_split_across_pieces() {
        let t = theme();
        let m = t.style("search.match");
        let re = Regex::new("ca").unwrap();
        let line = highlight(yaml_pieces("replicas: 3", &t), Some(&re), m);
        let parts: Vec<(String, Style)> = line
            .spans
            .iter()
            .map(|s| (s.content.to_string(), s.style))
            .collect();
        assert_eq!(
            parts.iter().map(|p| p.0.as_str()).collect::<String>(),
            "replicas: 3"
        );
        assert!(parts.contains(&("ca".to_string(), m)), "{parts:?}");
        assert!(parts.contains(&("repli".to_string(), t.style("yaml.key"))));
    }
}
