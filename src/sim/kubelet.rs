//! What the simulated scheduler and kubelets decide about a pod before it runs, in the words
//! the real ones use: whether a node fits it, whether its image can be pulled, whether the
//! ConfigMap and Secret keys its environment names exist; and how a pod told to misbehave (by
//! annotation, so a scenario can stage every broken state) fails. Pure.

use serde_json::Value;

/// Annotation on a pod template: how the first container ends when it crashes (`Error`, or
/// `OOMKilled`, which exits 137 as the kernel's kill does).
pub const CRASH_REASON: &str = "sim.kx.dev/crash-reason";
/// Annotation on a job's pod template: the exit code its pods end with (non-zero fails them).
pub const EXIT_CODE: &str = "sim.kx.dev/exit-code";
/// Annotation on a pod template: the containers' readiness probe fails (they run, never ready).
pub const FAILING_PROBE: &str = "sim.kx.dev/failing-probe";

/// Images with this tag suffix do not exist in their registry (the demo's broken rollout).
const MISSING_TAG: &str = "-missing";

/// Why the image cannot be pulled, in containerd's words; None when it can.
pub fn pull_error(image: &str) -> Option<String> {
    let (repo, host) = match image.split_once('/') {
        Some((host, _)) if host.contains('.') || host.contains(':') => (image, host),
        _ => (image, "registry-1.docker.io"),
    };
    if host.ends_with(".invalid") {
        return Some(format!(
            "failed to pull and unpack image \"{repo}\": failed to resolve reference \"{repo}\": \
             failed to do request: Head \"https://{host}/v2/\": dial tcp: lookup {host}: no such host"
        ));
    }
    let tag = image.rsplit_once(':').map(|(_, t)| t).unwrap_or("latest");
    tag.ends_with(MISSING_TAG).then(|| {
        format!(
            "rpc error: code = NotFound desc = failed to pull and unpack image \"{repo}\": \
             failed to resolve reference \"{repo}\": {repo}: not found"
        )
    })
}

/// What a container's environment needs that is missing, as the kubelet says it
/// (CreateContainerConfigError). `lookup(kind, name)` gives the ConfigMap or Secret of the
/// pod's namespace.
pub fn config_error(pod: &Value, lookup: &dyn Fn(&str, &str) -> Option<Value>) -> Option<String> {
    let ns = pod["metadata"]["namespace"].as_str().unwrap_or_default();
    let containers = pod["spec"]["containers"].as_array()?;
    for c in containers {
        for env in c["env"].as_array().into_iter().flatten() {
            for (field, kind) in [("configMapKeyRef", "ConfigMap"), ("secretKeyRef", "Secret")] {
                let r = &env["valueFrom"][field];
                if r.is_null() || r["optional"] == true {
                    continue;
                }
                let name = r["name"].as_str().unwrap_or_default();
                let key = r["key"].as_str().unwrap_or_default();
                let Some(obj) = lookup(kind, name) else {
                    return Some(format!("{} \"{name}\" not found", kind.to_lowercase()));
                };
                let has = obj["data"].get(key).is_some() || obj["binaryData"].get(key).is_some();
                if !has {
                    return Some(format!("couldn't find key {key} in {kind} {ns}/{name}"));
                }
            }
        }
        for from in c["envFrom"].as_array().into_iter().flatten() {
            for (field, kind) in [("configMapRef", "ConfigMap"), ("secretRef", "Secret")] {
                let r = &from[field];
                if r.is_null() || r["optional"] == true {
                    continue;
                }
                let name = r["name"].as_str().unwrap_or_default();
                if lookup(kind, name).is_none() {
                    return Some(format!("{} \"{name}\" not found", kind.to_lowercase()));
                }
            }
        }
    }
    None
}

/// A CPU quantity in millicores (`50m`, `2`, `1.5`).
fn millicores(q: &str) -> u64 {
    super::metrics::millicores(q)
}

