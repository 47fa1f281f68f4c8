//! Describe-style text for an object, in the spirit of `kubectl describe`: the facts a person
//! looks for first (status, conditions, containers, recent events), laid out for reading.
//! Pods, deployments, nodes and services get their own layouts; anything else gets its
//! metadata, its conditions and its spec and status as YAML.

use super::object_text::event_table;
use crate::age::{human_duration, parse_timestamp};
use serde_json::Value;

struct Out {
    lines: Vec<String>,
}

impl Out {
    fn field(&mut self, indent: usize, key: &str, value: impl AsRef<str>) {
        let label = format!("{key}:");
        let pad = 22usize.saturating_sub(indent);
        self.lines.push(format!(
            "{:indent$}{label:<pad$}{}",
            "",
            value.as_ref(),
            indent = indent
        ));
    }

    fn heading(&mut self, indent: usize, text: &str) {
        self.lines
            .push(format!("{:indent$}{text}:", "", indent = indent));
    }

    fn text(&mut self, indent: usize, text: impl AsRef<str>) {
        self.lines
            .push(format!("{:indent$}{}", "", text.as_ref(), indent = indent));
    }

    /// `key=value` pairs one per line, the first beside the label (kubectl's layout).
    fn map(&mut self, indent: usize, key: &str, value: &Value) {
        let pairs: Vec<String> = value
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or(&v.to_string())))
                    .collect()
            })
            .unwrap_or_default();
        match pairs.split_first() {
            None => self.field(indent, key, "<none>"),
            Some((first, rest)) => {
                self.field(indent, key, first);
                for p in rest {
                    self.text(indent.max(22), p);
                }
            }
        }
    }
}

fn capitalise(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}

fn or_none(v: &Value) -> String {
    match v {
        Value::Null => "<none>".into(),
        Value::String(t) if t.is_empty() => "<none>".into(),
        Value::String(t) => t.clone(),
        other => other.to_string(),
    }
}

fn age_of(v: &Value, now: i64) -> String {
    v.as_str()
        .and_then(parse_timestamp)
        .map(|t| format!("{} ({} ago)", s(v), human_duration(now - t)))
        .unwrap_or_else(|| "<unknown>".into())
}

/// Columns padded to their widest cell, two spaces apart.
pub fn table<const N: usize>(titles: &[&str; N], rows: &[[String; N]]) -> Vec<String> {
    let mut widths: Vec<usize> = titles.iter().map(|t| t.chars().count()).collect();
    for r in rows {
        for (w, cell) in widths.iter_mut().zip(r) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut out = String::new();
        for (i, (cell, w)) in cells.iter().zip(&widths).enumerate() {
            if i + 1 == N {
                out.push_str(cell);
            } else {
                out.push_str(&format!("{cell:<w$}  ", w = *w));
            }
        }
        out.trim_end().to_string()
    };
    let mut out = vec![line(titles.to_vec())];
    out.extend(
        rows.iter()
            .map(|r| line(r.iter().map(String::as_str).collect())),
    );
    out
}

