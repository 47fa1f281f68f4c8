//! Live logs of a pod, a container, a workload's pods or every pod matching a regex: a
//! bounded scrollback that follows or pauses (paused, it keeps receiving), a line filter with
//! context (`&-C 2 error`), a container filter, search, wrap, timestamps, JSON and logfmt
//! reformatted, and the buffer saved to a file.

use super::super::action::Effect;
use super::super::logview::{LineFilter, LineFormat, LogRequest, LogView};
use super::super::model::RowFilter;
use super::super::overlay::{Overlay, Prompt};
use super::super::screen::{Ask, Cx, Dx, Hint, Nav, Screen, Step};
use super::super::session::{Data, Session};
use crate::config::keys::{KeyAction, Section};
use crate::logs::stream::LogEvent;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Span;
use std::any::Any;

pub struct LogsScreen {
    pub view: LogView,
}

/// A log screen on top, and the effect that starts its streams.
pub fn open(request: LogRequest, data: &mut Data, session: &Session) -> Step {
    let id = data.take_id();
    let view = LogView::new(id, request.clone(), session.log_capacity);
    Step::with(
        vec![Effect::Logs(id, Box::new(request))],
        Nav::Push(Box::new(LogsScreen { view })),
    )
}

impl LogsScreen {
    fn prompt(ask: Ask, text: Option<String>) -> Step {
        let prompt = Prompt::new(ask, text.unwrap_or_default());
        Step::go(Nav::Open(Box::new(Overlay::Prompt(prompt))))
    }

    fn search(&mut self, text: &str, cx: &mut Cx) {
        let v = &mut self.view;
        if text.is_empty() {
            v.search = None;
            return;
        }
        match RowFilter::smart_case_regex(text) {
            Ok(re) => {
                v.search = Some(re);
                if !v.find(true) {
                    cx.info(format!("no match for /{text}"));
                }
            }
            Err(e) => cx.error(format!("invalid search regex {text:?}: {e}")),
        }
    }

    /// `&regex`, or `&-C N regex` to keep N lines around each match.
    fn filter(&mut self, text: &str, cx: &mut Cx) {
        let v = &mut self.view;
        if text.is_empty() {
            v.filter = None;
            v.refilter();
            return;
        }
        let (context, pattern) = match text.strip_prefix("-C") {
            Some(rest) => {
                let rest = rest.trim_start();
                let (n, pattern) = rest.split_once(' ').unwrap_or((rest, ""));
                match n.parse::<usize>() {
                    Ok(n) => (n, pattern.trim()),
                    Err(_) => {
                        cx.error(format!(
                            "-C wants a number of lines, not {n:?}: &-C 3 REGEX"
                        ));
                        return;
                    }
                }
            }
            None => (0, text),
        };
        match RowFilter::smart_case_regex(pattern) {
            Ok(regex) => {
                v.filter = Some(LineFilter {
                    regex,
                    context,
                    text: text.to_string(),
                });
                v.refilter();
            }
            Err(e) => cx.error(format!("invalid filter regex {pattern:?}: {e}")),
        }
    }

    fn container_filter(&mut self, text: &str, cx: &mut Cx) {
        let v = &mut self.view;
        if text.is_empty() {
            v.container_filter = None;
            v.refilter();
            return;
        }
        match regex::Regex::new(text) {
            Ok(re) => {
                v.container_filter = Some(re);
                v.refilter();
            }
            Err(e) => cx.error(format!("invalid container regex {text:?}: {e}")),
        }
    }

    /// A file name for the buffer: `kx-web-1_logs-1764470000.log`.
    fn save_name(&self, now: i64) -> String {
        let name: String = self
            .view
            .request
            .title
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        format!("kx-{name}-{now}.log")
    }
}

impl Screen for LogsScreen {
    fn section(&self) -> Section {
        Section::Logs
    }

    fn crumb(&self) -> String {
        self.view.request.title.clone()
    }

