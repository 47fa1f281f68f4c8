//! A pod: scheduling, each container's state and last end, its probes (from events), the
//! ConfigMaps, Secrets and claims it needs, and its node.

use super::{Facts, Health, Notes, Source, text, warnings};
use serde_json::Value;

/// Log lines shown under a crashed container.
pub const LOG_LINES: usize = 5;

pub(super) fn pod(pod: &Value, facts: &Facts, depth: u8, notes: &mut Notes) {
    let before = notes.lines.len();
    let name = text(&pod["metadata"]["name"]);
    let me = Source::object(pod);
    if pod["metadata"]["deletionTimestamp"].is_string() {
        notes.say(
            depth,
            Health::Progressing,
            "being deleted".into(),
            Some(me.clone()),
        );
    }
    let phase = text(&pod["status"]["phase"]);
    if phase == "Succeeded" {
        notes.say(
            depth,
            Health::Healthy,
            "completed successfully".into(),
            Some(me),
        );
        return;
    }
    if let Some(c) = condition(pod, "PodScheduled").filter(|c| c["status"] == "False") {
        let ev = facts
            .events_of(pod)
            .into_iter()
            .rev()
            .find(|e| e["reason"] == "FailedScheduling");
        let message = ev.map_or(text(&c["message"]), |e| text(&e["message"]));
        notes.say(
            depth,
            Health::Broken,
            format!("cannot be scheduled: {message}"),
            Some(ev.map_or(me.clone(), Source::event)),
        );
        return;
    }
    node(pod, facts, depth, notes);
    claims(pod, facts, depth, notes);
    let statuses = pod["status"]["initContainerStatuses"]
        .as_array()
        .into_iter()
        .flatten()
        .chain(
            pod["status"]["containerStatuses"]
                .as_array()
                .into_iter()
                .flatten(),
        );
    for c in statuses {
        container(pod, c, facts, depth, notes);
    }
    if phase == "Failed" && notes.lines.len() == before {
        notes.say(
            depth,
            Health::Broken,
            format!(
                "failed: {} {}",
                text(&pod["status"]["reason"]),
                text(&pod["status"]["message"])
            )
            .trim_end()
            .to_string(),
            Some(me.clone()),
        );
    }
    probes(pod, facts, depth, notes);
    if notes.lines.len() == before {
        let total = pod["status"]["containerStatuses"]
            .as_array()
            .map_or(0, Vec::len);
        let restarts: u64 = pod["status"]["containerStatuses"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c["restartCount"].as_u64())
            .sum();
        let ready = condition(pod, "Ready").is_some_and(|c| c["status"] == "True");
        if ready {
            notes.say(
                depth,
                Health::Healthy,
                format!(
                    "{name} is running and ready ({total}/{total} containers, {restarts} restarts)"
                ),
                Some(me),
            );
        } else {
            notes.say(
                depth,
                Health::Progressing,
                format!("{name} is {} and not ready yet", phase.to_lowercase()),
                Some(me),
            );
            warnings(pod, facts, depth + 1, notes);
        }
    }
}

fn condition<'a>(obj: &'a Value, kind: &str) -> Option<&'a Value> {
    obj["status"]["conditions"]
        .as_array()?
        .iter()
        .find(|c| c["type"] == kind)
}

