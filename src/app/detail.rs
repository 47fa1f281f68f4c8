//! Detail views of one object: YAML, describe, its events, and a pod's containers. The state
//! keeps the live object and rebuilds the text lines when it changes; the view draws only the
//! visible slice. Pure: the object arrives through `apply`, never fetched here.

use super::describe;
use crate::age::{human_duration, parse_timestamp};
use crate::cluster::object::{ObjectMsg, ObjectRef};
use base64::Engine;
use regex::Regex;
use serde_json::Value;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DetailKind {
    Yaml,
    Describe,
    Events,
    Containers,
    /// Revisions and diffs, from the history (see `diffview`).
    Diff,
}

impl DetailKind {
    pub fn label(self) -> &'static str {
        match self {
            DetailKind::Yaml => "yaml",
            DetailKind::Describe => "describe",
            DetailKind::Events => "events",
            DetailKind::Containers => "containers",
            DetailKind::Diff => "diff",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Presence {
    Loading,
    Live,
    /// The object is not there: never found, or deleted while shown (the last copy stays).
    Missing,
    Deleted,
}

/// One container of a pod, as the containers view lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct ContainerRow {
    pub name: String,
    /// "", "init" or "ephemeral".
    pub role: &'static str,
    pub image: String,
    pub ready: bool,
    pub state: String,
    pub restarts: i64,
    pub ports: String,
}

#[derive(Debug, Clone)]
pub struct DetailView {
    /// Tells this view's messages from those of a view closed before it.
    pub id: u64,
    pub target: ObjectRef,
    pub kind: DetailKind,
    pub object: Option<Value>,
    /// Events about the object, by uid.
    pub events: BTreeMap<String, Value>,
    pub presence: Presence,
    pub error: Option<crate::cluster::backoff::Trouble>,
    /// Why the object's Events cannot be listed, if they cannot (shown in the events view).
    pub events_error: Option<crate::cluster::backoff::Trouble>,
    pub show_managed_fields: bool,
    /// Secret values shown decoded instead of masked.
    pub reveal: bool,
    pub lines: Vec<String>,
    pub containers: Vec<ContainerRow>,
    /// First line shown (text views) or the selected container.
    pub scroll: usize,
    pub selected: usize,
    pub search: Option<Regex>,
    /// Set while the view is (or was) a diff view: its selection and noise filters.
    pub diff: Option<super::diffview::DiffState>,
}

impl DetailView {
    pub fn new(id: u64, target: ObjectRef, kind: DetailKind) -> DetailView {
        let mut v = DetailView {
            id,
            target,
            kind,
            object: None,
            events: BTreeMap::new(),
            presence: Presence::Loading,
            error: None,
            events_error: None,
            show_managed_fields: false,
            reveal: false,
            lines: Vec::new(),
            containers: Vec::new(),
            scroll: 0,
            selected: 0,
            search: None,
            diff: None,
        };
        v.rebuild(0);
        v
    }

    pub fn apply(&mut self, msg: ObjectMsg, now: i64) {
        match msg {
            ObjectMsg::Object(o) => {
                self.object = Some(o);
                self.presence = Presence::Live;
                self.error = None;
            }
            ObjectMsg::Missing if self.object.is_some() => self.presence = Presence::Deleted,
            ObjectMsg::Missing => self.presence = Presence::Missing,
            ObjectMsg::Deleted => self.presence = Presence::Deleted,
            ObjectMsg::EventSeen(uid, e) => {
                self.events.insert(uid, e);
                self.events_error = None;
            }
            ObjectMsg::EventGone(uid) => {
                self.events.remove(&uid);
            }
            ObjectMsg::Error(e) => self.error = Some(e),
            ObjectMsg::EventsError(e) => self.events_error = Some(e),
        }
        self.rebuild(now);
    }

    /// Switches between YAML, describe and events of the same object.
    pub fn switch(&mut self, kind: DetailKind, now: i64) {
        if self.kind != kind {
            self.kind = kind;
            self.scroll = 0;
            self.rebuild(now);
        }
    }

