//! Draws a log view from its bottom line upwards, so following shows the newest lines and
//! wrapped or pretty-printed lines take the rows they need. Levels, JSON and logfmt are read
//! only for the lines on screen.

use super::logview::{Entry, LineFormat, LogView};
use super::pane::highlight;
use crate::config::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::Line;
use ratatui::widgets::Paragraph;
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Error,
    Warn,
    Info,
    Debug,
}

fn level_word(word: &str) -> Option<Level> {
    match word.to_ascii_lowercase().as_str() {
        "error" | "err" | "fatal" | "panic" | "critical" | "crit" | "e" => Some(Level::Error),
        "warn" | "warning" | "w" => Some(Level::Warn),
        "info" | "notice" | "i" => Some(Level::Info),
        "debug" | "trace" | "d" => Some(Level::Debug),
        _ => None,
    }
}

/// The key=value pairs of a logfmt line, when it is one.
fn logfmt(text: &str) -> Option<Vec<(&str, String)>> {
    let mut pairs = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        let (key, after) = rest.split_once('=')?;
        if key.is_empty() || key.contains(char::is_whitespace) {
            return None;
        }
        let (value, next) = if let Some(quoted) = after.strip_prefix('"') {
            let end = quoted.find('"')?;
            (quoted[..end].to_string(), &quoted[end + 1..])
        } else {
            let end = after.find(' ').unwrap_or(after.len());
            (after[..end].to_string(), &after[end..])
        };
        pairs.push((key, value));
        rest = next.trim_start();
    }
    (pairs.len() >= 2).then_some(pairs)
}

fn json_object(text: &str) -> Option<serde_json::Map<String, Value>> {
    if !text.trim_start().starts_with('{') {
        return None;
    }
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(m)) => Some(m),
        _ => None,
    }
}

const LEVEL_KEYS: [&str; 4] = ["level", "lvl", "severity", "loglevel"];
const MESSAGE_KEYS: [&str; 3] = ["msg", "message", "log"];
const NOISE_KEYS: [&str; 3] = ["ts", "time", "timestamp"];

/// The level of a line: a JSON or logfmt level field, or a level word near the start.
pub fn level_of(text: &str) -> Option<Level> {
    if let Some(m) = json_object(text) {
        return LEVEL_KEYS
            .iter()
            .find_map(|k| m.get(*k).and_then(Value::as_str))
            .and_then(level_word);
    }
    if let Some(pairs) = logfmt(text) {
        return pairs
            .iter()
            .find(|(k, _)| LEVEL_KEYS.contains(k))
            .and_then(|(_, v)| level_word(v));
    }
    text.split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| w.len() > 1)
        .take(6)
        .find_map(level_word)
}

