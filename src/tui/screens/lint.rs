//! The live linter (`:lint`): every finding in the namespace in view (or all), the worst first,
//! kept up to date as objects change; scores per namespace and for the cluster on top; the
//! selected finding's fix at the bottom. Enter opens the object; `X` explains it.

use super::super::screen::{Cx, Dx, Hint, Nav, Screen, Step};
use super::super::session::LintState;
use crate::cluster::object::ObjectRef;
use crate::config::keys::{KeyAction, Section};
use crate::lint::{Finding, KINDS, Severity, Subject};
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Row as TableRow, Table};
use std::any::Any;

pub struct LintScreen {
    pub id: u64,
    namespace: Option<String>,
    pub selected: usize,
    offset: usize,
    /// The selected finding, so it keeps the cursor as findings above it come and go.
    chosen: Option<(Subject, &'static str, String)>,
    /// The linter's generation the selection was placed at.
    seen: u64,
}

pub fn severity_slot(s: Severity) -> &'static str {
    match s {
        Severity::Error => "status.error",
        Severity::Warn => "status.warn",
        Severity::Info => "status.ok",
    }
}

fn score_slot(score: u32) -> &'static str {
    match score {
        80.. => "status.ok",
        50.. => "status.warn",
        _ => "status.error",
    }
}

/// Rows above the table: the scores, and what could not be read.
const ABOVE: u16 = 2;
/// Rows below it: the selected finding's fix.
const BELOW: u16 = 1;

impl LintScreen {
    pub fn new(id: u64, namespace: Option<String>) -> LintScreen {
        LintScreen {
            id,
            namespace,
            selected: 0,
            offset: 0,
            chosen: None,
            seen: 0,
        }
    }

    fn state<'a>(&self, data: &'a super::super::session::Data) -> Option<&'a LintState> {
        data.lint.as_ref().filter(|l| l.id == self.id)
    }

    fn finding<'a>(&self, data: &'a super::super::session::Data) -> Option<&'a Finding> {
        self.state(data)?.live.findings().nth(self.selected)
    }

    fn table_rows(&self, cx_rows: usize) -> usize {
        cx_rows.saturating_sub((ABOVE + BELOW + 1) as usize)
    }
}

impl Screen for LintScreen {
    fn section(&self) -> Section {
        Section::List
    }

