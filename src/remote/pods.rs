//! Which pod and which container: ready pods first, the container kubectl would default to
//! (the `kubectl.kubernetes.io/default-container` annotation), and the names to offer when a
//! choice is needed.

use serde_json::Value;
use std::borrow::Borrow;

pub const DEFAULT_CONTAINER: &str = "kubectl.kubernetes.io/default-container";

/// The pod's app containers, in spec order.
pub fn containers(pod: &Value) -> Vec<String> {
    pod["spec"]["containers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["name"].as_str().map(str::to_string))
        .collect()
}

/// The container to use without asking: the one asked for, the annotated default, or the only
/// one. `Err` holds the names to choose from when there are several and nothing says which.
pub fn choose_container(pod: &Value, asked: Option<&str>) -> Result<String, Vec<String>> {
    let names = containers(pod);
    let annotated = pod["metadata"]["annotations"][DEFAULT_CONTAINER].as_str();
    if let Some(a) = asked {
        return Ok(a.to_string());
    }
    if let Some(a) = annotated.filter(|a| names.iter().any(|n| n == a)) {
        return Ok(a.to_string());
    }
    match names.as_slice() {
        [one] => Ok(one.clone()),
        _ => Err(names),
    }
}

/// Ready as a Service's endpoints see it: running, the Ready condition true, not being deleted.
pub fn is_ready(pod: &Value) -> bool {
    pod["status"]["phase"] == "Running"
        && pod["metadata"]["deletionTimestamp"].is_null()
        && pod["status"]["conditions"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|c| c["type"] == "Ready" && c["status"] == "True")
}

/// Running and not being deleted: what a forward to a bare pod needs (kubectl's rule).
pub fn is_running(pod: &Value) -> bool {
    pod["status"]["phase"] == "Running" && pod["metadata"]["deletionTimestamp"].is_null()
}

pub fn name(pod: &Value) -> &str {
    pod["metadata"]["name"].as_str().unwrap_or_default()
}

/// The pod to use among several: the one already in use while it stays ready, else the ready
/// pod with the oldest start (the steadiest), by name when equal.
pub fn pick<'a, P: Borrow<Value>>(pods: &'a [P], current: Option<&str>) -> Option<&'a Value> {
    let ready = || pods.iter().map(Borrow::borrow).filter(|p| is_ready(p));
    if let Some(c) = current
        && let Some(p) = ready().find(|p| name(p) == c)
    {
        return Some(p);
    }
    let start = |p: &'a Value| p["status"]["startTime"].as_str().unwrap_or("");
    ready().min_by(|a, b| start(a).cmp(start(b)).then_with(|| name(a).cmp(name(b))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(name: &str, ready: bool, start: &str) -> Value {
        json!({"metadata": {"name": name}, "spec": {"containers": [{"name": "app"}, {"name": "envoy"}]},
               "status": {"phase": "Running", "startTime": start,
                          "conditions": [{"type": "Ready", "status": if ready {"True"} else {"False"}}]}})
    }

    #[test]
    fn the_annotated_container_wins_else_a_choice_is_asked_for() {
        let mut p = pod("a", true, "t1");
        assert_eq!(
            choose_container(&p, None),
            Err(vec!["app".into(), "envoy".into()])
        );
        p["metadata"]["annotations"] = json!({DEFAULT_CONTAINER: "envoy"});
        assert_eq!(choose_container(&p, None), Ok("envoy".into()));
        assert_eq!(choose_container(&p, Some("app")), Ok("app".into()));
        // An annotation naming no container is ignored, as kubectl does.
        p["metadata"]["annotations"] = json!({DEFAULT_CONTAINER: "gone"});
        assert!(choose_container(&p, None).is_err());
    }

    #[test]
    fn ready_pods_are_picked_and_the_current_one_kept_while_ready() {
        let pods = vec![
            pod("b", true, "t2"),
            pod("a", false, "t1"),
            pod("c", true, "t3"),
        ];
        assert_eq!(pick(&pods, None).map(name), Some("b"));
        assert_eq!(pick(&pods, Some("c")).map(name), Some("c"));
        assert_eq!(pick(&pods, Some("a")).map(name), Some("b"));
        let mut deleting = pod("b", true, "t2");
        deleting["metadata"]["deletionTimestamp"] = json!("now");
        assert!(!is_ready(&deleting));
        assert_eq!(pick(&[pod("x", false, "t")], None), None);
    }
}
