//! Server-side Table output: kubectl's columns for built-in types and the
//! additionalPrinterColumns of custom resources.

use super::registry::ResourceType;
use crate::age::{human_duration, parse_timestamp};
use serde_json::{Value, json};

/// (name, type, format, priority, description)
type Col = (&'static str, &'static str, &'static str, i64, &'static str);

const NAME: Col = (
    "Name",
    "string",
    "name",
    0,
    "Name must be unique within a namespace.",
);
const AGE: Col = ("Age", "string", "", 0, "Time since the object was created.");

fn builtin_columns(kind: &str) -> Vec<Col> {
    let c = |n, p| (n, "string", "", p, "");
    let i = |n, p| (n, "integer", "", p, "");
    match kind {
        "Pod" => vec![
            NAME,
            c("Ready", 0),
            c("Status", 0),
            c("Restarts", 0),
            AGE,
            c("IP", 1),
            c("Node", 1),
            c("Nominated Node", 1),
            c("Readiness Gates", 1),
        ],
        "Deployment" => vec![
            NAME,
            c("Ready", 0),
            i("Up-to-date", 0),
            i("Available", 0),
            AGE,
            c("Containers", 1),
            c("Images", 1),
            c("Selector", 1),
        ],
        "ReplicaSet" => vec![
            NAME,
            i("Desired", 0),
            i("Current", 0),
            i("Ready", 0),
            AGE,
            c("Containers", 1),
            c("Images", 1),
            c("Selector", 1),
        ],
        "StatefulSet" => vec![NAME, c("Ready", 0), AGE, c("Containers", 1), c("Images", 1)],
        "DaemonSet" => vec![
            NAME,
            i("Desired", 0),
            i("Current", 0),
            i("Ready", 0),
            i("Up-to-date", 0),
            i("Available", 0),
            c("Node Selector", 0),
            AGE,
            c("Containers", 1),
            c("Images", 1),
            c("Selector", 1),
        ],
        "Job" => vec![
            NAME,
            c("Status", 0),
            c("Completions", 0),
            c("Duration", 0),
            AGE,
            c("Containers", 1),
            c("Images", 1),
            c("Selector", 1),
        ],
        "CronJob" => vec![
            NAME,
            c("Schedule", 0),
            c("Timezone", 0),
            c("Suspend", 0),
            i("Active", 0),
            c("Last Schedule", 0),
            AGE,
            c("Containers", 1),
            c("Images", 1),
            c("Selector", 1),
        ],
        "Service" => vec![
            NAME,
            c("Type", 0),
            c("Cluster-IP", 0),
            c("External-IP", 0),
            c("Port(s)", 0),
            AGE,
            c("Selector", 1),
        ],
        "Endpoints" => vec![NAME, c("Endpoints", 0), AGE],
        "Node" => vec![
            NAME,
            c("Status", 0),
            c("Roles", 0),
            AGE,
            c("Version", 0),
            c("Internal-IP", 1),
            c("External-IP", 1),
            c("OS-Image", 1),
            c("Kernel-Version", 1),
            c("Container-Runtime", 1),
        ],
        "Namespace" => vec![NAME, c("Status", 0), AGE],
        "ConfigMap" => vec![NAME, i("Data", 0), AGE],
        "Secret" => vec![NAME, c("Type", 0), i("Data", 0), AGE],
        "ServiceAccount" => vec![NAME, i("Secrets", 0), AGE],
        "Event" => vec![
            c("Last Seen", 0),
            c("Type", 0),
            c("Reason", 0),
            c("Object", 0),
            c("Subobject", 1),
            c("Source", 1),
            c("Message", 0),
            c("First Seen", 1),
            i("Count", 1),
            c("Name", 1),
        ],
        "Ingress" => vec![
            NAME,
            c("Class", 0),
            c("Hosts", 0),
            c("Address", 0),
            c("Ports", 0),
            AGE,
        ],
        "PersistentVolume" => vec![
            NAME,
            c("Capacity", 0),
            c("Access Modes", 0),
            c("Reclaim Policy", 0),
            c("Status", 0),
            c("Claim", 0),
            c("StorageClass", 0),
            c("VolumeAttributesClass", 0),
            c("Reason", 0),
            AGE,
            c("VolumeMode", 1),
        ],
        "PersistentVolumeClaim" => vec![
            NAME,
            c("Status", 0),
            c("Volume", 0),
            c("Capacity", 0),
            c("Access Modes", 0),
            c("StorageClass", 0),
            c("VolumeAttributesClass", 0),
            AGE,
            c("VolumeMode", 1),
        ],
        "CustomResourceDefinition" => vec![NAME, ("Created At", "date", "", 0, "")],
        _ => vec![NAME, AGE],
    }
}

