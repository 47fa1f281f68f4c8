//! A resource list: the rows of one watched resource in one scope, filtered (`/regex`,
//! `/!inverse`, `/-f fuzzy`, `/-l selector` on the server), sorted by any column, wide or not,
//! with marks for bulk actions. The cursor follows an object (its uid), not a place: rows that
//! come and go above or below it under churn do not move what Enter, `l`, `y`, `e` or ctrl-d
//! act on. The rows shown are derived once per change of the store, filter or sort, change by
//! change (see `model::VisibleRows`).

use super::super::action::{Effect, WatchKey};
use super::super::logview::{DEFAULT_MAX_REQUESTS, LogRequest};
use super::super::model::{self, DisplayColumn, RowFilter, VisibleRows, cell_text};
use super::super::overlay::{Overlay, Prompt};
use super::super::screen::{Ask, Cx, Dx, Hint, Nav, Screen, Step};
use super::super::session::Session;
use crate::cluster::discovery::{ResourceInfo, resolve};
use crate::cluster::figures::Figures;
use crate::cluster::kinds;
use crate::cluster::object::ObjectRef;
use crate::cluster::rows::Row;
use crate::cluster::store::RowStore;
use crate::cluster::watch::Scope;
use crate::config::keys::{KeyAction, Section};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Span;
use std::any::Any;
use std::collections::HashSet;

mod table;

pub(crate) use table::status_slot;
use table::{ListTable, draw_table};

pub struct ListScreen {
    pub key: WatchKey,
    pub resource: ResourceInfo,
    /// What the breadcrumb shows: `pods`, or `web:pods` below a deployment.
    crumb: String,
    pub filter: Option<RowFilter>,
    /// (display column index, descending)
    pub sort: Option<(usize, bool)>,
    pub wide: bool,
    /// uids of the rows marked for a bulk action.
    pub marks: HashSet<String>,
    /// The uid of the row under the cursor.
    pub selected: Option<String>,
    /// Where the selected row is among the visible rows (where the cursor stays if it goes).
    pub cursor: usize,
    /// The first visible row on screen.
    pub offset: usize,
    /// Derived in `refresh`: the columns shown and the rows in display order.
    pub columns: Vec<DisplayColumn>,
    pub visible: VisibleRows,
}

/// The value of a row's `Selector` column (workloads and services list their pod selector
/// there), if it selects anything.
fn selector_of(store: &RowStore, row: &Row) -> Option<String> {
    store
        .columns
        .iter()
        .position(|c| c.name == "Selector")
        .and_then(|i| row.cells.get(i))
        .map(|c| c.to_string())
        .filter(|s| !s.is_empty() && s != "<none>")
}

impl ListScreen {
    /// A list of the resource the user named, and the effect that starts its watch.
    pub fn open(
        name: &str,
        namespace: Option<String>,
        labels: Option<String>,
        fields: Option<String>,
        crumb: Option<String>,
        session: &Session,
    ) -> Result<(ListScreen, Effect), String> {
        let resource = resolve(name, &session.resources, &session.aliases)?.clone();
        if !resource.can("list") {
            return Err(format!("{} cannot be listed", resource.full_name()));
        }
        let crumb = crumb.unwrap_or_else(|| resource.plural.clone());
        Ok(ListScreen::of(
            resource,
            namespace,
            labels,
            fields,
            crumb,
            session.epoch,
        ))
    }

    fn of(
        resource: ResourceInfo,
        namespace: Option<String>,
        labels: Option<String>,
        fields: Option<String>,
        crumb: String,
        epoch: u64,
    ) -> (ListScreen, Effect) {
        let namespace = if resource.namespaced { namespace } else { None };
        let key = WatchKey {
            resource: resource.full_name(),
            namespace: namespace.clone(),
            labels: labels.clone(),
            fields: fields.clone(),
            epoch,
        };
        let scope = Scope {
            namespace,
            label_selector: labels,
            field_selector: fields,
        };
        let watch = Effect::Watch(key.clone(), Box::new(resource.clone()), scope);
        let list = ListScreen {
            key,
            resource,
            crumb,
            filter: None,
            sort: None,
            wide: false,
            marks: HashSet::new(),
            selected: None,
            cursor: 0,
            offset: 0,
            columns: Vec::new(),
            visible: VisibleRows::default(),
        };
        (list, watch)
    }

