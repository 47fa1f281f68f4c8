//! `kx changes` and `kx status` (the binary) against the simulator: a scale-up shows as
//! `replicas: 3` → `replicas: 5` with no resourceVersion noise, a dropped watch loses no
//! revision, unknown kinds get close matches, and a missing object is waited for.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests and benches stop at the first surprise

mod common;

use common::{TestCluster, interrupt};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt};
use tokio::process::Command;

fn kx(c: &TestCluster, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kx"));
    cmd.env("KUBECONFIG", c.kubeconfig())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    cmd
}

/// Reads stdout lines into `seen` until one satisfies `want`.
async fn until(
    lines: &mut tokio::io::Lines<tokio::io::BufReader<tokio::process::ChildStdout>>,
    seen: &mut String,
    what: &str,
    want: impl Fn(&str) -> bool,
) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !want(seen) {
        let line = tokio::time::timeout_at(deadline, lines.next_line())
            .await
            .unwrap_or_else(|_| panic!("timed out waiting for {what}; got:\n{seen}"))
            .expect("stdout")
            .unwrap_or_else(|| panic!("kx ended before {what}; got:\n{seen}"));
        seen.push_str(&line);
        seen.push('\n');
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scale_up_diffs_without_noise_and_a_dropped_watch_loses_nothing() {
    let c = TestCluster::start(false).await;
    let mut child = kx(
        &c,
        &["changes", "deploy/web", "-n", "shop", "--color", "never"],
    )
    .spawn()
    .expect("kx starts");
    let mut lines = tokio::io::BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut seen = String::new();
    until(&mut lines, &mut seen, "ADDED", |s| {
        s.contains("ADDED deployments/web -n shop")
    })
    .await;
    c.kubectl_ok(&["scale", "-n", "shop", "deploy/web", "--replicas=5"])
        .await;
    until(&mut lines, &mut seen, "the scale-up diff", |s| {
        s.contains("spec.replicas 3→5") && s.contains("\n-  replicas: 3\n+  replicas: 5\n")
    })
    .await;
    // The watch breaks; the next change must still arrive, once.
    c.sim.cluster.faults.drop_all_connections();
    // Scale as soon as the server listens again, likely before kx's watch is back.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let out = c
            .kubectl(&["scale", "-n", "shop", "deploy/web", "--replicas=7"])
            .output()
            .await
            .expect("kubectl runs");
        if out.status.success() {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the simulator never came back"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    until(&mut lines, &mut seen, "the change after the drop", |s| {
        s.contains("spec.replicas 5→7")
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    interrupt(&child);
    while let Ok(Some(l)) = lines.next_line().await {
        seen.push_str(&l);
        seen.push('\n');
    }
    assert!(!seen.contains("resourceVersion:"), "noise in:\n{seen}");
    assert!(!seen.contains("managedFields"), "noise in:\n{seen}");
    assert_eq!(seen.matches("spec.replicas 5→7").count(), 1, "{seen}");
    assert_eq!(
        seen.matches("ADDED").count(),
        1,
        "a relist is not a new object: {seen}"
    );
    c.sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_shows_only_the_status_and_json_is_one_record_per_change() {
    let c = TestCluster::start(false).await;
    let mut child = kx(&c, &["status", "deploy/api", "-n", "shop", "-o", "json"])
        .spawn()
        .expect("kx starts");
    let mut lines = tokio::io::BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut seen = String::new();
    until(&mut lines, &mut seen, "ADDED", |s| s.contains("\"ADDED\"")).await;
    c.kubectl_ok(&["scale", "-n", "shop", "deploy/api", "--replicas=4"])
        .await;
    // The simulator's controller may still be rolling the deployment out when kx starts, and it
    // steps replicas up (0→2→3→4 under load): wait for the change that reaches 4, whatever it
    // came from.
    let reached_four = regex::Regex::new(r#"[" ,.]replicas \d+→4\b"#).expect("regex");
    until(
        &mut lines,
        &mut seen,
        "a status change to 4 replicas",
        |s| reached_four.is_match(s),
    )
    .await;
    for line in seen.lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("one JSON record per line");
        assert!(v["type"].is_string() && v["time"].is_string(), "{line}");
        assert!(!line.contains("\"spec\""), "status only: {line}");
    }
    c.sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_kinds_get_close_matches_and_missing_objects_are_waited_for() {
    let c = TestCluster::start(false).await;
    let out = kx(&c, &["changes", "deploymnt/web", "-n", "shop"])
        .output()
        .await
        .expect("kx runs");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("did you mean deployment"), "{err}");

    let mut child = kx(
        &c,
        &[
            "changes",
            "ConfigMap/later",
            "-n",
            "shop",
            "--color",
            "never",
        ],
    )
    .spawn()
    .expect("kx starts");
    let mut stderr = child.stderr.take().expect("stderr");
    let mut lines = tokio::io::BufReader::new(child.stdout.take().expect("stdout")).lines();
    // The notice may arrive in several writes: read until its line is complete.
    let mut notice = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !notice.contains('\n') {
        let mut buf = vec![0u8; 512];
        let n = tokio::time::timeout_at(deadline, stderr.read(&mut buf))
            .await
            .unwrap_or_else(|_| panic!("a notice in time; got {notice:?}"))
            .expect("stderr");
        assert!(n > 0, "stderr closed after {notice:?}");
        notice.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    assert!(notice.contains("does not exist (yet); waiting"), "{notice}");
    let configmaps: kube::Api<k8s_openapi::api::core::v1::ConfigMap> =
        kube::Api::namespaced(c.client().await, "shop");
    let cm = serde_json::from_value(
        serde_json::json!({"metadata": {"name": "later"}, "data": {"a": "b"}}),
    )
    .expect("a configmap");
    configmaps
        .create(&Default::default(), &cm)
        .await
        .expect("created");
    let mut seen = String::new();
    until(&mut lines, &mut seen, "the new object", |s| {
        s.contains("ADDED configmaps/later -n shop") && s.contains("a: b")
    })
    .await;
    c.sim.stop().await;
}

/// The simulator's own record of web's revisions after `after`, oldest first.
fn recorded_revisions(c: &TestCluster, name: &str, after: u64) -> Vec<u64> {
    c.sim
        .cluster
        .read()
        .history
        .iter()
        .filter(|e| {
            e.type_key == "apps/deployments"
                && e.object.namespace == "shop"
                && e.object.name == name
                && e.rv > after
        })
        .map(|e| e.rv)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_revision_the_simulator_recorded_arrives_once_across_dropped_watches() {
    let c = TestCluster::start(false).await;
    let mut child = kx(
        &c,
        &[
            "changes",
            "deploy/web",
            "-n",
            "shop",
            "--all-fields",
            "-o",
            "json",
        ],
    )
    .spawn()
    .expect("kx starts");
    let mut lines = tokio::io::BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut seen = String::new();
    until(&mut lines, &mut seen, "ADDED", |s| s.contains("\"ADDED\"")).await;
    let first: serde_json::Value = serde_json::from_str(seen.lines().next().unwrap()).unwrap();
    let start: u64 = first["resourceVersion"].as_str().unwrap().parse().unwrap();
    let deploys = c
        .sim
        .cluster
        .find_type("apps", "v1", "deployments")
        .expect("deployments");
    // Changes land while kx's watch is down: each must come back on the resumed watch.
    for replicas in [4, 5, 6, 2] {
        c.sim.cluster.faults.drop_all_connections();
        c.sim
            .cluster
            .modify(&deploys, "shop", "web", None, |mut v| {
                v["spec"]["replicas"] = serde_json::json!(replicas);
                Ok(v)
            })
            .expect("scale");
        tokio::time::sleep(Duration::from_millis(400)).await;
    }
    // Let the controllers settle, then wait for kx to print the simulator's last revision.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let recorded = recorded_revisions(&c, "web", start);
    let last = *recorded.last().expect("the simulator recorded the scales");
    until(&mut lines, &mut seen, "the last recorded revision", |s| {
        s.contains(&format!("\"resourceVersion\":\"{last}\""))
    })
    .await;
    interrupt(&child);
    let printed: Vec<u64> = seen
        .lines()
        .skip(1)
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("JSON record");
            v["resourceVersion"].as_str().unwrap().parse().unwrap()
        })
        .collect();
    assert_eq!(
        printed, recorded,
        "kx printed exactly the simulator's revisions, in order"
    );
    assert!(recorded.len() >= 4, "{recorded:?}");
    c.sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trace_follows_a_rollout_and_a_services_endpoints() {
    let c = TestCluster::start(false).await;
    let mut child = kx(
        &c,
        &["trace", "deployment/web", "-n", "shop", "--color", "never"],
    )
    .spawn()
    .expect("kx starts");
    let mut lines = tokio::io::BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut seen = String::new();
    until(&mut lines, &mut seen, "a complete rollout", |s| {
        s.contains("rollout: complete") && s.contains("  NEW web-")
    })
    .await;
    assert!(
        !seen.contains("replica sets (newest first):\n  none yet"),
        "the first summary waits for the lists:\n{seen}"
    );
    c.kubectl_ok(&[
        "set",
        "image",
        "-n",
        "shop",
        "deploy/web",
        "nginx=nginx:1.28",
    ])
    .await;
    until(&mut lines, &mut seen, "the new set next to the old", |s| {
        s.contains("rollout: in progress") && s.contains("nginx:1.28") && s.contains("  old web-")
    })
    .await;
    until(
        &mut lines,
        &mut seen,
        "pods waiting for their containers",
        |s| s.contains("waiting (nginx: ContainerCreating)"),
    )
    .await;
    until(&mut lines, &mut seen, "the rollout completing", |s| {
        s.rsplit("kx trace").next().is_some_and(|last| {
            last.contains("rollout: complete") && last.contains("rev 2") && !last.contains("  old ")
        })
    })
    .await;
    interrupt(&child);

    let mut child = kx(&c, &["trace", "svc/web", "-n", "shop", "--color", "never"])
        .spawn()
        .expect("kx starts");
    let mut lines = tokio::io::BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut seen = String::new();
    until(&mut lines, &mut seen, "three ready endpoints", |s| {
        s.contains("endpoints: 3 ready, 0 not ready")
    })
    .await;
    c.kubectl_ok(&["scale", "-n", "shop", "deploy/web", "--replicas=4"])
        .await;
    until(
        &mut lines,
        &mut seen,
        "a fourth pod, not ready, then ready",
        |s| s.contains("endpoints: 4 ready, 0 not ready"),
    )
    .await;
    interrupt(&child);

    let out = kx(&c, &["trace", "configmap/settings", "-n", "shop"])
        .output()
        .await
        .expect("kx runs");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("kx trace follows deployments and services, not ConfigMap"),
        "{err}"
    );
    c.sim.stop().await;
}