/// The `columnDefinitions` of a type's Table.
pub fn column_definitions(rt: &ResourceType) -> Value {
    if rt.is_custom() && !rt.printer_columns.is_empty() {
        let mut cols = vec![col_json(NAME)];
        for pc in &rt.printer_columns {
            cols.push(json!({
                "name": pc.name, "type": pc.type_, "format": "", "description": pc.description,
                "priority": pc.priority,
            }));
        }
        return Value::Array(cols);
    }
    Value::Array(
        builtin_columns(&rt.kind)
            .into_iter()
            .map(col_json)
            .collect(),
    )
}

fn col_json((name, type_, format, priority, description): Col) -> Value {
    json!({"name": name, "type": type_, "format": format, "description": description, "priority": priority})
}

/// An age cell to be filled when served: `prefix + age(now - at) + suffix`.
fn age_cell(at: Option<i64>, prefix: &str, suffix: &str) -> Value {
    match at {
        Some(t) => json!({"$age": t, "$prefix": prefix, "$suffix": suffix}),
        None => json!("<unknown>"),
    }
}

/// Replaces age markers with the age as of `now` (Unix seconds).
pub fn render_cells(cells: &[Value], now: i64) -> Vec<Value> {
    cells
        .iter()
        .map(|c| match c.get("$age").and_then(Value::as_i64) {
            Some(at) => Value::String(format!(
                "{}{}{}",
                c["$prefix"].as_str().unwrap_or_default(),
                human_duration(now - at),
                c["$suffix"].as_str().unwrap_or_default()
            )),
            None => c.clone(),
        })
        .collect()
}

/// The elements of an array field, or none; borrowed, never cloned.
fn arr(v: &Value) -> &[Value] {
    v.as_array().map(Vec::as_slice).unwrap_or(&[])
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_default()
}

fn int(v: &Value) -> i64 {
    v.as_i64().unwrap_or(0)
}

fn ts(v: &Value) -> Option<i64> {
    v.as_str().and_then(parse_timestamp)
}

fn or_none(text: String) -> Value {
    Value::String(if text.is_empty() {
        "<none>".into()
    } else {
        text
    })
}

fn join_strs<'a>(items: impl Iterator<Item = &'a str>) -> String {
    items.collect::<Vec<_>>().join(",")
}

fn containers_images(pod_spec: &Value) -> (String, String) {
    let cs = arr(&pod_spec["containers"]);
    (
        join_strs(cs.iter().map(|c| s(&c["name"]))),
        join_strs(cs.iter().map(|c| s(&c["image"]))),
    )
}

fn selector_text(sel: &Value) -> String {
    let mut parts: Vec<String> = sel["matchLabels"]
        .as_object()
        .map(|m| m.iter().map(|(k, v)| format!("{k}={}", s(v))).collect())
        .unwrap_or_default();
    if let Some(exprs) = sel["matchExpressions"].as_array() {
        for e in exprs {
            let vals = e["values"]
                .as_array()
                .map(|a| join_strs(a.iter().map(s)))
                .unwrap_or_default();
            parts.push(match s(&e["operator"]) {
                "In" => format!("{} in ({vals})", s(&e["key"])),
                "NotIn" => format!("{} notin ({vals})", s(&e["key"])),
                "DoesNotExist" => format!("!{}", s(&e["key"])),
                _ => s(&e["key"]).to_string(),
            });
        }
    }
    parts.join(",")
}

fn map_selector_text(sel: &Value) -> String {
    sel.as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{k}={}", s(v)))
                .collect::<Vec<_>>()
                .join(",")
        })
        .unwrap_or_default()
}

