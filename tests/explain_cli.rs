//! `kx explain` through the binary against the demo cluster: each broken state the demo
//! stages, diagnosed with its evidence; a healthy object in one line; the same answers while
//! the API server fails a third of its requests and kubelets fail log reads; RBAC denials said.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::TestCluster;
use serde_json::Value;
use std::process::Stdio;
use tokio::process::Command;

async fn explain(c: &TestCluster, ns: &str, target: &str) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_kx"))
        .env("KUBECONFIG", c.kubeconfig())
        .env("KX_CONFIG_DIR", c.dir.path().join("cfg"))
        .env("NO_COLOR", "1")
        .args(["explain", "-n", ns, target, "--request-timeout", "20s"])
        .stdin(Stdio::null())
        .output()
        .await
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

async fn ready_for_diagnosis(c: &TestCluster) {
    // The crash loop and the OOM kill have each happened once, the job has given up.
    c.wait_for(
        &["get", "pods", "-n", "payments", "-o", "jsonpath={range .items[*]}{.metadata.name} {.status.containerStatuses[0].restartCount}{\"\\n\"}{end}"],
        90,
        |o| {
            let restarted = |app: &str| {
                o.lines().any(|l| l.starts_with(app) && l.split(' ').nth(1).and_then(|n| n.parse::<u32>().ok()).is_some_and(|n| n >= 1))
            };
            restarted("ledger-") && restarted("reports-")
        },
    )
    .await;
    c.wait_for(
        &[
            "get",
            "job",
            "backfill",
            "-n",
            "payments",
            "-o",
            "jsonpath={.status.conditions[*].type}",
        ],
        60,
        |o| o.contains("Failed"),
    )
    .await;
}

fn expect(got: &(i32, String, String), code: i32, phrases: &[&str]) {
    let (rc, out, err) = got;
    assert_eq!(*rc, code, "{out}{err}");
    for p in phrases {
        assert!(out.contains(p), "missing {p:?} in:\n{out}{err}");
    }
}

async fn every_case(c: &TestCluster) {
    let ledger = c
        .jsonpath(
            &["pods", "-n", "payments", "-l", "app=ledger"],
            "{.items[0].metadata.name}",
        )
        .await;
    let got = explain(c, "payments", &format!("pod/{ledger}")).await;
    // Crash loop (or running again between crashes): the last exit and the log's last lines.
    expect(
        &got,
        1,
        &[
            "last exited with code 1 (Error)",
            "last lines of the previous container's log:",
            "processed batch",
        ],
    );
    expect(
        &explain(c, "payments", "deploy/checkout").await,
        1,
        &[
            "0/2 ready",
            "cannot pull its image ghcr.io/kx-demo/checkout:2.0.0-missing (ImagePullBackOff)",
            "not found  [event Failed of pod/checkout-",
        ],
    );
    expect(
        &explain(c, "payments", "deploy/notifier").await,
        1,
        &[
            "couldn't find key FEATURE_FLAGS in ConfigMap payments/notifier-config  [configmap/notifier-config]",
        ],
    );
    expect(
        &explain(c, "payments", "deploy/reports").await,
        1,
        &["(OOMKilled)", "more memory than its limit (128Mi)"],
    );
    expect(
        &explain(c, "payments", "deploy/ml-trainer").await,
        1,
        &[
            "cannot be scheduled: 0/5 nodes are available:",
            "Insufficient cpu",
            "[event FailedScheduling of pod/ml-trainer-",
        ],
    );
    expect(
        &explain(c, "payments", "svc/payments-api").await,
        1,
        &[
            "selects no pods: no pod in payments has app=payments-api",
            "pods here have app=",
        ],
    );
    expect(
        &explain(c, "payments", "svc/search").await,
        1,
        &[
            "no ready endpoints: 2 pods match app=search, none is ready",
            "not ready: Readiness probe failed:",
            "statuscode: 503",
        ],
    );
    expect(
        &explain(c, "payments", "pvc/uploads").await,
        1,
        &[
            "claim uploads is Pending (storage class fast-ssd)",
            "ProvisioningFailed: storageclass.storage.k8s.io \"fast-ssd\" not found",
        ],
    );
    expect(
        &explain(c, "payments", "job/backfill").await,
        1,
        &[
            "failed: BackoffLimitExceeded",
            "backoffLimit 2",
            "container backfill last exited with code 1 (Error)",
            "last lines of its log:",
        ],
    );
    expect(
        &explain(c, "default", "node/kx-worker-4").await,
        1,
        &["NotReady: Kubelet stopped posting node status."],
    );
    expect(
        &explain(c, "kube-system", "ds/kube-proxy").await,
        1,
        &["4/5 ready", "runs on node kx-worker-4, which is not well:"],
    );
    let healthy = explain(c, "shop", "deploy/web").await;
    expect(
        &healthy,
        0,
        &["deployment/web is healthy\n  3/3 ready, 3 up to date"],
    );
    assert_eq!(healthy.1.lines().count(), 2, "{}", healthy.1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_broken_state_of_the_demo_is_diagnosed_with_its_evidence() {
    let c = TestCluster::start(false).await;
    ready_for_diagnosis(&c).await;
    every_case(&c).await;
    let json = explain(&c, "payments", "svc/payments-api").await;
    // -o json: the same, with sources as data.
    let out = Command::new(env!("CARGO_BIN_EXE_kx"))
        .env("KUBECONFIG", c.kubeconfig())
        .args(["explain", "-n", "payments", "pvc/uploads", "-o", "json"])
        .output()
        .await
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["health"], "broken", "{json:?}");
    assert_eq!(v["lines"][1]["source"]["type"], "event");
    assert_eq!(v["lines"][1]["source"]["reason"], "ProvisioningFailed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn diagnoses_hold_while_the_api_server_and_kubelets_fail_and_denials_are_said() {
    let c = TestCluster::start(false).await;
    ready_for_diagnosis(&c).await;
    c.sim.cluster.faults.update(|f| {
        f.error_rate = 0.3;
        f.error_code = 503;
        f.log_error_rate = 0.5;
    });
    every_case(&c).await;
    c.sim.cluster.faults.update(|f| {
        f.error_rate = 0.0;
        f.log_error_rate = 0.0;
        f.forbidden = vec!["list events".into(), "get pods/log".into()];
    });
    let (rc, out, err) = explain(&c, "payments", "deploy/ml-trainer").await;
    assert_eq!(rc, 1, "{out}{err}");
    // Without events the scheduler's word still comes from the pod's condition.
    assert!(
        out.contains("cannot be scheduled: 0/5 nodes are available"),
        "{out}"
    );
    assert!(
        out.contains("could not read the events of payments (forbidden"),
        "{out}"
    );
    let ledger = c
        .jsonpath(
            &["pods", "-n", "payments", "-l", "app=ledger"],
            "{.items[0].metadata.name}",
        )
        .await;
    let (_, out, _) = explain(&c, "payments", &format!("pod/{ledger}")).await;
    assert!(
        out.contains("its log could not be read: forbidden"),
        "{out}"
    );
    c.sim
        .cluster
        .faults
        .update(|f| f.forbidden = vec!["get deployments".into()]);
    let (rc, out, err) = explain(&c, "payments", "deploy/checkout").await;
    assert_ne!(rc, 0);
    assert!(err.contains("forbidden") && out.is_empty(), "{out}{err}");
}
