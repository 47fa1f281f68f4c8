//! Each diagnosis on fixtures shaped as the API server returns them.

use super::*;
use serde_json::json;

fn pod(name: &str, status: Value) -> Value {
    json!({"kind": "Pod", "metadata": {"name": name, "namespace": "shop", "uid": format!("uid-{name}"),
           "labels": {"app": "web"}, "creationTimestamp": "2026-01-01T00:00:00Z"},
           "spec": {"nodeName": "n1", "containers": [{"name": "app", "image": "web:1", "ports": [{"containerPort": 8080, "name": "http"}],
                    "resources": {"limits": {"memory": "128Mi"}}}]},
           "status": status})
}

fn running(ready: bool) -> Value {
    json!({"phase": "Running",
           "conditions": [{"type": "Ready", "status": if ready { "True" } else { "False" }}],
           "containerStatuses": [{"name": "app", "ready": ready, "restartCount": 0, "state": {"running": {}}}]})
}

fn waiting(reason: &str, message: &str) -> Value {
    json!({"phase": "Pending", "conditions": [{"type": "Ready", "status": "False"}],
           "containerStatuses": [{"name": "app", "image": "web:1", "ready": false, "restartCount": 0,
                                  "state": {"waiting": {"reason": reason, "message": message}}}]})
}

fn event(about: &Value, type_: &str, reason: &str, message: &str) -> Value {
    json!({"type": type_, "reason": reason, "message": message, "count": 1, "lastTimestamp": "2026-01-01T00:01:00Z",
           "involvedObject": {"kind": about["kind"], "name": about["metadata"]["name"],
                              "namespace": about["metadata"]["namespace"], "uid": about["metadata"]["uid"]}})
}

fn explain(object: Value, f: impl FnOnce(&mut Facts)) -> Diagnosis {
    let mut facts = Facts {
        object,
        ..Facts::default()
    };
    f(&mut facts);
    diagnose(&facts)
}

fn texts(d: &Diagnosis) -> Vec<&str> {
    d.lines.iter().map(|l| l.text.as_str()).collect()
}

#[test]
fn a_healthy_pod_says_so_in_one_line() {
    let d = explain(pod("web-1", running(true)), |_| {});
    assert_eq!(d.health, Health::Healthy);
    assert_eq!(
        texts(&d),
        vec!["web-1 is running and ready (1/1 containers, 0 restarts)"]
    );
}

#[test]
fn image_pull_back_off_gives_the_pull_error_from_the_kubelets_event() {
    let p = pod(
        "web-1",
        waiting("ImagePullBackOff", "Back-off pulling image \"web:1\""),
    );
    let ev = event(
        &p,
        "Warning",
        "Failed",
        "Failed to pull image \"web:1\": not found",
    );
    let d = explain(p, |f| f.events = vec![ev]);
    assert_eq!(d.health, Health::Broken);
    assert_eq!(
        texts(&d),
        vec![
            "container app cannot pull its image web:1 (ImagePullBackOff)",
            "Failed to pull image \"web:1\": not found"
        ]
    );
    assert_eq!(
        d.lines[1].source,
        Some(Source::Event {
            kind: "Pod".into(),
            namespace: "shop".into(),
            name: "web-1".into(),
            reason: "Failed".into()
        })
    );
}

#[test]
fn crash_loop_gives_the_last_exit_and_the_previous_logs_last_lines() {
    let mut status = waiting("CrashLoopBackOff", "back-off 10s");
    status["containerStatuses"][0]["restartCount"] = json!(4);
    status["containerStatuses"][0]["lastState"] = json!({"terminated": {"exitCode": 2, "reason": "Error", "finishedAt": "2026-01-01T00:02:00Z"}});
    let p = pod("web-1", status);
    let logs: Vec<String> = (1..=8).map(|i| format!("line {i}")).collect();
    let d = explain(p, |f| {
        f.logs
            .insert(("web-1".into(), "app".into()), Ok(logs.clone()));
    });
    let t = texts(&d);
    assert_eq!(
        t[0],
        "container app is crash-looping: 4 restarts, last exited with code 2 (Error) at 2026-01-01T00:02:00Z"
    );
    assert_eq!(t[1], "last lines of the previous container's log:");
    assert_eq!(&t[2..], &["line 4", "line 5", "line 6", "line 7", "line 8"]);
    assert!(matches!(
        &d.lines[3].source,
        Some(Source::Log { previous: true, container, .. }) if container == "app"
    ));
}

