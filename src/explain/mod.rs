//! "Why is this broken": a deterministic diagnosis of one object from what the cluster says
//! about it — its status, its events, the pods it owns or selects, what they mount, the node
//! they run on, and the last lines of a crashed container's log. Every line names where it
//! came from (`Source`), so a view can jump there. Pure: `gather` reads the cluster.

pub mod gather;
mod pod;
mod workload;

use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// Where a line of evidence came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Source {
    /// An object's own fields (its status, its spec).
    Object {
        kind: String,
        namespace: String,
        name: String,
    },
    /// An event about an object.
    Event {
        kind: String,
        namespace: String,
        name: String,
        reason: String,
    },
    /// A line of a container's log (the previous instance's after a crash).
    Log {
        namespace: String,
        pod: String,
        container: String,
        previous: bool,
    },
}

impl Source {
    pub fn object(obj: &Value) -> Source {
        Source::Object {
            kind: text(&obj["kind"]).into(),
            namespace: text(&obj["metadata"]["namespace"]).into(),
            name: text(&obj["metadata"]["name"]).into(),
        }
    }

    fn event(ev: &Value) -> Source {
        let o = &ev["involvedObject"];
        Source::Event {
            kind: text(&o["kind"]).into(),
            namespace: text(&o["namespace"]).into(),
            name: text(&o["name"]).into(),
            reason: text(&ev["reason"]).into(),
        }
    }

    /// `pod/web-1`, `events of pod/web-1`, `log of web-1/app (previous)`: for a reader.
    pub fn describe(&self) -> String {
        match self {
            Source::Object { kind, name, .. } => format!("{}/{name}", kind.to_lowercase()),
            Source::Event {
                kind, name, reason, ..
            } => format!("event {reason} of {}/{name}", kind.to_lowercase()),
            Source::Log {
                pod,
                container,
                previous,
                ..
            } => format!(
                "log of {pod}/{container}{}",
                if *previous { " (previous)" } else { "" }
            ),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Health {
    Healthy,
    Progressing,
    Broken,
}

impl Health {
    pub fn word(self) -> &'static str {
        match self {
            Health::Healthy => "healthy",
            Health::Progressing => "progressing",
            Health::Broken => "broken",
        }
    }
}

/// One line of a diagnosis: what is wrong (or fine), how deep under the line before it, and
/// where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Line {
    pub depth: u8,
    pub health: Health,
    pub text: String,
    pub source: Option<Source>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnosis {
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub health: Health,
    pub lines: Vec<Line>,
}

/// What a diagnosis reads, fetched by `gather`.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub object: Value,
    /// The pods the object owns or selects (for a service, every pod of its namespace, so a
    /// selector that matches nothing can be compared with what is there).
    pub pods: Vec<Value>,
    /// Events of the object's namespace about it and the objects below it.
    pub events: Vec<Value>,
    /// Objects it depends on: replica sets, endpoints, ConfigMaps, Secrets, claims, nodes.
    pub related: Vec<Value>,
    /// (pod, container) → the last lines of its log (the previous instance's after a crash).
    pub logs: BTreeMap<(String, String), Result<Vec<String>, String>>,
    /// What could not be read, said in the diagnosis rather than guessed around.
    pub unreadable: Vec<String>,
    /// Unix seconds.
    pub now: i64,
}

impl Facts {
    fn related(&self, kind: &str, name: &str) -> Option<&Value> {
        self.related
            .iter()
            .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
    }

    /// Events about one object, newest last.
    fn events_of(&self, obj: &Value) -> Vec<&Value> {
        let uid = &obj["metadata"]["uid"];
        let (kind, name) = (&obj["kind"], &obj["metadata"]["name"]);
        let mut found: Vec<&Value> = self
            .events
            .iter()
            .filter(|e| {
                let o = &e["involvedObject"];
                if o["uid"].is_string() && uid.is_string() {
                    o["uid"] == *uid
                } else {
                    o["kind"] == *kind && o["name"] == *name
                }
            })
            .collect();
        found.sort_by_key(|e| event_time(e));
        found
    }
}

fn text(v: &Value) -> &str {
    v.as_str().unwrap_or_default()
}

/// ` (×12)` for an event seen more than once.
fn times(ev: &Value) -> String {
    match ev["count"].as_u64() {
        Some(n) if n > 1 => format!(" (×{n})"),
        _ => String::new(),
    }
}

fn event_time(e: &Value) -> String {
    ["lastTimestamp", "eventTime", "firstTimestamp"]
        .iter()
        .find_map(|k| e[*k].as_str())
        .unwrap_or_default()
        .to_string()
}

/// Lines gathered while diagnosing, with the worst health seen.
#[derive(Debug, Default)]
struct Notes {
    lines: Vec<Line>,
    worst: Option<Health>,
}

impl Notes {
    fn say(&mut self, depth: u8, health: Health, text: String, source: Option<Source>) {
        self.worst = Some(self.worst.map_or(health, |w| w.max(health)));
        self.lines.push(Line {
            depth,
            health,
            text,
            source,
        });
    }

