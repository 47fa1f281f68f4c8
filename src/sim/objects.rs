//! Builders for the objects the scenarios and controllers create, written as the JSON the
//! API server would hold (the write path then passes them through k8s-openapi types).

use super::cluster::now_rfc3339;
use super::store::Stored;
use serde_json::{Value, json};

/// Identity of an object that an event or an owner reference points at.
#[derive(Debug, Clone)]
pub struct ObjectRef {
    pub api_version: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub uid: String,
}

impl ObjectRef {
    pub fn of(api_version: &str, kind: &str, s: &Stored) -> Self {
        ObjectRef {
            api_version: api_version.into(),
            kind: kind.into(),
            namespace: s.namespace.clone(),
            name: s.name.clone(),
            uid: s.uid.clone(),
        }
    }

    pub fn owner_reference(&self) -> Value {
        json!({"apiVersion": self.api_version, "kind": self.kind, "name": self.name, "uid": self.uid,
               "controller": true, "blockOwnerDeletion": true})
    }
}

/// A container spec with the usual defaults filled in.
pub fn container(name: &str, image: &str, port: Option<i64>) -> Value {
    let mut c = json!({
        "name": name,
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}},
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
    });
    if let Some(p) = port {
        c["ports"] = json!([{"containerPort": p, "protocol": "TCP", "name": "http"}]);
    }
    c
}

pub fn pod_template(labels: &Value, containers: Vec<Value>, annotations: Value) -> Value {
    let mut meta = json!({"labels": labels});
    if annotations.as_object().is_some_and(|a| !a.is_empty()) {
        meta["annotations"] = annotations;
    }
    json!({
        "metadata": meta,
        "spec": {
            "containers": containers,
            "restartPolicy": "Always",
            "terminationGracePeriodSeconds": 30,
            "dnsPolicy": "ClusterFirst",
            "schedulerName": "default-scheduler",
        }
    })
}

pub fn deployment(ns: &str, name: &str, replicas: i64, template: Value) -> Value {
    let labels = template["metadata"]["labels"].clone();
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": ns, "labels": labels},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": template,
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
            "revisionHistoryLimit": 10,
            "progressDeadlineSeconds": 600,
        }
    })
}

pub fn statefulset(ns: &str, name: &str, replicas: i64, template: Value) -> Value {
    let labels = template["metadata"]["labels"].clone();
    json!({
        "apiVersion": "apps/v1", "kind": "StatefulSet",
        "metadata": {"name": name, "namespace": ns, "labels": labels},
        "spec": {"replicas": replicas, "serviceName": name, "selector": {"matchLabels": labels}, "template": template,
                 "podManagementPolicy": "OrderedReady", "updateStrategy": {"type": "RollingUpdate"}}
    })
}

pub fn daemonset(ns: &str, name: &str, template: Value) -> Value {
    let labels = template["metadata"]["labels"].clone();
    json!({
        "apiVersion": "apps/v1", "kind": "DaemonSet",
        "metadata": {"name": name, "namespace": ns, "labels": labels},
        "spec": {"selector": {"matchLabels": labels}, "template": template, "updateStrategy": {"type": "RollingUpdate"}}
    })
}

pub fn job_template(template: &Value, completions: i64) -> Value {
    let mut t = template.clone();
    t["spec"]["restartPolicy"] = json!("Never");
    json!({"completions": completions, "parallelism": 1, "backoffLimit": 6, "template": t})
}

pub fn service(ns: &str, name: &str, selector: &Value, port: i64, type_: &str) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": name, "namespace": ns, "labels": selector},
        "spec": {"type": type_, "selector": selector,
                 "ports": [{"name": "http", "port": port, "targetPort": port, "protocol": "TCP"}],
                 "sessionAffinity": "None"}
    })
}

pub fn node(name: &str, index: usize, control_plane: bool) -> Value {
    let mut labels = json!({
        "kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
        "topology.kubernetes.io/zone": format!("zone-{}", ["a", "b", "c"][index % 3]),
    });
    if control_plane {
        labels["node-role.kubernetes.io/control-plane"] = json!("");
    }
    let now = now_rfc3339();
    let cond = |t: &str, status: &str, reason: &str, msg: &str| {
        json!({"type": t, "status": status, "reason": reason, "message": msg,
               "lastHeartbeatTime": now, "lastTransitionTime": now})
    };
    json!({
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name, "labels": labels},
        "spec": {"podCIDR": format!("10.244.{}.0/24", index % 250)},
        "status": {
            "capacity": {"cpu": "8", "memory": "32Gi", "pods": "110", "ephemeral-storage": "100Gi"},
            "allocatable": {"cpu": "7800m", "memory": "31Gi", "pods": "110", "ephemeral-storage": "95Gi"},
            "conditions": [
                cond("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
                cond("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
                cond("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
                cond("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
            ],
            "addresses": [
                {"type": "InternalIP", "address": format!("172.18.{}.{}", index / 250, index % 250 + 2)},
                {"type": "Hostname", "address": name},
            ],
            "nodeInfo": {
                "kubeletVersion": "v1.36.0", "kubeProxyVersion": "v1.36.0", "osImage": "Debian GNU/Linux 12 (bookworm)",
                "kernelVersion": "6.1.0-kx", "containerRuntimeVersion": "containerd://2.1.0", "operatingSystem": "linux",
                "architecture": "amd64", "machineID": format!("{index:032x}"), "systemUUID": format!("{index:032x}"),
                "bootID": format!("{index:032x}"),
            },
        }
    })
}

/// The running status of a pod whose containers started at `started` with the given restarts.
pub fn running_status(pod: &Value, node_ip: &str, pod_ip: &str, started: &str) -> Value {
    let statuses: Vec<Value> = pod["spec"]["containers"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|c| {
            json!({"name": c["name"], "image": c["image"], "imageID": format!("docker.io/library/{}@sha256:{}", c["image"].as_str().unwrap_or_default(), "0".repeat(64)),
                   "containerID": format!("containerd://{}", "c".repeat(64)),
                   "ready": true, "started": true, "restartCount": 0, "state": {"running": {"startedAt": started}}})
        })
        .collect();
    let cond = |t: &str| json!({"type": t, "status": "True", "lastTransitionTime": started});
    json!({
        "phase": "Running",
        "hostIP": node_ip, "hostIPs": [{"ip": node_ip}],
        "podIP": pod_ip, "podIPs": [{"ip": pod_ip}],
        "startTime": started,
        "qosClass": "Burstable",
        "conditions": [cond("PodReadyToStartContainers"), cond("Initialized"), cond("Ready"), cond("ContainersReady"), cond("PodScheduled")],
        "containerStatuses": statuses,
    })
}
