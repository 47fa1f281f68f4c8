//! The text of a rollout (deployment) or service trace, from the objects as they are now.
//! Pure: the runtime in `trace` keeps the objects current and redraws with this.

use crate::age::{human_duration, parse_timestamp};
use serde_json::Value;
use std::collections::BTreeMap;

pub type Objects = BTreeMap<String, Value>;

fn int(v: &Value) -> i64 {
    v.as_i64().unwrap_or(0)
}

fn text(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}

fn revision(rs: &Value) -> i64 {
    text(&rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"])
        .parse()
        .unwrap_or(0)
}

fn images(template: &Value) -> String {
    template["spec"]["containers"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| text(&c["image"]).to_string())
        .collect::<Vec<_>>()
        .join(",")
}

fn conditions(obj: &Value, out: &mut Vec<String>) {
    let list = obj["status"]["conditions"].as_array();
    if list.is_none_or(|l| l.is_empty()) {
        out.push("conditions: none reported yet".into());
        return;
    }
    out.push("conditions:".into());
    for c in list.into_iter().flatten() {
        out.push(
            format!(
                "  {:<14} {:<6} {:<26} {}",
                text(&c["type"]),
                text(&c["status"]),
                text(&c["reason"]),
                text(&c["message"])
            )
            .trim_end()
            .to_string(),
        );
    }
}

/// One pod: phase (or why it is not running), readiness, restarts, waiting reasons, age.
pub fn pod_line(pod: &Value, now: i64) -> String {
    let statuses: Vec<&Value> = pod["status"]["containerStatuses"]
        .as_array()
        .into_iter()
        .flatten()
        .collect();
    let total = pod["spec"]["containers"]
        .as_array()
        .map_or(statuses.len(), Vec::len);
    let ready = statuses.iter().filter(|s| s["ready"] == true).count();
    let restarts: i64 = statuses.iter().map(|s| int(&s["restartCount"])).sum();
    let waiting: Vec<String> = statuses
        .iter()
        .filter_map(|s| {
            let reason = text(&s["state"]["waiting"]["reason"]);
            (!reason.is_empty()).then(|| format!("{}: {reason}", text(&s["name"])))
        })
        .collect();
    let phase = if pod["metadata"]["deletionTimestamp"].is_string() {
        "Terminating"
    } else {
        text(&pod["status"]["phase"])
    };
    let age = parse_timestamp(text(&pod["metadata"]["creationTimestamp"]))
        .map(|t| human_duration(now - t))
        .unwrap_or_default();
    let mut line = format!(
        "  {:<34} {:<12} {ready}/{total} ready  {restarts} restarts  {age}",
        text(&pod["metadata"]["name"]),
        phase
    );
    if !waiting.is_empty() {
        line.push_str(&format!("  waiting ({})", waiting.join(", ")));
    }
    line
}

fn owner(obj: &Value) -> &str {
    obj["metadata"]["ownerReferences"]
        .as_array()
        .and_then(|o| o.iter().find(|r| r["controller"] == true).or(o.first()))
        .map_or("", |r| text(&r["name"]))
}

/// The rollout of a deployment: replicas, progress, conditions, the new and old replica sets
/// and their pods.
pub fn deployment(d: &Value, sets: &Objects, pods: &Objects, now: i64) -> Vec<String> {
    let meta = &d["metadata"];
    let (spec, status) = (&d["spec"], &d["status"]);
    let desired = spec["replicas"].as_i64().unwrap_or(1);
    let mut out = vec![format!(
        "deployment/{} -n {}  generation {}, observed {}",
        text(&meta["name"]),
        text(&meta["namespace"]),
        int(&meta["generation"]),
        int(&status["observedGeneration"])
    )];
    let (updated, ready, available) = (
        int(&status["updatedReplicas"]),
        int(&status["readyReplicas"]),
        int(&status["availableReplicas"]),
    );
    out.push(format!(
        "replicas: {desired} desired · {} current · {updated} updated · {ready} ready · {available} available",
        int(&status["replicas"])
    ));
    let progressing = status["conditions"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["type"] == "Progressing");
    let rollout = if spec["paused"] == true {
        "rollout: paused".to_string()
    } else if progressing.is_some_and(|c| c["reason"] == "ProgressDeadlineExceeded") {
        format!(
            "rollout: STALLED ({})",
            progressing.map_or("", |c| text(&c["message"]))
        )
    } else if int(&status["observedGeneration"]) < int(&meta["generation"]) {
        "rollout: waiting for the controller to see the change".to_string()
    } else if updated < desired {
        format!("rollout: in progress, {updated} of {desired} pods updated")
    } else if int(&status["replicas"]) > updated {
        format!(
            "rollout: in progress, waiting for {} old pods to go",
            int(&status["replicas"]) - updated
        )
    } else if available < updated {
        format!("rollout: in progress, {available} of {updated} updated pods available")
    } else {
        "rollout: complete".to_string()
    };
    out.push(rollout);
    conditions(d, &mut out);

    let mut owned: Vec<&Value> = sets
        .values()
        .filter(|rs| owner(rs) == text(&meta["name"]))
        .collect();
    owned.sort_by_key(|rs| std::cmp::Reverse(revision(rs)));
    out.push("replica sets (newest first):".into());
    if owned.is_empty() {
        out.push("  none yet".into());
    }
    let mut idle = 0;
    for (i, rs) in owned.iter().enumerate() {
        let replicas = int(&rs["spec"]["replicas"]);
        if i > 0 && replicas == 0 && int(&rs["status"]["replicas"]) == 0 {
            idle += 1;
            continue;
        }
        out.push(format!(
            "  {} {:<30} rev {:<3} {} desired  {} ready  {}",
            if i == 0 { "NEW" } else { "old" },
            text(&rs["metadata"]["name"]),
            revision(rs),
            replicas,
            int(&rs["status"]["readyReplicas"]),
            images(&rs["spec"]["template"])
        ));
    }
    if idle > 0 {
        out.push(format!("  (+{idle} older replica sets scaled to 0)"));
    }
    let names: Vec<&str> = owned
        .iter()
        .map(|rs| text(&rs["metadata"]["name"]))
        .collect();
    out.push("pods:".into());
    let mut any = false;
    for rs in &names {
        for p in pods.values().filter(|p| owner(p) == *rs) {
            any = true;
            out.push(format!("{}  ({})", pod_line(p, now), rs));
        }
    }
    if !any {
        out.push("  none".into());
    }
    out
}

/// A service: its type, ports and selector, the endpoints ready and not, and the pods its
/// selector matches (with those missing from the endpoints called out).
pub fn service(s: &Value, endpoints: Option<&Value>, pods: &Objects, now: i64) -> Vec<String> {
    let meta = &s["metadata"];
    let spec = &s["spec"];
    let ports: Vec<String> = spec["ports"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            let target = match &p["targetPort"] {
                Value::Null => String::new(),
                t => format!(
                    "→{}",
                    t.as_str().map_or_else(|| t.to_string(), str::to_string)
                ),
            };
            format!(
                "{}{target}/{}",
                int(&p["port"]),
                p["protocol"].as_str().unwrap_or("TCP")
            )
        })
        .collect();
    let selector: Vec<String> = spec["selector"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| format!("{k}={}", text(v)))
        .collect();
    let mut out = vec![
        format!(
            "service/{} -n {}  {} {}",
            text(&meta["name"]),
            text(&meta["namespace"]),
            spec["type"].as_str().unwrap_or("ClusterIP"),
            spec["clusterIP"].as_str().unwrap_or("")
        ),
        format!(
            "ports: {}  selector: {}",
            if ports.is_empty() {
                "none".into()
            } else {
                ports.join(", ")
            },
            if selector.is_empty() {
                "none (endpoints are managed by hand)".into()
            } else {
                selector.join(",")
            }
        ),
    ];
    let mut ready = Vec::new();
    let mut not_ready = Vec::new();
    for subset in endpoints
        .and_then(|e| e["subsets"].as_array())
        .into_iter()
        .flatten()
    {
        let port = subset["ports"]
            .as_array()
            .and_then(|p| p.first())
            .map(|p| format!(":{}", int(&p["port"])))
            .unwrap_or_default();
        for (list, into) in [
            (&subset["addresses"], &mut ready),
            (&subset["notReadyAddresses"], &mut not_ready),
        ] {
            for a in list.as_array().into_iter().flatten() {
                into.push((
                    format!("{}{port}", text(&a["ip"])),
                    text(&a["targetRef"]["name"]).to_string(),
                ));
            }
        }
    }
    match endpoints {
        None => out.push("endpoints: none (no Endpoints object yet)".into()),
        Some(_) => out.push(format!(
            "endpoints: {} ready, {} not ready{}",
            ready.len(),
            not_ready.len(),
            if ready.is_empty() {
                "  — NO READY ENDPOINTS: requests to this service fail"
            } else {
                ""
            }
        )),
    }
    for (addr, pod) in &ready {
        out.push(format!("  ready      {addr:<22} {pod}"));
    }
    for (addr, pod) in &not_ready {
        out.push(format!("  not ready  {addr:<22} {pod}"));
    }
    out.push("pods matching the selector:".into());
    if pods.is_empty() {
        out.push("  none".into());
    }
    let listed: Vec<&str> = ready
        .iter()
        .chain(&not_ready)
        .map(|(_, p)| p.as_str())
        .collect();
    for p in pods.values() {
        let name = text(&p["metadata"]["name"]);
        let mut line = pod_line(p, now);
        if !listed.contains(&name) {
            line.push_str("  (not in the endpoints)");
        }
        out.push(line);
    }
    out
}

#[cfg(test)]
mod tests;
