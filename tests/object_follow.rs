//! Following one object for the detail views, against the simulator: its changes arrive live,
//! its events arrive, a deletion is reported with the last copy kept, and an object that does
//! not exist yet is waited for.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests and benches stop at the first surprise

mod common;

use common::TestCluster;
use kx::cluster::discovery::{discover, resolve};
use kx::cluster::object::{ObjectMsg, ObjectRef, follow};
use std::time::Duration;
use tokio::sync::mpsc;

async fn target(c: &TestCluster, resource: &str, ns: &str, name: &str) -> ObjectRef {
    let resources = discover(&c.client().await).await.expect("discovery");
    ObjectRef {
        resource: resolve(resource, &resources, &[])
            .expect("resource")
            .clone(),
        namespace: Some(ns.into()),
        name: name.into(),
    }
}

/// Reads messages until one satisfies `want`, returning it.
async fn until(
    rx: &mut mpsc::Receiver<ObjectMsg>,
    what: &str,
    want: impl Fn(&ObjectMsg) -> bool,
) -> ObjectMsg {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let msg = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
            .expect("follower running");
        if want(&msg) {
            return msg;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_followed_deployment_changes_live_and_its_events_arrive() {
    let c = TestCluster::start(false).await;
    let t = target(&c, "deploy", "shop", "web").await;
    let (tx, mut rx) = mpsc::channel(64);
    let task = tokio::spawn(follow(c.client().await, t, tx));
    let first = until(&mut rx, "the deployment", |m| {
        matches!(m, ObjectMsg::Object(_))
    })
    .await;
    let ObjectMsg::Object(obj) = first else {
        unreachable!()
    };
    assert_eq!(obj["spec"]["replicas"], 3);
    c.kubectl_ok(&["scale", "-n", "shop", "deploy/web", "--replicas=5"])
        .await;
    until(
        &mut rx,
        "replicas 5",
        |m| matches!(m, ObjectMsg::Object(o) if o["spec"]["replicas"] == 5),
    )
    .await;
    // The deployment controller records the scale-up as an Event about the deployment.
    until(
        &mut rx,
        "the scaling event",
        |m| matches!(m, ObjectMsg::EventSeen(_, e) if e["reason"] == "ScalingReplicaSet"),
    )
    .await;
    c.kubectl_ok(&["delete", "-n", "shop", "deploy/web", "--wait=false"])
        .await;
    until(&mut rx, "the deletion", |m| matches!(m, ObjectMsg::Deleted)).await;
    task.abort();
    c.sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_object_that_does_not_exist_yet_is_waited_for() {
    let c = TestCluster::start(false).await;
    let t = target(&c, "configmaps", "shop", "later").await;
    let (tx, mut rx) = mpsc::channel(64);
    let task = tokio::spawn(follow(c.client().await, t, tx));
    until(&mut rx, "missing", |m| matches!(m, ObjectMsg::Missing)).await;
    let configmaps: kube::Api<k8s_openapi::api::core::v1::ConfigMap> =
        kube::Api::namespaced(c.client().await, "shop");
    let cm = serde_json::from_value(serde_json::json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "later"}, "data": {"a": "b"}}))
    .expect("a configmap");
    configmaps
        .create(&Default::default(), &cm)
        .await
        .expect("created");
    until(
        &mut rx,
        "the new object",
        |m| matches!(m, ObjectMsg::Object(o) if o["data"]["a"] == "b"),
    )
    .await;
    task.abort();
    c.sim.stop().await;
}
