//! How a log line is printed: stern's layout (`[namespace] pod container message`), raw, or one
//! JSON object per line; timestamps in a time zone; line include/exclude filters; highlights;
//! and a colour per pod chosen so the pods on screen do not share one.

use super::select::Target;
use crate::paint::{fg, paint, paint_if};
use anstyle::AnsiColor;
use regex::Regex;
use std::collections::HashMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    Default,
    Raw,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stamp {
    /// RFC 3339 with nanoseconds, in the chosen time zone.
    Default,
    /// `MM-DD HH:MM:SS`.
    Short,
}

/// One line of a container's log, as the kubelet sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    pub target: std::sync::Arc<Target>,
    /// The kubelet's RFC 3339 timestamp (kx always asks for timestamps, to resume exactly).
    pub ts: String,
    pub text: String,
}

pub struct Formatter {
    pub output: Output,
    pub stamp: Option<Stamp>,
    pub tz: jiff::tz::TimeZone,
    pub colour: bool,
    pub show_namespace: bool,
    pub include: Vec<Regex>,
    pub exclude: Vec<Regex>,
    pub highlight: Vec<Regex>,
    /// Show control characters in messages as `^[` and the like (stdout is a terminal), so a
    /// log line cannot drive the terminal. Off for pipes, which get the bytes as they are.
    pub escape: bool,
}

/// 12 foreground colours that read on dark and light backgrounds alike.
pub use crate::paint::PALETTE;

impl Formatter {
    /// Whether a line passes `--include` (any of them) and `--exclude` (none of them).
    pub fn keep(&self, text: &str) -> bool {
        (self.include.is_empty() || self.include.iter().any(|r| r.is_match(text)))
            && !self.exclude.iter().any(|r| r.is_match(text))
    }

    fn stamp_text(&self, ts: &str) -> String {
        let Some(stamp) = self.stamp else {
            return String::new();
        };
        let Ok(t) = ts.parse::<jiff::Timestamp>() else {
            // Not a timestamp we can read: show it as the kubelet sent it.
            return ts.to_string();
        };
        let zoned = t.to_zoned(self.tz.clone());
        match stamp {
            Stamp::Default => zoned.strftime("%Y-%m-%dT%H:%M:%S%.9f%:z").to_string(),
            Stamp::Short => zoned.strftime("%m-%d %H:%M:%S").to_string(),
        }
    }

    fn highlighted(&self, text: &str) -> String {
        if !self.colour || self.highlight.is_empty() {
            return text.to_string();
        }
        let mut spans: Vec<(usize, usize)> = self
            .highlight
            .iter()
            .flat_map(|r| r.find_iter(text).map(|m| (m.start(), m.end())))
            .filter(|(s, e)| s < e)
            .collect();
        spans.sort();
        let mut out = String::with_capacity(text.len() + 16);
        let mut at = 0;
        for (s, e) in spans {
            if s < at {
                continue;
            }
            out.push_str(&text[at..s]);
            out.push_str(&paint(&text[s..e], fg(AnsiColor::Red).bold()));
            at = e;
        }
        out.push_str(&text[at..]);
        out
    }

    /// Appends the printed line and a newline to `out`. Raw lines without timestamps or
    /// highlights are copied as they are: that is the hot path of `-o raw`.
    pub fn format_into(&self, line: &LogLine, colour: usize, out: &mut Vec<u8>) {
        if self.output == Output::Raw
            && self.stamp.is_none()
            && (self.highlight.is_empty() || !self.colour)
        {
            if self.escape {
                out.extend_from_slice(crate::text::visible(&line.text).as_bytes());
            } else {
                out.extend_from_slice(line.text.as_bytes());
            }
        } else {
            out.extend_from_slice(self.format(line, colour).as_bytes());
        }
        out.push(b'\n');
    }