/// JSON or logfmt as `LEVEL message key=value …`; anything else as it is.
pub fn compact(text: &str) -> String {
    let fields: Vec<(String, String)> = if let Some(m) = json_object(text) {
        m.into_iter()
            .map(|(k, v)| {
                let v = match v {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                (k, v)
            })
            .collect()
    } else if let Some(pairs) = logfmt(text) {
        pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
    } else {
        return text.to_string();
    };
    let pick = |keys: &[&str]| {
        fields
            .iter()
            .find(|(k, _)| keys.contains(&k.as_str()))
            .map(|(_, v)| v.clone())
    };
    let mut out = String::new();
    if let Some(l) = pick(&LEVEL_KEYS) {
        out.push_str(&l.to_uppercase());
        out.push(' ');
    }
    if let Some(m) = pick(&MESSAGE_KEYS) {
        out.push_str(&m);
    }
    for (k, v) in &fields {
        let k = k.as_str();
        if LEVEL_KEYS.contains(&k) || MESSAGE_KEYS.contains(&k) || NOISE_KEYS.contains(&k) {
            continue;
        }
        let v = if v.contains(' ') {
            format!("{v:?}")
        } else {
            v.clone()
        };
        out.push_str(&format!(" {k}={v}"));
    }
    out
}

fn level_style(theme: &Theme, level: Option<Level>) -> Style {
    theme.style(match level {
        Some(Level::Error) => "log.error",
        Some(Level::Warn) => "log.warn",
        Some(Level::Debug) => "log.debug",
        Some(Level::Info) | None => "log.info",
    })
}

/// The rows of one entry, unwrapped (wrapping is done by the caller).
fn entry_lines<'a>(view: &LogView, entry: &Entry, theme: &Theme, multi_pod: bool) -> Vec<Line<'a>> {
    let t = &entry.line.target;
    let mut prefix: Vec<(String, Style)> = Vec::new();
    let colour = Style::default().fg(Color::Indexed(crate::paint::palette_index(entry.colour)));
    if multi_pod {
        prefix.push((format!("{} ", t.pod), colour));
    }
    prefix.push((
        format!("{} ", t.container),
        colour.add_modifier(ratatui::style::Modifier::DIM),
    ));
    if view.timestamps {
        prefix.push((format!("{} ", entry.line.ts), theme.style("status.line")));
    }
    let level = level_of(&entry.line.text);
    let style = level_style(theme, level);
    let matched = theme.style("search.match");
    let bodies: Vec<String> = match view.format {
        LineFormat::Raw => vec![entry.line.text.clone()],
        LineFormat::Compact => vec![compact(&entry.line.text)],
        LineFormat::Pretty => match json_object(&entry.line.text) {
            Some(m) => serde_json::to_string_pretty(&Value::Object(m))
                .map(|p| p.lines().map(str::to_string).collect())
                .unwrap_or_else(|_| vec![entry.line.text.clone()]),
            None => vec![compact(&entry.line.text)],
        },
    };
    bodies
        .into_iter()
        .enumerate()
        .map(|(i, body)| {
            let mut pieces = if i == 0 {
                prefix.clone()
            } else {
                vec![("  ".to_string(), Style::default())]
            };
            pieces.push((body, style));
            highlight(pieces, view.search.as_ref(), matched)
        })
        .collect()
}

/// How many screen rows a line takes at this width.
fn rows_of(line: &Line, width: u16, wrap: bool) -> usize {
    if !wrap || width == 0 {
        return 1;
    }
    line.width().div_ceil(width as usize).max(1)
}

pub fn draw_logs(f: &mut Frame, view: &LogView, theme: &Theme, area: Rect) {
    let height = area.height as usize;
    let multi_pod = !view.request.one_pod;
    let mut rows: Vec<Line> = Vec::new();
    let mut used = 0;
    if let Some(bottom) = view.bottom_index() {
        let mut index = bottom as isize;
        while used < height && index >= 0 {
            if let Some(entry) = view.visible(index as usize) {
                let lines = entry_lines(view, entry, theme, multi_pod);
                for l in lines.into_iter().rev() {
                    used += rows_of(&l, area.width, view.wrap);
                    rows.push(l);
                }
            }
            index -= 1;
        }
    }
    rows.reverse();
    let mut p = Paragraph::new(rows);
    if view.wrap {
        p = p.wrap(ratatui::widgets::Wrap { trim: false });
    }
    // When the lines take more rows than fit, the oldest rows scroll off the top.
    let skip = used.saturating_sub(height) as u16;
    f.render_widget(p.scroll((skip, 0)), area);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_from_json_logfmt_and_plain_words() {
        assert_eq!(
            level_of(r#"{"level":"error","msg":"boom"}"#),
            Some(Level::Error)
        );
        assert_eq!(
            level_of("ts=1 level=warn msg=\"slow down\""),
            Some(Level::Warn)
        );
        assert_eq!(level_of("2026/11/22 INFO started"), Some(Level::Info));
        assert_eq!(level_of("[DEBUG] cache miss"), Some(Level::Debug));
        assert_eq!(level_of("GET /healthz 200"), None);
    }

    #[test]
    fn compact_puts_level_and_message_first_and_drops_timestamps() {
        assert_eq!(
            compact(
                r#"{"ts":"x","level":"info","msg":"handled request","path":"/cart","status":200}"#
            ),
            "INFO handled request path=/cart status=200"
        );
        assert_eq!(
            compact("time=x level=error msg=\"db down\" retry=3"),
            "ERROR db down retry=3"
        );
        assert_eq!(
            compact("plain text = not logfmt"),
            "plain text = not logfmt"
        );
    }
}
