//! "Why is this broken" (`X`, `:explain`): an object's diagnosis, line by line, each coloured by
//! health and pointing at its evidence — Enter goes there (an object's describe, an object's
//! events, a container's log). Read again every few seconds while open.

use super::super::action::Effect;
use super::super::logview::{DEFAULT_MAX_REQUESTS, LogRequest};
use super::super::screen::{Cx, Dx, Hint, Nav, Screen, Step};
use super::super::session::Explained;
use crate::cluster::object::ObjectRef;
use crate::config::keys::{KeyAction, Section};
use crate::explain::{Health, Line, Source};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line as TextLine, Span};
use ratatui::widgets::Paragraph;
use std::any::Any;
use std::time::Duration;

/// How often an open diagnosis is read again.
pub const EVERY: Duration = Duration::from_secs(5);

pub struct ExplainScreen {
    pub id: u64,
    crumb: String,
    pub selected: usize,
    offset: usize,
}

/// The explain screen for `target` on top, and the effect that reads its facts.
pub fn open(target: ObjectRef, cx: &mut Cx) -> Step {
    let id = cx.data.take_id();
    let crumb = format!("{}:explain", target.name);
    cx.data.explained.insert(
        id,
        Explained {
            target: target.clone(),
            result: None,
            at: cx.session.now,
        },
    );
    Step::with(
        vec![Effect::Explain {
            id,
            target: Box::new(target),
            after: Duration::ZERO,
        }],
        Nav::Push(Box::new(ExplainScreen {
            id,
            crumb,
            selected: 0,
            offset: 0,
        })),
    )
}

pub fn health_slot(h: Health) -> &'static str {
    match h {
        Health::Healthy => "status.ok",
        Health::Progressing => "status.warn",
        Health::Broken => "status.error",
    }
}

impl ExplainScreen {
    fn lines<'a>(&self, cx_data: &'a super::super::session::Data) -> &'a [Line] {
        match cx_data
            .explained
            .get(&self.id)
            .and_then(|e| e.result.as_ref())
        {
            Some(Ok(d)) => &d.lines,
            _ => &[],
        }
    }

    /// Where the selected line's evidence is: its object's describe, its events, its log.
    fn go(&self, action: KeyAction, cx: &mut Cx) -> Step {
        let Some(source) = self
            .lines(cx.data)
            .get(self.selected)
            .and_then(|l| l.source.clone())
        else {
            cx.info("this line has no source to open");
            return Step::nothing();
        };
        let is_event = matches!(source, Source::Event { .. });
        match source {
            Source::Log {
                namespace,
                pod,
                container,
                previous,
            } => {
                let request = LogRequest {
                    namespace: Some(namespace),
                    pod_regex: format!("^{}$", regex::escape(&pod)),
                    container_regex: Some(format!("^{}$", regex::escape(&container))),
                    label_selector: None,
                    previous,
                    one_pod: true,
                    max_requests: DEFAULT_MAX_REQUESTS,
                    title: format!(
                        "{pod}/{container}:{}",
                        if previous { "previous" } else { "logs" }
                    ),
                };
                super::logs::open(request, cx.data, cx.session)
            }
            Source::Object {
                kind,
                namespace,
                name,
            }
            | Source::Event {
                kind,
                namespace,
                name,
                ..
            } => {
                let Some(resource) = super::resource_of(&kind, &cx.session.resources).cloned()
                else {
                    cx.error(format!(
                        "the cluster does not serve {kind} (or discovery has not said yet)"
                    ));
                    return Step::nothing();
                };
                let target = ObjectRef {
                    namespace: resource.namespaced.then_some(namespace),
                    name,
                    resource,
                };
                let action = match action {
                    KeyAction::Enter if is_event => KeyAction::Events,
                    KeyAction::Enter => KeyAction::Describe,
                    other => other,
                };
                super::open_object(action, target, cx, Nav::Push)
            }
        }
    }

    /// The selected line's object, for `y`, `d`, `E`, `X` and the write keys.
    fn target(&self, cx: &Cx) -> Option<ObjectRef> {
        let e = cx.data.explained.get(&self.id)?;
        let line = self.lines(cx.data).get(self.selected);
        match line.and_then(|l| l.source.as_ref()) {
            Some(Source::Object {
                kind,
                namespace,
                name,
            })
            | Some(Source::Event {
                kind,
                namespace,
                name,
                ..
            }) => {
                let resource = super::resource_of(kind, &cx.session.resources)?.clone();
                Some(ObjectRef {
                    namespace: resource.namespaced.then(|| namespace.clone()),
                    name: name.clone(),
                    resource,
                })
            }
            _ => Some(e.target.clone()),
        }
    }
}

