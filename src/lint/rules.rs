//! The rules. Each has an id people disable or re-level it by, a severity, and a fix in one
//! line. Workloads are judged by their pod template once; the pods a controller owns are
//! judged only on what happens to them at run time (restarts), so one mistake is one finding.

use super::{Finding, Rule, Scope, Settings, Severity, Subject};
use serde_json::Value;
use std::collections::BTreeSet;

pub const RULES: &[Rule] = &[
    Rule {
        id: "requests",
        severity: Severity::Warn,
        scope: Scope::Object,
        fix: "set resources.requests (cpu, memory) so the scheduler can place the pod",
    },
    Rule {
        id: "limits",
        severity: Severity::Info,
        scope: Scope::Object,
        fix: "set resources.limits.memory so one container cannot starve the node",
    },
    Rule {
        id: "image-tag",
        severity: Severity::Warn,
        scope: Scope::Object,
        fix: "pin the image to a version tag or a digest, not :latest",
    },
    Rule {
        id: "probes",
        severity: Severity::Warn,
        scope: Scope::Object,
        fix: "add a readinessProbe (and a livenessProbe) so traffic and restarts follow health",
    },
    Rule {
        id: "run-as-root",
        severity: Severity::Warn,
        scope: Scope::Object,
        fix: "set securityContext.runAsNonRoot: true (and a non-zero runAsUser)",
    },
    Rule {
        id: "privileged",
        severity: Severity::Error,
        scope: Scope::Object,
        fix: "remove securityContext.privileged; grant only the capabilities needed",
    },
    Rule {
        id: "host-namespaces",
        severity: Severity::Error,
        scope: Scope::Object,
        fix: "remove hostNetwork, hostPID and hostIPC unless the pod is node infrastructure",
    },
    Rule {
        id: "host-path",
        severity: Severity::Warn,
        scope: Scope::Object,
        fix: "use a PersistentVolumeClaim, ConfigMap or emptyDir instead of a hostPath volume",
    },
    Rule {
        id: "deprecated-api",
        severity: Severity::Error,
        scope: Scope::Object,
        fix: "move the manifest to the API version the cluster serves now",
    },
    Rule {
        id: "bare-pod",
        severity: Severity::Warn,
        scope: Scope::Object,
        fix: "run it from a Deployment, StatefulSet or Job so it is replaced when it dies",
    },
    Rule {
        id: "restarts",
        severity: Severity::Warn,
        scope: Scope::Object,
        fix: "read the previous container's log (p) and its last state: it keeps failing",
    },
    Rule {
        id: "single-replica",
        severity: Severity::Warn,
        scope: Scope::Cluster,
        fix: "run 2 or more replicas, or add a PodDisruptionBudget, so a drain does not take it down",
    },
    Rule {
        id: "unused-configmap",
        severity: Severity::Info,
        scope: Scope::Cluster,
        fix: "delete the ConfigMap, or mount it where it is meant to be used",
    },
    Rule {
        id: "unused-secret",
        severity: Severity::Info,
        scope: Scope::Cluster,
        fix: "delete the Secret, or reference it where it is meant to be used",
    },
    Rule {
        id: "service-no-pods",
        severity: Severity::Warn,
        scope: Scope::Cluster,
        fix: "fix the Service's selector to match its pods' labels",
    },
];

pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}

pub(super) fn finding(id: &'static str, obj: &Value, message: String) -> Finding {
    let r = rule(id);
    Finding {
        rule: id,
        severity: r.map_or(Severity::Warn, |r| r.severity),
        subject: Subject::of(obj),
        message,
        fix: r.map_or("", |r| r.fix),
    }
}

/// The pod spec an object runs, if it runs one.
pub fn pod_spec(obj: &Value) -> Option<&Value> {
    let spec = match obj["kind"].as_str()? {
        "Pod" => &obj["spec"],
        "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicaSet"
        | "Job"
        | "ReplicationController" => &obj["spec"]["template"]["spec"],
        "CronJob" => &obj["spec"]["jobTemplate"]["spec"]["template"]["spec"],
        _ => return None,
    };
    spec.is_object().then_some(spec)
}

/// Owners whose own checks cover what they own (a template judged once). An object owned by
/// anything else (an operator's resource) is judged itself.
const JUDGED_OWNERS: [&str; 7] = [
    "Deployment",
    "ReplicaSet",
    "StatefulSet",
    "DaemonSet",
    "Job",
    "CronJob",
    "ReplicationController",
];