/// The status column of a pod, computed the way kubectl's printer does.
pub fn pod_status(pod: &Value) -> String {
    let status = &pod["status"];
    let mut reason = s(&status["phase"]).to_string();
    if let Some(r) = status["reason"].as_str() {
        reason = r.to_string();
    }
    let init_total = pod["spec"]["initContainers"].as_array().map_or(0, Vec::len);
    let mut initializing = false;
    if let Some(inits) = status["initContainerStatuses"].as_array() {
        for (i, c) in inits.iter().enumerate() {
            let term = &c["state"]["terminated"];
            if term.is_object() && int(&term["exitCode"]) == 0 {
                continue;
            }
            initializing = true;
            reason = if term.is_object() {
                match term["reason"].as_str() {
                    Some(r) if !r.is_empty() => format!("Init:{r}"),
                    _ => format!("Init:ExitCode:{}", int(&term["exitCode"])),
                }
            } else if let Some(r) = c["state"]["waiting"]["reason"]
                .as_str()
                .filter(|r| *r != "PodInitializing")
            {
                format!("Init:{r}")
            } else {
                format!("Init:{i}/{init_total}")
            };
            break;
        }
    }
    if !initializing {
        let mut has_running = false;
        let statuses = arr(&status["containerStatuses"]);
        for c in statuses.iter().rev() {
            let st = &c["state"];
            if let Some(r) = st["waiting"]["reason"].as_str() {
                reason = r.to_string();
            } else if st["terminated"].is_object() {
                let t = &st["terminated"];
                reason = match t["reason"].as_str() {
                    Some(r) if !r.is_empty() => r.to_string(),
                    _ if int(&t["signal"]) != 0 => format!("Signal:{}", int(&t["signal"])),
                    _ => format!("ExitCode:{}", int(&t["exitCode"])),
                };
            } else if st["running"].is_object() && c["ready"].as_bool() == Some(true) {
                has_running = true;
            }
        }
        if reason == "Completed" && has_running {
            let ready = pod["status"]["conditions"].as_array().is_some_and(|cs| {
                cs.iter()
                    .any(|c| c["type"] == "Ready" && c["status"] == "True")
            });
            reason = if ready {
                "Running".into()
            } else {
                "NotReady".into()
            };
        }
    }
    if pod["metadata"]["deletionTimestamp"].is_string() {
        reason = if status["reason"] == "NodeLost" {
            "Unknown".into()
        } else {
            "Terminating".into()
        };
    }
    reason
}

fn pod_cells(pod: &Value) -> Vec<Value> {
    let statuses = arr(&pod["status"]["containerStatuses"]);
    let total = pod["spec"]["containers"].as_array().map_or(0, Vec::len);
    let ready = statuses
        .iter()
        .filter(|c| c["ready"].as_bool() == Some(true))
        .count();
    let restarts: i64 = statuses.iter().map(|c| int(&c["restartCount"])).sum();
    let last_restart = statuses
        .iter()
        .filter_map(|c| ts(&c["lastState"]["terminated"]["finishedAt"]))
        .max();
    let restarts_cell = match (restarts, last_restart) {
        (n, Some(at)) if n > 0 => age_cell(Some(at), &format!("{n} ("), " ago)"),
        (n, _) => json!(n.to_string()),
    };
    vec![
        json!(s(&pod["metadata"]["name"])),
        json!(format!("{ready}/{total}")),
        json!(pod_status(pod)),
        restarts_cell,
        age_cell(ts(&pod["metadata"]["creationTimestamp"]), "", ""),
        or_none(s(&pod["status"]["podIP"]).to_string()),
        or_none(s(&pod["spec"]["nodeName"]).to_string()),
        json!("<none>"),
        json!("<none>"),
    ]
}

