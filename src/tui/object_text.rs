//! The text of an object's screens: its YAML (managedFields hidden, Secret values masked
//! until revealed), a table of its events, and a pod's containers. Pure functions of the
//! object, with `now` passed in.

use crate::age::{human_duration, parse_timestamp};
use base64::Engine;
use serde_json::Value;

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
    super::describe::table(&["TYPE", "REASON", "AGE", "FROM", "MESSAGE"], &rows)
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
    use serde_json::json;

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
}