/// One container: what it waits for, how it last ended, and its previous log after a crash.
fn container(pod: &Value, c: &Value, facts: &Facts, depth: u8, notes: &mut Notes) {
    let pod_name = text(&pod["metadata"]["name"]);
    let cname = text(&c["name"]);
    let me = Source::object(pod);
    let waiting = &c["state"]["waiting"];
    let reason = text(&waiting["reason"]);
    let last = &c["lastState"]["terminated"];
    let restarts = c["restartCount"].as_u64().unwrap_or(0);
    match reason {
        "ImagePullBackOff" | "ErrImagePull" | "InvalidImageName" | "ErrImageNeverPull" => {
            let image = text(&c["image"]);
            // The pull error itself is in the kubelet's Failed event; the state only says
            // it is backing off.
            let ev = facts
                .events_of(pod)
                .into_iter()
                .rev()
                .find(|e| e["reason"] == "Failed" && text(&e["message"]).contains("pull"));
            let why = ev.map_or(text(&waiting["message"]).to_string(), |e| {
                text(&e["message"]).to_string()
            });
            notes.say(
                depth,
                Health::Broken,
                format!("container {cname} cannot pull its image {image} ({reason})"),
                Some(me.clone()),
            );
            notes.say(
                depth + 1,
                Health::Broken,
                why,
                Some(ev.map_or(me, Source::event)),
            );
        }
        "CreateContainerConfigError" | "CreateContainerError" => {
            let why = text(&waiting["message"]);
            let source = config_source(pod, why, facts).unwrap_or_else(|| me.clone());
            notes.say(
                depth,
                Health::Broken,
                format!("container {cname} cannot start: {why}"),
                Some(source),
            );
        }
        "CrashLoopBackOff" => {
            notes.say(
                depth,
                Health::Broken,
                format!(
                    "container {cname} is crash-looping: {restarts} restarts, {}",
                    last_end(last)
                ),
                Some(me),
            );
            oom_hint(c, pod, depth, notes);
            previous_log(pod_name, cname, true, facts, depth, notes);
        }
        "" => {
            if let Some(t) = c["state"]["terminated"].as_object()
                && t.get("exitCode").and_then(Value::as_i64).unwrap_or(0) != 0
            {
                let t = &c["state"]["terminated"];
                notes.say(
                    depth,
                    Health::Broken,
                    format!("container {cname} {}", last_end(t)),
                    Some(me),
                );
                previous_log(pod_name, cname, false, facts, depth, notes);
            } else if restarts > 0
                && (last["reason"] == "OOMKilled" || recent_failure(last, facts.now))
            {
                // Running again between crashes: a crash loop seen at the wrong moment.
                let how = if last["reason"] == "OOMKilled" {
                    "was OOMKilled"
                } else {
                    "keeps failing"
                };
                notes.say(
                    depth,
                    Health::Broken,
                    format!(
                        "container {cname} runs again but {how}: {restarts} restarts, {}",
                        last_end(last)
                    ),
                    Some(me),
                );
                oom_hint(c, pod, depth, notes);
                previous_log(pod_name, cname, true, facts, depth, notes);
            }
        }
        "ContainerCreating" | "PodInitializing" => {}
        other => notes.say(
            depth,
            Health::Progressing,
            format!(
                "container {cname} is waiting: {other} {}",
                text(&waiting["message"])
            )
            .trim_end()
            .to_string(),
            Some(me),
        ),
    }
}

/// Failures older than this are history, not the present state.
const RECENT_SECS: i64 = 600;

/// A non-zero exit within the last ten minutes (always, when the time is not known).
fn recent_failure(t: &Value, now: i64) -> bool {
    if t["exitCode"].as_i64().unwrap_or(0) == 0 {
        return false;
    }
    let finished = t["finishedAt"]
        .as_str()
        .and_then(crate::age::parse_timestamp);
    match finished {
        Some(at) if now > 0 => now - at <= RECENT_SECS,
        _ => true,
    }
}

/// `last exited with code 1 (Error) at 10:04:05`.
fn last_end(t: &Value) -> String {
    if t.is_null() {
        return "no earlier end recorded".into();
    }
    let code = t["exitCode"].as_i64().unwrap_or_default();
    let reason = text(&t["reason"]);
    let at = text(&t["finishedAt"]);
    let mut s = format!("last exited with code {code}");
    if !reason.is_empty() {
        s.push_str(&format!(" ({reason})"));
    }
    if !at.is_empty() {
        s.push_str(&format!(" at {at}"));
    }
    s
}

/// An OOM kill: the limit it hit.
fn oom_hint(c: &Value, pod: &Value, depth: u8, notes: &mut Notes) {
    if c["lastState"]["terminated"]["reason"] != "OOMKilled" {
        return;
    }
    let spec = pod["spec"]["containers"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|s| s["name"] == c["name"]);
    let limit = spec.and_then(|s| s["resources"]["limits"]["memory"].as_str());
    let said = match limit {
        Some(l) => format!(
            "killed for using more memory than its limit ({l}): raise the limit or find the leak"
        ),
        None => "killed by the node for memory (no limit set): the node ran short".into(),
    };
    notes.say(depth + 1, Health::Broken, said, Some(Source::object(pod)));
}

