//! The explorer's log view actions, part of the pure `update`: opening logs of a pod, a
//! container, a workload or a query; the keys of an open log view; and its prompts.

use super::logview::{LineFilter, LineFormat, LogRequest, LogView};
use super::model::RowFilter;
use super::state::{Effect, Message, Prompt, State};
use crate::config::keys::KeyAction;

const WORKLOADS: [&str; 6] = [
    "Deployment",
    "ReplicaSet",
    "StatefulSet",
    "DaemonSet",
    "Job",
    "Service",
];

impl State {
    pub(crate) fn open_logs(&mut self, request: LogRequest) -> Vec<Effect> {
        let id = self.next_detail_id;
        self.next_detail_id += 1;
        let mut effects = Vec::new();
        if self.logs.is_some() {
            effects.push(Effect::StopLogs);
        }
        self.logs = Some(LogView::new(id, request.clone(), self.log_capacity));
        effects.push(Effect::Logs(id, Box::new(request)));
        effects
    }

    pub(crate) fn close_logs(&mut self) -> Vec<Effect> {
        self.logs = None;
        vec![Effect::StopLogs]
    }

    /// `l` / `p` on a list row: a pod's containers, or every pod of a workload.
    pub(crate) fn logs_of_row(&mut self, previous: bool) -> Vec<Effect> {
        let Some(view) = self.current().cloned() else {
            return Vec::new();
        };
        let rows = self.visible_rows();
        let Some(row) = rows.get(view.selected).map(|r| (*r).clone()) else {
            self.message = Some(Message::Info("no row selected".into()));
            return Vec::new();
        };
        let kind = view.resource.kind.as_str();
        let what = if previous { "previous" } else { "logs" };
        if kind == "Pod" && view.resource.group.is_empty() {
            return self.open_logs(LogRequest {
                namespace: Some(row.namespace.clone()),
                pod_regex: format!("^{}$", regex::escape(&row.name)),
                container_regex: None,
                label_selector: None,
                previous,
                one_pod: true,
                max_requests: super::logview::DEFAULT_MAX_REQUESTS,
                title: format!("{}:{what}", row.name),
            });
        }
        if WORKLOADS.contains(&kind) && !previous {
            let selector = self
                .store_of(&view)
                .and_then(|s| s.columns.iter().position(|c| c.name == "Selector"))
                .and_then(|i| row.cells.get(i))
                .map(|c| c.to_string())
                .filter(|s| !s.is_empty() && s != "<none>");
            return match selector {
                Some(sel) => self.open_logs(LogRequest {
                    namespace: Some(row.namespace.clone()),
                    pod_regex: ".*".into(),
                    container_regex: None,
                    label_selector: Some(sel),
                    previous: false,
                    one_pod: false,
                    max_requests: super::logview::DEFAULT_MAX_REQUESTS,
                    title: format!("{}:logs", row.name),
                }),
                None => {
                    self.message = Some(Message::Info(format!(
                        "{kind} {} selects no pods",
                        row.name
                    )));
                    Vec::new()
                }
            };
        }
        self.message = Some(Message::Info(format!(
            "{what} open from pods, containers{}",
            if previous {
                ""
            } else {
                " and workloads (deployments, replicasets, statefulsets, daemonsets, jobs, services)"
            }
        )));
        Vec::new()
    }

    /// Enter, `l` or `p` on a container of the containers view.
    pub(crate) fn logs_of_container(&mut self, previous: bool) -> Vec<Effect> {
        let Some(d) = &self.detail else {
            return Vec::new();
        };
        let Some(c) = d.containers.get(d.selected) else {
            return Vec::new();
        };
        let pod = d.target.name.clone();
        let request = LogRequest {
            namespace: d.target.namespace.clone(),
            pod_regex: format!("^{}$", regex::escape(&pod)),
            container_regex: Some(format!("^{}$", regex::escape(&c.name))),
            label_selector: None,
            previous,
            one_pod: true,
            max_requests: super::logview::DEFAULT_MAX_REQUESTS,
            title: format!(
                "{pod}/{}:{}",
                c.name,
                if previous { "previous" } else { "logs" }
            ),
        };
        self.open_logs(request)
    }