impl Screen for ExplainScreen {
    fn section(&self) -> Section {
        Section::List
    }

    fn crumb(&self) -> String {
        self.crumb.clone()
    }

    fn on_action(&mut self, action: KeyAction, cx: &mut Cx) -> Step {
        let len = self.lines(cx.data).len();
        let page = cx.session.body_rows().saturating_sub(1);
        if let Some(to) = super::super::model::moved(action, self.selected, len, page) {
            self.selected = to;
            return Step::nothing();
        }
        match action {
            KeyAction::Enter | KeyAction::Yaml | KeyAction::Describe | KeyAction::Events => {
                return self.go(action, cx);
            }
            KeyAction::Logs | KeyAction::PreviousLogs => {
                let on_log = self
                    .lines(cx.data)
                    .get(self.selected)
                    .is_some_and(|l| matches!(l.source, Some(Source::Log { .. })));
                if on_log {
                    return self.go(KeyAction::Enter, cx);
                }
                cx.info("l opens the log a log line came from; pick one, or open the pod (Enter)");
            }
            _ => return Step::Pass,
        }
        Step::nothing()
    }

    fn refresh(&mut self, cx: &mut Cx) {
        let len = self.lines(cx.data).len();
        self.selected = self.selected.min(len.saturating_sub(1));
        let page = cx.session.body_rows().saturating_sub(2);
        self.offset = super::super::model::scroll_offset(self.selected, self.offset, page);
    }

    fn status(&self, dx: &Dx) -> Vec<Span<'static>> {
        let Some(e) = dx.data.explained.get(&self.id) else {
            return Vec::new();
        };
        match &e.result {
            None => vec![Span::styled("  reading…", dx.theme.style("status.warn"))],
            Some(Err(why)) => vec![Span::styled(
                format!("  {why}"),
                dx.theme.style("status.error"),
            )],
            Some(Ok(d)) => {
                let ago = (dx.session.now - e.at).max(0);
                vec![
                    Span::styled(
                        format!("  {}", d.health.word()),
                        dx.theme.style(health_slot(d.health)),
                    ),
                    Span::raw(format!("  read {ago}s ago")),
                ]
            }
        }
    }

    fn draw(&self, f: &mut Frame, area: Rect, dx: &Dx) {
        let theme = dx.theme;
        let Some(e) = dx.data.explained.get(&self.id) else {
            return;
        };
        let mut out: Vec<TextLine> = Vec::new();
        let title = match &e.result {
            Some(Ok(d)) => format!(
                "{}/{} is {}",
                d.kind.to_lowercase(),
                d.name,
                d.health.word()
            ),
            Some(Err(why)) => format!("cannot explain {}: {why}", e.target.display()),
            None => format!("reading {} …", e.target.display()),
        };
        out.push(TextLine::from(Span::styled(
            title,
            theme.style("table.header"),
        )));
        let lines: &[Line] = match &e.result {
            Some(Ok(d)) => &d.lines,
            _ => &[],
        };
        let height = area.height.saturating_sub(1) as usize;
        for (i, l) in lines.iter().enumerate().skip(self.offset).take(height) {
            let text = crate::text::visible(&l.text);
            let indent = "  ".repeat(l.depth as usize + 1);
            let mut spans = vec![
                Span::raw(indent),
                Span::styled(text.into_owned(), theme.style(health_slot(l.health))),
            ];
            if let Some(s) = &l.source {
                spans.push(Span::styled(
                    format!("  ← {}", crate::text::visible(&s.describe())),
                    theme.style("yaml.comment"),
                ));
            }
            let mut line = TextLine::from(spans);
            if i == self.selected {
                line = line.style(theme.style("row.selected"));
            }
            out.push(line);
        }
        f.render_widget(Paragraph::new(out), area);
    }

    fn hints(&self) -> &'static [Hint] {
        &[
            (&[KeyAction::Enter], "go to evidence"),
            (&[KeyAction::Yaml], "yaml"),
            (&[KeyAction::Describe], "describe"),
            (&[KeyAction::Logs], "log"),
            (&[KeyAction::Back], "back"),
        ]
    }

    fn targets(&self, cx: &Cx, _marked: bool) -> Vec<ObjectRef> {
        self.target(cx).into_iter().collect()
    }

    fn explains(&self) -> Option<u64> {
        Some(self.id)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