fn node_cells(node: &Value) -> Vec<Value> {
    let conds = arr(&node["status"]["conditions"]);
    let ready = conds.iter().find(|c| c["type"] == "Ready");
    let mut status = match ready {
        Some(c) if c["status"] == "True" => "Ready".to_string(),
        Some(_) => "NotReady".to_string(),
        None => "Unknown".to_string(),
    };
    if node["spec"]["unschedulable"].as_bool() == Some(true) {
        status.push_str(",SchedulingDisabled");
    }
    let roles = node["metadata"]["labels"]
        .as_object()
        .map(|m| {
            join_strs(
                m.keys()
                    .filter_map(|k| k.strip_prefix("node-role.kubernetes.io/")),
            )
        })
        .unwrap_or_default();
    let addr = |kind: &str| {
        node["status"]["addresses"]
            .as_array()
            .and_then(|a| a.iter().find(|x| x["type"] == kind))
            .map(|x| s(&x["address"]).to_string())
            .unwrap_or_default()
    };
    let info = &node["status"]["nodeInfo"];
    vec![
        json!(s(&node["metadata"]["name"])),
        json!(status),
        or_none(roles),
        age_cell(ts(&node["metadata"]["creationTimestamp"]), "", ""),
        json!(s(&info["kubeletVersion"])),
        or_none(addr("InternalIP")),
        or_none(addr("ExternalIP")),
        json!(s(&info["osImage"])),
        json!(s(&info["kernelVersion"])),
        json!(s(&info["containerRuntimeVersion"])),
    ]
}

fn service_ports(svc: &Value) -> String {
    let ports = arr(&svc["spec"]["ports"]);
    join_strs_owned(ports.iter().map(|p| {
        let proto = p["protocol"].as_str().unwrap_or("TCP");
        match p["nodePort"].as_i64() {
            Some(np) => format!("{}:{np}/{proto}", int(&p["port"])),
            None => format!("{}/{proto}", int(&p["port"])),
        }
    }))
}

fn join_strs_owned(items: impl Iterator<Item = String>) -> String {
    items.collect::<Vec<_>>().join(",")
}

fn event_cells(ev: &Value) -> Vec<Value> {
    let obj = &ev["involvedObject"];
    let last = ts(&ev["lastTimestamp"])
        .or_else(|| ts(&ev["eventTime"]))
        .or_else(|| ts(&ev["metadata"]["creationTimestamp"]));
    let first = ts(&ev["firstTimestamp"]).or(last);
    let source = s(&ev["source"]["component"]).to_string();
    vec![
        age_cell(last, "", ""),
        json!(s(&ev["type"])),
        json!(s(&ev["reason"])),
        json!(format!(
            "{}/{}",
            s(&obj["kind"]).to_lowercase(),
            s(&obj["name"])
        )),
        json!(s(&obj["fieldPath"])),
        json!(match s(&ev["source"]["host"]) {
            "" => source,
            host => format!("{source}, {host}"),
        }),
        json!(s(&ev["message"])),
        age_cell(first, "", ""),
        json!(ev["count"].as_i64().unwrap_or(1)),
        json!(s(&ev["metadata"]["name"])),
    ]
}

fn quantity_list(v: &Value) -> String {
    join_strs(
        v.as_array()
            .map(|a| a.iter().map(s).collect::<Vec<_>>())
            .unwrap_or_default()
            .into_iter(),
    )
}

fn access_modes(v: &Value) -> String {
    let short = |m: &str| {
        match m {
            "ReadWriteOnce" => "RWO",
            "ReadOnlyMany" => "ROX",
            "ReadWriteMany" => "RWX",
            "ReadWriteOncePod" => "RWOP",
            other => other,
        }
        .to_string()
    };
    join_strs_owned(
        v.as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|m| short(s(m))),
    )
}

fn job_cells(job: &Value, created: Option<i64>) -> Vec<Value> {
    let st = &job["status"];
    let conds = arr(&st["conditions"]);
    let has = |t: &str| {
        conds
            .iter()
            .any(|c| c["type"] == t && c["status"] == "True")
    };
    let status = if has("Complete") {
        "Complete"
    } else if has("Failed") {
        "Failed"
    } else if job["metadata"]["deletionTimestamp"].is_string() {
        "Terminating"
    } else if has("Suspended") {
        "Suspended"
    } else {
        "Running"
    };
    let completions = job["spec"]["completions"].as_i64().unwrap_or(1);
    let duration = match (ts(&st["startTime"]), ts(&st["completionTime"])) {
        (Some(a), Some(b)) => json!(human_duration(b - a)),
        (Some(a), None) => age_cell(Some(a), "", ""),
        _ => json!(""),
    };
    let (cs, is) = containers_images(&job["spec"]["template"]["spec"]);
    vec![
        json!(s(&job["metadata"]["name"])),
        json!(status),
        json!(format!("{}/{completions}", int(&st["succeeded"]))),
        duration,
        age_cell(created, "", ""),
        json!(cs),
        json!(is),
        json!(selector_text(&job["spec"]["selector"])),
    ]
}

