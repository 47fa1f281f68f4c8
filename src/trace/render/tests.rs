use super::*;
use serde_json::json;

fn rs(name: &str, rev: u32, replicas: i64, ready: i64, image: &str) -> (String, Value) {
    (
        name.to_string(),
        json!({"metadata": {"name": name, "namespace": "shop",
                "annotations": {"deployment.kubernetes.io/revision": rev.to_string()},
                "ownerReferences": [{"kind": "Deployment", "name": "web", "controller": true}]},
               "spec": {"replicas": replicas, "template": {"spec": {"containers": [{"name": "app", "image": image}]}}},
               "status": {"replicas": replicas, "readyReplicas": ready}}),
    )
}

fn pod(name: &str, owner: &str, ready: bool, waiting: Option<&str>) -> (String, Value) {
    let state = match waiting {
        Some(r) => json!({"waiting": {"reason": r}}),
        None => json!({"running": {}}),
    };
    (
        name.to_string(),
        json!({"metadata": {"name": name, "creationTimestamp": "1970-01-01T00:00:00Z",
                "ownerReferences": [{"kind": "ReplicaSet", "name": owner, "controller": true}]},
               "spec": {"containers": [{"name": "app"}]},
               "status": {"phase": if ready { "Running" } else { "Pending" },
                 "podIP": "10.0.0.1",
                 "containerStatuses": [{"name": "app", "ready": ready, "restartCount": 0, "state": state}]}}),
    )
}

#[test]
fn a_rollout_in_progress_shows_new_and_old_sets_and_why_pods_wait() {
    let d = json!({"metadata": {"name": "web", "namespace": "shop", "generation": 2},
        "spec": {"replicas": 3},
        "status": {"observedGeneration": 2, "replicas": 4, "updatedReplicas": 1, "readyReplicas": 3,
                   "availableReplicas": 3,
                   "conditions": [{"type": "Progressing", "status": "True", "reason": "ReplicaSetUpdated",
                                   "message": "ReplicaSet \"web-2\" is progressing."}]}});
    let sets: Objects = [
        rs("web-1", 1, 3, 3, "web:1"),
        rs("web-2", 2, 1, 0, "web:2"),
        rs("web-0", 0, 0, 0, "web:0"),
    ]
    .into();
    let pods: Objects = [
        pod("web-1-a", "web-1", true, None),
        pod("web-2-a", "web-2", false, Some("ContainerCreating")),
        pod("other", "else", true, None),
    ]
    .into();
    let lines = deployment(&d, &sets, &pods, 90);
    let expected = [
        "deployment/web -n shop  generation 2, observed 2",
        "replicas: 3 desired · 4 current · 1 updated · 3 ready · 3 available",
        "rollout: in progress, 1 of 3 pods updated",
        "conditions:",
        "  Progressing    True   ReplicaSetUpdated          ReplicaSet \"web-2\" is progressing.",
        "replica sets (newest first):",
        "  NEW web-2                          rev 2   1 desired  0 ready  web:2",
        "  old web-1                          rev 1   3 desired  3 ready  web:1",
        "  (+1 older replica sets scaled to 0)",
        "pods:",
        "  web-2-a                            Pending      0/1 ready  0 restarts  90s  waiting (app: ContainerCreating)  (web-2)",
        "  web-1-a                            Running      1/1 ready  0 restarts  90s  (web-1)",
    ];
    assert_eq!(lines, expected);
}

#[test]
fn a_finished_rollout_and_a_stalled_one_say_so() {
    let mut d = json!({"metadata": {"name": "web", "namespace": "shop", "generation": 1},
        "spec": {"replicas": 1},
        "status": {"observedGeneration": 1, "replicas": 1, "updatedReplicas": 1, "readyReplicas": 1,
                   "availableReplicas": 1}});
    let empty = Objects::new();
    assert_eq!(deployment(&d, &empty, &empty, 0)[2], "rollout: complete");
    d["status"]["conditions"] = json!([{"type": "Progressing", "status": "False",
        "reason": "ProgressDeadlineExceeded", "message": "ReplicaSet \"web-2\" has timed out progressing."}]);
    assert_eq!(
        deployment(&d, &empty, &empty, 0)[2],
        "rollout: STALLED (ReplicaSet \"web-2\" has timed out progressing.)"
    );
}

#[test]
fn a_service_lists_endpoints_and_pods_left_out_of_them() {
    let s = json!({"metadata": {"name": "web", "namespace": "shop"},
        "spec": {"type": "ClusterIP", "clusterIP": "10.96.0.10", "selector": {"app": "web"},
                 "ports": [{"port": 80, "targetPort": 8080, "protocol": "TCP"}]}});
    let ep = json!({"subsets": [{"ports": [{"port": 8080}],
        "addresses": [{"ip": "10.0.0.1", "targetRef": {"name": "web-a"}}],
        "notReadyAddresses": [{"ip": "10.0.0.2", "targetRef": {"name": "web-b"}}]}]});
    let pods: Objects = [
        pod("web-a", "rs", true, None),
        pod("web-b", "rs", false, Some("CrashLoopBackOff")),
        pod("web-c", "rs", false, Some("ContainerCreating")),
    ]
    .into();
    let lines = service(&s, Some(&ep), &pods, 60);
    let expected = [
        "service/web -n shop  ClusterIP 10.96.0.10",
        "ports: 80→8080/TCP  selector: app=web",
        "endpoints: 1 ready, 1 not ready",
        "  ready      10.0.0.1:8080          web-a",
        "  not ready  10.0.0.2:8080          web-b",
        "pods matching the selector:",
        "  web-a                              Running      1/1 ready  0 restarts  60s",
        "  web-b                              Pending      0/1 ready  0 restarts  60s  waiting (app: CrashLoopBackOff)",
        "  web-c                              Pending      0/1 ready  0 restarts  60s  waiting (app: ContainerCreating)  (not in the endpoints)",
    ];
    assert_eq!(lines, expected);
    let none = service(&s, Some(&json!({"subsets": []})), &Objects::new(), 0);
    assert_eq!(
        none[2],
        "endpoints: 0 ready, 0 not ready  — NO READY ENDPOINTS: requests to this service fail"
    );
}