#[test]
fn a_missing_configmap_key_points_at_the_configmap() {
    let p = pod(
        "web-1",
        waiting(
            "CreateContainerConfigError",
            "couldn't find key FLAGS in ConfigMap shop/settings",
        ),
    );
    let cm = json!({"kind": "ConfigMap", "metadata": {"name": "settings", "namespace": "shop"}, "data": {}});
    let d = explain(p, |f| f.related = vec![cm]);
    assert_eq!(
        texts(&d),
        vec!["container app cannot start: couldn't find key FLAGS in ConfigMap shop/settings"]
    );
    assert_eq!(
        d.lines[0].source,
        Some(Source::Object {
            kind: "ConfigMap".into(),
            namespace: "shop".into(),
            name: "settings".into()
        })
    );
}

#[test]
fn an_oom_kill_names_the_limit_it_hit() {
    let mut status = running(true);
    status["containerStatuses"][0]["restartCount"] = json!(3);
    status["containerStatuses"][0]["lastState"] =
        json!({"terminated": {"exitCode": 137, "reason": "OOMKilled"}});
    let d = explain(pod("web-1", status), |_| {});
    assert_eq!(d.health, Health::Broken);
    let t = texts(&d);
    assert!(
        t[0].contains("was OOMKilled: 3 restarts, last exited with code 137 (OOMKilled)"),
        "{t:?}"
    );
    assert!(t[1].contains("more memory than its limit (128Mi)"), "{t:?}");
}

#[test]
fn an_unschedulable_pod_gives_the_schedulers_message() {
    let mut p = pod(
        "web-1",
        json!({"phase": "Pending", "conditions": [
        {"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": "0/3 nodes are available: 3 Insufficient cpu."}]}),
    );
    p["spec"]["nodeName"] = Value::Null;
    let d = explain(p, |_| {});
    assert_eq!(
        texts(&d),
        vec!["cannot be scheduled: 0/3 nodes are available: 3 Insufficient cpu."]
    );
}

#[test]
fn failing_probes_come_from_events() {
    let p = pod("web-1", running(false));
    let mut ev = event(
        &p,
        "Warning",
        "Unhealthy",
        "Readiness probe failed: HTTP probe failed with statuscode: 503",
    );
    ev["count"] = json!(12);
    let d = explain(p, |f| f.events = vec![ev]);
    assert_eq!(
        texts(&d),
        vec!["not ready: Readiness probe failed: HTTP probe failed with statuscode: 503 (×12)"]
    );
}

#[test]
fn a_pod_on_a_node_that_is_not_ready_says_so() {
    let node = json!({"kind": "Node", "metadata": {"name": "n1"}, "status": {"conditions": [
        {"type": "Ready", "status": "Unknown", "message": "Kubelet stopped posting node status."},
        {"type": "MemoryPressure", "status": "Unknown"}]}});
    let d = explain(pod("web-1", waiting("ContainerCreating", "")), |f| {
        f.related = vec![node]
    });
    assert_eq!(
        texts(&d),
        vec![
            "runs on node n1, which is not well:",
            "NotReady: Kubelet stopped posting node status."
        ]
    );
}

#[test]
fn a_node_under_pressure_or_cordoned() {
    let node = json!({"kind": "Node", "metadata": {"name": "n1"}, "spec": {"unschedulable": true},
        "status": {"conditions": [{"type": "Ready", "status": "True"},
                                  {"type": "DiskPressure", "status": "True", "message": "kubelet has disk pressure"}]}});
    let d = explain(node, |_| {});
    assert_eq!(d.health, Health::Broken);
    assert_eq!(
        texts(&d),
        vec![
            "DiskPressure: kubelet has disk pressure",
            "cordoned: no new pods are scheduled here"
        ]
    );
}

fn deployment(replicas: i64, ready: i64) -> Value {
    json!({"kind": "Deployment", "metadata": {"name": "web", "namespace": "shop", "uid": "d"},
           "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}}},
           "status": {"readyReplicas": ready, "updatedReplicas": replicas}})
}

#[test]
fn a_deployment_short_of_replicas_goes_down_to_its_pods_reasons() {
    let bad = pod(
        "web-2",
        waiting("CreateContainerConfigError", "secret \"db\" not found"),
    );
    let d = explain(deployment(2, 1), |f| {
        f.pods = vec![pod("web-1", running(true)), bad]
    });
    assert_eq!(d.health, Health::Broken);
    assert_eq!(
        texts(&d),
        vec![
            "1/2 ready, 2 up to date",
            "pod web-2:",
            "container app cannot start: secret \"db\" not found"
        ]
    );
    assert_eq!(d.lines[2].depth, 1);
    let stalled = {
        let mut d = deployment(2, 1);
        d["status"]["conditions"] = json!([{"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded",
            "message": "ReplicaSet \"web-1\" has timed out progressing."}]);
        d
    };
    let d = explain(stalled, |_| {});
    assert!(texts(&d)[0].starts_with("rollout stalled: ProgressDeadlineExceeded"));
    let d = explain(deployment(3, 3), |f| {
        f.pods = vec![pod("web-1", running(true))]
    });
    assert_eq!(
        (d.health, texts(&d)),
        (Health::Healthy, vec!["3/3 ready, 3 up to date"])
    );
}