fn owned(obj: &Value) -> bool {
    obj["metadata"]["ownerReferences"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|o| {
            o["kind"]
                .as_str()
                .is_some_and(|k| JUDGED_OWNERS.contains(&k))
        })
}

/// Owned by anything at all (a ConfigMap an operator made is its business).
fn has_owner(obj: &Value) -> bool {
    obj["metadata"]["ownerReferences"]
        .as_array()
        .is_some_and(|o| !o.is_empty())
}

fn containers(spec: &Value) -> impl Iterator<Item = &Value> {
    spec["containers"].as_array().into_iter().flatten()
}

/// Init containers run on the node too: the security and image rules judge them as well.
fn init_containers(spec: &Value) -> impl Iterator<Item = &Value> {
    spec["initContainers"].as_array().into_iter().flatten()
}

fn name(c: &Value) -> &str {
    c["name"].as_str().unwrap_or("?")
}

/// API versions the current API server no longer serves, and what replaced them.
const REMOVED: &[(&str, &str, &str)] = &[
    ("extensions/v1beta1", "Deployment", "apps/v1"),
    ("extensions/v1beta1", "DaemonSet", "apps/v1"),
    ("extensions/v1beta1", "ReplicaSet", "apps/v1"),
    ("extensions/v1beta1", "Ingress", "networking.k8s.io/v1"),
    (
        "extensions/v1beta1",
        "NetworkPolicy",
        "networking.k8s.io/v1",
    ),
    (
        "extensions/v1beta1",
        "PodSecurityPolicy",
        "(removed: Pod Security Admission)",
    ),
    ("apps/v1beta1", "*", "apps/v1"),
    ("apps/v1beta2", "*", "apps/v1"),
    ("networking.k8s.io/v1beta1", "*", "networking.k8s.io/v1"),
    ("batch/v1beta1", "CronJob", "batch/v1"),
    (
        "policy/v1beta1",
        "PodSecurityPolicy",
        "(removed: Pod Security Admission)",
    ),
    ("policy/v1beta1", "*", "policy/v1"),
    ("autoscaling/v2beta1", "*", "autoscaling/v2"),
    ("autoscaling/v2beta2", "*", "autoscaling/v2"),
    (
        "rbac.authorization.k8s.io/v1beta1",
        "*",
        "rbac.authorization.k8s.io/v1",
    ),
    (
        "apiextensions.k8s.io/v1beta1",
        "*",
        "apiextensions.k8s.io/v1",
    ),
    (
        "admissionregistration.k8s.io/v1beta1",
        "*",
        "admissionregistration.k8s.io/v1",
    ),
    ("discovery.k8s.io/v1beta1", "*", "discovery.k8s.io/v1"),
    ("events.k8s.io/v1beta1", "*", "events.k8s.io/v1"),
    ("node.k8s.io/v1beta1", "*", "node.k8s.io/v1"),
    ("scheduling.k8s.io/v1beta1", "*", "scheduling.k8s.io/v1"),
    ("coordination.k8s.io/v1beta1", "*", "coordination.k8s.io/v1"),
    ("certificates.k8s.io/v1beta1", "*", "certificates.k8s.io/v1"),
    ("storage.k8s.io/v1beta1", "*", "storage.k8s.io/v1"),
    (
        "flowcontrol.apiserver.k8s.io/v1beta1",
        "*",
        "flowcontrol.apiserver.k8s.io/v1",
    ),
    (
        "flowcontrol.apiserver.k8s.io/v1beta2",
        "*",
        "flowcontrol.apiserver.k8s.io/v1",
    ),
    (
        "flowcontrol.apiserver.k8s.io/v1beta3",
        "*",
        "flowcontrol.apiserver.k8s.io/v1",
    ),
];