/// Evaluates the simple JSONPath forms printer columns use (`.spec.size`, `.status.conditions[0].type`).
pub fn json_path<'a>(obj: &'a Value, path: &str) -> Option<&'a Value> {
    let mut cur = obj;
    for part in path
        .trim_start_matches('.')
        .split('.')
        .filter(|p| !p.is_empty())
    {
        let (field, index) = match part.split_once('[') {
            Some((f, rest)) => (f, rest.trim_end_matches(']').parse::<usize>().ok()),
            None => (part, None),
        };
        if !field.is_empty() {
            cur = cur.get(field)?;
        }
        if let Some(i) = index {
            cur = cur.get(i)?;
        }
    }
    Some(cur)
}

fn custom_cells(rt: &ResourceType, obj: &Value, created: Option<i64>) -> Vec<Value> {
    if rt.printer_columns.is_empty() {
        return vec![
            json!(s(&obj["metadata"]["name"])),
            age_cell(created, "", ""),
        ];
    }
    let mut cells = vec![json!(s(&obj["metadata"]["name"]))];
    for pc in &rt.printer_columns {
        let v = json_path(obj, &pc.json_path)
            .cloned()
            .unwrap_or(Value::Null);
        cells.push(match (pc.type_.as_str(), &v) {
            ("date", Value::String(t)) => age_cell(parse_timestamp(t), "", ""),
            (_, Value::Null) => Value::Null,
            ("string", Value::String(_))
            | ("integer", Value::Number(_))
            | ("number", Value::Number(_))
            | ("boolean", Value::Bool(_)) => v,
            (_, other) => json!(other.to_string()),
        });
    }
    cells
}