    pub fn rebuild(&mut self, now: i64) {
        if self.kind == DetailKind::Diff {
            return; // its lines come from the history, in `DiffState::refresh`
        }
        let Some(obj) = &self.object else {
            self.lines = vec![match self.presence {
                Presence::Missing => format!(
                    "{} does not exist (yet); waiting for it",
                    self.target.display()
                ),
                _ => format!("loading {}…", self.target.display()),
            }];
            self.containers.clear();
            return;
        };
        let events = self.sorted_events();
        self.lines = match self.kind {
            DetailKind::Yaml => yaml_lines(obj, self.show_managed_fields, self.reveal),
            DetailKind::Describe => describe::describe(obj, &events, now),
            DetailKind::Events => match &self.events_error {
                Some(t) => vec![format!("cannot list this object's events: {}", t.error)],
                None => event_table(&events, now),
            },
            DetailKind::Containers | DetailKind::Diff => Vec::new(),
        };
        self.containers = containers(obj);
        self.selected = self.selected.min(self.containers.len().saturating_sub(1));
        self.scroll = self.scroll.min(self.lines.len().saturating_sub(1));
    }

    /// Events oldest first, by their last time.
    pub fn sorted_events(&self) -> Vec<&Value> {
        let mut events: Vec<&Value> = self.events.values().collect();
        events.sort_by_key(|e| last_seen(e).unwrap_or(0));
        events
    }

    /// Scrolls so that the next (or previous) line matching the search is at the top.
    pub fn find(&mut self, forward: bool) -> bool {
        let Some(re) = &self.search else {
            return false;
        };
        let n = self.lines.len();
        if n == 0 {
            return false;
        }
        let start = self.scroll;
        for step in 1..=n {
            let i = if forward {
                (start + step) % n
            } else {
                (start + n - step % n) % n
            };
            if re.is_match(&self.lines[i]) {
                self.scroll = i;
                return true;
            }
        }
        false
    }

    pub fn line_count(&self) -> usize {
        match self.kind {
            DetailKind::Containers => self.containers.len(),
            _ => self.lines.len(),
        }
    }
}

pub fn last_seen(event: &Value) -> Option<i64> {
    ["lastTimestamp", "eventTime", "firstTimestamp"]
        .iter()
        .find_map(|k| event[k].as_str().and_then(parse_timestamp))
        .or_else(|| {
            event["metadata"]["creationTimestamp"]
                .as_str()
                .and_then(parse_timestamp)
        })
}

/// The object as YAML, with managedFields left out unless asked for and Secret values masked
/// unless revealed.
pub fn yaml_lines(obj: &Value, show_managed_fields: bool, reveal: bool) -> Vec<String> {
    let mut obj = obj.clone();
    if !show_managed_fields && let Some(meta) = obj["metadata"].as_object_mut() {
        meta.remove("managedFields");
    }
    if crate::cluster::secrets::is_secret(&obj) {
        mask_secret(&mut obj, reveal);
    }
    match serde_yaml::to_string(&obj) {
        Ok(text) => text.lines().map(str::to_string).collect(),
        Err(e) => vec![format!("cannot show this object as YAML: {e}")],
    }
}

/// Replaces `data` values with a mask naming their size, or with the decoded text.
fn mask_secret(obj: &mut Value, reveal: bool) {
    if !reveal {
        crate::cluster::secrets::hide_last_applied(obj);
    }
    let Some(data) = obj["data"].as_object_mut() else {
        return;
    };
    for value in data.values_mut() {
        let decoded = value
            .as_str()
            .and_then(|s| base64::engine::general_purpose::STANDARD.decode(s).ok());
        *value = Value::String(match (decoded, reveal) {
            (Some(bytes), true) => match String::from_utf8(bytes) {
                Ok(text) => text,
                Err(e) => format!("<{} bytes of binary data>", e.as_bytes().len()),
            },
            (Some(bytes), false) => format!("<hidden: {} bytes>", bytes.len()),
            (None, _) => "<not base64>".to_string(),
        });
    }
}

pub fn event_table(events: &[&Value], now: i64) -> Vec<String> {
    if events.is_empty() {
        return vec!["no events about this object (the cluster keeps them about an hour)".into()];
    }
    let rows: Vec<[String; 5]> = events
        .iter()
        .map(|e| {
            let age = last_seen(e)
                .map(|t| human_duration(now - t))
                .unwrap_or_else(|| "<unknown>".into());
            let count = e["count"].as_i64().unwrap_or(1);
            let age = if count > 1 {
                format!("{age} (x{count})")
            } else {
                age
            };
            let from = e["source"]["component"]
                .as_str()
                .or_else(|| e["reportingComponent"].as_str())
                .unwrap_or("");
            [
                e["type"].as_str().unwrap_or("").to_string(),
                e["reason"].as_str().unwrap_or("").to_string(),
                age,
                from.to_string(),
                e["message"].as_str().unwrap_or("").trim().to_string(),
            ]
        })
        .collect();
    describe::table(&["TYPE", "REASON", "AGE", "FROM", "MESSAGE"], &rows)
}

fn container_state(status: &Value) -> String {
    let state = &status["state"];
    if let Some(r) = state["waiting"]["reason"].as_str() {
        return r.to_string();
    }
    if state["running"].is_object() {
        return "Running".to_string();
    }
    if state["terminated"].is_object() {
        let t = &state["terminated"];
        return format!(
            "{} (exit {})",
            t["reason"].as_str().unwrap_or("Terminated"),
            t["exitCode"].as_i64().unwrap_or(0)
        );
    }
    "Waiting".to_string()
}

/// `80/TCP` for each port a container declares.
pub fn container_ports(container: &Value) -> Vec<String> {
    container["ports"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            format!(
                "{}/{}",
                p["containerPort"].as_i64().unwrap_or(0),
                p["protocol"].as_str().unwrap_or("TCP")
            )
        })
        .collect()
}

