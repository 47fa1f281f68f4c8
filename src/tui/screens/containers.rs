//! A pod's containers (init and ephemeral ones too): image, readiness, state, restarts and
//! ports; Enter, `l` or `p` open one container's logs.

use super::super::logview::{DEFAULT_MAX_REQUESTS, LogRequest};
use super::super::object_text::{ContainerRow, containers};
use super::super::screen::{Cx, Dx, Hint, Screen, Step};
use super::list::status_slot;
use super::object::{ObjectText, presence, switch};
use crate::cluster::object::ObjectRef;
use crate::config::keys::{KeyAction, Section};
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::Span;
use ratatui::widgets::{Row as TableRow, Table};
use std::any::Any;

pub struct ContainersScreen {
    /// The follow, and the pod's name (its lines are unused: the rows are containers).
    pub object: ObjectText,
    pub rows: Vec<ContainerRow>,
    pub selected: usize,
    /// The first row on screen.
    offset: usize,
    /// The follow's version the rows were built from.
    built: Option<u64>,
}

impl ContainersScreen {
    pub fn new(id: u64, name: &str) -> ContainersScreen {
        ContainersScreen {
            object: ObjectText::new(id, name),
            rows: Vec::new(),
            selected: 0,
            offset: 0,
            built: None,
        }
    }

    fn logs(&self, previous: bool, cx: &mut Cx) -> Step {
        let (Some(c), Some(f)) = (self.rows.get(self.selected), self.object.followed(cx.data))
        else {
            return Step::nothing();
        };
        let pod = &f.target.name;
        let request = LogRequest {
            namespace: f.target.namespace.clone(),
            pod_regex: format!("^{}$", regex::escape(pod)),
            container_regex: Some(format!("^{}$", regex::escape(&c.name))),
            label_selector: None,
            previous,
            one_pod: true,
            max_requests: DEFAULT_MAX_REQUESTS,
            title: format!(
                "{pod}/{}:{}",
                c.name,
                if previous { "previous" } else { "logs" }
            ),
        };
        super::logs::open(request, cx.data, cx.session)
    }
}

impl Screen for ContainersScreen {
    fn section(&self) -> Section {
        Section::List
    }

    fn crumb(&self) -> String {
        self.object.crumb("containers")
    }

    fn on_action(&mut self, action: KeyAction, cx: &mut Cx) -> Step {
        let last = self.rows.len().saturating_sub(1) as isize;
        let page = cx.session.body_rows().saturating_sub(1) as isize;
        let mut step = |by: isize| {
            self.selected = (self.selected as isize + by).clamp(0, last.max(0)) as usize;
        };
        match action {
            KeyAction::Up => step(-1),
            KeyAction::Down => step(1),
            KeyAction::PageUp => step(-page),
            KeyAction::PageDown => step(page),
            KeyAction::Top => step(isize::MIN / 2),
            KeyAction::Bottom => step(isize::MAX / 2),
            KeyAction::Enter | KeyAction::Logs => return self.logs(false, cx),
            KeyAction::PreviousLogs => return self.logs(true, cx),
            KeyAction::Yaml | KeyAction::Describe | KeyAction::Events | KeyAction::Diff => {
                return switch(action, self.object.id, cx);
            }
            _ => return Step::Pass,
        }
        Step::nothing()
    }

    fn refresh(&mut self, cx: &mut Cx) {
        if let Some(f) = self.object.followed(cx.data)
            && self.built != Some(f.version)
        {
            self.built = Some(f.version);
            self.rows = f.object.as_ref().map(containers).unwrap_or_default();
        }
        self.selected = self.selected.min(self.rows.len().saturating_sub(1));
        let page = cx.session.body_rows().saturating_sub(1);
        self.offset = super::super::model::scroll_offset(self.selected, self.offset, page);
    }

    fn status(&self, dx: &Dx) -> Vec<Span<'static>> {
        presence(self.object.followed(dx.data), dx)
    }

    fn draw(&self, f: &mut Frame, area: Rect, dx: &Dx) {
        let theme = dx.theme;
        let height = area.height.saturating_sub(1) as usize;
        let rows: Vec<TableRow> = self
            .rows
            .iter()
            .enumerate()
            .skip(self.offset)
            .take(height)
            .map(|(i, c)| {
                let name = if c.role.is_empty() {
                    c.name.clone()
                } else {
                    format!("{} ({})", c.name, c.role)
                };
                let selected = i == self.selected;
                let state_style = if selected {
                    Style::default()
                } else {
                    theme.style(status_slot(c.state.split(' ').next().unwrap_or("")))
                };
                TableRow::new(vec![
                    Span::raw(name),
                    Span::raw(c.image.clone()),
                    Span::raw(if c.ready { "true" } else { "false" }),
                    Span::styled(c.state.clone(), state_style),
                    Span::raw(c.restarts.to_string()),
                    Span::raw(c.ports.clone()),
                ])
                .style(theme.style(if selected {
                    "row.selected"
                } else {
                    "row.normal"
                }))
            })
            .collect();
        let longest = |f: fn(&ContainerRow) -> usize, title: &str| {
            let widest = self.rows.iter().map(f).max().unwrap_or(0);
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

    fn hints(&self) -> &'static [Hint] {
        // Describe and events are a key away too (`d`, `E`, in the help): the footer fits 80
        // columns.
        &[
            (&[KeyAction::Enter], "logs"),
            (&[KeyAction::PreviousLogs], "previous"),
            (&[KeyAction::Shell], "shell"),
            (&[KeyAction::Attach], "attach"),
            (&[KeyAction::PortForward], "forward"),
            (&[KeyAction::Yaml], "yaml"),
            (&[KeyAction::Back], "back"),
        ]
    }

    fn targets(&self, cx: &Cx, _marked: bool) -> Vec<ObjectRef> {
        self.object.targets(cx)
    }

    fn follows(&self) -> Option<u64> {
        Some(self.object.id)
    }

    fn container(&self) -> Option<String> {
        self.rows.get(self.selected).map(|c| c.name.clone())
    }

    fn plugin_scope(&self, cx: &Cx) -> Option<crate::tui::plugins::PluginScope> {
        let pod = self.object.targets(cx).into_iter().next()?;
        let rows = self
            .rows
            .get(self.selected)
            .map(|c| crate::tui::plugins::PluginRow {
                namespace: pod.namespace.clone().unwrap_or_default(),
                name: pod.name.clone(),
                container: Some(c.name.clone()),
                columns: vec![
                    ("NAME".into(), c.name.clone()),
                    ("IMAGE".into(), c.image.clone()),
                    ("STATE".into(), c.state.clone()),
                    ("RESTARTS".into(), c.restarts.to_string()),
                    ("PORTS".into(), c.ports.clone()),
                ],
            })
            .into_iter()
            .collect();
        Some(crate::tui::plugins::PluginScope {
            names: vec!["containers".into(), "container".into()],
            resource: Some(pod.resource),
            filter: None,
            rows,
        })
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
