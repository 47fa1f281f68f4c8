//! A screen's text: lines with a scroll position and a search, drawn as the visible slice with
//! YAML, describe or events colouring and the search matches highlighted. The screens of one
//! object (YAML, describe, events, diff) share it.

use crate::config::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use regex::Regex;

/// The pieces of one line with their styles, before search highlighting.
pub type Pieces = Vec<(String, Style)>;

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

pub(crate) fn yaml_pieces(line: &str, theme: &Theme) -> Pieces {
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

pub(crate) fn describe_pieces(line: &str, theme: &Theme) -> Pieces {
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

pub(crate) fn event_pieces(line: &str, index: usize, theme: &Theme) -> Pieces {
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

/// The text of a screen that shows lines: the lines, the first one shown, and the search.
#[derive(Debug, Clone, Default)]
pub struct Pane {
    pub lines: Vec<String>,
    pub scroll: usize,
    pub search: Option<Regex>,
}

impl Pane {
    /// Moves the view by `delta` lines, within the last full page of `rows`.
    pub fn scroll_by(&mut self, delta: isize, rows: usize) {
        let last = self.lines.len().saturating_sub(rows.max(1)) as isize;
        self.scroll = (self.scroll as isize + delta).clamp(0, last.max(0)) as usize;
    }

    /// Keeps the view within the lines after they changed (a smaller object, a bigger screen).
    pub fn clamp(&mut self, rows: usize) {
        self.scroll = self
            .scroll
            .min(self.lines.len().saturating_sub(rows.max(1)));
    }

    /// Scrolls so that the next (or previous) line matching the search is at the top.
    pub fn find(&mut self, forward: bool) -> bool {
        let Some(re) = &self.search else {
            return false;
        };
        let n = self.lines.len();
        if n == 0 {
            return false;
        }
        let start = self.scroll;
        for step in 1..=n {
            let i = if forward {
                (start + step) % n
            } else {
                (start + n - step % n) % n
            };
            if re.is_match(&self.lines[i]) {
                self.scroll = i;
                return true;
            }
        }
        false
    }

    /// A new search from the line above the top, so a match on the top line counts; false
    /// (and the view stays) when nothing matches.
    pub fn search_for(&mut self, re: Regex) -> bool {
        self.search = Some(re);
        let top = self.scroll;
        self.scroll = top
            .checked_sub(1)
            .unwrap_or(self.lines.len().saturating_sub(1));
        if self.find(true) {
            true
        } else {
            self.scroll = top;
            false
        }
    }

    /// The visible slice, styled by `pieces` (line index, text), search matches highlighted.
    pub fn draw(
        &self,
        f: &mut Frame,
        theme: &Theme,
        area: Rect,
        pieces: impl Fn(usize, &str) -> Pieces,
    ) {
        let matched = theme.style("search.match");
        let lines: Vec<Line> = self
            .lines
            .iter()
            .enumerate()
            .skip(self.scroll)
            .take(area.height as usize)
            .map(|(i, l)| highlight(pieces(i, l), self.search.as_ref(), matched))
            .collect();
        f.render_widget(Paragraph::new(lines), area);
    }
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
    fn search_wraps_both_ways() {
        let mut v = Pane {
            lines: ["a", "match 1", "b", "match 2", "c"]
                .map(String::from)
                .to_vec(),
            ..Default::default()
        };
        v.search = Regex::new("match").ok();
        assert!(v.find(true));
        assert_eq!(v.scroll, 1);
        assert!(v.find(true));
        assert_eq!(v.scroll, 3);
        assert!(v.find(true));
        assert_eq!(v.scroll, 1, "wraps to the first match");
        assert!(v.find(false));
        assert_eq!(v.scroll, 3, "backwards wraps to the last");
        v.search = Regex::new("nothing").ok();
        assert!(!v.find(true));
        assert_eq!(v.scroll, 3);
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
