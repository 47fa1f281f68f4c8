//! What the text screens of one object (YAML, describe, events) share: the followed object
//! they show, their lines rebuilt only when the object or a toggle moved, scrolling and
//! search, switching to the object's other screens, a pod's logs, and the header's word on
//! whether the object is live. Each of those screens is a `TextView` in its own file — its
//! lines, their colours, keys of its own — shown by the one `TextScreen` here.

use super::super::logview::{DEFAULT_MAX_REQUESTS, LogRequest};
use super::super::model::RowFilter;
use super::super::overlay::{Overlay, Prompt};
use super::super::pane::{Pane, Pieces};
use super::super::screen::{Ask, Cx, Dx, Hint, Nav, Screen, Step};
use super::super::session::{Data, Followed, Presence};
use crate::cluster::kinds;
use crate::cluster::object::ObjectRef;
use crate::config::keys::{KeyAction, Section};
use crate::config::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Span;
use serde_json::Value;
use std::any::Any;

/// One view of an object's text: what it is called, the key that opens it, its lines and
/// their colours, and keys of its own.
pub trait TextView: Send + 'static {
    /// For the breadcrumb: `yaml` in `web-1:yaml`.
    fn what(&self) -> &'static str;
    /// The key that opens it (pressing it again does nothing).
    fn key(&self) -> KeyAction;
    /// The view's lines of the object (with its events, at `now`).
    fn lines(&self, followed: &Followed, object: &Value, now: i64) -> Vec<String>;
    /// One line in colour.
    fn pieces(&self, index: usize, line: &str, theme: &Theme) -> Pieces;
    /// Its own toggles, as bits: the lines are rebuilt when they change.
    fn toggles(&self) -> u64 {
        0
    }
    /// Keys of its own; None leaves the key to the shared ones.
    fn on_action(
        &mut self,
        _action: KeyAction,
        _object: Option<&Value>,
        _cx: &mut Cx,
    ) -> Option<Step> {
        None
    }
}

/// A screen of one object's text, as its `TextView` shows it.
pub struct TextScreen<V: TextView> {
    pub text: ObjectText,
    pub view: V,
}

impl<V: TextView> TextScreen<V> {
    pub fn new(id: u64, name: &str, view: V) -> TextScreen<V> {
        TextScreen {
            text: ObjectText::new(id, name),
            view,
        }
    }
}

/// The footer of an object's text screens.
const TEXT_HINTS: &[Hint] = &[
    (&[KeyAction::Yaml], "yaml"),
    (&[KeyAction::Describe], "describe"),
    (&[KeyAction::Events], "events"),
    (&[KeyAction::Diff], "diff"),
    (&[KeyAction::ToggleManagedFields], "managedFields"),
    (&[KeyAction::Reveal], "reveal secret"),
    (&[KeyAction::Filter], "search"),
    (
        &[KeyAction::SearchNext, KeyAction::SearchPrevious],
        "next/prev",
    ),
    (&[KeyAction::Back], "back"),
];

impl<V: TextView> Screen for TextScreen<V> {
    fn section(&self) -> Section {
        Section::Detail
    }

    fn crumb(&self) -> String {
        self.text.crumb(self.view.what())
    }

    fn on_action(&mut self, action: KeyAction, cx: &mut Cx) -> Step {
        let object = self.text.followed(cx.data).and_then(|f| f.object.clone());
        if let Some(step) = self.view.on_action(action, object.as_ref(), cx) {
            return step;
        }
        self.text.on_action(action, self.view.key(), cx)
    }

    fn on_prompt(&mut self, ask: Ask, text: &str, cx: &mut Cx) -> Step {
        if ask == Ask::Filter {
            self.text.search(text, cx);
        }
        Step::nothing()
    }

    fn refresh(&mut self, cx: &mut Cx) {
        let view = &self.view;
        self.text
            .refresh(cx, view.toggles(), |followed, object, now| {
                view.lines(followed, object, now)
            });
    }

