//! `kx lint` through the binary: the demo cluster's findings (exactly), exit codes by
//! `--fail-on`, manifest files and folders without a cluster, and a kind RBAC hides.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::TestCluster;
use serde_json::Value;
use std::process::Stdio;
use tokio::process::Command;

fn kx(kubeconfig: Option<&std::path::Path>, home: &std::path::Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kx"));
    cmd.env("KX_CONFIG_DIR", home.join("cfg"))
        .env("NO_COLOR", "1")
        .args(["lint"])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    match kubeconfig {
        Some(k) => cmd.env("KUBECONFIG", k),
        None => cmd.env("KUBECONFIG", home.join("no-such-kubeconfig")),
    };
    cmd
}

fn findings(json: &str) -> Vec<String> {
    let v: Value = serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}: {json}"));
    let mut out: Vec<String> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {} {}/{}",
                f["rule"].as_str().unwrap(),
                f["subject"]["namespace"].as_str().unwrap(),
                f["subject"]["kind"].as_str().unwrap(),
                f["subject"]["name"].as_str().unwrap()
            )
        })
        .collect();
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_clusters_findings_are_exactly_these_and_fail_on_sets_the_exit_code() {
    let c = TestCluster::start(false).await;
    let home = c.dir.path();
    // Every service's pods exist (the statefulset's second pod comes last).
    c.wait_for(&["get", "pods", "-n", "shop", "-o", "name"], 60, |o| {
        o.contains("pod/db-1") && o.contains("pod/web-") && o.contains("pod/api-")
    })
    .await;
    // The crash loops would trip `restarts` part-way through the run; restarts have a test
    // of their own.
    std::fs::create_dir_all(home.join("cfg")).unwrap();
    std::fs::write(
        home.join("cfg/config.yaml"),
        "lint:\n  restarts_max: 100000\n",
    )
    .unwrap();
    let out = kx(Some(&c.kubeconfig()), home, &["-A", "-o", "json"])
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(1),
        "payments has errors, so the default --fail-on error fails: {stderr}"
    );
    let mut expected: Vec<String> = Vec::new();
    let workloads = [
        ("default", "Deployment", "hello"),
        ("kube-system", "DaemonSet", "kube-proxy"),
        ("kube-system", "Deployment", "coredns"),
        ("monitoring", "Deployment", "prometheus"),
        ("shop", "Deployment", "api"),
        ("shop", "Deployment", "flaky"),
        ("shop", "Deployment", "web"),
        ("shop", "Deployment", "worker"),
        ("shop", "StatefulSet", "db"),
    ];
    for (ns, kind, name) in workloads {
        for rule in ["probes", "run-as-root", "limits"] {
            expected.push(format!("{rule} {ns} {kind}/{name}"));
        }
    }
    for (kind, name) in [("CronJob", "nightly-report"), ("Job", "migrate-schema")] {
        // Batch work has no probes to want.
        for rule in ["run-as-root", "limits"] {
            expected.push(format!("{rule} shop {kind}/{name}"));
        }
    }
    for (ns, name) in [
        ("default", "hello"),
        ("monitoring", "prometheus"),
        ("shop", "flaky"),
    ] {
        expected.push(format!("single-replica {ns} Deployment/{name}"));
    }
    // The payments namespace is staged to trip every rule.
    for (rules, kind, name) in [
        (
            &["probes", "run-as-root", "limits"][..],
            "Deployment",
            "checkout",
        ),
        (
            &[
                "image-tag",
                "probes",
                "requests",
                "run-as-root",
                "single-replica",
                "limits",
            ],
            "Deployment",
            "ledger",
        ),
        (
            &["probes", "run-as-root", "single-replica", "limits"],
            "Deployment",
            "ml-trainer",
        ),
        (
            &["probes", "run-as-root", "single-replica", "limits"],
            "Deployment",
            "notifier",
        ),
        (
            &["probes", "run-as-root", "single-replica"],
            "Deployment",
            "reports",
        ),
        (&["run-as-root", "limits"], "Deployment", "search"),
        (&["run-as-root", "limits"], "Job", "backfill"),
        (
            &[
                "host-namespaces",
                "privileged",
                "bare-pod",
                "host-path",
                "probes",
                "run-as-root",
            ],
            "Pod",
            "debug-tools",
        ),
        (&["deprecated-api"], "Ingress", "checkout"),
        (&["service-no-pods"], "Service", "payments-api"),
    ] {
        for rule in rules {
            expected.push(format!("{rule} payments {kind}/{name}"));
        }
    }
    expected.push("unused-configmap shop ConfigMap/web-config".into());
    expected.push("unused-secret shop Secret/db-credentials".into());
    expected.sort();
    let json = String::from_utf8_lossy(&out.stdout);
    assert_eq!(findings(&json), expected);
    let v: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["scores"]["namespaces"]["kube-public"], 100);
    assert!(v["scores"]["cluster"].as_u64().unwrap() < 100);

    let out = kx(Some(&c.kubeconfig()), home, &["-n", "shop"])
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "shop has no errors");
    let out = kx(Some(&c.kubeconfig()), home, &["-A", "--fail-on", "never"])
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let out = kx(Some(&c.kubeconfig()), home, &["-A", "--fail-on", "warn"])
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(
            "WARN   shop  deployment/flaky  single-replica: 1 replica and no PodDisruptionBudget"
        ),
        "{text}"
    );
    assert!(
        text.contains("; score ") && text.contains("kube-public 100"),
        "{text}"
    );

    // A namespace with nothing in it is not a clean bill of health.
    let out = kx(Some(&c.kubeconfig()), home, &["-n", "nowhere"])
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing was checked"));

    // One namespace only, and a kind RBAC hides: said, and the rules needing it skipped.
    c.sim
        .cluster
        .faults
        .update(|f| f.forbidden = vec!["list secrets".into()]);
    let out = kx(Some(&c.kubeconfig()), home, &["-n", "shop", "-o", "json"])
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("cannot list Secrets") && stderr.contains("forbidden"),
        "{stderr}"
    );
    let got = findings(&String::from_utf8_lossy(&out.stdout));
    assert!(got.iter().all(|f| f.contains(" shop ")), "{got:?}");
    // Without Secrets there is nothing for unused-secret; ConfigMaps are still judged.
    assert!(
        !got.iter().any(|f| f.starts_with("unused-secret")),
        "{got:?}"
    );
    assert!(
        got.contains(&"unused-configmap shop ConfigMap/web-config".to_string()),
        "{got:?}"
    );

    // Without pods, who uses a ConfigMap and whom a Service selects cannot be told: those
    // rules are off rather than wrong (a Service would otherwise select "no pod").
    c.sim
        .cluster
        .faults
        .update(|f| f.forbidden = vec!["list pods".into()]);
    let out = kx(Some(&c.kubeconfig()), home, &["-n", "shop", "-o", "json"])
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cannot list Pods"), "{stderr}");
    let got = findings(&String::from_utf8_lossy(&out.stdout));
    assert!(
        !got.iter()
            .any(|f| f.starts_with("unused-") || f.starts_with("service-no-pods")),
        "{got:?}"
    );
    assert!(
        got.contains(&"probes shop Deployment/web".to_string()),
        "{got:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn manifests_are_linted_without_a_cluster() {
    let dir = tempfile::tempdir().unwrap();
    let manifests = dir.path().join("manifests");
    std::fs::create_dir_all(manifests.join("good")).unwrap();
    std::fs::write(
        manifests.join("good/web.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\nspec:\n  replicas: 2\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      securityContext: {runAsNonRoot: true, runAsUser: 1000}\n      containers:\n      - name: web\n        image: nginx:1.27\n        readinessProbe: {httpGet: {path: /, port: 80}}\n        resources: {requests: {cpu: 100m, memory: 64Mi}, limits: {memory: 128Mi}}\n",
    )
    .unwrap();
    let out = kx(
        None,
        dir.path(),
        &[
            "-f",
            manifests.join("good").to_str().unwrap(),
            "--fail-on",
            "info",
        ],
    )
    .output()
    .await
    .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("0 errors, 0 warnings, 0 infos; score 100/100")
    );

    std::fs::write(
        manifests.join("bad.yaml"),
        "apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata: {name: old, namespace: shop}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: debug, namespace: shop}\nspec:\n  hostNetwork: true\n  containers:\n  - {name: sh, image: busybox, securityContext: {privileged: true}}\n",
    )
    .unwrap();
    let out = kx(
        None,
        dir.path(),
        &["-f", manifests.to_str().unwrap(), "-o", "json"],
    )
    .output()
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(1), "errors fail by default");
    let got = findings(&String::from_utf8_lossy(&out.stdout));
    let want = [
        "bare-pod shop Pod/debug",
        "deprecated-api shop Ingress/old",
        "host-namespaces shop Pod/debug",
        "image-tag shop Pod/debug",
        "limits shop Pod/debug",
        "privileged shop Pod/debug",
        "probes shop Pod/debug",
        "requests shop Pod/debug",
        "run-as-root shop Pod/debug",
    ];
    assert_eq!(got, want);
    let out = kx(
        None,
        dir.path(),
        &["-f", manifests.to_str().unwrap(), "--fail-on", "never"],
    )
    .output()
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(0));

    // A file named that does not parse is said, and the run exits 2 (found in a folder, a YAML
    // file that is no manifest is passed over).
    std::fs::write(manifests.join("broken.yml"), "kind: [unclosed\n").unwrap();
    let broken = manifests.join("broken.yml");
    let out = kx(
        None,
        dir.path(),
        &["-f", manifests.to_str().unwrap(), "--fail-on", "never"],
    )
    .output()
    .await
    .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = kx(
        None,
        dir.path(),
        &[
            "-f",
            manifests.to_str().unwrap(),
            "-f",
            broken.to_str().unwrap(),
            "--fail-on",
            "never",
        ],
    )
    .output()
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("broken.yml (document 1)"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_looping_pod_trips_restarts_past_the_configured_threshold() {
    let c = TestCluster::start(false).await;
    let home = c.dir.path();
    std::fs::create_dir_all(home.join("cfg")).unwrap();
    std::fs::write(home.join("cfg/config.yaml"), "lint:\n  restarts_max: 0\n").unwrap();
    // The ledger crashes every 8 s; once it has restarted, the rule must name its pod.
    c.wait_for(
        &[
            "get",
            "pods",
            "-n",
            "payments",
            "-l",
            "app=ledger",
            "-o",
            "jsonpath={.items[0].status.containerStatuses[0].restartCount}",
        ],
        60,
        |o| o.trim().parse::<u64>().is_ok_and(|n| n >= 1),
    )
    .await;
    let out = kx(
        Some(&c.kubeconfig()),
        home,
        &["-n", "payments", "-o", "json"],
    )
    .output()
    .await
    .unwrap();
    let got = findings(&String::from_utf8_lossy(&out.stdout));
    assert!(
        got.iter()
            .any(|f| f.starts_with("restarts payments Pod/ledger-")),
        "{got:?}"
    );
    // Healthy pods are not named.
    assert!(
        !got.iter()
            .any(|f| f.starts_with("restarts payments Pod/search-")),
        "{got:?}"
    );
}
