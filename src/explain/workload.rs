//! Objects above and beside pods: replicated workloads (down to their pods' reasons), jobs,
//! services and their endpoints, claims, nodes.

use super::{Facts, Health, Notes, Source, text, warnings};
use serde_json::Value;

/// Unhealthy pods diagnosed one by one under their owner; the rest are counted.
const PODS_SHOWN: usize = 3;

fn int(v: &Value) -> i64 {
    v.as_i64().unwrap_or(0)
}

fn pod_health(pod: &Value, facts: &Facts) -> (Health, Notes) {
    let mut notes = Notes::default();
    super::pod::pod(pod, facts, 1, &mut notes);
    (notes.health(), notes)
}

/// The pods (of `pods`) that are not healthy, worst first, each with its reasons indented.
fn unhealthy_pods<'a>(
    pods: impl Iterator<Item = &'a Value>,
    facts: &Facts,
    notes: &mut Notes,
) -> usize {
    let mut bad: Vec<(Health, Notes, &Value)> = pods
        .map(|p| {
            let (h, n) = pod_health(p, facts);
            (h, n, p)
        })
        .filter(|(h, _, _)| *h != Health::Healthy)
        .collect();
    bad.sort_by_key(|b| std::cmp::Reverse(b.0));
    let count = bad.len();
    for (_, pod_notes, pod) in bad.iter_mut().take(PODS_SHOWN) {
        notes.say(
            0,
            Health::Progressing,
            format!("pod {}:", text(&pod["metadata"]["name"])),
            Some(Source::object(pod)),
        );
        notes.lines.append(&mut pod_notes.lines);
        if let Some(w) = pod_notes.worst {
            notes.worst = Some(notes.worst.map_or(w, |n| n.max(w)));
        }
    }
    if count > PODS_SHOWN {
        notes.say(
            0,
            Health::Progressing,
            format!("… and {} more pods like these", count - PODS_SHOWN),
            None,
        );
    }
    count
}

/// Deployments, stateful sets, daemon sets, replica sets: wanted vs ready, a stalled rollout,
/// then why their pods are not ready.
pub(super) fn replicated(obj: &Value, facts: &Facts, notes: &mut Notes) {
    let kind = text(&obj["kind"]);
    let status = &obj["status"];
    let (wanted, ready, updated) = if kind == "DaemonSet" {
        (
            int(&status["desiredNumberScheduled"]),
            int(&status["numberReady"]),
            int(&status["updatedNumberScheduled"]),
        )
    } else {
        (
            obj["spec"]["replicas"].as_i64().unwrap_or(1),
            int(&status["readyReplicas"]),
            int(&status["updatedReplicas"]),
        )
    };
    let me = Source::object(obj);
    let stalled = status["conditions"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["type"] == "Progressing" && c["status"] == "False");
    if let Some(c) = stalled {
        notes.say(
            0,
            Health::Broken,
            format!(
                "rollout stalled: {} {}",
                text(&c["reason"]),
                text(&c["message"])
            ),
            Some(me.clone()),
        );
    }
    if wanted == 0 {
        notes.say(0, Health::Healthy, "scaled to zero".into(), Some(me));
        return;
    }
    let pods_bad = {
        let mut below = Notes::default();
        let n = unhealthy_pods(facts.pods.iter(), facts, &mut below);
        (n, below)
    };
    if ready >= wanted && pods_bad.0 == 0 {
        notes.say(
            0,
            Health::Healthy,
            format!("{ready}/{wanted} ready, {updated} up to date"),
            Some(me),
        );
        return;
    }
    let health = if pods_bad.1.health() == Health::Broken || stalled.is_some() {
        Health::Broken
    } else {
        Health::Progressing
    };
    notes.say(
        0,
        health,
        format!("{ready}/{wanted} ready, {updated} up to date"),
        Some(me),
    );
    if pods_bad.0 == 0 && facts.pods.is_empty() {
        notes.say(
            0,
            health,
            "no pods: its controller has not made any (see its events)".into(),
            Some(Source::object(obj)),
        );
        warnings(obj, facts, 1, notes);
    }
    let (_, mut below) = pods_bad;
    notes.lines.append(&mut below.lines);
    if let Some(w) = below.worst {
        notes.worst = Some(notes.worst.map_or(w, |n| n.max(w)));
    }
}

