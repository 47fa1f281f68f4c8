//! `kx logs` (the binary) against the simulator: what it prints is compared line for line with
//! the simulator's own record of what each container wrote, across dropped connections,
//! stalled streams, a scale-up and a scale-down, and container restarts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests and benches stop at the first surprise

mod common;

use common::{TestCluster, interrupt, read_all};
use kx::sim::SimOptions;
use std::collections::BTreeMap;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::AsyncBufReadExt;
use tokio::process::Command;

fn kx(c: &TestCluster, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kx"));
    cmd.env("KUBECONFIG", c.kubeconfig())
        .env("NO_COLOR", "1")
        .args(["logs"])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    cmd
}

/// (pod, container) → [(timestamp, message)], from `-o json` output.
type ByContainer = BTreeMap<(String, String), Vec<(String, String)>>;

fn group(stdout: &str) -> ByContainer {
    let mut out = ByContainer::new();
    for line in stdout.lines() {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        for field in ["namespace", "pod", "container", "timestamp", "message"] {
            assert!(v[field].is_string(), "{field} missing in {line}");
        }
        out.entry((
            v["pod"].as_str().unwrap_or_default().to_string(),
            v["container"].as_str().unwrap_or_default().to_string(),
        ))
        .or_default()
        .push((
            v["timestamp"].as_str().unwrap_or_default().to_string(),
            v["message"].as_str().unwrap_or_default().to_string(),
        ));
    }
    out
}

/// Every line the simulator wrote for a container, all instances in order.
fn record(c: &TestCluster, pod: &str, container: &str) -> Vec<(String, String)> {
    let logs = &c.sim.cluster.logs;
    (0..logs.instances("shop", pod, container).len())
        .flat_map(|i| logs.record("shop", pod, container, i, 0, i128::MAX / 4))
        .map(|l| (kx::sim::logs::format_ts(l.ts_ns), l.text))
        .collect()
}

async fn running(c: &TestCluster, selector: &str, n: usize) {
    c.wait_for(
        &["get", "pods", "-n", "shop", "-l", selector, "--no-headers"],
        60,
        |out| {
            out.lines().filter(|l| l.contains("Running")).count() == n && out.lines().count() == n
        },
    )
    .await;
}