fn metadata(out: &mut Out, obj: &Value, now: i64) {
    let meta = &obj["metadata"];
    out.field(0, "Name", s(&meta["name"]));
    if let Some(ns) = meta["namespace"].as_str() {
        out.field(0, "Namespace", ns);
    }
    out.field(0, "Created", age_of(&meta["creationTimestamp"], now));
    out.map(0, "Labels", &meta["labels"]);
    let annotations: serde_json::Map<String, Value> = meta["annotations"]
        .as_object()
        .map(|m| {
            m.iter()
                // The last-applied copy of the whole object is noise in a describe.
                .filter(|(k, _)| !k.ends_with("last-applied-configuration"))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
        .unwrap_or_default();
    out.map(0, "Annotations", &Value::Object(annotations));
    if let Some(owner) = meta["ownerReferences"]
        .as_array()
        .and_then(|o| o.iter().find(|o| o["controller"] == true))
    {
        out.field(
            0,
            "Controlled By",
            format!("{}/{}", s(&owner["kind"]), s(&owner["name"])),
        );
    }
    if let Some(t) = meta["deletionTimestamp"].as_str() {
        out.field(0, "Terminating since", t);
    }
}

fn conditions(out: &mut Out, status: &Value, now: i64) {
    let Some(list) = status["conditions"].as_array().filter(|l| !l.is_empty()) else {
        return;
    };
    out.heading(0, "Conditions");
    let rows: Vec<[String; 4]> = list
        .iter()
        .map(|c| {
            let since = ["lastTransitionTime", "lastUpdateTime", "lastHeartbeatTime"]
                .iter()
                .find_map(|k| c[k].as_str().and_then(parse_timestamp))
                .map(|t| human_duration(now - t))
                .unwrap_or_default();
            let why = [s(&c["reason"]), s(&c["message"])]
                .into_iter()
                .filter(|x| !x.is_empty())
                .collect::<Vec<_>>()
                .join(": ");
            [
                s(&c["type"]).to_string(),
                s(&c["status"]).to_string(),
                since,
                why,
            ]
        })
        .collect();
    for l in table(&["Type", "Status", "Since", "Reason"], &rows) {
        out.text(2, l);
    }
}

fn container_state_lines(out: &mut Out, label: &str, state: &Value, now: i64) {
    if let Some((name, detail)) = state.as_object().and_then(|m| m.iter().next()) {
        let mut title = capitalise(name);
        if let Some(r) = detail["reason"].as_str() {
            title = format!("{title} ({r})");
        }
        out.field(4, label, title);
        if let Some(code) = detail["exitCode"].as_i64() {
            out.field(6, "Exit Code", code.to_string());
        }
        for (k, l) in [("startedAt", "Started"), ("finishedAt", "Finished")] {
            if detail[k].is_string() {
                out.field(6, l, age_of(&detail[k], now));
            }
        }
        if let Some(m) = detail["message"].as_str() {
            out.field(6, "Message", m);
        }
    }
}

fn containers(out: &mut Out, pod: &Value, now: i64) {
    for (spec_key, status_key, title) in [
        ("initContainers", "initContainerStatuses", "Init Containers"),
        ("containers", "containerStatuses", "Containers"),
    ] {
        let Some(list) = pod["spec"][spec_key].as_array().filter(|l| !l.is_empty()) else {
            continue;
        };
        out.heading(0, title);
        for c in list {
            let status = pod["status"][status_key]
                .as_array()
                .and_then(|st| st.iter().find(|x| x["name"] == c["name"]))
                .cloned()
                .unwrap_or(Value::Null);
            out.heading(2, s(&c["name"]));
            out.field(4, "Image", s(&c["image"]));
            let ports = super::object_text::container_ports(c);
            out.field(
                4,
                "Ports",
                if ports.is_empty() {
                    "<none>".into()
                } else {
                    ports.join(", ")
                },
            );
            container_state_lines(out, "State", &status["state"], now);
            container_state_lines(out, "Last State", &status["lastState"], now);
            // A pod template has no statuses; saying "<none>" there would be noise.
            if !status.is_null() {
                out.field(4, "Ready", or_none(&status["ready"]));
                out.field(4, "Restart Count", or_none(&status["restartCount"]));
            }
            for kind in ["requests", "limits"] {
                if let Some(m) = c["resources"][kind].as_object() {
                    let text: Vec<String> = m
                        .iter()
                        .map(|(k, v)| format!("{k}={}", or_none(v)))
                        .collect();
                    out.field(4, &capitalise(kind), text.join(", "));
                }
            }
        }
    }
}

fn pod(out: &mut Out, obj: &Value, now: i64) {
    let spec = &obj["spec"];
    let status = &obj["status"];
    out.field(0, "Node", or_none(&spec["nodeName"]));
    out.field(0, "Start Time", age_of(&status["startTime"], now));
    out.field(0, "Status", or_none(&status["phase"]));
    if let Some(r) = status["reason"].as_str() {
        out.field(0, "Reason", r);
    }
    out.field(0, "IP", or_none(&status["podIP"]));
    out.field(0, "QoS Class", or_none(&status["qosClass"]));
    containers(out, obj, now);
    conditions(out, status, now);
    if let Some(vols) = spec["volumes"].as_array().filter(|v| !v.is_empty()) {
        out.heading(0, "Volumes");
        for v in vols {
            let kind = v
                .as_object()
                .and_then(|m| m.keys().find(|k| *k != "name"))
                .cloned()
                .unwrap_or_default();
            out.field(2, s(&v["name"]), kind);
        }
    }
}

fn deployment(out: &mut Out, obj: &Value, now: i64) {
    let spec = &obj["spec"];
    let st = &obj["status"];
    let n = |v: &Value| v.as_i64().unwrap_or(0);
    out.field(0, "Selector", selector_text(&spec["selector"]));
    out.field(
        0,
        "Replicas",
        format!(
            "{} desired | {} updated | {} total | {} available | {} unavailable",
            n(&spec["replicas"]),
            n(&st["updatedReplicas"]),
            n(&st["replicas"]),
            n(&st["availableReplicas"]),
            n(&st["unavailableReplicas"])
        ),
    );
    out.field(
        0,
        "StrategyType",
        spec["strategy"]["type"].as_str().unwrap_or("RollingUpdate"),
    );
    if let Some(ru) = spec["strategy"]["rollingUpdate"].as_object() {
        out.field(
            0,
            "RollingUpdate",
            format!(
                "{} max unavailable, {} max surge",
                or_none(ru.get("maxUnavailable").unwrap_or(&Value::Null)),
                or_none(ru.get("maxSurge").unwrap_or(&Value::Null))
            ),
        );
    }
    out.heading(0, "Pod Template");
    out.map(2, "Labels", &spec["template"]["metadata"]["labels"]);
    let template = serde_json::json!({"spec": spec["template"]["spec"].clone(), "status": {}});
    containers(out, &template, now);
    conditions(out, st, now);
}

fn selector_text(sel: &Value) -> String {
    let mut parts: Vec<String> = sel["matchLabels"]
        .as_object()
        .map(|m| m.iter().map(|(k, v)| format!("{k}={}", s(v))).collect())
        .unwrap_or_default();
    for e in sel["matchExpressions"].as_array().into_iter().flatten() {
        let values: Vec<&str> = e["values"]
            .as_array()
            .into_iter()
            .flatten()
            .map(s)
            .collect();
        parts.push(format!(
            "{} {} ({})",
            s(&e["key"]),
            s(&e["operator"]).to_lowercase(),
            values.join(",")
        ));
    }
    if parts.is_empty() {
        "<none>".into()
    } else {
        parts.join(",")
    }
}

fn node(out: &mut Out, obj: &Value, now: i64) {
    let spec = &obj["spec"];
    let st = &obj["status"];
    let roles: Vec<&str> = obj["metadata"]["labels"]
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(k, _)| k.strip_prefix("node-role.kubernetes.io/"))
        .collect();
    out.field(
        0,
        "Roles",
        if roles.is_empty() {
            "<none>".into()
        } else {
            roles.join(",")
        },
    );
    let taints: Vec<String> = spec["taints"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| match t["value"].as_str() {
            Some(v) => format!("{}={v}:{}", s(&t["key"]), s(&t["effect"])),
            None => format!("{}:{}", s(&t["key"]), s(&t["effect"])),
        })
        .collect();
    out.field(
        0,
        "Taints",
        if taints.is_empty() {
            "<none>".into()
        } else {
            taints.join(", ")
        },
    );
    out.field(
        0,
        "Unschedulable",
        spec["unschedulable"].as_bool().unwrap_or(false).to_string(),
    );
    conditions(out, st, now);
    out.heading(0, "Addresses");
    for a in st["addresses"].as_array().into_iter().flatten() {
        out.field(2, s(&a["type"]), s(&a["address"]));
    }
    for section in ["capacity", "allocatable"] {
        if let Some(m) = st[section].as_object() {
            out.heading(0, &capitalise(section));
            for (k, v) in m {
                out.field(2, k, or_none(v));
            }
        }
    }
    if let Some(info) = st["nodeInfo"].as_object() {
        out.heading(0, "System Info");
        for (k, v) in info {
            out.field(2, k, or_none(v));
        }
    }
}

fn service(out: &mut Out, obj: &Value) {
    let spec = &obj["spec"];
    let selector = spec["selector"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{k}={}", s(v)))
                .collect::<Vec<_>>()
                .join(",")
        })
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| "<none>".into());
    out.field(0, "Selector", selector);
    out.field(0, "Type", spec["type"].as_str().unwrap_or("ClusterIP"));
    out.field(0, "IP", or_none(&spec["clusterIP"]));
    for p in spec["ports"].as_array().into_iter().flatten() {
        let name = p["name"].as_str().unwrap_or("<unset>");
        out.field(
            0,
            "Port",
            format!(
                "{name}  {}/{}",
                p["port"],
                p["protocol"].as_str().unwrap_or("TCP")
            ),
        );
        out.field(0, "TargetPort", or_none(&p["targetPort"]));
        if let Some(np) = p["nodePort"].as_i64() {
            out.field(0, "NodePort", np.to_string());
        }
    }
    out.field(
        0,
        "Session Affinity",
        spec["sessionAffinity"].as_str().unwrap_or("None"),
    );
}