    /// `:logs REGEX [NAMESPACE | -A]`: every pod whose name matches, as a live set.
    pub(crate) fn logs_command(&mut self, words: &[&str]) -> Vec<Effect> {
        let Some(query) = words.first() else {
            self.message = Some(Message::Info(
                "usage: :logs POD-REGEX [NAMESPACE | -A]".into(),
            ));
            return Vec::new();
        };
        if let Err(e) = regex::Regex::new(query) {
            self.message = Some(Message::Error(format!(
                "invalid regex for :logs {query:?}: {e}"
            )));
            return Vec::new();
        }
        let namespace = match words.get(1) {
            Some(&"-A") | Some(&"all") => None,
            Some(ns) => Some(ns.to_string()),
            None => self.namespace.clone(),
        };
        self.open_logs(LogRequest {
            namespace,
            pod_regex: query.to_string(),
            container_regex: None,
            label_selector: None,
            previous: false,
            one_pod: false,
            max_requests: super::logview::DEFAULT_MAX_REQUESTS,
            title: format!("{query}:logs"),
        })
    }

    pub(crate) fn on_log_action(&mut self, action: KeyAction) -> Vec<Effect> {
        let page = self.page_height.max(1) as isize;
        let Some(v) = self.logs.as_mut() else {
            return Vec::new();
        };
        match action {
            KeyAction::Quit => {
                self.quit = true;
                return vec![Effect::Quit];
            }
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
                self.prompt = Some(Prompt::Filter(current.unwrap_or_default()));
            }
            KeyAction::LogFilter => {
                let current = v.filter.as_ref().map(|f| f.text.clone());
                self.prompt = Some(Prompt::LogFilter(current.unwrap_or_default()));
            }
            KeyAction::ContainerFilter => {
                let current = v.container_filter.as_ref().map(|r| r.as_str().to_string());
                self.prompt = Some(Prompt::ContainerFilter(current.unwrap_or_default()));
            }
            KeyAction::Save => {
                let name: String = v
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
                self.prompt = Some(Prompt::SavePath(format!("kx-{name}-{}.log", self.now)));
            }
            KeyAction::SearchNext | KeyAction::SearchPrevious => {
                if v.search.is_none() {
                    self.message = Some(Message::Info("no search: type / first".into()));
                } else if !v.find(action == KeyAction::SearchPrevious) {
                    self.message = Some(Message::Info("no match".into()));
                }
            }
            KeyAction::Back if v.search.is_some() => v.search = None,
            KeyAction::Back if v.filter.is_some() || v.container_filter.is_some() => {
                v.filter = None;
                v.container_filter = None;
                v.refilter();
            }
            KeyAction::Back => return self.close_logs(),
            KeyAction::Command => self.prompt = Some(Prompt::Command(String::new())),
            KeyAction::Help => self.help = true,
            other => {
                self.message = Some(Message::Info(format!(
                    "{} is not available in the log view",
                    other.name()
                )));
            }
        }
        Vec::new()
    }

    pub(crate) fn log_search(&mut self, text: &str) {
        let Some(v) = self.logs.as_mut() else {
            return;
        };
        if text.is_empty() {
            v.search = None;
            return;
        }
        match RowFilter::smart_case_regex(text) {
            Ok(re) => {
                v.search = Some(re);
                if !v.find(true) {
                    self.message = Some(Message::Info(format!("no match for /{text}")));
                }
            }
            Err(e) => {
                self.message = Some(Message::Error(format!(
                    "invalid search regex {text:?}: {e}"
                )))
            }
        }
    }

    /// `&regex`, or `&-C N regex` to keep N lines around each match.
    pub(crate) fn log_filter(&mut self, text: &str) {
        let Some(v) = self.logs.as_mut() else {
            return;
        };
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
                        self.message = Some(Message::Error(format!(
                            "-C wants a number of lines, not {n:?}: &-C 3 REGEX"
                        )));
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
            Err(e) => {
                self.message = Some(Message::Error(format!(
                    "invalid filter regex {pattern:?}: {e}"
                )))
            }
        }
    }

    pub(crate) fn log_container_filter(&mut self, text: &str) {
        let Some(v) = self.logs.as_mut() else {
            return;
        };
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
            Err(e) => {
                self.message = Some(Message::Error(format!(
                    "invalid container regex {text:?}: {e}"
                )))
            }
        }
    }

    pub(crate) fn log_save(&mut self, path: &str) -> Vec<Effect> {
        let Some(v) = &self.logs else {
            return Vec::new();
        };
        if path.is_empty() {
            self.message = Some(Message::Info("not saved: no file name".into()));
            return Vec::new();
        }
        vec![Effect::Save(path.to_string(), v.export())]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::state::{Action, WatchKey};
    use crate::cluster::discovery::ResourceInfo;
    use crate::cluster::rows::{Column, Row};
    use crate::cluster::watch::WatchMsg;
    use crate::config::keys::KeyMap;
    use crate::logs::format::LogLine;
    use crate::logs::select::Target;
    use crate::logs::stream::LogEvent;
    use crossterm::event::{KeyCode, KeyEvent};
    use std::sync::Arc;

    fn key(s: &mut State, code: KeyCode) -> Vec<Effect> {
        s.update(Action::Key(KeyEvent::from(code)))
    }

    fn type_line(s: &mut State, text: &str) -> Vec<Effect> {
        for c in text.chars() {
            key(s, KeyCode::Char(c));
        }
        key(s, KeyCode::Enter)
    }

    fn with_rows(resource: ResourceInfo, columns: &[&str], cells: &[&str]) -> State {
        let mut s = State::new("ctx".into(), Some("shop".into()), KeyMap::load(None));
        s.update(Action::Discovered(vec![
            resource.clone(),
            ResourceInfo::example("", "pods", "Pod", &["po"]),
        ]));
        key(&mut s, KeyCode::Char(':'));
        type_line(&mut s, &resource.plural);
        let wk: WatchKey = s.current().expect("a list").key.clone();
        let cols = columns
            .iter()
            .map(|c| Column {
                name: c.to_string(),
                type_: "string".into(),
                format: String::new(),
                priority: 0,
            })
            .collect();
        s.update(Action::Watch(wk.clone(), WatchMsg::Columns(cols)));
        let row = Row {
            uid: "u".into(),
            namespace: "shop".into(),
            name: cells[0].into(),
            resource_version: "1".into(),
            created: Some(0),
            deleting: false,
            cells: cells.iter().map(|c| (*c).into()).collect(),
            search: Default::default(),
        }
        .refresh_search();
        s.update(Action::Watch(wk.clone(), WatchMsg::InitRow(row)));
        s.update(Action::Watch(wk, WatchMsg::InitDone));
        s
    }

    fn requested(effects: &[Effect]) -> (u64, LogRequest) {
        match effects {
            [Effect::Logs(id, r)] => (*id, (**r).clone()),
            other => panic!("expected logs to open: {other:?}"),
        }
    }

    #[test]
    fn l_on_a_pod_follows_all_its_containers_and_p_its_previous_instance() {
        let pods = ResourceInfo::example("", "pods", "Pod", &["po"]);
        let mut s = with_rows(pods, &["Name"], &["web-1"]);
        let (_, r) = requested(&key(&mut s, KeyCode::Char('l')));
        assert_eq!(
            (
                r.pod_regex.as_str(),
                r.namespace.as_deref(),
                r.previous,
                r.one_pod
            ),
            ("^web\\-1$", Some("shop"), false, true)
        );
        assert_eq!(s.breadcrumbs(), "pods › web-1:logs");
        assert_eq!(key(&mut s, KeyCode::Esc), vec![Effect::StopLogs]);
        let (_, r) = requested(&key(&mut s, KeyCode::Char('p')));
        assert!(r.previous);
        let spec = r.tail_spec().expect("a spec");
        assert!(!spec.stream.follow && spec.stream.previous);
    }

    #[test]
    fn l_on_a_deployment_follows_its_pods_by_selector() {
        let deploys = ResourceInfo::example("apps", "deployments", "Deployment", &["deploy"]);
        let mut s = with_rows(deploys, &["Name", "Selector"], &["web", "app=web"]);
        let (_, r) = requested(&key(&mut s, KeyCode::Char('l')));
        assert_eq!(r.label_selector.as_deref(), Some("app=web"));
        assert!(!r.one_pod);
        let spec = r.tail_spec().expect("a spec");
        assert!(spec.stream.follow && spec.stream.tail == Some(1000));
    }

    #[test]
    fn logs_command_takes_a_regex_and_a_scope_and_rejects_bad_regexes() {
        let pods = ResourceInfo::example("", "pods", "Pod", &["po"]);
        let mut s = with_rows(pods, &["Name"], &["web-1"]);
        key(&mut s, KeyCode::Char(':'));
        let effects = type_line(&mut s, "logs web-.* -A");
        let (_, r) = requested(&effects);
        assert_eq!((r.pod_regex.as_str(), r.namespace), ("web-.*", None));
        key(&mut s, KeyCode::Char(':'));
        let effects = type_line(&mut s, "logs web-(");
        assert_eq!(effects, vec![Effect::StopLogs], "the old view closes first");
        assert!(
            matches!(&s.message, Some(Message::Error(e)) if e.contains("invalid regex for :logs")),
            "{:?}",
            s.message
        );
    }

    #[test]
    fn keys_of_an_open_log_view_and_its_filter_prompt() {
        let pods = ResourceInfo::example("", "pods", "Pod", &["po"]);
        let mut s = with_rows(pods, &["Name"], &["web-1"]);
        let (id, _) = requested(&key(&mut s, KeyCode::Char('l')));
        let target = Arc::new(Target {
            namespace: "shop".into(),
            pod: "web-1".into(),
            container: "app".into(),
        });
        let lines: Vec<LogEvent> = ["start", "error: db down", "retry", "ok"]
            .iter()
            .map(|t| {
                LogEvent::Line(LogLine {
                    target: target.clone(),
                    ts: "2026-11-22T05:00:00Z".into(),
                    text: t.to_string(),
                })
            })
            .collect();
        s.update(Action::LogBatch(id, lines.clone()));
        s.update(Action::LogBatch(id + 1, lines));
        assert_eq!(
            s.logs.as_ref().map(|v| v.visible_len()),
            Some(4),
            "other views' lines are ignored"
        );
        key(&mut s, KeyCode::Char('f'));
        assert!(!s.logs.as_ref().is_some_and(|v| v.follow));
        key(&mut s, KeyCode::Char('&'));
        type_line(&mut s, "-C 1 error");
        assert_eq!(s.logs.as_ref().map(|v| v.visible_len()), Some(3));
        key(&mut s, KeyCode::Char('J'));
        assert_eq!(s.logs.as_ref().map(|v| v.format), Some(LineFormat::Compact));
        key(&mut s, KeyCode::Char('&'));
        for _ in 0..20 {
            key(&mut s, KeyCode::Backspace);
        }
        type_line(&mut s, "-C x error");
        assert!(matches!(&s.message, Some(Message::Error(e)) if e.contains("-C wants a number")));
        // Esc clears the filter, then leaves.
        assert!(key(&mut s, KeyCode::Esc).is_empty());
        assert_eq!(s.logs.as_ref().map(|v| v.visible_len()), Some(4));
        key(&mut s, KeyCode::Char('t'));
        assert!(s.logs.as_ref().is_some_and(|v| v.timestamps));
        let save = s.update(Action::Key(KeyEvent::new(
            KeyCode::Char('s'),
            crossterm::event::KeyModifiers::CONTROL,
        )));
        assert!(save.is_empty());
        assert!(matches!(&s.prompt, Some(Prompt::SavePath(p)) if p.starts_with("kx-web-1_logs-")));
        let effects = key(&mut s, KeyCode::Enter);
        let [Effect::Save(_, text)] = &effects[..] else {
            panic!("{effects:?}")
        };
        assert_eq!(text.lines().count(), 4);
        assert!(text.starts_with("shop web-1 app 2026-11-22T05:00:00Z start\n"));
    }
}