async fn quick_logs() -> TestCluster {
    TestCluster::start_with(SimOptions {
        log_lines_per_sec: 20.0,
        ..SimOptions::default()
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_follow_prints_exactly_what_each_container_wrote() {
    let c = quick_logs().await;
    running(&c, "app=web", 3).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let out = kx(
        &c,
        &["deploy/web", "-n", "shop", "--no-follow", "-o", "json"],
    )
    .output()
    .await
    .expect("kx runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed = group(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(printed.len(), 3, "three web pods: {:?}", printed.keys());
    for ((pod, container), lines) in &printed {
        let written = record(&c, pod, container);
        assert!(lines.len() > 5, "{pod} printed {} lines", lines.len());
        assert_eq!(
            lines[..],
            written[..lines.len()],
            "{pod}/{container} differs from what it wrote"
        );
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.matches("+ web-").count(), 3, "{stderr}");
    assert!(stderr.contains(" › nginx"), "{stderr}");
    c.sim.stop().await;
}

/// Whether `lines` are the record's lines from its first on, with none skipped or repeated.
fn is_prefix_of_record(lines: &[(String, String)], written: &[(String, String)]) -> bool {
    lines.len() <= written.len() && lines[..] == written[..lines.len()]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_follow_under_half_the_requests_failing_prints_exactly_the_record() {
    let c = quick_logs().await;
    running(&c, "app=web", 3).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    // What each container had written before kx starts: all of it must come out.
    let pods: Vec<String> = c
        .kubectl_ok(&["get", "pods", "-n", "shop", "-o", "name"])
        .await
        .lines()
        .map(|l| l.trim_start_matches("pod/").to_string())
        .collect();
    let before: BTreeMap<String, usize> = pods
        .iter()
        .map(|p| (p.clone(), record(&c, p, "nginx").len()))
        .collect();
    // Every other request of any kind fails, as do every other log request's kubelet.
    c.sim.cluster.faults.update(|f| {
        f.error_rate = 0.5;
        f.error_code = 500;
        f.log_error_rate = 0.5;
    });
    let out = kx(&c, &["web-", "-n", "shop", "--no-follow", "-o", "json"])
        .output()
        .await
        .expect("kx runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "every read succeeds in the end: {stderr}"
    );
    let printed = group(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(printed.len(), 3, "three web pods: {stderr}");
    for ((pod, container), lines) in &printed {
        let written = record(&c, pod, container);
        assert!(
            is_prefix_of_record(lines, &written),
            "{pod}/{container}: a line lost or repeated"
        );
        assert!(
            lines.len() >= before[pod],
            "{pod}: {} printed, {} written before kx started",
            lines.len(),
            before[pod]
        );
    }
    assert!(
        stderr.contains("retrying, and reading on from the last line"),
        "the retries are said: {stderr}"
    );
    c.sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_container_whose_kubelet_never_answers_is_named_and_the_exit_code_is_1() {
    let c = quick_logs().await;
    running(&c, "app=web", 3).await;
    let pods: Vec<String> = c
        .kubectl_ok(&["get", "pods", "-n", "shop", "-l", "app=web", "-o", "name"])
        .await
        .lines()
        .map(|l| l.trim_start_matches("pod/").to_string())
        .collect();
    let down = pods[1].clone();
    c.sim
        .cluster
        .faults
        .update(|f| f.failing_logs = vec![down.clone()]);
    let out = kx(
        &c,
        &[
            "web-",
            "-n",
            "shop",
            "--no-follow",
            "-o",
            "json",
            "--request-timeout",
            "2s",
        ],
    )
    .output()
    .await
    .expect("kx runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "! {down} › nginx: gave up after 2 s: the API server answered 500 InternalError: Get \"https://10.0.0.17:10250/containerLogs/shop/{down}/nginx\""
        )),
        "the container is named with the kubelet's failure: {stderr}"
    );
    assert!(
        stderr.contains("kx logs: 1 container's log could not be read"),
        "{stderr}"
    );
    let printed = group(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(printed.len(), 2, "the others print: {stderr}");
    for ((pod, container), lines) in &printed {
        assert!(is_prefix_of_record(lines, &record(&c, pod, container)));
    }
    c.sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn following_under_half_the_requests_failing_loses_and_repeats_nothing() {
    let c = quick_logs().await;
    running(&c, "app=web", 3).await;
    c.sim.cluster.faults.update(|f| {
        f.error_rate = 0.5;
        f.error_code = 503;
        f.log_error_rate = 0.5;
    });
    let mut child = kx(
        &c,
        &["web-", "-n", "shop", "-o", "json", "--idle-timeout", "2s"],
    )
    .spawn()
    .expect("kx starts");
    let out = read_all(child.stdout.take().expect("stdout"));
    let err = read_all(child.stderr.take().expect("stderr"));
    tokio::time::sleep(Duration::from_secs(3)).await;
    // Broken streams come back through failing requests.
    c.sim.cluster.faults.drop_all_connections();
    tokio::time::sleep(Duration::from_secs(3)).await;
    c.sim.cluster.faults.drop_all_connections();
    tokio::time::sleep(Duration::from_secs(4)).await;
    c.sim.cluster.faults.update(|f| {
        f.error_rate = 0.0;
        f.log_error_rate = 0.0;
    });
    // Streams that were waiting out their backoff catch up: a log stream waits 8 s at most,
    // and the jitter adds up to as much again (16 s; 10 s raced it under load).
    tokio::time::sleep(Duration::from_secs(18)).await;
    interrupt(&child);
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("kx stops on ctrl-c")
        .expect("status");
    let stderr = err.await.expect("stderr");
    assert!(status.success(), "{status:?}: {stderr}");
    let printed = group(&out.await.expect("stdout"));
    assert_eq!(printed.len(), 3, "{stderr}");
    for ((pod, container), lines) in &printed {
        let written = record(&c, pod, container);
        // Following starts from the end of each log (no --since window passes here), so
        // compare from the first printed line on.
        let first = written
            .iter()
            .position(|w| *w == lines[0])
            .unwrap_or_else(|| panic!("{pod}: the first printed line is not in its record"));
        let rest = &written[first..];
        assert!(
            is_prefix_of_record(lines, rest),
            "{pod}/{container}: a line lost or repeated"
        );
        assert!(
            rest.len() - lines.len() < 60,
            "{pod}: {} of {} lines printed by the end",
            lines.len(),
            rest.len()
        );
    }
    c.sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn following_survives_drops_stalls_and_rollouts_without_losing_or_repeating_a_line() {
    let c = quick_logs().await;
    running(&c, "app=web", 3).await;
    let mut child = kx(
        &c,
        &["web-", "-n", "shop", "-o", "json", "--idle-timeout", "2s"],
    )
    .spawn()
    .expect("kx starts");
    let stdout = child.stdout.take().expect("stdout");
    let stderr = child.stderr.take().expect("stderr");
    let out = read_all(stdout);
    let err = read_all(stderr);
    tokio::time::sleep(Duration::from_secs(2)).await;

    c.sim.cluster.faults.drop_all_connections();
    tokio::time::sleep(Duration::from_secs(2)).await;
    // A wedged stream: the connection stays open and nothing comes, longer than the idle timeout.
    c.sim.cluster.faults.update(|f| f.stall_logs = true);
    tokio::time::sleep(Duration::from_secs(4)).await;
    c.sim.cluster.faults.update(|f| f.stall_logs = false);

    c.kubectl_ok(&["scale", "-n", "shop", "deploy/web", "--replicas=5"])
        .await;
    running(&c, "app=web", 5).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    // The records of the pods about to go, as far as they go now: kx must have all of it.
    let before_scale_down: BTreeMap<String, Vec<(String, String)>> = c
        .kubectl_ok(&["get", "pods", "-n", "shop", "-l", "app=web", "-o", "name"])
        .await
        .lines()
        .map(|l| l.trim_start_matches("pod/").to_string())
        .map(|p| (p.clone(), record(&c, &p, "nginx")))
        .collect();
    c.kubectl_ok(&["scale", "-n", "shop", "deploy/web", "--replicas=2"])
        .await;
    running(&c, "app=web", 2).await;
    tokio::time::sleep(Duration::from_secs(2)).await;

    interrupt(&child);
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("kx stops on ctrl-c")
        .expect("status");
    assert!(status.success(), "{status:?}");
    let printed = group(&out.await.expect("stdout"));
    let stderr = err.await.expect("stderr");

    assert_eq!(
        printed.len(),
        5,
        "5 pods followed: {:?}\n{stderr}",
        printed.keys()
    );
    let alive: Vec<String> = c
        .kubectl_ok(&["get", "pods", "-n", "shop", "-l", "app=web", "-o", "name"])
        .await
        .lines()
        .map(|l| l.trim_start_matches("pod/").to_string())
        .collect();
    for ((pod, container), lines) in &printed {
        if alive.contains(pod) {
            let written = record(&c, pod, container);
            assert!(
                lines.len() <= written.len() && lines[..] == written[..lines.len()],
                "{pod}: printed lines are not exactly what it wrote"
            );
            assert!(
                written.len() - lines.len() < 60,
                "{pod}: {} of {} lines printed by the end",
                lines.len(),
                written.len()
            );
        } else {
            let known = &before_scale_down[pod];
            assert!(
                lines.len() >= known.len() && lines[..known.len()] == known[..],
                "{pod} (deleted): lines missing or repeated"
            );
            let mut sorted = lines.clone();
            sorted.dedup();
            assert_eq!(sorted.len(), lines.len(), "{pod}: a line repeated");
            assert!(stderr.contains(&format!("- {pod} › nginx")), "{stderr}");
        }
    }
    c.sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pod_that_appears_later_and_restarts_is_followed_through_every_instance() {
    let c = quick_logs().await;
    let mut child = kx(&c, &["^crashy$", "-n", "shop", "-o", "json"])
        .spawn()
        .expect("kx starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut stderr = tokio::io::BufReader::new(child.stderr.take().expect("stderr")).lines();
    let waiting = tokio::time::timeout(Duration::from_secs(10), stderr.next_line())
        .await
        .expect("a notice in time")
        .expect("stderr")
        .unwrap_or_default();
    assert!(
        waiting.contains("no pods match ^crashy$ yet; waiting"),
        "{waiting}"
    );
    let manifest = c.dir.path().join("crashy.json");
    std::fs::write(
        &manifest,
        serde_json::json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "crashy", "namespace": "shop",
                "annotations": {"sim.kx.dev/crash-every-seconds": "2"}},
            "spec": {"containers": [{"name": "app", "image": "ghcr.io/kx-demo/worker:1"}]}})
        .to_string(),
    )
    .expect("write");
    c.kubectl_ok(&["apply", "-f", manifest.to_str().unwrap_or_default()])
        .await;
    let out = read_all(stdout);
    // Long enough for a few crashes and restarts (with the kubelet's back-off): three
    // instances started, and a moment for the third to log.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
    while c.sim.cluster.logs.instances("shop", "crashy", "app").len() < 3 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "crashy never restarted twice"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    interrupt(&child);
    let _ = tokio::time::timeout(Duration::from_secs(10), child.wait()).await;
    let printed = group(&out.await.expect("stdout"));
    let lines = &printed[&("crashy".to_string(), "app".to_string())];
    let written = record(&c, "crashy", "app");
    let instances = c.sim.cluster.logs.instances("shop", "crashy", "app").len();
    assert!(instances >= 3, "{instances} instances");
    let first_difference = lines.iter().zip(&written).position(|(a, b)| a != b);
    assert!(
        lines.len() <= written.len() && first_difference.is_none(),
        "the printed lines are the instances' lines, in order, once each; first difference at {first_difference:?}: printed {:?}, written {:?} (instance starts at lines {:?})",
        first_difference.and_then(|i| lines.get(i.saturating_sub(1)..i + 2)),
        first_difference.and_then(|i| written.get(i.saturating_sub(1)..i + 2)),
        (0..instances)
            .map(|i| c
                .sim
                .cluster
                .logs
                .record("shop", "crashy", "app", i, 0, i128::MAX / 4)
                .len())
            .collect::<Vec<_>>()
    );
    let first_of_last = written.len()
        - c.sim
            .cluster
            .logs
            .record("shop", "crashy", "app", instances - 1, 0, i128::MAX / 4)
            .len();
    assert!(
        lines.len() > first_of_last,
        "lines of the newest instance arrived ({} of {} printed)",
        lines.len(),
        written.len()
    );
    c.sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_and_limits_are_reported_clearly() {
    let c = quick_logs().await;
    running(&c, "app=web", 3).await;
    let run = |args: &'static [&'static str]| {
        let mut cmd = kx(&c, args);
        async move { cmd.output().await.expect("kx runs") }
    };
    let out = run(&["web", "-n", "shop", "-c", "ngin(x"]).await;
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("invalid regex for --container \"ngin(x\""),
        "{err}"
    );

    let out = run(&["nothing-like-this", "-n", "shop", "--no-follow"]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no pods match nothing-like-this"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let out = run(&[".", "-A", "--max-log-requests", "3"]).await;
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("containers match ., more than --max-log-requests 3")
            && err.contains("narrow the query"),
        "{err}"
    );

    let out = run(&["statefulset/nope", "-n", "shop"]).await;
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("StatefulSet \"nope\" not found in namespace shop"),
        "{err}"
    );
    c.sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pod_whose_logs_are_forbidden_is_reported_and_the_others_go_on() {
    let c = quick_logs().await;
    running(&c, "app=web", 3).await;
    let pods: Vec<String> = c
        .kubectl_ok(&["get", "pods", "-n", "shop", "-l", "app=web", "-o", "name"])
        .await
        .lines()
        .map(|l| l.trim_start_matches("pod/").to_string())
        .collect();
    let denied = pods[0].clone();
    c.sim
        .cluster
        .faults
        .update(|f| f.forbidden = vec![format!("get pods/log {denied}")]);
    let out = kx(&c, &["web-", "-n", "shop", "--no-follow", "-o", "json"])
        .output()
        .await
        .expect("kx runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "! {denied} › nginx: forbidden: user \"kx-sim\" cannot get the log of pods/{denied} in namespace shop (RBAC)"
        )),
        "the denial is reported with the verb and resource: {stderr}"
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "a log that could not be read makes the exit code 1: {stderr}"
    );
    assert!(
        stderr.contains("kx logs: 1 container's log could not be read"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("- {denied} › nginx")),
        "the denied pod leaves: {stderr}"
    );
    let printed = group(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(printed.len(), 2, "the two other pods print: {stderr}");
    assert!(!printed.contains_key(&(denied.clone(), "nginx".to_string())));
    c.sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ordered_output_is_in_timestamp_order_across_pods() {
    let c = quick_logs().await;
    running(&c, "app=web", 3).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let out = kx(
        &c,
        &[
            "web-",
            "-n",
            "shop",
            "--no-follow",
            "--ordered",
            "-o",
            "json",
        ],
    )
    .output()
    .await
    .expect("kx runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stamps: Vec<jiff::Timestamp> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("json");
            v["timestamp"]
                .as_str()
                .and_then(|t| t.parse().ok())
                .expect("a timestamp")
        })
        .collect();
    assert!(stamps.len() > 30, "{} lines", stamps.len());
    assert!(
        stamps.windows(2).all(|w| w[0] <= w[1]),
        "lines of three pods merged in timestamp order"
    );
    let pods: std::collections::BTreeSet<String> = group(&String::from_utf8_lossy(&out.stdout))
        .into_keys()
        .map(|(p, _)| p)
        .collect();
    assert_eq!(pods.len(), 3);
    c.sim.stop().await;
}
