//! The TUI's write actions, as the runtime carries them out, against the simulator and checked
//! with kubectl: delete with a propagation policy, scale, rollout restart, cordon and uncordon,
//! and an RBAC denial worded with the verb and the object.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests and benches stop at the first surprise

mod common;

use common::TestCluster;
use kx::cluster::discovery::{discover, resolve};
use kx::cluster::object::ObjectRef;
use kx::tui::writes::{Propagation, WriteOp, perform};

async fn target(c: &TestCluster, kind: &str, ns: Option<&str>, name: &str) -> ObjectRef {
    let resources = discover(&c.client().await).await.expect("discovery");
    ObjectRef {
        resource: resolve(kind, &resources, &[]).expect("kind").clone(),
        namespace: ns.map(str::to_string),
        name: name.into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_do_what_kubectl_would_and_denials_name_verb_and_object() {
    let c = TestCluster::start(false).await;
    let web = target(&c, "deploy", Some("shop"), "web").await;

    let report = perform(
        c.client().await,
        WriteOp::Scale {
            target: web.clone(),
            replicas: 1,
        },
    )
    .await;
    assert_eq!(
        report.result,
        Ok("scaled deployments/web -n shop to 1".into())
    );
    // The object before and after, for the revision history: the change kx made.
    let replicas: Vec<i64> = report
        .revisions
        .iter()
        .map(|(t, o)| {
            assert_eq!(t, &web);
            o["spec"]["replicas"].as_i64().unwrap_or(-1)
        })
        .collect();
    assert_eq!(replicas, [3, 1], "before and after the scale");
    c.wait_for(
        &[
            "get",
            "deploy",
            "web",
            "-n",
            "shop",
            "-o",
            "jsonpath={.spec.replicas}",
        ],
        10,
        |o| o == "1",
    )
    .await;

    let report = perform(
        c.client().await,
        WriteOp::Restart {
            target: web.clone(),
        },
    )
    .await;
    assert_eq!(
        report.result,
        Ok("restarted deployments/web -n shop".into())
    );
    assert_eq!(report.revisions.len(), 2, "before and after the restart");
    assert!(
        report.revisions[1].1["spec"]["template"]["metadata"]["annotations"]
            ["kubectl.kubernetes.io/restartedAt"]
            .is_string()
    );
    let stamp = c
        .jsonpath(
            &["deploy", "web", "-n", "shop"],
            "{.spec.template.metadata.annotations.kubectl\\.kubernetes\\.io/restartedAt}",
        )
        .await;
    assert!(stamp.ends_with('Z') && stamp.len() == 20, "{stamp:?}");

    let nodes = c.jsonpath(&["nodes"], "{.items[0].metadata.name}").await;
    let node = target(&c, "node", None, &nodes).await;
    let report = perform(
        c.client().await,
        WriteOp::Cordon {
            target: node.clone(),
            unschedulable: true,
        },
    )
    .await;
    assert_eq!(report.result, Ok(format!("cordoned nodes/{nodes}")));
    assert_eq!(
        report.revisions[1].1["spec"]["unschedulable"], true,
        "after the cordon"
    );
    let flag = c.jsonpath(&["node", &nodes], "{.spec.unschedulable}").await;
    assert_eq!(flag, "true");
    perform(
        c.client().await,
        WriteOp::Cordon {
            target: node,
            unschedulable: false,
        },
    )
    .await
    .result
    .expect("uncordon");
    let flag = c.jsonpath(&["node", &nodes], "{.spec.unschedulable}").await;
    assert_eq!(flag, "", "uncordoned");

    // Deleting the deployment in the foreground; then its pods go too.
    let report = perform(
        c.client().await,
        WriteOp::Delete {
            targets: vec![web.clone()],
            propagation: Propagation::Foreground,
        },
    )
    .await;
    assert_eq!(report.result, Ok("deleted deployments/web -n shop".into()));
    assert!(
        report.revisions[1].1["metadata"]["deletionTimestamp"].is_string(),
        "after a foreground delete: the object, being deleted"
    );
    c.wait_for(&["get", "deploy", "-n", "shop", "-o", "name"], 20, |o| {
        !o.contains("deployment.apps/web")
    })
    .await;

    c.sim
        .cluster
        .faults
        .update(|f| f.forbidden = vec!["delete deployments".into()]);
    let api = target(&c, "deploy", Some("shop"), "api").await;
    let report = perform(
        c.client().await,
        WriteOp::Delete {
            targets: vec![api],
            propagation: Propagation::Background,
        },
    )
    .await;
    let err = report.result.expect_err("forbidden");
    assert!(
        err.contains(
            "forbidden: user \"kx-sim\" cannot delete deployments.apps/api in namespace shop (RBAC)"
        ),
        "{err}"
    );
    c.sim.stop().await;
}
