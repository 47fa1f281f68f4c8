//! Xray (`:xray KIND [NS]`): a live tree from every object of a kind down to containers and
//! what pods mount, each line coloured by health. Enter folds and unfolds; `y`, `d`, `E`, `l`
//! and `X` work on any line (a container's are its pod's, its logs its own).

use super::super::logview::{DEFAULT_MAX_REQUESTS, LogRequest};
use super::super::screen::{Cx, Dx, Hint, Nav, Screen, Step};
use super::super::session::{Data, XrayState};
use crate::cluster::object::ObjectRef;
use crate::config::keys::{KeyAction, Section};
use crate::xray::{Health, KINDS, Line};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line as TextLine, Span};
use ratatui::widgets::Paragraph;
use std::any::Any;
use std::collections::HashSet;

pub struct XrayScreen {
    pub id: u64,
    root: &'static str,
    namespace: Option<String>,
    /// Paths of folded lines.
    closed: HashSet<String>,
    pub lines: Vec<Line>,
    /// The graph's generation the lines were built from, and the second they were.
    built: Option<(u64, i64)>,
    /// Lines must be rebuilt now (a fold), not at the next second.
    stale: bool,
    pub selected: usize,
    offset: usize,
}

fn slot(h: Health) -> &'static str {
    match h {
        Health::Healthy => "status.ok",
        Health::Progressing => "status.warn",
        Health::Failing => "status.error",
    }
}

impl XrayScreen {
    pub fn new(id: u64, root: &'static str, namespace: Option<String>) -> XrayScreen {
        XrayScreen {
            id,
            root,
            namespace,
            closed: HashSet::new(),
            lines: Vec::new(),
            built: None,
            stale: true,
            selected: 0,
            offset: 0,
        }
    }

    fn state<'a>(&self, data: &'a Data) -> Option<&'a XrayState> {
        data.xray.as_ref().filter(|x| x.id == self.id)
    }

    /// The object a line stands for (a container's pod).
    fn target_of(&self, line: &Line, cx: &Cx) -> Option<ObjectRef> {
        let (kind, name) = match &line.pod {
            Some(pod) => ("Pod", pod.as_str()),
            None => (line.kind.as_str(), line.name.as_str()),
        };
        super::object_ref(kind, &line.namespace, name, &cx.session.resources)
    }

    fn logs(&self, previous: bool, cx: &mut Cx) -> Step {
        let Some(line) = self.lines.get(self.selected) else {
            return Step::nothing();
        };
        let (pod, container) = match (&line.pod, line.kind.as_str()) {
            (Some(pod), _) => (pod.clone(), Some(line.name.clone())),
            (None, "Pod") => (line.name.clone(), None),
            _ => {
                cx.info("l opens the logs of a pod or a container line");
                return Step::nothing();
            }
        };
        let what = if previous { "previous" } else { "logs" };
        let request = LogRequest {
            namespace: Some(line.namespace.clone()),
            pod_regex: format!("^{}$", regex::escape(&pod)),
            container_regex: container
                .as_ref()
                .map(|c| format!("^{}$", regex::escape(c))),
            label_selector: None,
            previous,
            one_pod: true,
            max_requests: DEFAULT_MAX_REQUESTS,
            title: match &container {
                Some(c) => format!("{pod}/{c}:{what}"),
                None => format!("{pod}:{what}"),
            },
        };
        super::logs::open(request, cx.data, cx.session)
    }
}

impl Screen for XrayScreen {
    fn section(&self) -> Section {
        Section::List
    }

    fn crumb(&self) -> String {
        let kind = self.root.to_lowercase();
        match &self.namespace {
            Some(ns) => format!("xray {kind} {ns}"),
            None => format!("xray {kind} (all namespaces)"),
        }
    }

    fn on_action(&mut self, action: KeyAction, cx: &mut Cx) -> Step {
        let page = cx.session.body_rows().saturating_sub(1);
        if let Some(to) = super::super::model::moved(action, self.selected, self.lines.len(), page)
        {
            self.selected = to;
            return Step::nothing();
        }
        match action {
            KeyAction::Enter => {
                if let Some(line) = self.lines.get(self.selected).filter(|l| l.has_children) {
                    if !self.closed.remove(&line.path) {
                        self.closed.insert(line.path.clone());
                    }
                    self.stale = true;
                }
            }
            KeyAction::Yaml | KeyAction::Describe | KeyAction::Events | KeyAction::Diff => {
                let Some(target) = self.targets(cx, false).into_iter().next() else {
                    cx.info("nothing to open on this line");
                    return Step::nothing();
                };
                return super::open_object(action, target, cx, Nav::Push);
            }
            KeyAction::Logs => return self.logs(false, cx),
            KeyAction::PreviousLogs => return self.logs(true, cx),
            _ => return Step::Pass,
        }
        Step::nothing()
    }

