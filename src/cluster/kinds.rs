//! What kx knows about kinds of workload, in one place: which kinds select pods (and how
//! their selector reads as a label selector), which can be scaled, restarted or cordoned, and
//! which `KIND/NAME` a log query accepts.

use serde_json::Value;

/// Kinds whose pods are chosen by a label selector: their pods are what Enter and `l` open.
pub const SELECTS_PODS: [&str; 6] = [
    "Deployment",
    "ReplicaSet",
    "StatefulSet",
    "DaemonSet",
    "Job",
    "Service",
];

/// Kinds with a scale subresource kx scales (`s`).
pub const SCALABLE: [&str; 3] = ["Deployment", "StatefulSet", "ReplicaSet"];

/// Kinds a rollout restart applies to (`R`): those that roll their pods over.
pub const RESTARTABLE: [&str; 3] = ["Deployment", "StatefulSet", "DaemonSet"];

/// Kinds that can be cordoned (`C`, `U`).
pub const CORDONABLE: [&str; 1] = ["Node"];

pub fn selects_pods(kind: &str) -> bool {
    SELECTS_PODS.contains(&kind)
}

/// Whether a resource is the core Pod (a CRD may be called Pod too).
pub fn is_pod(group: &str, kind: &str) -> bool {
    group.is_empty() && kind == "Pod"
}

/// The kinds `kx logs KIND/NAME` takes, by the names kubectl takes for them.
pub const LOG_TARGETS: &[(&[&str], &str)] = &[
    (&["po", "pod", "pods"], "Pod"),
    (&["deploy", "deployment", "deployments"], "Deployment"),
    (&["rs", "replicaset", "replicasets"], "ReplicaSet"),
    (&["sts", "statefulset", "statefulsets"], "StatefulSet"),
    (&["ds", "daemonset", "daemonsets"], "DaemonSet"),
    (&["job", "jobs"], "Job"),
    (&["svc", "service", "services"], "Service"),
];

/// The kind a log query's `KIND/` names, if it is one whose pods have logs.
pub fn log_target(name: &str) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    LOG_TARGETS
        .iter()
        .find(|(names, _)| names.contains(&lower.as_str()))
        .map(|(_, kind)| *kind)
}

/// The label selector of a workload or service, as `kubectl logs deploy/NAME` uses it.
pub fn pod_selector(kind: &str, obj: &Value) -> Result<String, String> {
    let sel = if kind == "Service" {
        obj["spec"]["selector"].clone()
    } else {
        obj["spec"]["selector"]["matchLabels"].clone()
    };
    let mut parts: Vec<String> = sel
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
                .collect()
        })
        .unwrap_or_default();
    for e in obj["spec"]["selector"]["matchExpressions"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let key = e["key"].as_str().unwrap_or_default();
        let values: Vec<&str> = e["values"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        parts.push(match e["operator"].as_str().unwrap_or_default() {
            "In" => format!("{key} in ({})", values.join(",")),
            "NotIn" => format!("{key} notin ({})", values.join(",")),
            "Exists" => key.to_string(),
            "DoesNotExist" => format!("!{key}"),
            other => return Err(format!("unknown selector operator {other:?}")),
        });
    }
    if parts.is_empty() {
        return Err(format!(
            "{kind} {} has no selector, so it selects no pods",
            obj["metadata"]["name"].as_str().unwrap_or_default()
        ));
    }
    Ok(parts.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn selectors_of_workloads_and_services() {
        let d = json!({"metadata": {"name": "web"}, "spec": {"selector": {
            "matchLabels": {"app": "web"},
            "matchExpressions": [{"key": "tier", "operator": "In", "values": ["a", "b"]},
                                 {"key": "canary", "operator": "DoesNotExist"}]}}});
        assert_eq!(
            pod_selector("Deployment", &d).unwrap(),
            "app=web,tier in (a,b),!canary"
        );
        let svc = json!({"metadata": {"name": "web"}, "spec": {"selector": {"app": "web"}}});
        assert_eq!(pod_selector("Service", &svc).unwrap(), "app=web");
        let none = json!({"metadata": {"name": "ext"}, "spec": {}});
        assert!(
            pod_selector("Service", &none)
                .unwrap_err()
                .contains("selects no pods")
        );
    }

    #[test]
    fn log_targets_by_the_names_kubectl_takes() {
        assert_eq!(log_target("deploy"), Some("Deployment"));
        assert_eq!(log_target("SVC"), Some("Service"));
        assert_eq!(log_target("configmap"), None);
    }
}