    /// The printed line (no newline). `colour` is the pod's palette index.
    pub fn format(&self, line: &LogLine, colour: usize) -> String {
        let t = &line.target;
        let text = if self.escape && self.output != Output::Json {
            crate::text::visible(&line.text)
        } else {
            std::borrow::Cow::Borrowed(line.text.as_str())
        };
        match self.output {
            Output::Raw => {
                let stamp = self.stamp_text(&line.ts);
                if stamp.is_empty() {
                    self.highlighted(&text)
                } else {
                    format!("{stamp} {}", self.highlighted(&text))
                }
            }
            Output::Json => {
                let mut obj = serde_json::json!({
                    "namespace": t.namespace,
                    "pod": t.pod,
                    "container": t.container,
                    "timestamp": line.ts,
                    "message": line.text,
                });
                if self.stamp.is_some() {
                    obj["timestamp"] = serde_json::Value::String(self.stamp_text(&line.ts));
                }
                // JSON escapes C0 controls itself; on a terminal, DEL and C1 are shown too.
                let text = obj.to_string();
                if self.escape {
                    crate::text::visible(&text).into_owned()
                } else {
                    text
                }
            }
            Output::Default => {
                let mut out = String::with_capacity(line.text.len() + 64);
                let style = fg(PALETTE[colour % PALETTE.len()]);
                let paint = |out: &mut String, style: anstyle::Style, text: &str| {
                    out.push_str(&paint_if(self.colour, text, style));
                };
                if self.show_namespace {
                    paint(&mut out, style, &t.namespace);
                    out.push(' ');
                }
                paint(&mut out, style.bold(), &t.pod);
                out.push(' ');
                paint(&mut out, style, &t.container);
                out.push(' ');
                let stamp = self.stamp_text(&line.ts);
                if !stamp.is_empty() {
                    out.push_str(&stamp);
                    out.push(' ');
                }
                out.push_str(&self.highlighted(&text));
                out
            }
        }
    }
}

/// Colours for the pods being followed: a pod keeps its colour while it has a container
/// followed, and a new pod takes a colour no followed pod has, when one is free.
#[derive(Debug, Default)]
pub struct Palette {
    assigned: HashMap<(String, String), (usize, usize)>,
    users: [usize; PALETTE.len()],
}

fn stable_hash(text: &str) -> usize {
    // FNV-1a: the same pod name gets the same first choice in every run.
    text.bytes().fold(0xcbf29ce484222325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100000001b3)
    }) as usize
}

impl Palette {
    /// The colour of a pod, taking one when its first container joins.
    pub fn join(&mut self, namespace: &str, pod: &str) -> usize {
        let key = (namespace.to_string(), pod.to_string());
        if let Some((colour, containers)) = self.assigned.get_mut(&key) {
            *containers += 1;
            return *colour;
        }
        let preferred = stable_hash(pod) % PALETTE.len();
        let colour = if self.users[preferred] == 0 {
            preferred
        } else {
            // The least used colour, nearest after the preferred one.
            (0..PALETTE.len())
                .map(|i| (preferred + i) % PALETTE.len())
                .min_by_key(|c| self.users[*c])
                .unwrap_or(preferred)
        };
        self.users[colour] += 1;
        self.assigned.insert(key, (colour, 1));
        colour
    }

    pub fn colour_of(&self, namespace: &str, pod: &str) -> usize {
        self.assigned
            .get(&(namespace.to_string(), pod.to_string()))
            .map_or(0, |(c, _)| *c)
    }

