//! The tree from fixtures shaped as the API server sends them.

use super::*;
use serde_json::json;
use std::collections::HashSet;

fn graph() -> Graph {
    let mut g = Graph::default();
    let objects = vec![
        json!({"kind": "Deployment", "metadata": {"name": "web", "namespace": "shop", "uid": "d1"},
               "spec": {"replicas": 2}, "status": {"readyReplicas": 1}}),
        json!({"kind": "ReplicaSet", "metadata": {"name": "web-new", "namespace": "shop", "uid": "r2",
               "ownerReferences": [{"uid": "d1", "controller": true}]}, "spec": {"replicas": 2}, "status": {"readyReplicas": 1}}),
        json!({"kind": "ReplicaSet", "metadata": {"name": "web-old", "namespace": "shop", "uid": "r1",
               "ownerReferences": [{"uid": "d1", "controller": true}]}, "spec": {"replicas": 0}}),
        json!({"kind": "Pod", "metadata": {"name": "web-new-a", "namespace": "shop", "uid": "p1", "labels": {"app": "web"},
               "ownerReferences": [{"uid": "r2", "controller": true}]},
               "spec": {"volumes": [{"name": "c", "configMap": {"name": "web-config"}}, {"name": "d", "persistentVolumeClaim": {"claimName": "data"}}],
                        "containers": [{"name": "app", "env": [{"name": "K", "valueFrom": {"secretKeyRef": {"name": "gone", "key": "k"}}}]}]},
               "status": {"phase": "Running", "containerStatuses": [{"name": "app", "ready": true, "restartCount": 0, "state": {"running": {}}}]}}),
        json!({"kind": "Pod", "metadata": {"name": "web-new-b", "namespace": "shop", "uid": "p2", "labels": {"app": "web"},
               "ownerReferences": [{"uid": "r2", "controller": true}]},
               "spec": {"containers": [{"name": "app"}]},
               "status": {"phase": "Running", "containerStatuses": [{"name": "app", "ready": false, "restartCount": 4,
                          "state": {"waiting": {"reason": "CrashLoopBackOff"}}}]}}),
        json!({"kind": "ConfigMap", "metadata": {"name": "web-config", "namespace": "shop"}}),
        json!({"kind": "PersistentVolumeClaim", "metadata": {"name": "data", "namespace": "shop"}, "status": {"phase": "Pending"}}),
        json!({"kind": "Service", "metadata": {"name": "web", "namespace": "shop"}, "spec": {"type": "ClusterIP", "selector": {"app": "web"}}}),
        json!({"kind": "Endpoints", "metadata": {"name": "web", "namespace": "shop"},
               "subsets": [{"addresses": [{"targetRef": {"kind": "Pod", "name": "web-new-a"}}],
                            "notReadyAddresses": [{"targetRef": {"kind": "Pod", "name": "web-new-b"}}]}]}),
    ];
    for o in &objects {
        g.put(compact(o));
    }
    g
}

fn shown(lines: &[Line]) -> Vec<String> {
    lines
        .iter()
        .map(|l| {
            let fold = match (l.has_children, l.open) {
                (false, _) => " ",
                (true, true) => "▾",
                (true, false) => "▸",
            };
            format!(
                "{}{fold} {} {} [{:?}] {}",
                "  ".repeat(l.depth),
                l.kind,
                l.name,
                l.health,
                l.detail
            )
        })
        .collect()
}

#[test]
fn a_deployment_down_to_containers_and_what_its_pods_mount() {
    let g = graph();
    let lines = g.tree("Deployment", &HashSet::new());
    assert_eq!(
        shown(&lines),
        vec![
            "▾ Deployment web [Failing] 1/2 ready",
            "  ▾ ReplicaSet web-new [Failing] 1/2 ready",
            "    ▾ Pod web-new-a [Healthy] Running",
            "        Container app [Healthy] running, ready",
            "        ConfigMap web-config [Healthy] ",
            "        PersistentVolumeClaim data [Progressing] Pending",
            "        Secret gone [Failing] not found",
            "    ▾ Pod web-new-b [Failing] CrashLoopBackOff",
            "        Container app [Failing] CrashLoopBackOff, 4 restarts",
        ]
    );
}

#[test]
fn folding_hides_a_subtree_and_services_go_through_their_endpoints() {
    let g = graph();
    let lines = g.tree("Deployment", &HashSet::new());
    let closed: HashSet<String> = [lines[1].path.clone()].into();
    let folded = g.tree("Deployment", &closed);
    assert_eq!(
        shown(&folded),
        vec![
            "▾ Deployment web [Failing] 1/2 ready",
            "  ▸ ReplicaSet web-new [Failing] 1/2 ready"
        ]
    );
    let svc = g.tree("Service", &closed);
    let names: Vec<String> = shown(&svc).into_iter().take(3).collect();
    assert_eq!(
        names,
        vec![
            "▾ Service web [Healthy] ClusterIP · endpoints: 1 ready, 1 not ready",
            "  ▾ Endpoints web [Healthy] 1 ready, 1 not ready",
            "    ▾ Pod web-new-a [Healthy] Running",
        ]
    );
}

#[test]
fn a_service_selecting_nothing_is_failing() {
    let mut g = Graph::default();
    g.put(compact(
        &json!({"kind": "Service", "metadata": {"name": "api", "namespace": "shop"},
        "spec": {"type": "ClusterIP", "selector": {"app": "api"}}}),
    ));
    let lines = g.tree("Service", &HashSet::new());
    assert_eq!(
        shown(&lines),
        vec![
            "▾ Service api [Failing] ClusterIP · endpoints: none",
            "    Endpoints api [Failing] none"
        ]
    );
    assert_eq!(root_kind("deploy"), Some("Deployment"));
    assert_eq!(root_kind("widgets"), None);
}