    fn status(&self, dx: &Dx) -> Vec<Span<'static>> {
        self.text.status(dx)
    }

    fn draw(&self, f: &mut Frame, area: Rect, dx: &Dx) {
        self.text
            .pane
            .draw(f, dx.theme, area, |i, l| self.view.pieces(i, l, dx.theme));
    }

    fn hints(&self) -> &'static [Hint] {
        TEXT_HINTS
    }

    fn targets(&self, cx: &Cx, _marked: bool) -> Vec<ObjectRef> {
        self.text.targets(cx)
    }

    fn follows(&self) -> Option<u64> {
        Some(self.text.id)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// The followed object's text, and where the screen is in it.
#[derive(Debug, Clone)]
pub struct ObjectText {
    /// The follow this screen shows.
    pub id: u64,
    /// The object's name, for the breadcrumb.
    pub name: String,
    pub pane: Pane,
    /// (the follow's version, the screen's toggles, the screen's height) the lines were
    /// built and clamped for.
    built: Option<(u64, u64, usize)>,
}

impl ObjectText {
    pub fn new(id: u64, name: &str) -> ObjectText {
        ObjectText {
            id,
            name: name.to_string(),
            pane: Pane::default(),
            built: None,
        }
    }

    pub fn followed<'a>(&self, data: &'a Data) -> Option<&'a Followed> {
        data.followed.as_ref().filter(|f| f.id == self.id)
    }

    /// Rebuilds the lines with `build` when the object or `toggles` moved, and keeps the view
    /// within them.
    pub fn refresh(
        &mut self,
        cx: &Cx,
        toggles: u64,
        build: impl FnOnce(&Followed, &serde_json::Value, i64) -> Vec<String>,
    ) {
        let Some(followed) = self.followed(cx.data) else {
            return;
        };
        let rows = cx.session.body_rows();
        let wanted = (followed.version, toggles, rows);
        if self.built == Some(wanted) {
            return;
        }
        if self
            .built
            .is_none_or(|(v, t, _)| (v, t) != (wanted.0, wanted.1))
        {
            self.pane.lines = match &followed.object {
                Some(object) => build(followed, object, cx.session.now),
                None => vec![waiting(followed)],
            };
        }
        self.built = Some(wanted);
        self.pane.clamp(rows);
    }

    /// The keys the object's text screens share. `this` is the key that opened this screen
    /// (pressing it again does nothing).
    pub fn on_action(&mut self, action: KeyAction, this: KeyAction, cx: &mut Cx) -> Step {
        let rows = cx.session.body_rows();
        let page = rows as isize;
        match action {
            KeyAction::Up => self.pane.scroll_by(-1, rows),
            KeyAction::Down => self.pane.scroll_by(1, rows),
            KeyAction::PageUp => self.pane.scroll_by(-page, rows),
            KeyAction::PageDown => self.pane.scroll_by(page, rows),
            KeyAction::Top => self.pane.scroll_by(isize::MIN / 2, rows),
            KeyAction::Bottom => self.pane.scroll_by(isize::MAX / 2, rows),
            // Esc clears the search before it leaves.
            KeyAction::Back if self.pane.search.is_some() => self.pane.search = None,
            KeyAction::Filter => {
                let current = self.pane.search.as_ref().map(|r| r.as_str().to_string());
                let prompt = Prompt::new(Ask::Filter, current.unwrap_or_default());
                return Step::go(Nav::Open(Box::new(Overlay::Prompt(prompt))));
            }
            KeyAction::SearchNext | KeyAction::SearchPrevious => {
                if self.pane.search.is_none() {
                    cx.info("no search: type / first");
                } else if !self.pane.find(action == KeyAction::SearchNext) {
                    cx.info("no match");
                }
            }
            KeyAction::Yaml | KeyAction::Describe | KeyAction::Events | KeyAction::Diff
                if action != this =>
            {
                return switch(action, self.id, cx);
            }
            KeyAction::Yaml | KeyAction::Describe | KeyAction::Events | KeyAction::Diff => {}
            KeyAction::Logs | KeyAction::PreviousLogs => {
                return logs_of(self.followed(cx.data).map(|f| f.target.clone()), action, cx);
            }
            _ => return Step::Pass,
        }
        Step::nothing()
    }

    /// `/` entered: search the lines.
    pub fn search(&mut self, text: &str, cx: &mut Cx) {
        let text = text.trim();
        if text.is_empty() {
            self.pane.search = None;
            return;
        }
        match RowFilter::smart_case_regex(text) {
            Ok(re) => {
                if !self.pane.search_for(re) {
                    cx.info(format!("no match for /{text}"));
                }
            }
            Err(e) => cx.error(format!("invalid search regex {text:?}: {e}")),
        }
    }

    /// The header: live, loading, missing or deleted, where in the text, the search.
    pub fn status(&self, dx: &Dx) -> Vec<Span<'static>> {
        let mut spans = presence(self.followed(dx.data), dx);
        let lines = self.pane.lines.len();
        if lines > 0 {
            spans.push(Span::raw(format!(
                "  line {}/{lines}",
                (self.pane.scroll + 1).min(lines)
            )));
        }
        if let Some(re) = &self.pane.search {
            spans.push(Span::raw(format!("  /{}", re.as_str())));
        }
        spans
    }

    pub fn targets(&self, cx: &Cx) -> Vec<ObjectRef> {
        self.followed(cx.data)
            .map(|f| f.target.clone())
            .into_iter()
            .collect()
    }

    /// The breadcrumb: `web-1:yaml`.
    pub fn crumb(&self, what: &str) -> String {
        format!("{}:{what}", self.name)
    }
}