    /// A container left; the pod gives its colour back when its last one has.
    pub fn leave(&mut self, namespace: &str, pod: &str) {
        let key = (namespace.to_string(), pod.to_string());
        if let Some((colour, containers)) = self.assigned.get_mut(&key) {
            *containers -= 1;
            if *containers == 0 {
                let c = *colour;
                self.users[c] = self.users[c].saturating_sub(1);
                self.assigned.remove(&key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn line(text: &str) -> LogLine {
        LogLine {
            target: Arc::new(Target {
                namespace: "shop".into(),
                pod: "web-1".into(),
                container: "nginx".into(),
            }),
            ts: "2026-11-22T05:06:07.123456789Z".into(),
            text: text.into(),
        }
    }

    fn formatter() -> Formatter {
        Formatter {
            output: Output::Default,
            stamp: None,
            tz: jiff::tz::TimeZone::UTC,
            colour: false,
            show_namespace: false,
            include: vec![],
            exclude: vec![],
            highlight: vec![],
            escape: false,
        }
    }

    #[test]
    fn on_a_terminal_escapes_show_and_in_a_pipe_raw_bytes_pass() {
        let title = "\u{1b}]0;pwned\u{7}after";
        let mut f = formatter();
        f.escape = true;
        assert_eq!(f.format(&line(title), 0), "web-1 nginx ^[]0;pwned^Gafter");
        f.output = Output::Raw;
        let mut out = Vec::new();
        f.format_into(&line(title), 0, &mut out);
        assert_eq!(out, b"^[]0;pwned^Gafter\n");
        f.escape = false;
        out.clear();
        f.format_into(&line(title), 0, &mut out);
        assert_eq!(out, "\u{1b}]0;pwned\u{7}after\n".as_bytes());
    }

    #[test]
    fn default_raw_and_json_layouts_byte_for_byte() {
        let mut f = formatter();
        assert_eq!(f.format(&line("GET /"), 0), "web-1 nginx GET /");
        f.show_namespace = true;
        assert_eq!(f.format(&line("GET /"), 0), "shop web-1 nginx GET /");
        f.stamp = Some(Stamp::Short);
        assert_eq!(
            f.format(&line("GET /"), 0),
            "shop web-1 nginx 11-22 05:06:07 GET /"
        );
        f.stamp = Some(Stamp::Default);
        f.tz = jiff::tz::TimeZone::fixed(jiff::tz::offset(2));
        assert_eq!(
            f.format(&line("GET /"), 0),
            "shop web-1 nginx 2026-11-22T07:06:07.123456789+02:00 GET /"
        );
        f.output = Output::Raw;
        f.stamp = None;
        assert_eq!(f.format(&line("GET /"), 0), "GET /");
        f.output = Output::Json;
        assert_eq!(
            f.format(&line("say \"hi\""), 0),
            r#"{"container":"nginx","message":"say \"hi\"","namespace":"shop","pod":"web-1","timestamp":"2026-11-22T05:06:07.123456789Z"}"#
        );
    }

    #[test]
    fn colour_and_highlight_codes() {
        let mut f = formatter();
        f.colour = true;
        f.highlight = vec![Regex::new("err").unwrap()];
        assert_eq!(
            f.format(&line("an error"), 1),
            "\x1b[1m\x1b[33mweb-1\x1b[0m \x1b[33mnginx\x1b[0m an \x1b[1m\x1b[31merr\x1b[0mor"
        );
    }

    #[test]
    fn include_any_exclude_none() {
        let mut f = formatter();
        assert!(f.keep("anything"));
        f.include = vec![Regex::new("GET").unwrap(), Regex::new("POST").unwrap()];
        f.exclude = vec![Regex::new("healthz").unwrap()];
        assert!(f.keep("POST /cart"));
        assert!(!f.keep("GET /healthz"));
        assert!(!f.keep("DELETE /cart"));
    }

    #[test]
    fn pods_on_screen_get_distinct_stable_colours() {
        let mut p = Palette::default();
        let colours: Vec<usize> = (0..12).map(|i| p.join("ns", &format!("pod-{i}"))).collect();
        let mut unique = colours.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 12, "12 pods, 12 colours: {colours:?}");
        // A second container of a pod keeps its colour; the pod gives it back when both leave.
        assert_eq!(p.join("ns", "pod-3"), colours[3]);
        p.leave("ns", "pod-3");
        assert_eq!(p.colour_of("ns", "pod-3"), colours[3]);
        p.leave("ns", "pod-3");
        let again = p.join("ns", "pod-new");
        assert_eq!(
            again, colours[3],
            "the only free colour is the one given back"
        );
        let mut q = Palette::default();
        assert_eq!(
            q.join("ns", "pod-0"),
            colours[0],
            "the same pod starts with the same colour"
        );
    }
}