fn previous_log(
    pod: &str,
    container: &str,
    previous: bool,
    facts: &Facts,
    depth: u8,
    notes: &mut Notes,
) {
    let Some(got) = facts.logs.get(&(pod.to_string(), container.to_string())) else {
        return;
    };
    let namespace = text(&facts.object["metadata"]["namespace"]).to_string();
    let source = Source::Log {
        namespace,
        pod: pod.into(),
        container: container.into(),
        previous,
    };
    match got {
        Ok(lines) if lines.is_empty() => notes.say(
            depth + 1,
            Health::Broken,
            "its log is empty".into(),
            Some(source),
        ),
        Ok(lines) => {
            let which = if previous {
                "the previous container's"
            } else {
                "its"
            };
            notes.say(
                depth + 1,
                Health::Broken,
                format!("last lines of {which} log:"),
                Some(source.clone()),
            );
            for l in lines.iter().rev().take(LOG_LINES).rev() {
                notes.say(depth + 2, Health::Broken, l.clone(), Some(source.clone()));
            }
        }
        Err(why) => notes.say(
            depth + 1,
            Health::Progressing,
            format!("its log could not be read: {why}"),
            Some(source),
        ),
    }
}

/// The ConfigMap or Secret a config error names, when kx has it (Enter opens it).
fn config_source(pod: &Value, why: &str, facts: &Facts) -> Option<Source> {
    let ns = text(&pod["metadata"]["namespace"]);
    for kind in ["ConfigMap", "Secret"] {
        // "couldn't find key K in ConfigMap ns/name"
        if let Some(rest) = why.split(&format!(" in {kind} ")).nth(1) {
            let name = rest.trim().trim_start_matches(&format!("{ns}/"));
            if let Some(obj) = facts.related(kind, name) {
                return Some(Source::object(obj));
            }
        }
    }
    None
}

/// Probe failures are only in events (the status says "not ready", not why).
fn probes(pod: &Value, facts: &Facts, depth: u8, notes: &mut Notes) {
    if condition(pod, "Ready").is_some_and(|c| c["status"] == "True") {
        return;
    }
    let failing = facts
        .events_of(pod)
        .into_iter()
        .rev()
        .find(|e| e["reason"] == "Unhealthy");
    if let Some(ev) = failing {
        notes.say(
            depth,
            Health::Broken,
            format!("not ready: {}{}", text(&ev["message"]), super::times(ev)),
            Some(Source::event(ev)),
        );
    }
}

fn node(pod: &Value, facts: &Facts, depth: u8, notes: &mut Notes) {
    let name = text(&pod["spec"]["nodeName"]);
    if name.is_empty() {
        return;
    }
    if let Some(n) = facts.related("Node", name) {
        let mut node_notes = Notes::default();
        super::workload::node(n, depth, &mut node_notes);
        if node_notes.health() != Health::Healthy {
            notes.say(
                depth,
                Health::Broken,
                format!("runs on node {name}, which is not well:"),
                Some(Source::object(n)),
            );
            for mut l in node_notes.lines {
                l.depth += 1;
                notes.lines.push(l);
            }
        }
    }
}

fn claims(pod: &Value, facts: &Facts, depth: u8, notes: &mut Notes) {
    for v in pod["spec"]["volumes"].as_array().into_iter().flatten() {
        let claim = text(&v["persistentVolumeClaim"]["claimName"]);
        if claim.is_empty() {
            continue;
        }
        match facts.related("PersistentVolumeClaim", claim) {
            Some(pvc) if pvc["status"]["phase"] != "Bound" => {
                super::workload::claim(pvc, facts, depth, notes)
            }
            Some(_) => {}
            None => notes.say(
                depth,
                Health::Broken,
                format!("mounts claim {claim}, which does not exist"),
                Some(Source::object(pod)),
            ),
        }
    }
}