    fn on_action(&mut self, action: KeyAction, cx: &mut Cx) -> Step {
        let page = cx.session.body_rows() as isize;
        let v = &mut self.view;
        match action {
            KeyAction::Up => v.scroll(-1),
            KeyAction::Down => v.scroll(1),
            KeyAction::PageUp => v.scroll(-page),
            KeyAction::PageDown => v.scroll(page),
            KeyAction::Top => v.scroll(isize::MIN / 2),
            KeyAction::Bottom => v.resume(),
            KeyAction::ToggleFollow if v.follow => v.pause(),
            KeyAction::ToggleFollow => v.resume(),
            KeyAction::ToggleWrap => v.wrap = !v.wrap,
            KeyAction::ToggleTimestamps => v.timestamps = !v.timestamps,
            KeyAction::ToggleFormat => {
                v.format = match v.format {
                    LineFormat::Raw => LineFormat::Compact,
                    LineFormat::Compact => LineFormat::Pretty,
                    LineFormat::Pretty => LineFormat::Raw,
                };
            }
            KeyAction::Filter => {
                let current = v.search.as_ref().map(|r| r.as_str().to_string());
                return LogsScreen::prompt(Ask::Filter, current);
            }
            KeyAction::LogFilter => {
                let current = v.filter.as_ref().map(|f| f.text.clone());
                return LogsScreen::prompt(Ask::LogFilter, current);
            }
            KeyAction::ContainerFilter => {
                let current = v.container_filter.as_ref().map(|r| r.as_str().to_string());
                return LogsScreen::prompt(Ask::ContainerFilter, current);
            }
            KeyAction::Save => {
                let name = self.save_name(cx.session.now);
                return LogsScreen::prompt(Ask::SavePath, Some(name));
            }
            KeyAction::SearchNext | KeyAction::SearchPrevious => {
                if v.search.is_none() {
                    cx.info("no search: type / first");
                } else if !v.find(action == KeyAction::SearchPrevious) {
                    cx.info("no match");
                }
            }
            // Esc clears the search, then the filters, then leaves.
            KeyAction::Back if v.search.is_some() => v.search = None,
            KeyAction::Back if v.filter.is_some() || v.container_filter.is_some() => {
                v.filter = None;
                v.container_filter = None;
                v.refilter();
            }
            _ => return Step::Pass,
        }
        Step::nothing()
    }

    fn on_prompt(&mut self, ask: Ask, text: &str, cx: &mut Cx) -> Step {
        let text = text.trim();
        match ask {
            Ask::Filter => self.search(text, cx),
            Ask::LogFilter => self.filter(text, cx),
            Ask::ContainerFilter => self.container_filter(text, cx),
            Ask::SavePath if text.is_empty() => cx.info("not saved: no file name"),
            Ask::SavePath => {
                return Step::effects(vec![Effect::Save(text.to_string(), self.view.export())]);
            }
            _ => {}
        }
        Step::nothing()
    }

    fn on_logs(&mut self, id: u64, events: Vec<LogEvent>) -> bool {
        if id != self.view.id {
            return false;
        }
        for e in events {
            self.view.apply(e);
        }
        true
    }

    fn refresh(&mut self, _cx: &mut Cx) {}

    fn status(&self, dx: &Dx) -> Vec<Span<'static>> {
        let (theme, logs) = (dx.theme, &self.view);
        let mut spans = Vec::new();
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
        let now =
            jiff::Timestamp::from_second(dx.session.now).unwrap_or_else(|_| jiff::Timestamp::now());
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
        spans
    }

    fn draw(&self, f: &mut Frame, area: Rect, dx: &Dx) {
        super::super::logview_draw::draw_logs(f, &self.view, dx.theme, area);
    }

    fn hints(&self) -> &'static [Hint] {
        &[
            (&[KeyAction::ToggleFollow], "follow/pause"),
            (&[KeyAction::ToggleWrap], "wrap"),
            (&[KeyAction::ToggleTimestamps], "timestamps"),
            (&[KeyAction::ToggleFormat], "json"),
            (&[KeyAction::Filter], "search"),
            (&[KeyAction::LogFilter], "filter"),
            (&[KeyAction::ContainerFilter], "containers"),
            (&[KeyAction::Save], "save"),
            (&[KeyAction::Back], "back"),
        ]
    }

    fn tails(&self) -> Option<u64> {
        Some(self.view.id)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