/// A pod's containers (init, regular and ephemeral) with their statuses.
pub fn containers(pod: &Value) -> Vec<ContainerRow> {
    if pod["kind"] != "Pod" {
        return Vec::new();
    }
    let mut rows = Vec::new();
    for (spec_key, status_key, role) in [
        ("initContainers", "initContainerStatuses", "init"),
        ("containers", "containerStatuses", ""),
        (
            "ephemeralContainers",
            "ephemeralContainerStatuses",
            "ephemeral",
        ),
    ] {
        let statuses = pod["status"][status_key].as_array();
        for c in pod["spec"][spec_key].as_array().into_iter().flatten() {
            let name = c["name"].as_str().unwrap_or("").to_string();
            let status = statuses
                .and_then(|s| s.iter().find(|s| s["name"] == name.as_str()))
                .cloned()
                .unwrap_or(Value::Null);
            let ports = container_ports(c).join(",");
            rows.push(ContainerRow {
                name,
                role,
                image: c["image"].as_str().unwrap_or("").to_string(),
                ready: status["ready"].as_bool().unwrap_or(false),
                state: container_state(&status),
                restarts: status["restartCount"].as_i64().unwrap_or(0),
                ports,
            });
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::discovery::ResourceInfo;
    use serde_json::json;

    fn target(kind: &str, plural: &str) -> ObjectRef {
        ObjectRef {
            resource: ResourceInfo::example("", plural, kind, &[]),
            namespace: Some("shop".into()),
            name: "x".into(),
        }
    }

    #[test]
    fn yaml_hides_managed_fields_until_toggled() {
        let obj = json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "x", "managedFields": [{"manager": "kubectl"}]}, "data": {"a": "b"}});
        let hidden = yaml_lines(&obj, false, false).join("\n");
        assert!(!hidden.contains("managedFields"), "{hidden}");
        assert!(hidden.contains("a: b"), "{hidden}");
        let shown = yaml_lines(&obj, true, false).join("\n");
        assert!(shown.contains("manager: kubectl"), "{shown}");
    }

    #[test]
    fn secret_values_are_masked_until_revealed() {
        let obj = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db"},
            "data": {"password": "aHVudGVyMg==", "blob": "/w=="}});
        let masked = yaml_lines(&obj, false, false).join("\n");
        assert!(masked.contains("password: '<hidden: 7 bytes>'"), "{masked}");
        assert!(!masked.contains("aHVudGVyMg"), "{masked}");
        let shown = yaml_lines(&obj, false, true).join("\n");
        assert!(shown.contains("password: hunter2"), "{shown}");
        assert!(shown.contains("<1 bytes of binary data>"), "{shown}");
    }

    #[test]
    fn a_deleted_object_keeps_its_last_copy_and_says_so() {
        let mut v = DetailView::new(1, target("ConfigMap", "configmaps"), DetailKind::Yaml);
        assert!(v.lines[0].starts_with("loading"));
        v.apply(ObjectMsg::Missing, 0);
        assert!(v.lines[0].contains("does not exist (yet)"), "{:?}", v.lines);
        v.apply(
            ObjectMsg::Object(json!({"kind": "ConfigMap", "metadata": {"name": "x"}})),
            0,
        );
        assert_eq!(v.presence, Presence::Live);
        v.apply(ObjectMsg::Deleted, 0);
        assert_eq!(v.presence, Presence::Deleted);
        assert!(v.lines.iter().any(|l| l.contains("name: x")));
    }

    #[test]
    fn search_wraps_both_ways() {
        let mut v = DetailView::new(1, target("ConfigMap", "configmaps"), DetailKind::Yaml);
        v.lines = ["a", "match 1", "b", "match 2", "c"]
            .map(String::from)
            .to_vec();
        v.search = Regex::new("match").ok();
        assert!(v.find(true));
        assert_eq!(v.scroll, 1);
        assert!(v.find(true));
        assert_eq!(v.scroll, 3);
        assert!(v.find(true));
        assert_eq!(v.scroll, 1, "wraps to the first match");
        assert!(v.find(false));
        assert_eq!(v.scroll, 3, "backwards wraps to the last");
        v.search = Regex::new("nothing").ok();
        assert!(!v.find(true));
        assert_eq!(v.scroll, 3);
    }

    #[test]
    fn containers_of_a_pod_with_states() {
        let pod = json!({"kind": "Pod", "spec": {
            "initContainers": [{"name": "init", "image": "busybox"}],
            "containers": [{"name": "app", "image": "nginx", "ports": [{"containerPort": 80}]},
                           {"name": "sidecar", "image": "envoy"}]},
            "status": {
              "initContainerStatuses": [{"name": "init", "ready": false, "restartCount": 0,
                 "state": {"terminated": {"reason": "Completed", "exitCode": 0}}}],
              "containerStatuses": [
                {"name": "app", "ready": true, "restartCount": 2, "state": {"running": {}}},
                {"name": "sidecar", "ready": false, "restartCount": 5,
                 "state": {"waiting": {"reason": "CrashLoopBackOff"}}}]}});
        let rows = containers(&pod);
        let summary: Vec<(&str, &str, &str, i64)> = rows
            .iter()
            .map(|r| (r.name.as_str(), r.role, r.state.as_str(), r.restarts))
            .collect();
        assert_eq!(
            summary,
            vec![
                ("init", "init", "Completed (exit 0)", 0),
                ("app", "", "Running", 2),
                ("sidecar", "", "CrashLoopBackOff", 5),
            ]
        );
        assert_eq!(rows[1].ports, "80/TCP");
    }

    #[test]
    fn events_table_is_oldest_first_with_counts() {
        let mut v = DetailView::new(1, target("Pod", "pods"), DetailKind::Events);
        v.apply(
            ObjectMsg::Object(json!({"kind": "Pod", "metadata": {"name": "x"}})),
            1000,
        );
        v.apply(
            ObjectMsg::EventSeen(
                "b".into(),
                json!({"type": "Warning", "reason": "BackOff", "count": 4,
                "lastTimestamp": "1970-01-01T00:16:00Z", "source": {"component": "kubelet"},
                "message": "Back-off restarting failed container"}),
            ),
            1000,
        );
        v.apply(
            ObjectMsg::EventSeen(
                "a".into(),
                json!({"type": "Normal", "reason": "Scheduled",
                "lastTimestamp": "1970-01-01T00:01:40Z", "source": {"component": "default-scheduler"},
                "message": "Successfully assigned"}),
            ),
            1000,
        );
        assert_eq!(v.lines[0].split_whitespace().next(), Some("TYPE"));
        assert!(v.lines[1].contains("Scheduled") && v.lines[1].contains("15m"));
        assert!(v.lines[2].contains("BackOff") && v.lines[2].contains("40s (x4)"));
        v.apply(ObjectMsg::EventGone("b".into()), 1000);
        assert_eq!(v.lines.len(), 2);
    }
}
