//! The TUI's write actions, as the runtime carries them out, against the simulator and checked
//! with kubectl: delete with a propagation policy, scale, rollout restart, cordon and uncordon,
//! and an RBAC denial worded with the verb and the object.

mod common;

use common::TestCluster;
use kx::app::state_write::{Propagation, WriteOp};
use kx::app::writes::perform;
use kx::cluster::discovery::{discover, resolve};
use kx::cluster::object::ObjectRef;

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
    assert_eq!(report, Ok("scaled deployments/web -n shop to 1".into()));
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
    assert_eq!(report, Ok("restarted deployments/web -n shop".into()));
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
    assert_eq!(report, Ok(format!("cordoned nodes/{nodes}")));
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
    assert_eq!(report, Ok("deleted deployments/web -n shop".into()));
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
    let err = report.expect_err("forbidden");
    assert!(
        err.contains(
            "forbidden: user \"kx-sim\" cannot delete deployments.apps/api in namespace shop (RBAC)"
        ),
        "{err}"
    );
    c.sim.stop().await;
}