fn requested_millicores(pod: &Value) -> u64 {
    pod["spec"]["containers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["resources"]["requests"]["cpu"].as_str())
        .map(millicores)
        .sum()
}

fn node_ready(node: &Value) -> bool {
    node["status"]["conditions"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|c| c["type"] == "Ready" && c["status"] == "True")
}

/// Why no node takes the pod, in the scheduler's words, or the nodes that would. A node's
/// CPU is weighed against this pod's requests alone (not its other pods'), which keeps
/// scheduling cheap at 100k pods and still turns away a pod no node could ever hold.
pub fn place<'a>(pod: &Value, nodes: &'a [Value]) -> Result<Vec<&'a Value>, String> {
    let want = requested_millicores(pod);
    let selector = pod["spec"]["nodeSelector"].as_object();
    let mut fit = Vec::new();
    let mut reasons: std::collections::BTreeMap<String, usize> = Default::default();
    for node in nodes {
        let labels = &node["metadata"]["labels"];
        let why = if labels
            .get("node-role.kubernetes.io/control-plane")
            .is_some()
        {
            Some("node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }".into())
        } else if !node_ready(node) {
            Some("node(s) had untolerated taint {node.kubernetes.io/unreachable: }".into())
        } else if node["spec"]["unschedulable"] == true {
            Some("node(s) were unschedulable".into())
        } else if selector.is_some_and(|s| s.iter().any(|(k, v)| labels.get(k) != Some(v))) {
            Some("node(s) didn't match Pod's node affinity/selector".to_string())
        } else {
            let allocatable = node["status"]["allocatable"]["cpu"]
                .as_str()
                .map_or(0, millicores);
            (want > allocatable).then(|| "Insufficient cpu".to_string())
        };
        match why {
            Some(w) => *reasons.entry(w).or_default() += 1,
            None => fit.push(node),
        }
    }
    if !fit.is_empty() {
        return Ok(fit);
    }
    let parts: Vec<String> = reasons.iter().map(|(w, n)| format!("{n} {w}")).collect();
    Err(format!(
        "0/{} nodes are available: {}. preemption: 0/{} nodes are available: {} No preemption victims found for incoming pod.",
        nodes.len(),
        parts.join(", "),
        nodes.len(),
        nodes.len()
    ))
}

/// How a crashing container ends: (exit code, reason).
pub fn crash_end(pod: &Value) -> (i64, &'static str) {
    match pod["metadata"]["annotations"][CRASH_REASON].as_str() {
        Some("OOMKilled") => (137, "OOMKilled"),
        _ => (1, "Error"),
    }
}

/// The exit code a job's pod ends with (0 unless the template says otherwise).
pub fn exit_code(pod: &Value) -> i64 {
    pod["metadata"]["annotations"][EXIT_CODE]
        .as_str()
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

pub fn probe_fails(pod: &Value) -> bool {
    pod["metadata"]["annotations"][FAILING_PROBE].as_str() == Some("readiness")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn images_that_cannot_be_pulled_say_why() {
        assert_eq!(pull_error("nginx:1.27"), None);
        let e = pull_error("ghcr.io/kx-demo/checkout:2.0.0-missing").unwrap_or_default();
        assert!(
            e.contains("NotFound") && e.contains("checkout:2.0.0-missing: not found"),
            "{e}"
        );
        let e = pull_error("registry.invalid/app:1").unwrap_or_default();
        assert!(e.contains("lookup registry.invalid: no such host"), "{e}");
    }

    #[test]
    fn a_missing_key_or_object_is_named() {
        let pod = json!({"metadata": {"namespace": "shop"}, "spec": {"containers": [{"name": "a", "env": [
            {"name": "FLAGS", "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "flags"}}}]}]}});
        let with = |data: Value| {
            move |kind: &str, name: &str| {
                (kind == "ConfigMap" && name == "cfg").then(|| json!({"data": data.clone()}))
            }
        };
        assert_eq!(
            config_error(&pod, &with(json!({"other": "x"}))).as_deref(),
            Some("couldn't find key flags in ConfigMap shop/cfg")
        );
        assert_eq!(config_error(&pod, &with(json!({"flags": "x"}))), None);
        assert_eq!(
            config_error(&pod, &|_: &str, _: &str| None).as_deref(),
            Some("configmap \"cfg\" not found")
        );
    }

    #[test]
    fn no_node_fits_a_pod_asking_for_too_much_cpu() {
        let node = |name: &str, ready: &str, cp: bool| {
            let mut labels = json!({});
            if cp {
                labels["node-role.kubernetes.io/control-plane"] = json!("");
            }
            json!({"metadata": {"name": name, "labels": labels}, "status": {"allocatable": {"cpu": "8"},
                "conditions": [{"type": "Ready", "status": ready}]}})
        };
        let nodes = vec![
            node("cp", "True", true),
            node("w1", "True", false),
            node("w2", "False", false),
        ];
        let pod = |cpu: &str| json!({"spec": {"containers": [{"resources": {"requests": {"cpu": cpu}}}]}});
        let fits = place(&pod("500m"), &nodes).unwrap_or_default();
        assert_eq!(fits.len(), 1);
        let e = place(&pod("32"), &nodes).err().unwrap_or_default();
        assert!(e.starts_with("0/3 nodes are available: 1 Insufficient cpu, 1 node(s) had untolerated taint {node-role"), "{e}");
        assert!(
            e.contains("1 node(s) had untolerated taint {node.kubernetes.io/unreachable: }"),
            "{e}"
        );
    }
}