    fn refresh(&mut self, cx: &mut Cx) {
        let now = cx.session.now;
        let Some(state) = self.state(cx.data) else {
            return;
        };
        let generation = state.graph.generation;
        // The tree is rebuilt when the objects moved, at most once a second (a fold at once).
        let due = match self.built {
            None => true,
            // (An empty tree fills at once: the first objects should not wait a second.)
            Some((g, at)) => {
                self.stale || (g != generation && (at != now || self.lines.is_empty()))
            }
        };
        if due {
            let selected = self.lines.get(self.selected).map(|l| l.path.clone());
            let mut lines = state.graph.tree(self.root, &self.closed);
            if let Some(ns) = &self.namespace {
                lines.retain(|l| &l.namespace == ns);
            }
            self.lines = lines;
            // The cursor stays on its line as lines above it come and go.
            if let Some(p) = selected
                && let Some(at) = self.lines.iter().position(|l| l.path == p)
            {
                self.selected = at;
            }
            self.built = Some((generation, now));
            self.stale = false;
        }
        self.selected = self.selected.min(self.lines.len().saturating_sub(1));
        let page = cx.session.body_rows();
        self.offset = super::super::model::scroll_offset(self.selected, self.offset, page);
    }

    fn status(&self, dx: &Dx) -> Vec<Span<'static>> {
        let Some(state) = self.state(dx.data) else {
            return Vec::new();
        };
        if let Some((kind, e)) = state.problems.iter().next() {
            return vec![Span::styled(
                format!("  cannot read {kind}s: {e}"),
                dx.theme.style("status.error"),
            )];
        }
        let waiting = KINDS.len().saturating_sub(state.listed.len());
        if waiting > 0 {
            vec![Span::styled(
                format!("  reading… ({waiting} kinds to go)"),
                dx.theme.style("status.warn"),
            )]
        } else {
            vec![Span::styled("  live", dx.theme.style("status.ok"))]
        }
    }

    fn draw(&self, f: &mut Frame, area: Rect, dx: &Dx) {
        let theme = dx.theme;
        if self.lines.is_empty() {
            let said = match self.state(dx.data) {
                Some(s) if s.listed.len() >= KINDS.len() => {
                    format!("no {} here", self.root.to_lowercase())
                }
                _ => "reading…".to_string(),
            };
            f.render_widget(Paragraph::new(said), area);
            return;
        }
        let out: Vec<TextLine> = self
            .lines
            .iter()
            .enumerate()
            .skip(self.offset)
            .take(area.height as usize)
            .map(|(i, l)| {
                let fold = match (l.has_children, l.open) {
                    (false, _) => "  ",
                    (true, true) => "▾ ",
                    (true, false) => "▸ ",
                };
                let mut line = TextLine::from(vec![
                    Span::raw("  ".repeat(l.depth)),
                    Span::raw(fold),
                    Span::styled(
                        format!(
                            "{}/{}",
                            l.kind.to_lowercase(),
                            crate::text::visible(&l.name)
                        ),
                        theme.style(slot(l.health)),
                    ),
                    Span::styled(
                        format!("  {}", crate::text::visible(&l.detail)),
                        theme.style("yaml.comment"),
                    ),
                ]);
                if i == self.selected {
                    line = line.style(theme.style("row.selected"));
                }
                line
            })
            .collect();
        f.render_widget(Paragraph::new(out), area);
    }

    fn hints(&self) -> &'static [Hint] {
        &[
            (&[KeyAction::Enter], "fold"),
            (&[KeyAction::Yaml], "yaml"),
            (&[KeyAction::Describe], "describe"),
            (&[KeyAction::Logs], "logs"),
            (&[KeyAction::Explain], "explain"),
            (&[KeyAction::Back], "back"),
        ]
    }

    fn targets(&self, cx: &Cx, _marked: bool) -> Vec<ObjectRef> {
        self.lines
            .get(self.selected)
            .and_then(|l| self.target_of(l, cx))
            .into_iter()
            .collect()
    }

    fn container(&self) -> Option<String> {
        self.lines
            .get(self.selected)
            .filter(|l| l.pod.is_some())
            .map(|l| l.name.clone())
    }

    fn xrays(&self) -> Option<u64> {
        Some(self.id)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