    fn health(&self) -> Health {
        self.worst.unwrap_or(Health::Healthy)
    }
}

/// The diagnosis of `facts.object`.
pub fn diagnose(facts: &Facts) -> Diagnosis {
    let obj = &facts.object;
    let kind = text(&obj["kind"]).to_string();
    let mut notes = Notes::default();
    match kind.as_str() {
        "Pod" => pod::pod(obj, facts, 0, &mut notes),
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" => {
            workload::replicated(obj, facts, &mut notes)
        }
        "Job" => workload::job(obj, facts, &mut notes),
        "Service" => workload::service(obj, facts, &mut notes),
        "PersistentVolumeClaim" => workload::claim(obj, facts, 0, &mut notes),
        "Node" => workload::node(obj, 0, &mut notes),
        _ => generic(obj, facts, &mut notes),
    }
    for what in &facts.unreadable {
        notes.say(
            0,
            Health::Progressing,
            format!("could not read {what}; the diagnosis may miss something"),
            None,
        );
    }
    if notes.lines.is_empty() {
        notes.say(
            0,
            Health::Healthy,
            "healthy".into(),
            Some(Source::object(obj)),
        );
    }
    Diagnosis {
        kind,
        namespace: text(&obj["metadata"]["namespace"]).into(),
        name: text(&obj["metadata"]["name"]).into(),
        health: notes.health(),
        lines: notes.lines,
    }
}

/// Any other kind: its conditions that are not met, and its recent warnings.
fn generic(obj: &Value, facts: &Facts, notes: &mut Notes) {
    let mut bad = 0;
    for c in obj["status"]["conditions"].as_array().into_iter().flatten() {
        let t = text(&c["type"]);
        let failing = match t {
            "Ready" | "Available" | "Established" | "Complete" | "Synced" | "Healthy" => {
                c["status"] == "False"
            }
            _ => false,
        };
        if failing {
            bad += 1;
            notes.say(
                0,
                Health::Broken,
                format!(
                    "{t} is False: {} {}",
                    text(&c["reason"]),
                    text(&c["message"])
                )
                .trim_end()
                .to_string(),
                Some(Source::object(obj)),
            );
        }
    }
    let warned = warnings(obj, facts, 0, notes);
    if bad == 0 && warned == 0 {
        notes.say(
            0,
            Health::Healthy,
            "healthy: no condition failing and no recent warning".into(),
            Some(Source::object(obj)),
        );
    }
}

/// The object's last warning events (one per reason, newest first), as evidence. Returns how
/// many were said.
fn warnings(obj: &Value, facts: &Facts, depth: u8, notes: &mut Notes) -> usize {
    let mut seen = std::collections::BTreeSet::new();
    let mut said = 0;
    for ev in facts.events_of(obj).into_iter().rev() {
        if ev["type"] != "Warning" || !seen.insert(text(&ev["reason"]).to_string()) {
            continue;
        }
        notes.say(
            depth,
            Health::Broken,
            format!(
                "{}: {}{}",
                text(&ev["reason"]),
                text(&ev["message"]),
                times(ev)
            ),
            Some(Source::event(ev)),
        );
        said += 1;
        if said == 3 {
            break;
        }
    }
    said
}

/// Plain text of a diagnosis, for `kx explain` and for tests.
pub fn render(d: &Diagnosis) -> String {
    let mut out = format!(
        "{}/{} is {}\n",
        d.kind.to_lowercase(),
        d.name,
        d.health.word()
    );
    for l in &d.lines {
        let from = l
            .source
            .as_ref()
            .map(|s| format!("  [{}]", s.describe()))
            .unwrap_or_default();
        // Text from the cluster (messages, log lines) is shown, never interpreted.
        out.push_str(&format!(
            "{}{}{from}\n",
            "  ".repeat(l.depth as usize + 1),
            crate::text::visible(&l.text)
        ));
    }
    out
}

#[cfg(test)]
mod tests;