fn service(target_port: Value) -> Value {
    json!({"kind": "Service", "metadata": {"name": "web", "namespace": "shop"},
           "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": target_port}]}})
}

#[test]
fn a_service_selecting_nothing_shows_what_the_pods_have() {
    let mut other = pod("api-1", running(true));
    other["metadata"]["labels"]["app"] = json!("web-v2");
    let d = explain(service(json!(8080)), |f| f.pods = vec![other]);
    assert_eq!(
        texts(&d),
        vec![
            "selects no pods: no pod in shop has app=web",
            "pods here have app=web-v2 (1)"
        ]
    );
}

#[test]
fn a_service_whose_pods_are_not_ready_or_whose_port_is_missing() {
    let d = explain(service(json!(8080)), |f| {
        f.pods = vec![pod("web-1", running(false))]
    });
    assert_eq!(d.health, Health::Broken);
    assert_eq!(
        texts(&d)[0],
        "no ready endpoints: 1 pods match app=web, none is ready"
    );
    let d = explain(service(json!("metrics")), |f| {
        f.pods = vec![pod("web-1", running(true))]
    });
    assert_eq!(
        texts(&d),
        vec!["port 80 targets the named port metrics, which no selected pod declares (e.g. web-1)"]
    );
    let d = explain(service(json!("http")), |f| {
        f.pods = vec![pod("web-1", running(true))]
    });
    assert_eq!(
        (d.health, texts(&d)),
        (
            Health::Healthy,
            vec!["1 ready endpoints (1 of 1 matching pods ready)"]
        )
    );
}

#[test]
fn a_pending_claim_gives_the_provisioners_event() {
    let pvc = json!({"kind": "PersistentVolumeClaim", "metadata": {"name": "data", "namespace": "shop", "uid": "c"},
                     "spec": {"storageClassName": "fast"}, "status": {"phase": "Pending"}});
    let ev = event(
        &pvc,
        "Warning",
        "ProvisioningFailed",
        "storageclass.storage.k8s.io \"fast\" not found",
    );
    let d = explain(pvc, |f| f.events = vec![ev]);
    assert_eq!(
        texts(&d),
        vec![
            "claim data is Pending (storage class fast)",
            "ProvisioningFailed: storageclass.storage.k8s.io \"fast\" not found"
        ]
    );
}

#[test]
fn a_job_past_its_backoff_limit_shows_its_last_pods_exit_and_log() {
    let job = json!({"kind": "Job", "metadata": {"name": "backfill", "namespace": "shop"}, "spec": {"backoffLimit": 2},
        "status": {"failed": 3, "conditions": [{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded",
                                                "message": "Job has reached the specified backoff limit"}]}});
    let mut failed = pod(
        "backfill-x",
        json!({"phase": "Failed", "containerStatuses": [{"name": "app", "restartCount": 0,
        "state": {"terminated": {"exitCode": 3, "reason": "Error"}}}]}),
    );
    failed["metadata"]["creationTimestamp"] = json!("2026-01-01T00:05:00Z");
    let d = explain(job, |f| {
        f.pods = vec![failed];
        f.logs.insert(
            ("backfill-x".into(), "app".into()),
            Ok(vec!["panic: no table".into()]),
        );
    });
    assert_eq!(
        texts(&d),
        vec![
            "failed: BackoffLimitExceeded — Job has reached the specified backoff limit (3 pods failed, backoffLimit 2)",
            "its last pod, backfill-x:",
            "container app last exited with code 3 (Error)",
            "last lines of its log:",
            "panic: no table"
        ]
    );
}

#[test]
fn what_could_not_be_read_is_said() {
    let d = explain(deployment(1, 1), |f| {
        f.unreadable = vec!["the pods it selects (forbidden)".into()];
    });
    assert!(
        texts(&d).contains(
            &"could not read the pods it selects (forbidden); the diagnosis may miss something"
        ),
        "{:?}",
        texts(&d)
    );
}