    /// The same list in another scope, keeping how it is filtered, sorted and shown.
    pub fn rescoped(
        &self,
        namespace: Option<String>,
        labels: Option<String>,
        session: &Session,
    ) -> (ListScreen, Effect) {
        let (mut list, watch) = ListScreen::of(
            self.resource.clone(),
            namespace,
            labels,
            self.key.fields.clone(),
            self.crumb.clone(),
            session.epoch,
        );
        list.filter = self.filter.clone();
        list.sort = self.sort;
        list.wide = self.wide;
        (list, watch)
    }

    fn all_namespaces(&self) -> bool {
        self.resource.namespaced && self.key.namespace.is_none()
    }

    /// The row under the cursor, as the user sees it.
    fn selected_row<'a>(&self, store: &'a RowStore) -> Option<&'a Row> {
        self.selected.as_deref().and_then(|uid| store.get(uid))
    }

    fn target_of(&self, row: &Row) -> ObjectRef {
        ObjectRef {
            namespace: (self.resource.namespaced && !row.namespace.is_empty())
                .then(|| row.namespace.clone()),
            name: row.name.clone(),
            resource: self.resource.clone(),
        }
    }

    /// Moves the cursor by `delta` visible rows (clamped), onto the object there.
    fn move_by(&mut self, delta: isize, store: Option<&RowStore>) {
        let last = self.visible.len().saturating_sub(1) as isize;
        self.cursor = (self.cursor as isize + delta).clamp(0, last.max(0)) as usize;
        self.selected = store.and_then(|s| self.uid_at(s, self.cursor));
    }

    fn uid_at(&self, store: &RowStore, index: usize) -> Option<String> {
        self.visible
            .slots
            .get(index)
            .and_then(|s| store.at(*s))
            .map(|r| r.uid.clone())
    }

    /// Finds the selected object among the visible rows; if it is gone (deleted, or filtered
    /// out), the cursor stays where it was and takes the object now there.
    fn place_cursor(&mut self, store: &RowStore) {
        let slot = self.selected.as_deref().and_then(|u| store.slot_of(u));
        let found = slot.and_then(|s| {
            if self.visible.slots.get(self.cursor) == Some(&s) {
                Some(self.cursor)
            } else {
                self.visible.slots.iter().position(|x| *x == s)
            }
        });
        match found {
            Some(i) => self.cursor = i,
            None => {
                self.cursor = self.cursor.min(self.visible.len().saturating_sub(1));
                self.selected = self.uid_at(store, self.cursor);
            }
        }
    }

    fn apply_filter(&mut self, text: &str, cx: &mut Cx) -> Step {
        let text = text.trim();
        if let Some(selector) = text.strip_prefix("-l").map(str::trim) {
            // A label selector is applied by the server: reopen this resource with it.
            let selector = (!selector.is_empty()).then(|| selector.to_string());
            let (list, watch) = self.rescoped(self.key.namespace.clone(), selector, cx.session);
            return Step::with(vec![watch], Nav::Replace(Box::new(list)));
        }
        if text.is_empty() {
            // The text goes; faults only stays until ctrl-z or Esc takes it off.
            let kept = self.filter.take().filter(RowFilter::faults_only);
            self.filter = kept.and_then(|f| {
                RowFilter::parse("")
                    .ok()
                    .map(|e| e.keeping_faults(Some(&f)))
            });
            return Step::nothing();
        }
        match RowFilter::parse(text) {
            Ok(f) => {
                self.filter = Some(f.keeping_faults(self.filter.as_ref()));
                self.cursor = 0;
                self.offset = 0;
                self.selected = None;
            }
            Err(e) => cx.error(e),
        }
        Step::nothing()
    }

    fn drill_down(&mut self, cx: &mut Cx) -> Step {
        let Some(store) = cx.data.stores.get(&self.key) else {
            return Step::nothing();
        };
        let Some(row) = self.selected_row(store) else {
            return Step::nothing();
        };
        let selector = selector_of(store, row);
        let (name, namespace) = (row.name.clone(), row.namespace.clone());
        let target = self.target_of(row);
        let crumb = Some(format!("{name}:pods"));
        let kind = self.resource.kind.clone();
        let opened = match kind.as_str() {
            _ if kinds::is_pod(&self.resource.group, &kind) => {
                return super::open_object(KeyAction::Enter, target, cx, Nav::Push);
            }
            "Namespace" => ListScreen::open("pods", Some(name), None, None, crumb, cx.session),
            "Node" => ListScreen::open(
                "pods",
                None,
                None,
                Some(format!("spec.nodeName={name}")),
                crumb,
                cx.session,
            ),
            k if kinds::selects_pods(k) => match selector {
                Some(sel) => {
                    ListScreen::open("pods", Some(namespace), Some(sel), None, crumb, cx.session)
                }
                None => {
                    cx.info(format!("{kind} {name} selects no pods"));
                    return Step::nothing();
                }
            },
            // Nothing lists below other kinds: show the object itself.
            _ => return super::open_object(KeyAction::Yaml, target, cx, Nav::Push),
        };
        match opened {
            Ok((list, watch)) => Step::with(vec![watch], Nav::Push(Box::new(list))),
            Err(e) => {
                cx.error(e);
                Step::nothing()
            }
        }
    }

    /// `l` / `p` on a row: a pod's containers, or every pod of a workload.
    fn logs_of_row(&mut self, previous: bool, cx: &mut Cx) -> Step {
        let Some(store) = cx.data.stores.get(&self.key) else {
            return Step::nothing();
        };
        let Some(row) = self.selected_row(store) else {
            cx.info("no row selected");
            return Step::nothing();
        };
        let kind = self.resource.kind.as_str();
        let what = if previous { "previous" } else { "logs" };
        let request = if kinds::is_pod(&self.resource.group, kind) {
            LogRequest {
                namespace: Some(row.namespace.clone()),
                pod_regex: format!("^{}$", regex::escape(&row.name)),
                container_regex: None,
                label_selector: None,
                previous,
                one_pod: true,
                max_requests: DEFAULT_MAX_REQUESTS,
                title: format!("{}:{what}", row.name),
            }
        } else if kinds::selects_pods(kind) && !previous {
            let Some(sel) = selector_of(store, row) else {
                let said = format!("{kind} {} selects no pods", row.name);
                cx.info(said);
                return Step::nothing();
            };
            LogRequest {
                namespace: Some(row.namespace.clone()),
                pod_regex: ".*".into(),
                container_regex: None,
                label_selector: Some(sel),
                previous: false,
                one_pod: false,
                max_requests: DEFAULT_MAX_REQUESTS,
                title: format!("{}:logs", row.name),
            }
        } else {
            cx.info(format!(
                "{what} open from pods, containers{}",
                if previous {
                    ""
                } else {
                    " and workloads (deployments, replicasets, statefulsets, daemonsets, jobs, services)"
                }
            ));
            return Step::nothing();
        };
        super::logs::open(request, cx.data, cx.session)
    }

    fn object_screen(&mut self, action: KeyAction, cx: &mut Cx) -> Step {
        let Some(target) = cx
            .data
            .stores
            .get(&self.key)
            .and_then(|s| self.selected_row(s))
            .map(|r| self.target_of(r))
        else {
            cx.info("no row selected");
            return Step::nothing();
        };
        super::open_object(action, target, cx, Nav::Push)
    }
}