/// What a screen of an object not received yet says.
fn waiting(followed: &Followed) -> String {
    match followed.presence {
        Presence::Missing => format!(
            "{} does not exist (yet); waiting for it",
            followed.target.display()
        ),
        _ => format!("loading {}…", followed.target.display()),
    }
}

/// The header's word on the followed object.
pub fn presence(followed: Option<&Followed>, dx: &Dx) -> Vec<Span<'static>> {
    let Some(f) = followed else {
        return Vec::new();
    };
    let (text, slot) = match (&f.error, &f.presence) {
        (Some(t), _) => {
            let now = jiff::Timestamp::from_second(dx.session.now)
                .unwrap_or_else(|_| jiff::Timestamp::now());
            (format!("  {}", t.line(now)), "status.error")
        }
        (None, Presence::Loading) => ("  loading…".to_string(), "status.warn"),
        (None, Presence::Missing) => ("  not found; waiting for it".to_string(), "status.warn"),
        (None, Presence::Deleted) => ("  deleted (last known copy)".to_string(), "status.error"),
        (None, Presence::Live) => ("  live".to_string(), "status.ok"),
    };
    vec![Span::styled(text, dx.theme.style(slot))]
}

/// Another screen of the same object, in place of this one.
pub fn switch(action: KeyAction, id: u64, cx: &mut Cx) -> Step {
    let target = cx
        .data
        .followed
        .as_ref()
        .filter(|f| f.id == id)
        .map(|f| f.target.clone());
    match target {
        Some(target) => super::open_object(action, target, cx, Nav::Replace),
        None => Step::nothing(),
    }
}

/// `l` / `p` on a pod's screen: its containers' logs.
pub fn logs_of(target: Option<ObjectRef>, action: KeyAction, cx: &mut Cx) -> Step {
    let Some(t) = target.filter(|t| kinds::is_pod(&t.resource.group, &t.resource.kind)) else {
        cx.info("logs open from pods, containers and workloads");
        return Step::nothing();
    };
    let previous = action == KeyAction::PreviousLogs;
    let request = LogRequest {
        pod_regex: format!("^{}$", regex::escape(&t.name)),
        namespace: t.namespace,
        container_regex: None,
        label_selector: None,
        previous,
        one_pod: true,
        max_requests: DEFAULT_MAX_REQUESTS,
        title: format!("{}:{}", t.name, if previous { "previous" } else { "logs" }),
    };
    super::logs::open(request, cx.data, cx.session)
}