/// The Table cells of one object (ages as markers; see `render_cells`).
pub fn cells(rt: &ResourceType, obj: &Value) -> Vec<Value> {
    let meta = &obj["metadata"];
    let name = json!(s(&meta["name"]));
    let created = ts(&meta["creationTimestamp"]);
    let age = age_cell(created, "", "");
    let spec = &obj["spec"];
    let st = &obj["status"];
    if rt.is_custom() {
        return custom_cells(rt, obj, created);
    }
    match rt.kind.as_str() {
        "Pod" => pod_cells(obj),
        "Deployment" => {
            let (cs, is) = containers_images(&spec["template"]["spec"]);
            vec![
                name,
                json!(format!(
                    "{}/{}",
                    int(&st["readyReplicas"]),
                    spec["replicas"].as_i64().unwrap_or(1)
                )),
                json!(int(&st["updatedReplicas"])),
                json!(int(&st["availableReplicas"])),
                age,
                json!(cs),
                json!(is),
                json!(selector_text(&spec["selector"])),
            ]
        }
        "ReplicaSet" => {
            let (cs, is) = containers_images(&spec["template"]["spec"]);
            vec![
                name,
                json!(spec["replicas"].as_i64().unwrap_or(1)),
                json!(int(&st["replicas"])),
                json!(int(&st["readyReplicas"])),
                age,
                json!(cs),
                json!(is),
                json!(selector_text(&spec["selector"])),
            ]
        }
        "StatefulSet" => {
            let (cs, is) = containers_images(&spec["template"]["spec"]);
            vec![
                name,
                json!(format!(
                    "{}/{}",
                    int(&st["readyReplicas"]),
                    spec["replicas"].as_i64().unwrap_or(1)
                )),
                age,
                json!(cs),
                json!(is),
            ]
        }
        "DaemonSet" => {
            let (cs, is) = containers_images(&spec["template"]["spec"]);
            vec![
                name,
                json!(int(&st["desiredNumberScheduled"])),
                json!(int(&st["currentNumberScheduled"])),
                json!(int(&st["numberReady"])),
                json!(int(&st["updatedNumberScheduled"])),
                json!(int(&st["numberAvailable"])),
                or_none(map_selector_text(&spec["template"]["spec"]["nodeSelector"])),
                age,
                json!(cs),
                json!(is),
                json!(selector_text(&spec["selector"])),
            ]
        }
        "Job" => job_cells(obj, created),
        "CronJob" => {
            let (cs, is) = containers_images(&spec["jobTemplate"]["spec"]["template"]["spec"]);
            vec![
                name,
                json!(s(&spec["schedule"])),
                or_none(s(&spec["timeZone"]).to_string()),
                json!(if spec["suspend"].as_bool() == Some(true) {
                    "True"
                } else {
                    "False"
                }),
                json!(st["active"].as_array().map_or(0, Vec::len)),
                match ts(&st["lastScheduleTime"]) {
                    Some(t) => age_cell(Some(t), "", ""),
                    None => json!("<none>"),
                },
                age,
                json!(cs),
                json!(is),
                json!(selector_text(&spec["jobTemplate"]["spec"]["selector"])),
            ]
        }
        "Service" => {
            let type_ = spec["type"].as_str().unwrap_or("ClusterIP");
            let external = st["loadBalancer"]["ingress"]
                .as_array()
                .map(|a| join_strs(a.iter().map(|i| s(&i["ip"]))))
                .filter(|e| !e.is_empty())
                .unwrap_or_else(|| {
                    if type_ == "LoadBalancer" {
                        "<pending>".into()
                    } else {
                        "<none>".into()
                    }
                });
            vec![
                name,
                json!(type_),
                json!(spec["clusterIP"].as_str().unwrap_or("<none>")),
                json!(external),
                or_none(service_ports(obj)),
                age,
                or_none(map_selector_text(&spec["selector"])),
            ]
        }
        "Endpoints" => {
            let mut eps = Vec::new();
            for subset in arr(&obj["subsets"]) {
                let ports = arr(&subset["ports"]);
                for a in arr(&subset["addresses"]) {
                    for p in ports {
                        eps.push(format!("{}:{}", s(&a["ip"]), int(&p["port"])));
                    }
                }
            }
            let shown = if eps.len() > 3 {
                format!("{} + {} more...", eps[..3].join(","), eps.len() - 3)
            } else {
                eps.join(",")
            };
            vec![name, or_none(shown), age]
        }
        "Node" => node_cells(obj),
        "Namespace" => vec![name, json!(st["phase"].as_str().unwrap_or("Active")), age],
        "ConfigMap" => {
            let n = obj["data"].as_object().map_or(0, |m| m.len())
                + obj["binaryData"].as_object().map_or(0, |m| m.len());
            vec![name, json!(n), age]
        }
        "Secret" => vec![
            name,
            json!(obj["type"].as_str().unwrap_or("Opaque")),
            json!(obj["data"].as_object().map_or(0, |m| m.len())),
            age,
        ],
        "ServiceAccount" => vec![
            name,
            json!(obj["secrets"].as_array().map_or(0, Vec::len)),
            age,
        ],
        "Event" => event_cells(obj),
        "Ingress" => {
            let rules = arr(&spec["rules"]);
            let hosts = join_strs(rules.iter().map(|r| r["host"].as_str().unwrap_or("*")));
            let address = st["loadBalancer"]["ingress"]
                .as_array()
                .map(|a| join_strs(a.iter().map(|i| s(&i["ip"]))))
                .unwrap_or_default();
            let ports = if spec["tls"].as_array().is_some_and(|t| !t.is_empty()) {
                "80, 443"
            } else {
                "80"
            };
            vec![
                name,
                or_none(s(&spec["ingressClassName"]).to_string()),
                json!(if hosts.is_empty() {
                    "*".to_string()
                } else {
                    hosts
                }),
                json!(address),
                json!(ports),
                age,
            ]
        }
        "PersistentVolume" => {
            let claim = &spec["claimRef"];
            vec![
                name,
                json!(s(&spec["capacity"]["storage"])),
                json!(access_modes(&spec["accessModes"])),
                json!(
                    spec["persistentVolumeReclaimPolicy"]
                        .as_str()
                        .unwrap_or("Retain")
                ),
                json!(s(&st["phase"])),
                json!(if claim.is_object() {
                    format!("{}/{}", s(&claim["namespace"]), s(&claim["name"]))
                } else {
                    String::new()
                }),
                json!(s(&spec["storageClassName"])),
                or_none(s(&spec["volumeAttributesClassName"]).to_string()),
                json!(s(&st["reason"])),
                age,
                json!(spec["volumeMode"].as_str().unwrap_or("Filesystem")),
            ]
        }
        "PersistentVolumeClaim" => vec![
            name,
            json!(s(&st["phase"])),
            json!(s(&spec["volumeName"])),
            json!(s(&st["capacity"]["storage"])),
            json!(access_modes(&st["accessModes"])),
            json!(s(&spec["storageClassName"])),
            or_none(s(&spec["volumeAttributesClassName"]).to_string()),
            age,
            json!(spec["volumeMode"].as_str().unwrap_or("Filesystem")),
        ],
        "CustomResourceDefinition" => vec![name, json!(s(&meta["creationTimestamp"]))],
        _ => {
            let _ = quantity_list;
            vec![name, age]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::registry::builtin_types;

    fn rt(plural: &str) -> ResourceType {
        builtin_types()
            .into_iter()
            .find(|t| t.plural == plural)
            .unwrap()
    }

    #[test]
    fn every_builtin_row_has_as_many_cells_as_columns() {
        let obj = json!({"metadata": {"name": "x", "creationTimestamp": "2026-01-01T00:00:00Z"}});
        for t in builtin_types() {
            let cols = column_definitions(&t).as_array().unwrap().len();
            assert_eq!(cells(&t, &obj).len(), cols, "{}", t.kind);
        }
    }

    #[test]
    fn crash_looping_pod_shows_reason_and_restarts_with_last_restart_age() {
        let pod = json!({
            "metadata": {"name": "web-1", "creationTimestamp": "1970-01-01T00:00:00Z"},
            "spec": {"containers": [{"name": "a"}, {"name": "b"}], "nodeName": "node-1"},
            "status": {"phase": "Running", "podIP": "10.0.0.1", "containerStatuses": [
                {"name": "a", "ready": true, "restartCount": 0, "state": {"running": {}}},
                {"name": "b", "ready": false, "restartCount": 3,
                 "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                 "lastState": {"terminated": {"exitCode": 1, "reason": "Error", "finishedAt": "1970-01-01T00:01:00Z"}}}
            ]}
        });
        let row = render_cells(&cells(&rt("pods"), &pod), 180);
        assert_eq!(row[1], "1/2");
        assert_eq!(row[2], "CrashLoopBackOff");
        assert_eq!(row[3], "3 (2m ago)");
        assert_eq!(row[4], "3m");
        assert_eq!(row[6], "node-1");
    }

    #[test]
    fn terminating_pod_reads_terminating() {
        let pod = json!({"metadata": {"name": "p", "deletionTimestamp": "2026-01-01T00:00:00Z"},
                         "status": {"phase": "Running"}});
        assert_eq!(pod_status(&pod), "Terminating");
    }

    #[test]
    fn custom_resources_use_printer_columns_and_dates_become_ages() {
        let crd = json!({"spec": {"group": "demo.kx.dev", "names": {"plural": "widgets", "kind": "Widget"},
            "versions": [{"name": "v1", "served": true, "additionalPrinterColumns": [
                {"name": "Size", "type": "integer", "jsonPath": ".spec.size"},
                {"name": "Phase", "type": "string", "jsonPath": ".status.phase"},
                {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}]}]}});
        let t = crate::sim::registry::types_from_crd(&crd).remove(0);
        let obj = json!({"metadata": {"name": "w", "creationTimestamp": "1970-01-01T00:00:00Z"},
                         "spec": {"size": 3}, "status": {"phase": "Ready"}});
        let row = render_cells(&cells(&t, &obj), 30);
        assert_eq!(
            row,
            vec![json!("w"), json!(3), json!("Ready"), json!("30s")]
        );
        assert_eq!(column_definitions(&t).as_array().unwrap().len(), 4);
    }
}