impl Screen for ListScreen {
    fn section(&self) -> Section {
        Section::List
    }

    fn crumb(&self) -> String {
        self.crumb.clone()
    }

    fn on_action(&mut self, action: KeyAction, cx: &mut Cx) -> Step {
        let page = cx.session.body_rows().saturating_sub(1).max(1) as isize;
        let store = cx.data.stores.get(&self.key);
        match action {
            KeyAction::Up => self.move_by(-1, store),
            KeyAction::Down => self.move_by(1, store),
            KeyAction::PageUp => self.move_by(-page, store),
            KeyAction::PageDown => self.move_by(page, store),
            KeyAction::Top => self.move_by(isize::MIN / 2, store),
            KeyAction::Bottom => self.move_by(isize::MAX / 2, store),
            KeyAction::Filter => {
                let current = self.filter.as_ref().map(|f| f.text.clone());
                let prompt = Prompt::new(Ask::Filter, current.unwrap_or_default());
                return Step::go(Nav::Open(Box::new(Overlay::Prompt(prompt))));
            }
            // Esc clears a filter first, like k9s.
            KeyAction::Back if self.filter.is_some() => self.filter = None,
            KeyAction::FaultsOnly => {
                let columns = store.map(|s| s.columns.clone()).unwrap_or_default();
                if !crate::cluster::health::HealthColumns::of(&columns).knows() {
                    cx.info(format!(
                        "{} have no status or readiness column to judge; all rows are shown",
                        self.resource.plural
                    ));
                    return Step::nothing();
                }
                self.filter = RowFilter::toggle_faults(self.filter.take(), &columns);
                self.cursor = 0;
                self.offset = 0;
                self.selected = None;
            }
            KeyAction::Enter => return self.drill_down(cx),
            KeyAction::Logs => return self.logs_of_row(false, cx),
            KeyAction::PreviousLogs => return self.logs_of_row(true, cx),
            KeyAction::Yaml | KeyAction::Describe | KeyAction::Events | KeyAction::Diff => {
                return self.object_screen(action, cx);
            }
            KeyAction::ToggleWide => {
                self.wide = !self.wide;
                self.sort = None;
            }
            KeyAction::SortNextColumn | KeyAction::SortPreviousColumn => {
                let n = self.columns.len();
                if n > 0 {
                    let next = match (self.sort.map(|(i, _)| i), action) {
                        (None, KeyAction::SortNextColumn) => 0,
                        (None, _) => n - 1,
                        (Some(i), KeyAction::SortNextColumn) => (i + 1) % n,
                        (Some(i), _) => (i + n - 1) % n,
                    };
                    self.sort = Some((next, false));
                }
            }
            KeyAction::SortReverse => {
                self.sort = Some(match self.sort {
                    Some((i, d)) => (i, !d),
                    None => (0, true),
                });
            }
            KeyAction::ToggleMarks => {
                if let Some(uid) = self.selected.clone()
                    && !self.marks.remove(&uid)
                {
                    self.marks.insert(uid);
                }
                self.move_by(1, store);
            }
            _ => return Step::Pass,
        }
        Step::nothing()
    }