pub(super) fn job(obj: &Value, facts: &Facts, notes: &mut Notes) {
    let me = Source::object(obj);
    let status = &obj["status"];
    let conds: Vec<&Value> = status["conditions"]
        .as_array()
        .into_iter()
        .flatten()
        .collect();
    let met = |t: &str| {
        conds
            .iter()
            .find(|c| c["type"] == t && c["status"] == "True")
    };
    let (failed, succeeded, active) = (
        int(&status["failed"]),
        int(&status["succeeded"]),
        int(&status["active"]),
    );
    if met("Complete").is_some() {
        notes.say(
            0,
            Health::Healthy,
            format!("completed: {succeeded} succeeded"),
            Some(me),
        );
        return;
    }
    if let Some(c) = met("Failed") {
        let limit = obj["spec"]["backoffLimit"].as_i64().unwrap_or(6);
        notes.say(
            0,
            Health::Broken,
            format!(
                "failed: {} — {} ({failed} pods failed, backoffLimit {limit})",
                text(&c["reason"]),
                text(&c["message"])
            ),
            Some(me),
        );
        // The newest failed pod says why.
        let last = facts
            .pods
            .iter()
            .filter(|p| p["status"]["phase"] == "Failed")
            .max_by_key(|p| text(&p["metadata"]["creationTimestamp"]).to_string());
        if let Some(p) = last {
            notes.say(
                0,
                Health::Broken,
                format!("its last pod, {}:", text(&p["metadata"]["name"])),
                Some(Source::object(p)),
            );
            let (_, mut n) = pod_health(p, facts);
            notes.lines.append(&mut n.lines);
        }
        return;
    }
    let health = if failed > 0 {
        Health::Broken
    } else {
        Health::Progressing
    };
    notes.say(
        0,
        health,
        format!("running: {active} active, {succeeded} succeeded, {failed} failed"),
        Some(me),
    );
    unhealthy_pods(facts.pods.iter(), facts, notes);
}

fn selects(selector: &serde_json::Map<String, Value>, pod: &Value) -> bool {
    let labels = &pod["metadata"]["labels"];
    selector.iter().all(|(k, v)| labels.get(k) == Some(v))
}

/// A service: what its selector matches, which of those are ready, whether its target ports
/// exist in them.
pub(super) fn service(obj: &Value, facts: &Facts, notes: &mut Notes) {
    let me = Source::object(obj);
    let ns = text(&obj["metadata"]["namespace"]);
    let Some(selector) = obj["spec"]["selector"]
        .as_object()
        .filter(|s| !s.is_empty())
    else {
        notes.say(
            0,
            Health::Healthy,
            "has no selector: its endpoints are managed by hand or by another controller".into(),
            Some(me),
        );
        return;
    };
    let wanted: Vec<String> = selector
        .iter()
        .map(|(k, v)| format!("{k}={}", text(v)))
        .collect();
    let matching: Vec<&Value> = facts.pods.iter().filter(|p| selects(selector, p)).collect();
    if matching.is_empty() {
        notes.say(
            0,
            Health::Broken,
            format!("selects no pods: no pod in {ns} has {}", wanted.join(",")),
            Some(me.clone()),
        );
        // What is there instead, for the key that does not match.
        for (k, v) in selector {
            let mut others: std::collections::BTreeMap<&str, usize> = Default::default();
            for p in &facts.pods {
                if let Some(o) = p["metadata"]["labels"][k]
                    .as_str()
                    .filter(|o| Some(*o) != v.as_str())
                {
                    *others.entry(o).or_default() += 1;
                }
            }
            if !others.is_empty() {
                let list: Vec<String> = others
                    .iter()
                    .take(5)
                    .map(|(o, n)| format!("{k}={o} ({n})"))
                    .collect();
                notes.say(
                    1,
                    Health::Broken,
                    format!("pods here have {}", list.join(", ")),
                    Some(me.clone()),
                );
            }
        }
        return;
    }
    let endpoints = facts.related("Endpoints", text(&obj["metadata"]["name"]));
    let ready_addresses: usize = endpoints
        .and_then(|e| e["subsets"].as_array())
        .into_iter()
        .flatten()
        .map(|s| s["addresses"].as_array().map_or(0, Vec::len))
        .sum();
    let ready_pods: Vec<&&Value> = matching
        .iter()
        .filter(|p| {
            p["status"]["conditions"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|c| c["type"] == "Ready" && c["status"] == "True")
        })
        .collect();
    let ep_source = endpoints.map(Source::object).unwrap_or_else(|| me.clone());
    if ready_pods.is_empty() {
        notes.say(
            0,
            Health::Broken,
            format!(
                "no ready endpoints: {} pods match {}, none is ready",
                matching.len(),
                wanted.join(",")
            ),
            Some(ep_source),
        );
        let mut below = Notes::default();
        // Only the pods it selects, not the namespace's others.
        unhealthy_pods(matching.iter().copied(), facts, &mut below);
        notes.lines.append(&mut below.lines);
        return;
    }
    ports(obj, &ready_pods, notes);
    if notes.lines.is_empty() {
        notes.say(
            0,
            Health::Healthy,
            format!(
                "{} ready endpoints ({} of {} matching pods ready)",
                ready_addresses.max(ready_pods.len()),
                ready_pods.len(),
                matching.len()
            ),
            Some(ep_source),
        );
    }
}