/// An image with no tag, or `:latest` (a digest pins it whatever the tag).
fn unpinned(image: &str) -> bool {
    if image.contains('@') {
        return false;
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    match last.split_once(':') {
        None => true,
        Some((_, tag)) => tag == "latest",
    }
}

/// The manifest `kubectl apply` last applied, as it recorded it.
fn last_applied(obj: &Value) -> Option<Value> {
    let text = obj["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"]
        .as_str()?;
    serde_json::from_str(text).ok()
}

/// The rules that need only the object.
pub fn object_rules(obj: &Value, settings: &Settings, out: &mut Vec<Finding>) {
    let kind = obj["kind"].as_str().unwrap_or_default();
    let api = obj["apiVersion"].as_str().unwrap_or_default();
    let removed = |api: &str, kind: &str| {
        REMOVED
            .iter()
            .find(|(v, k, _)| *v == api && (*k == "*" || *k == kind))
            .map(|(_, _, now)| *now)
    };
    if let Some(now) = removed(api, kind) {
        out.push(finding(
            "deprecated-api",
            obj,
            format!("{kind} {api} is no longer served; use {now}"),
        ));
    } else if let Some(applied) = last_applied(obj) {
        // A cluster serves every object at a current version; the manifest it came from
        // (as kubectl apply recorded it) is what will fail to apply next time.
        let (old_api, old_kind) = (
            applied["apiVersion"].as_str().unwrap_or_default(),
            applied["kind"].as_str().unwrap_or(kind),
        );
        if let Some(now) = removed(old_api, old_kind) {
            out.push(finding(
                "deprecated-api",
                obj,
                format!(
                    "last applied as {old_kind} {old_api}, which is no longer served; use {now}"
                ),
            ));
        }
    }
    let Some(spec) = pod_spec(obj) else { return };
    if kind == "Pod" {
        for c in obj["status"]["containerStatuses"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let restarts = c["restartCount"].as_u64().unwrap_or(0);
            if restarts > settings.restarts_max {
                out.push(finding(
                    "restarts",
                    obj,
                    format!("container {} restarted {restarts} times", name(c)),
                ));
            }
        }
        if !owned(obj) {
            out.push(finding(
                "bare-pod",
                obj,
                "no controller owns this pod".into(),
            ));
        }
    }
    if owned(obj) {
        // Its controller's template is judged instead (a deployment's replica sets and pods,
        // a cron job's jobs): one mistake, one finding.
        return;
    }
    pod_spec_rules(obj, kind, spec, out);
}

fn pod_spec_rules(obj: &Value, kind: &str, spec: &Value, out: &mut Vec<Finding>) {
    let pod_non_root = spec["securityContext"]["runAsNonRoot"] == true
        || spec["securityContext"]["runAsUser"]
            .as_u64()
            .is_some_and(|u| u > 0);
    let batch = matches!(kind, "Job" | "CronJob");
    let (mut no_requests, mut no_limits, mut unpinned_images, mut no_probes, mut root) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let inits = init_containers(spec).count();
    let all: Vec<&Value> = init_containers(spec).chain(containers(spec)).collect();
    for (i, c) in all.into_iter().enumerate() {
        let init = i < inits;
        let res = &c["resources"];
        if !init && (res["requests"]["cpu"].is_null() || res["requests"]["memory"].is_null()) {
            no_requests.push(name(c));
        }
        if !init && res["limits"]["memory"].is_null() {
            no_limits.push(name(c));
        }
        if let Some(image) = c["image"].as_str().filter(|i| unpinned(i)) {
            unpinned_images.push(format!("{} ({image})", name(c)));
        }
        if !init && !batch && c["readinessProbe"].is_null() && c["livenessProbe"].is_null() {
            no_probes.push(name(c));
        }
        let sc = &c["securityContext"];
        let non_root = sc["runAsNonRoot"] == true
            || sc["runAsUser"].as_u64().is_some_and(|u| u > 0)
            || (pod_non_root && sc["runAsUser"] != 0);
        if !non_root {
            root.push(name(c));
        }
        if sc["privileged"] == true {
            out.push(finding(
                "privileged",
                obj,
                format!("container {} runs privileged", name(c)),
            ));
        }
    }
    let list = |v: &[&str]| v.join(", ");
    if !no_requests.is_empty() {
        out.push(finding(
            "requests",
            obj,
            format!("no cpu/memory requests: {}", list(&no_requests)),
        ));
    }
    if !no_limits.is_empty() {
        out.push(finding(
            "limits",
            obj,
            format!("no memory limit: {}", list(&no_limits)),
        ));
    }
    if !unpinned_images.is_empty() {
        out.push(finding(
            "image-tag",
            obj,
            format!("unpinned image: {}", unpinned_images.join(", ")),
        ));
    }
    if !no_probes.is_empty() {
        out.push(finding(
            "probes",
            obj,
            format!("no readiness or liveness probe: {}", list(&no_probes)),
        ));
    }
    if !root.is_empty() {
        out.push(finding(
            "run-as-root",
            obj,
            format!("may run as root: {}", list(&root)),
        ));
    }
    let host: Vec<&str> = ["hostNetwork", "hostPID", "hostIPC"]
        .into_iter()
        .filter(|f| spec[*f] == true)
        .collect();
    if !host.is_empty() {
        out.push(finding(
            "host-namespaces",
            obj,
            format!("shares the node's namespaces: {}", host.join(", ")),
        ));
    }
    let host_paths: Vec<String> = spec["volumes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| Some(format!("{} ({})", name(v), v["hostPath"]["path"].as_str()?)))
        .collect();
    if !host_paths.is_empty() {
        out.push(finding(
            "host-path",
            obj,
            format!("hostPath volume: {}", host_paths.join(", ")),
        ));
    }
}

/// Whether a LabelSelector (`matchLabels` and `matchExpressions`) selects these labels; an
/// empty one selects everything (a PodDisruptionBudget's empty selector covers the namespace).
pub(super) fn label_selector_selects(selector: &Value, labels: &Value) -> bool {
    let by_labels = selector["matchLabels"]
        .as_object()
        .is_none_or(|m| m.iter().all(|(k, v)| labels[k] == *v));
    let by_expressions = selector["matchExpressions"]
        .as_array()
        .into_iter()
        .flatten()
        .all(|e| {
            let key = e["key"].as_str().unwrap_or_default();
            let values: Vec<&str> = e["values"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            let have = labels[key].as_str();
            match e["operator"].as_str().unwrap_or_default() {
                "In" => have.is_some_and(|h| values.contains(&h)),
                "NotIn" => have.is_none_or(|h| !values.contains(&h)),
                "Exists" => have.is_some(),
                "DoesNotExist" => have.is_none(),
                _ => false,
            }
        });
    by_labels && by_expressions
}

/// ConfigMaps and Secrets a pod spec refers to, as (kind, name).
pub(super) fn references(spec: &Value, into: &mut BTreeSet<(&'static str, String)>) {
    let mut add = |kind: &'static str, v: &Value| {
        if let Some(n) = v.as_str() {
            into.insert((kind, n.to_string()));
        }
    };
    for v in spec["volumes"].as_array().into_iter().flatten() {
        add("ConfigMap", &v["configMap"]["name"]);
        add("Secret", &v["secret"]["secretName"]);
        for s in v["projected"]["sources"].as_array().into_iter().flatten() {
            add("ConfigMap", &s["configMap"]["name"]);
            add("Secret", &s["secret"]["name"]);
        }
    }
    for s in spec["imagePullSecrets"].as_array().into_iter().flatten() {
        add("Secret", &s["name"]);
    }
    for key in ["containers", "initContainers", "ephemeralContainers"] {
        for c in spec[key].as_array().into_iter().flatten() {
            for e in c["envFrom"].as_array().into_iter().flatten() {
                add("ConfigMap", &e["configMapRef"]["name"]);
                add("Secret", &e["secretRef"]["name"]);
            }
            for e in c["env"].as_array().into_iter().flatten() {
                add("ConfigMap", &e["valueFrom"]["configMapKeyRef"]["name"]);
                add("Secret", &e["valueFrom"]["secretKeyRef"]["name"]);
            }
        }
    }
}

/// ConfigMaps and Secrets that exist for the cluster itself, not for workloads to mount.
pub(super) fn system_owned(obj: &Value) -> bool {
    let name = obj["metadata"]["name"].as_str().unwrap_or_default();
    let kind_of_secret = obj["type"].as_str().unwrap_or_default();
    name == "kube-root-ca.crt"
        || kind_of_secret == "kubernetes.io/service-account-token"
        || kind_of_secret.starts_with("helm.sh/release")
        || obj["metadata"]["namespace"] == "kube-system"
        || has_owner(obj)
}

#[cfg(test)]
mod tests {
    use super::super::{Settings, lint};
    use super::*;
    use serde_json::json;

    fn deployment(name: &str, container: Value) -> Value {
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": "shop"},
               "spec": {"replicas": 2, "selector": {"matchLabels": {"app": name}},
                        "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [container]}}}})
    }

    fn good_container() -> Value {
        json!({"name": "app", "image": "ghcr.io/x/app:1.2.3",
               "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"memory": "128Mi"}},
               "readinessProbe": {"httpGet": {"path": "/", "port": 80}},
               "securityContext": {"runAsNonRoot": true, "runAsUser": 1000}})
    }

    fn rules_of(objects: &[Value], cluster: bool) -> Vec<(&'static str, String)> {
        lint(objects, &Settings::default(), cluster)
            .into_iter()
            .map(|f| (f.rule, f.subject.name))
            .collect()
    }

    #[test]
    fn a_well_made_deployment_has_no_findings() {
        assert_eq!(
            rules_of(&[deployment("web", good_container())], false),
            vec![]
        );
    }

    #[test]
    fn each_object_rule_fires_on_its_mistake() {
        let mut c = good_container();
        c["image"] = json!("nginx");
        c["resources"] = json!({});
        c["readinessProbe"] = Value::Null;
        c["securityContext"] = json!({"privileged": true});
        let mut d = deployment("bad", c);
        d["spec"]["template"]["spec"]["hostNetwork"] = json!(true);
        d["spec"]["template"]["spec"]["volumes"] =
            json!([{"name": "logs", "hostPath": {"path": "/var/log"}}]);
        let mut found: Vec<&str> = rules_of(&[d], false).into_iter().map(|(r, _)| r).collect();
        found.sort_unstable();
        assert_eq!(
            found,
            vec![
                "host-namespaces",
                "host-path",
                "image-tag",
                "limits",
                "privileged",
                "probes",
                "requests",
                "run-as-root"
            ]
        );
        let old = json!({"apiVersion": "extensions/v1beta1", "kind": "Ingress", "metadata": {"name": "i", "namespace": "shop"}});
        let f = lint(&[old], &Settings::default(), false);
        assert_eq!(
            f[0].message,
            "Ingress extensions/v1beta1 is no longer served; use networking.k8s.io/v1"
        );
        let applied = json!({"apiVersion": "extensions/v1beta1", "kind": "Ingress"}).to_string();
        let served = json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": "i", "namespace": "shop",
                         "annotations": {"kubectl.kubernetes.io/last-applied-configuration": applied}}});
        let f = lint(&[served], &Settings::default(), false);
        assert_eq!(
            f[0].message,
            "last applied as Ingress extensions/v1beta1, which is no longer served; use networking.k8s.io/v1"
        );
    }

    #[test]
    fn init_containers_are_judged_for_security_and_operator_owned_objects_are_judged_at_all() {
        let mut d = deployment("web", good_container());
        d["spec"]["template"]["spec"]["initContainers"] = json!([{"name": "setup", "image": "busybox:1.36",
            "securityContext": {"privileged": true, "runAsNonRoot": true}}]);
        assert_eq!(
            rules_of(std::slice::from_ref(&d), false),
            vec![("privileged", "web".to_string())]
        );
        d["metadata"]["ownerReferences"] = json!([{"kind": "WebApp", "name": "web"}]);
        assert_eq!(
            rules_of(std::slice::from_ref(&d), false),
            vec![("privileged", "web".to_string())]
        );
        d["metadata"]["ownerReferences"] = json!([{"kind": "Deployment", "name": "x"}]);
        assert!(rules_of(&[d], false).is_empty());
    }

    #[test]
    fn images_pinned_by_tag_or_digest_pass_and_latest_or_none_do_not() {
        assert!(
            unpinned("nginx") && unpinned("nginx:latest") && unpinned("registry:5000/team/app")
        );
        assert!(!unpinned("registry:5000/team/app:1.0") && !unpinned("nginx@sha256:abc"));
    }

    #[test]
    fn owned_pods_are_judged_by_their_controller_except_for_restarts() {
        let pod = json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "web-1", "namespace": "shop", "ownerReferences": [{"kind": "ReplicaSet", "name": "web-x"}]},
            "spec": {"containers": [{"name": "app", "image": "nginx"}]},
            "status": {"containerStatuses": [{"name": "app", "restartCount": 9}]}});
        assert_eq!(
            rules_of(std::slice::from_ref(&pod), false),
            vec![("restarts", "web-1".to_string())]
        );
        let mut bare = pod.clone();
        bare["metadata"]["ownerReferences"] = Value::Null;
        assert!(rules_of(&[bare], false).contains(&("bare-pod", "web-1".to_string())));
    }

    #[test]
    fn cluster_rules_see_references_selectors_and_budgets() {
        let mut web = deployment("web", good_container());
        web["spec"]["replicas"] = json!(1);
        web["spec"]["template"]["spec"]["volumes"] =
            json!([{"name": "c", "configMap": {"name": "web-config"}}]);
        let pod = json!({"kind": "Pod", "metadata": {"name": "web-1", "namespace": "shop", "labels": {"app": "web"},
                                                     "ownerReferences": [{"kind": "ReplicaSet"}]},
                         "spec": {"containers": [good_container()]}});
        let objects = vec![
            web,
            pod,
            json!({"kind": "ConfigMap", "metadata": {"name": "web-config", "namespace": "shop"}}),
            json!({"kind": "ConfigMap", "metadata": {"name": "leftover", "namespace": "shop"}}),
            json!({"kind": "ConfigMap", "metadata": {"name": "kube-root-ca.crt", "namespace": "shop"}}),
            json!({"kind": "Secret", "metadata": {"name": "old-token", "namespace": "shop"}, "type": "Opaque"}),
            json!({"kind": "Service", "metadata": {"name": "web", "namespace": "shop"}, "spec": {"selector": {"app": "web"}}}),
            json!({"kind": "Service", "metadata": {"name": "typo", "namespace": "shop"}, "spec": {"selector": {"app": "wbe"}}}),
        ];
        let mut found = rules_of(&objects, true);
        found.sort();
        let names = |v: &[(&'static str, &str)]| -> Vec<(&'static str, String)> {
            v.iter().map(|(r, n)| (*r, n.to_string())).collect()
        };
        assert_eq!(
            found,
            names(&[
                ("service-no-pods", "typo"),
                ("single-replica", "web"),
                ("unused-configmap", "leftover"),
                ("unused-secret", "old-token")
            ])
        );
        // A budget by expression covers it too; one for other labels does not.
        let mut by_expr = objects.clone();
        by_expr.push(json!({"kind": "PodDisruptionBudget", "metadata": {"name": "web", "namespace": "shop"},
                            "spec": {"selector": {"matchExpressions": [{"key": "app", "operator": "In", "values": ["web", "api"]}]}}}));
        assert!(
            !rules_of(&by_expr, true)
                .iter()
                .any(|(r, _)| *r == "single-replica")
        );
        let mut other = objects.clone();
        other.push(
            json!({"kind": "PodDisruptionBudget", "metadata": {"name": "db", "namespace": "shop"},
                          "spec": {"selector": {"matchLabels": {"app": "db"}}}}),
        );
        assert!(
            rules_of(&other, true)
                .iter()
                .any(|(r, _)| *r == "single-replica")
        );
        // A budget covering the deployment quiets single-replica; manifests alone get no cluster rules.
        let mut with_pdb = objects.clone();
        with_pdb.push(
            json!({"kind": "PodDisruptionBudget", "metadata": {"name": "web", "namespace": "shop"},
                             "spec": {"selector": {"matchLabels": {"app": "web"}}}}),
        );
        assert!(
            !rules_of(&with_pdb, true)
                .iter()
                .any(|(r, _)| *r == "single-replica")
        );
        assert!(rules_of(&objects, false).is_empty());
    }

    #[test]
    fn rules_are_disabled_relevelled_and_ignored_per_object() {
        let mut c = good_container();
        c["image"] = json!("nginx:latest");
        let mut d = deployment("web", c);
        let mut settings = Settings::default();
        settings.levels.insert("image-tag".into(), Severity::Error);
        assert_eq!(
            lint(std::slice::from_ref(&d), &settings, false)[0].severity,
            Severity::Error
        );
        settings.disabled.insert("image-tag".into());
        assert!(lint(std::slice::from_ref(&d), &settings, false).is_empty());
        d["metadata"]["annotations"] =
            json!({super::super::IGNORE_ANNOTATION: "probes, image-tag"});
        assert!(lint(&[d], &Settings::default(), false).is_empty());
    }
}