    fn on_prompt(&mut self, ask: Ask, text: &str, cx: &mut Cx) -> Step {
        match ask {
            Ask::Filter => self.apply_filter(text, cx),
            _ => Step::nothing(),
        }
    }

    fn refresh(&mut self, cx: &mut Cx) {
        let Some(store) = cx.data.stores.get(&self.key) else {
            self.visible = VisibleRows::default();
            self.columns.clear();
            return;
        };
        let columns = model::columns(store, self.all_namespaces(), self.wide);
        if columns != self.columns {
            self.columns = columns;
        }
        let sort = self
            .sort
            .and_then(|(i, d)| self.columns.get(i).map(|c| (c, d)));
        self.visible.refresh(store, self.filter.as_ref(), sort);
        self.place_cursor(store);
        // The table's header takes a row of the body.
        let page = cx.session.body_rows().saturating_sub(1);
        self.offset = model::scroll_offset(self.cursor, self.offset, page);
    }

    fn status(&self, dx: &Dx) -> Vec<Span<'static>> {
        let theme = dx.theme;
        let store = dx.data.stores.get(&self.key);
        let now =
            jiff::Timestamp::from_second(dx.session.now).unwrap_or_else(|_| jiff::Timestamp::now());
        let error = |text: String| vec![Span::styled(text, theme.style("status.error"))];
        match (store, &dx.session.discovery_error) {
            // Without a list, discovery's trouble is all there is to say.
            (None, Some(trouble)) => error(format!("  {}", trouble.line(now))),
            (None, None) => vec![Span::styled("  loading…", theme.style("status.warn"))],
            (Some(s), discovery) => match (&s.error, discovery) {
                // RBAC is not fixed by waiting: say what is denied, not that kx reconnects.
                (Some(t), _) if t.error.is_forbidden() => error(format!("  {}", t.error)),
                (Some(t), _) => error(format!("  {}", t.line(now))),
                // The list's own watch is fine, but discovery is not (a CRD may be missing).
                (None, Some(trouble)) if s.loaded => {
                    error(format!("  {} rows · {}", s.len(), trouble.line(now)))
                }
                (None, _) if !s.loaded => {
                    vec![Span::styled("  loading…", theme.style("status.warn"))]
                }
                (None, _) => {
                    let (shown, total) = (self.visible.len(), s.len());
                    let count = if shown == total {
                        format!("  {total} rows")
                    } else {
                        format!("  {shown}/{total} rows")
                    };
                    let faults = self.filter.as_ref().is_some_and(RowFilter::faults_only);
                    let count = if faults {
                        format!("{count} · faults only")
                    } else {
                        count
                    };
                    // Which history this list feeds: whole objects from the start (small
                    // lists), or rows only, so an object's first change is its first
                    // revision (large lists).
                    let mode = match s.whole_objects {
                        Some(true) => " · diffs from open",
                        Some(false) => " · diffs from 2nd change (large list)",
                        None => "",
                    };
                    vec![
                        Span::raw(count),
                        Span::styled(mode, theme.style("status.line")),
                    ]
                }
            },
        }
    }

    fn draw(&self, f: &mut Frame, area: Rect, dx: &Dx) {
        let Some(store) = dx.data.stores.get(&self.key) else {
            return;
        };
        let height = area.height.saturating_sub(1) as usize;
        let rows: Vec<(&Row, Option<&Figures>)> = self
            .visible
            .slots
            .iter()
            .skip(self.offset)
            .take(height)
            .filter_map(|s| store.at(*s).map(|r| (r, store.figures_at(*s))))
            .collect();
        draw_table(
            f,
            area,
            &ListTable {
                store,
                rows: &rows,
                first: self.offset,
                cursor: self.cursor,
                marks: &self.marks,
                columns: &self.columns,
                now: dx.session.now,
                theme: dx.theme,
                thresholds: &dx.session.thresholds,
            },
        );
    }

    fn hints(&self) -> &'static [Hint] {
        &[
            (&[KeyAction::Help], "help"),
            (&[KeyAction::Command], "command"),
            (&[KeyAction::Filter], "filter"),
            (&[KeyAction::Enter], "open"),
            (&[KeyAction::Back], "back"),
            (&[KeyAction::Quit], "quit"),
        ]
    }

    fn targets(&self, cx: &Cx, marked: bool) -> Vec<ObjectRef> {
        let Some(store) = cx.data.stores.get(&self.key) else {
            return Vec::new();
        };
        if marked && !self.marks.is_empty() {
            return self
                .visible
                .slots
                .iter()
                .filter_map(|s| store.at(*s))
                .filter(|r| self.marks.contains(&r.uid))
                .map(|r| self.target_of(r))
                .collect();
        }
        self.selected_row(store)
            .map(|r| self.target_of(r))
            .into_iter()
            .collect()
    }

    fn clear_marks(&mut self) {
        self.marks.clear();
    }

    fn click(&mut self, row: u16, cx: &mut Cx) -> bool {
        // The table's header takes the body's first line.
        let Some(line) = (row as usize).checked_sub(1) else {
            return false;
        };
        let index = self.offset + line;
        if index >= self.visible.len() {
            return false;
        }
        let store = cx.data.stores.get(&self.key);
        self.move_by(index as isize - self.cursor as isize, store);
        true
    }

    fn plugin_scope(&self, cx: &Cx) -> Option<crate::tui::plugins::PluginScope> {
        let store = cx.data.stores.get(&self.key)?;
        // Every column, the wide ones too: a plugin may want the node or the IP.
        let columns = super::super::model::columns(store, false, true);
        let chosen: Vec<&Row> = if self.marks.is_empty() {
            self.selected_row(store).into_iter().collect()
        } else {
            self.visible
                .slots
                .iter()
                .filter_map(|s| store.at(*s))
                .filter(|r| self.marks.contains(&r.uid))
                .collect()
        };
        let rows = chosen
            .into_iter()
            .map(|row| crate::tui::plugins::PluginRow {
                namespace: row.namespace.clone(),
                name: row.name.clone(),
                container: None,
                columns: columns
                    .iter()
                    .map(|c| {
                        (
                            c.title.clone(),
                            cell_text(row, store.figures_of(&row.uid), c, cx.session.now),
                        )
                    })
                    .collect(),
            })
            .collect();
        Some(crate::tui::plugins::PluginScope {
            names: crate::tui::plugins::scope_names(&self.resource),
            resource: Some(self.resource.clone()),
            filter: self.filter.as_ref().map(|f| f.text.clone()),
            rows,
        })
    }

    fn watches(&self) -> Vec<&WatchKey> {
        vec![&self.key]
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