/// Target ports the selected pods do not have: a named port no container declares (the
/// endpoint leaves it out), or a number nothing declares (connections may be refused).
fn ports(svc: &Value, pods: &[&&Value], notes: &mut Notes) {
    for port in svc["spec"]["ports"].as_array().into_iter().flatten() {
        let target = &port["targetPort"];
        let number = port["port"].as_i64().unwrap_or_default();
        let declared = |p: &Value| {
            p["spec"]["containers"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|c| c["ports"].as_array().into_iter().flatten())
                .any(|cp| match target {
                    Value::String(name) => cp["name"] == name.as_str(),
                    Value::Number(n) => cp["containerPort"].as_i64() == n.as_i64(),
                    _ => cp["containerPort"].as_i64() == Some(number),
                })
        };
        if pods.iter().any(|p| declared(p)) {
            continue;
        }
        let first = pods
            .first()
            .map(|p| text(&p["metadata"]["name"]))
            .unwrap_or_default();
        let (health, said) = match target {
            Value::String(name) => (
                Health::Broken,
                format!(
                    "port {number} targets the named port {name}, which no selected pod declares (e.g. {first})"
                ),
            ),
            _ => (
                Health::Progressing,
                format!(
                    "port {number} targets {}, which no selected pod declares (e.g. {first}); if nothing listens there, connections are refused",
                    target.as_i64().unwrap_or(number)
                ),
            ),
        };
        notes.say(0, health, said, Some(Source::object(svc)));
    }
}

pub(super) fn claim(pvc: &Value, facts: &Facts, depth: u8, notes: &mut Notes) {
    let name = text(&pvc["metadata"]["name"]);
    let phase = text(&pvc["status"]["phase"]);
    let me = Source::object(pvc);
    if phase == "Bound" {
        notes.say(
            depth,
            Health::Healthy,
            format!("bound to volume {}", text(&pvc["spec"]["volumeName"])),
            Some(me),
        );
        return;
    }
    let class = text(&pvc["spec"]["storageClassName"]);
    notes.say(
        depth,
        Health::Broken,
        format!(
            "claim {name} is {} (storage class {})",
            if phase.is_empty() { "not bound" } else { phase },
            if class.is_empty() { "default" } else { class }
        ),
        Some(me),
    );
    if warnings(pvc, facts, depth + 1, notes) == 0 {
        notes.say(
            depth + 1,
            Health::Progressing,
            "no event says why: a provisioner may be slow, or none serves this class".into(),
            None,
        );
    }
}

/// Node conditions: NotReady, or a pressure; cordoned.
pub(super) fn node(n: &Value, depth: u8, notes: &mut Notes) {
    let me = Source::object(n);
    let mut well = true;
    for c in n["status"]["conditions"].as_array().into_iter().flatten() {
        let t = text(&c["type"]);
        let bad = if t == "Ready" {
            c["status"] != "True"
        } else {
            t.ends_with("Pressure") || t == "NetworkUnavailable"
        } && (t == "Ready" || c["status"] == "True");
        if bad {
            well = false;
            let what = if t == "Ready" {
                "NotReady".to_string()
            } else {
                t.to_string()
            };
            notes.say(
                depth,
                Health::Broken,
                format!("{what}: {}", text(&c["message"])),
                Some(me.clone()),
            );
        }
    }
    if n["spec"]["unschedulable"] == true {
        notes.say(
            depth,
            Health::Progressing,
            "cordoned: no new pods are scheduled here".into(),
            Some(me.clone()),
        );
        well = false;
    }
    if well {
        notes.say(
            depth,
            Health::Healthy,
            "Ready, no pressure".into(),
            Some(me),
        );
    }
}