    fn crumb(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("lint {ns}"),
            None => "lint (all namespaces)".into(),
        }
    }

    fn on_action(&mut self, action: KeyAction, cx: &mut Cx) -> Step {
        let len = self.state(cx.data).map_or(0, |l| l.live.len());
        let page = self.table_rows(cx.session.body_rows());
        if let Some(to) = super::super::model::moved(action, self.selected, len, page) {
            self.selected = to;
            self.chosen = self
                .finding(cx.data)
                .map(|f| (f.subject.clone(), f.rule, f.message.clone()));
            return Step::nothing();
        }
        match action {
            KeyAction::Enter | KeyAction::Yaml | KeyAction::Describe | KeyAction::Events => {
                let Some(target) = self.targets(cx, false).into_iter().next() else {
                    cx.info("no finding selected");
                    return Step::nothing();
                };
                let action = if action == KeyAction::Enter {
                    KeyAction::Describe
                } else {
                    action
                };
                super::open_object(action, target, cx, Nav::Push)
            }
            _ => Step::Pass,
        }
    }

    fn refresh(&mut self, cx: &mut Cx) {
        let Some(state) = self.state(cx.data) else {
            return;
        };
        let live = &state.live;
        if live.generation != self.seen {
            self.seen = live.generation;
            // The chosen finding keeps the cursor; gone, the cursor stays where it was.
            if let Some((subject, rule, message)) = &self.chosen
                && let Some(at) = live
                    .findings()
                    .position(|f| f.rule == *rule && f.subject == *subject && f.message == *message)
            {
                self.selected = at;
            }
        }
        self.selected = self.selected.min(live.len().saturating_sub(1));
        let page = self.table_rows(cx.session.body_rows()).max(1);
        self.offset = super::super::model::scroll_offset(self.selected, self.offset, page);
    }

    fn status(&self, dx: &Dx) -> Vec<Span<'static>> {
        let Some(state) = self.state(dx.data) else {
            return Vec::new();
        };
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
        let Some(state) = self.state(dx.data) else {
            return;
        };
        let live = &state.live;
        let scores = live.scores();
        let counts = live.counts();
        let mut top = vec![
            Span::raw("score "),
            Span::styled(
                format!("{}/100", scores.cluster),
                theme.style(score_slot(scores.cluster)),
            ),
            Span::raw(format!(
                "  {} objects, {} errors, {} warnings, {} infos ",
                live.objects(),
                counts[Severity::Error as usize],
                counts[Severity::Warn as usize],
                counts[Severity::Info as usize]
            )),
        ];
        for (ns, s) in &scores.namespaces {
            top.push(Span::raw(format!(" {ns} ")));
            top.push(Span::styled(s.to_string(), theme.style(score_slot(*s))));
        }
        let problems = if state.problems.is_empty() {
            Line::raw("")
        } else {
            let said: Vec<String> = state
                .problems
                .iter()
                .map(|(k, e)| format!("{k}s: {e}"))
                .collect();
            Line::styled(
                format!(
                    "cannot read {}; rules needing them are off",
                    said.join("; ")
                ),
                theme.style("status.error"),
            )
        };
        let head = Rect {
            height: ABOVE.min(area.height),
            ..area
        };
        f.render_widget(Paragraph::new(vec![Line::from(top), problems]), head);
        let body_height = area.height.saturating_sub(ABOVE + BELOW);
        let body = Rect {
            y: area.y + ABOVE.min(area.height),
            height: body_height,
            ..area
        };
        let shown = body_height.saturating_sub(1) as usize;
        let rows: Vec<TableRow> = live
            .findings()
            .enumerate()
            .skip(self.offset)
            .take(shown)
            .map(|(i, fnd)| {
                let selected = i == self.selected;
                let sev = Span::styled(
                    fnd.severity.word().to_uppercase(),
                    if selected {
                        Default::default()
                    } else {
                        theme.style(severity_slot(fnd.severity))
                    },
                );
                TableRow::new(vec![
                    sev,
                    Span::raw(fnd.subject.namespace.clone()),
                    Span::raw(crate::text::visible(&fnd.subject.short()).into_owned()),
                    Span::raw(fnd.rule),
                    Span::raw(crate::text::visible(&fnd.message).into_owned()),
                ])
                .style(theme.style(if selected {
                    "row.selected"
                } else {
                    "row.normal"
                }))
            })
            .collect();
        let widths = [
            Constraint::Length(5),
            Constraint::Length(14),
            Constraint::Length(34),
            Constraint::Length(16),
            Constraint::Min(10),
        ];
        let header = TableRow::new(["LEVEL", "NAMESPACE", "OBJECT", "RULE", "WHY"])
            .style(theme.style("table.header"));
        if live.is_empty() {
            let said = if state.listed.len() < KINDS.len() {
                "reading the objects the rules check…"
            } else {
                "no findings: nothing to fix here"
            };
            f.render_widget(Paragraph::new(said), body);
        } else {
            f.render_widget(
                Table::new(rows, widths).header(header).column_spacing(1),
                body,
            );
        }
        if let Some(fnd) = live.findings().nth(self.selected) {
            let foot = Rect {
                y: area.y + area.height.saturating_sub(BELOW),
                height: BELOW.min(area.height),
                ..area
            };
            f.render_widget(
                Paragraph::new(Line::from(vec![
                    Span::styled("fix: ", theme.style("table.header")),
                    Span::raw(fnd.fix),
                ])),
                foot,
            );
        }
    }

    fn hints(&self) -> &'static [Hint] {
        &[
            (&[KeyAction::Enter], "open"),
            (&[KeyAction::Explain], "explain"),
            (&[KeyAction::Yaml], "yaml"),
            (&[KeyAction::Back], "back"),
        ]
    }

    fn targets(&self, cx: &Cx, _marked: bool) -> Vec<ObjectRef> {
        self.finding(cx.data)
            .and_then(|fnd| {
                super::object_ref(
                    &fnd.subject.kind,
                    &fnd.subject.namespace,
                    &fnd.subject.name,
                    &cx.session.resources,
                )
            })
            .into_iter()
            .collect()
    }

    fn lints(&self) -> Option<u64> {
        Some(self.id)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