fn generic(out: &mut Out, obj: &Value, now: i64) {
    conditions(out, &obj["status"], now);
    for section in ["spec", "data", "status"] {
        let mut v = obj[section].clone();
        if section == "status"
            && let Some(m) = v.as_object_mut()
        {
            m.remove("conditions");
        }
        let empty = v.is_null() || v.as_object().is_some_and(|m| m.is_empty());
        if empty || (section == "data" && obj["kind"] == "Secret") {
            continue;
        }
        out.heading(0, &capitalise(section));
        if let Ok(text) = serde_yaml::to_string(&v) {
            for l in text.lines() {
                out.text(2, l);
            }
        }
    }
    if obj["kind"] == "Secret" {
        out.heading(0, "Data");
        for (k, v) in obj["data"].as_object().into_iter().flatten() {
            let len = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, s(v))
                .map(|b| b.len())
                .unwrap_or(0);
            out.field(2, k, format!("{len} bytes"));
        }
    }
}

pub fn describe(obj: &Value, events: &[&Value], now: i64) -> Vec<String> {
    let mut out = Out { lines: Vec::new() };
    metadata(&mut out, obj, now);
    match s(&obj["kind"]) {
        "Pod" => pod(&mut out, obj, now),
        "Deployment" => deployment(&mut out, obj, now),
        "Node" => node(&mut out, obj, now),
        "Service" => service(&mut out, obj),
        _ => generic(&mut out, obj, now),
    }
    out.heading(0, "Events");
    // The most recent ones, as kubectl shows them; the events view has them all.
    let recent = &events[events.len().saturating_sub(20)..];
    for l in event_table(recent, now) {
        out.text(2, l);
    }
    out.lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn text(lines: &[String]) -> String {
        lines.join("\n")
    }

    #[test]
    fn a_crashing_pod_shows_its_container_state_and_last_exit() {
        let pod = json!({"kind": "Pod", "metadata": {"name": "flaky-1", "namespace": "shop",
              "creationTimestamp": "1970-01-01T00:00:00Z", "labels": {"app": "flaky"},
              "ownerReferences": [{"kind": "ReplicaSet", "name": "flaky-abc", "controller": true}]},
            "spec": {"nodeName": "kx-worker-1", "containers": [{"name": "app", "image": "busybox",
              "resources": {"limits": {"memory": "64Mi"}}}]},
            "status": {"phase": "Running", "podIP": "10.0.0.7", "startTime": "1970-01-01T00:00:10Z",
              "conditions": [{"type": "Ready", "status": "False", "reason": "ContainersNotReady",
                 "lastTransitionTime": "1970-01-01T00:01:00Z"}],
              "containerStatuses": [{"name": "app", "ready": false, "restartCount": 3,
                "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                "lastState": {"terminated": {"reason": "Error", "exitCode": 1,
                   "finishedAt": "1970-01-01T00:01:30Z"}}}]}});
        let event = json!({"type": "Warning", "reason": "BackOff", "message": "Back-off restarting",
            "lastTimestamp": "1970-01-01T00:01:35Z", "source": {"component": "kubelet"}});
        let out = text(&describe(&pod, &[&event], 120));
        for want in [
            "Name:                 flaky-1",
            "Controlled By:        ReplicaSet/flaky-abc",
            "Node:                 kx-worker-1",
            "    State:            Waiting (CrashLoopBackOff)",
            "    Last State:       Terminated (Error)",
            "      Exit Code:      1",
            "    Restart Count:    3",
            "    Limits:           memory=64Mi",
            "Ready  False   60s    ContainersNotReady",
            "Warning  BackOff  25s",
        ] {
            assert!(out.contains(want), "missing {want:?} in\n{out}");
        }
    }

    #[test]
    fn deployment_replicas_line_and_selector() {
        let d = json!({"kind": "Deployment", "metadata": {"name": "web"},
            "spec": {"replicas": 5, "selector": {"matchLabels": {"app": "web"}},
                     "template": {"metadata": {"labels": {"app": "web"}},
                                  "spec": {"containers": [{"name": "nginx", "image": "nginx:1.27"}]}}},
            "status": {"replicas": 4, "updatedReplicas": 3, "availableReplicas": 3, "unavailableReplicas": 1}});
        let out = text(&describe(&d, &[], 0));
        assert!(out.contains("Selector:             app=web"), "{out}");
        assert!(
            out.contains("5 desired | 3 updated | 4 total | 3 available | 1 unavailable"),
            "{out}"
        );
        assert!(out.contains("Image:            nginx:1.27"), "{out}");
        assert!(out.contains("no events about this object"), "{out}");
    }

    #[test]
    fn node_and_service_layouts() {
        let n = json!({"kind": "Node", "metadata": {"name": "kx-worker-1",
              "labels": {"node-role.kubernetes.io/worker": ""}},
            "spec": {"unschedulable": true, "taints": [{"key": "dedicated", "value": "db", "effect": "NoSchedule"}]},
            "status": {"addresses": [{"type": "InternalIP", "address": "172.18.0.3"}],
                       "capacity": {"cpu": "4"}}});
        let out = text(&describe(&n, &[], 0));
        for want in [
            "Roles:                worker",
            "Taints:               dedicated=db:NoSchedule",
            "Unschedulable:        true",
            "  InternalIP:         172.18.0.3",
        ] {
            assert!(out.contains(want), "missing {want:?} in\n{out}");
        }
        let svc = json!({"kind": "Service", "metadata": {"name": "web"},
            "spec": {"selector": {"app": "web"}, "clusterIP": "10.96.0.10",
                     "ports": [{"name": "http", "port": 80, "targetPort": 8080}]}});
        let out = text(&describe(&svc, &[], 0));
        assert!(out.contains("Selector:             app=web"), "{out}");
        assert!(out.contains("Port:                 http  80/TCP"), "{out}");
        assert!(out.contains("TargetPort:           8080"), "{out}");
    }

    #[test]
    fn a_secret_describe_never_shows_values() {
        let sec = json!({"kind": "Secret", "metadata": {"name": "db"}, "type": "Opaque",
            "data": {"password": "aHVudGVyMg=="}});
        let out = text(&describe(&sec, &[], 0));
        assert!(
            out.contains("password:") && out.contains("7 bytes"),
            "{out}"
        );
        assert!(!out.contains("aHVudGVyMg"), "{out}");
    }
}
