//! The simulator proven against a client nobody here wrote: the real kubectl, over plain
//! HTTP and over TLS with a bearer token.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests and benches stop at the first surprise

mod common;

use common::{TestCluster, rows};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};

async fn running_pods(c: &TestCluster, ns: &str, prefix: &str, n: usize) -> Vec<String> {
    let out = c
        .wait_for(&["get", "pods", "-n", ns, "--no-headers"], 30, |out| {
            let running = out
                .lines()
                .filter(|l| l.starts_with(prefix) && l.contains("Running"))
                .count();
            let all = out.lines().filter(|l| l.starts_with(prefix)).count();
            running == n && all == n
        })
        .await;
    out.lines()
        .filter(|l| l.starts_with(prefix))
        .map(|l| l.split_whitespace().next().unwrap_or_default().to_string())
        .collect()
}

async fn get_pods_all_namespaces_and_deployments(tls: bool) {
    let c = TestCluster::start(tls).await;
    running_pods(&c, "shop", "web-", 3).await;
    let out = c.kubectl_ok(&["get", "pods", "-A"]).await;
    let header: Vec<&str> = out
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    assert_eq!(
        header,
        ["NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    );
    let namespaces: std::collections::BTreeSet<String> =
        rows(&out).into_iter().map(|r| r[0].clone()).collect();
    assert!(
        namespaces.contains("kube-system") && namespaces.contains("shop"),
        "{out}"
    );
    let deploys = c.kubectl_ok(&["get", "deploy", "-n", "shop"]).await;
    let web = rows(&deploys)
        .into_iter()
        .find(|r| r[0] == "web")
        .expect("web deployment listed");
    assert_eq!(&web[1..4], ["3/3", "3", "3"], "{deploys}");
    c.sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_get_pods_and_deployments_plain() {
    get_pods_all_namespaces_and_deployments(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_get_pods_and_deployments_tls() {
    get_pods_all_namespaces_and_deployments(true).await;
}

async fn watch_sees_scale_and_pods_follow(tls: bool) {
    let c = TestCluster::start(tls).await;
    running_pods(&c, "shop", "web-", 3).await;
    let mut watch = c.kubectl(&[
        "get",
        "pods",
        "-n",
        "shop",
        "-l",
        "app=web",
        "-w",
        "--output-watch-events",
    ]);
    watch.stdout(std::process::Stdio::piped());
    let mut child = watch.spawn().expect("kubectl get -w starts");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    // The initial list comes first.
    let mut seen_initial = 0;
    while seen_initial < 3 {
        let line = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
            .await
            .expect("initial rows")
            .expect("read")
            .expect("line");
        if line.contains("web-") {
            seen_initial += 1;
        }
    }
    c.kubectl_ok(&["scale", "deploy/web", "-n", "shop", "--replicas=5"])
        .await;
    let mut added = std::collections::BTreeSet::new();
    let mut running_after_add = std::collections::BTreeSet::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while running_after_add.len() < 2 {
        let line = tokio::time::timeout_at(deadline, lines.next_line())
            .await
            .expect("watch events in time")
            .expect("read")
            .expect("line");
        let cols: Vec<&str> = line.split_whitespace().collect();
        if cols.len() < 4 {
            continue;
        }
        if cols[0] == "ADDED" {
            added.insert(cols[1].to_string());
        }
        if cols[0] == "MODIFIED" && added.contains(cols[1]) && cols[3] == "Running" {
            running_after_add.insert(cols[1].to_string());
        }
    }
    assert_eq!(added.len(), 2, "two new pods were added: {added:?}");
    let _ = child.kill().await;
    running_pods(&c, "shop", "web-", 5).await;
    c.sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_watch_sees_scale_up_plain() {
    watch_sees_scale_and_pods_follow(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_watch_sees_scale_up_tls() {
    watch_sees_scale_and_pods_follow(true).await;
}

async fn logs_follow_tail_matches_the_simulators_record(tls: bool) {
    let c = TestCluster::start_with(kx::sim::SimOptions {
        tls,
        log_lines_per_sec: 20.0,
        ..Default::default()
    })
    .await;
    let pods = running_pods(&c, "shop", "api-", 2).await;
    let pod = &pods[0];
    tokio::time::sleep(Duration::from_millis(600)).await;
    let mut cmd = c.kubectl(&["logs", "-f", "-n", "shop", pod, "-c", "api", "--tail=5"]);
    cmd.stdout(std::process::Stdio::piped());
    let mut child = cmd.spawn().expect("kubectl logs -f starts");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut got = Vec::new();
    while got.len() < 25 {
        let line = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
            .await
            .expect("log lines arrive")
            .expect("read")
            .expect("line");
        got.push(line);
    }
    let _ = child.kill().await;
    let record: Vec<String> = c
        .sim
        .cluster
        .logs
        .record("shop", pod, "api", 0, 0, i128::MAX / 4)
        .into_iter()
        .map(|l| l.text)
        .collect();
    let start = record
        .iter()
        .position(|l| *l == got[0])
        .expect("the first line is one the simulator wrote");
    assert_eq!(
        &record[start..start + got.len()],
        &got[..],
        "lines are consecutive, none missing or repeated"
    );
    assert!(
        start + 5 >= record.len().saturating_sub(25),
        "--tail=5 started near the end"
    );
    c.sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_logs_follow_plain() {
    logs_follow_tail_matches_the_simulators_record(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_logs_follow_tls() {
    logs_follow_tail_matches_the_simulators_record(true).await;
}

async fn previous_logs_after_a_crash(tls: bool) {
    let c = TestCluster::start(tls).await;
    let manifest = c.dir.path().join("crashy.yaml");
    std::fs::write(
        &manifest,
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: crashy, namespace: default}\nspec:\n  replicas: 1\n  selector: {matchLabels: {app: crashy}}\n  template:\n    metadata:\n      labels: {app: crashy}\n      annotations: {sim.kx.dev/crash-every-seconds: \"1.5\"}\n    spec:\n      containers: [{name: app, image: ghcr.io/kx-demo/worker:1.8.0}]\n",
    )
    .expect("write manifest");
    c.kubectl_ok(&["apply", "-f", manifest.to_str().unwrap_or_default()])
        .await;
    let out = c
        .wait_for(
            &[
                "get",
                "pods",
                "-n",
                "default",
                "-l",
                "app=crashy",
                "--no-headers",
            ],
            40,
            |o| {
                o.split_whitespace()
                    .nth(3)
                    .and_then(|r| r.parse::<u32>().ok())
                    .is_some_and(|r| r >= 1)
            },
        )
        .await;
    let pod = out
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string();
    let previous = c
        .kubectl_ok(&["logs", "--previous", "-n", "default", &pod])
        .await;
    let record: Vec<String> = c
        .sim
        .cluster
        .logs
        .record("default", &pod, "app", 0, 0, i128::MAX / 4)
        .into_iter()
        .map(|l| l.text)
        .collect();
    assert!(!record.is_empty());
    assert_eq!(
        previous.lines().collect::<Vec<_>>(),
        record,
        "--previous is the whole log of the crashed instance"
    );
    c.sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_logs_previous_plain() {
    previous_logs_after_a_crash(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_logs_previous_tls() {
    previous_logs_after_a_crash(true).await;
}

async fn delete_returns_once_gone(tls: bool) {
    let c = TestCluster::start(tls).await;
    let pods = running_pods(&c, "shop", "worker-", 2).await;
    c.kubectl_ok(&["delete", "pod", "-n", "shop", &pods[0]])
        .await;
    let out = c
        .kubectl(&["get", "pod", "-n", "shop", &pods[0]])
        .output()
        .await
        .expect("kubectl runs");
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("NotFound"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The replicaset replaces it.
    running_pods(&c, "shop", "worker-", 2).await;
    c.sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_delete_pod_plain() {
    delete_returns_once_gone(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_delete_pod_tls() {
    delete_returns_once_gone(true).await;
}

async fn edit_changes_image_and_rollout_follows(tls: bool) {
    let c = TestCluster::start(tls).await;
    running_pods(&c, "shop", "web-", 3).await;
    let editor = c.dir.path().join("editor.sh");
    std::fs::write(
        &editor,
        "#!/bin/sh\nsed -i 's#image: nginx:1.27#image: nginx:1.28#' \"$1\"\n",
    )
    .expect("write editor");
    std::fs::set_permissions(&editor, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .expect("chmod");
    let out = c
        .kubectl(&["edit", "deploy/web", "-n", "shop"])
        .env("EDITOR", &editor)
        .output()
        .await
        .expect("kubectl edit runs");
    assert!(
        out.status.success(),
        "kubectl edit failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("edited"));
    c.wait_for(
        &[
            "get",
            "pods",
            "-n",
            "shop",
            "-l",
            "app=web",
            "-o",
            "jsonpath={range .items[*]}{.spec.containers[0].image} {.status.phase}{\"\\n\"}{end}",
        ],
        40,
        |o| {
            let lines: Vec<&str> = o.lines().collect();
            lines.len() == 3 && lines.iter().all(|l| *l == "nginx:1.28 Running")
        },
    )
    .await;
    let rs = c
        .kubectl_ok(&["get", "rs", "-n", "shop", "-l", "app=web", "--no-headers"])
        .await;
    assert_eq!(
        rs.lines().count(),
        2,
        "a new replicaset for the new template, the old one scaled to 0: {rs}"
    );
    c.sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_edit_rolls_out_plain() {
    edit_changes_image_and_rollout_follows(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_edit_rolls_out_tls() {
    edit_changes_image_and_rollout_follows(true).await;
}

async fn apply_crd_then_custom_resource(tls: bool) {
    let c = TestCluster::start(tls).await;
    let crd = c.dir.path().join("crd.yaml");
    std::fs::write(&crd, "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: gadgets.test.kx.dev}\nspec:\n  group: test.kx.dev\n  scope: Namespaced\n  names: {plural: gadgets, singular: gadget, kind: Gadget, shortNames: [gd]}\n  versions:\n  - name: v1\n    served: true\n    storage: true\n    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}\n    additionalPrinterColumns:\n    - {name: Speed, type: integer, jsonPath: .spec.speed}\n    - {name: Age, type: date, jsonPath: .metadata.creationTimestamp}\n").expect("write");
    let cr = c.dir.path().join("cr.yaml");
    std::fs::write(&cr, "apiVersion: test.kx.dev/v1\nkind: Gadget\nmetadata: {name: g1, namespace: default}\nspec: {speed: 42}\n").expect("write");
    assert!(
        c.kubectl_ok(&["apply", "-f", crd.to_str().unwrap_or_default()])
            .await
            .contains("created")
    );
    assert!(
        c.kubectl_ok(&["apply", "-f", cr.to_str().unwrap_or_default()])
            .await
            .contains("created")
    );
    let out = c.kubectl_ok(&["get", "gadgets"]).await;
    let header: Vec<&str> = out
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    assert_eq!(header, ["NAME", "SPEED", "AGE"]);
    assert_eq!(rows(&out)[0][..2], ["g1".to_string(), "42".to_string()]);
    // The demo's own CRD too, by short name.
    let widgets = c.kubectl_ok(&["get", "wdg", "-n", "shop"]).await;
    assert!(
        widgets.starts_with("NAME") && widgets.contains("COLOUR") && widgets.contains("gizmo"),
        "{widgets}"
    );
    c.sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_apply_crd_and_custom_resource_plain() {
    apply_crd_then_custom_resource(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_apply_crd_and_custom_resource_tls() {
    apply_crd_then_custom_resource(true).await;
}

/// The local address `kubectl port-forward` says it listens on.
async fn forwarding_address(pf: &mut tokio::process::Child) -> String {
    let mut out = BufReader::new(pf.stdout.take().unwrap()).lines();
    let line = tokio::time::timeout(Duration::from_secs(20), out.next_line())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    // Keep reading, so kubectl never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = out.next_line().await {} });
    line.strip_prefix("Forwarding from ")
        .and_then(|r| r.split(" -> ").next())
        .unwrap_or_else(|| panic!("{line}"))
        .to_string()
}

/// kubectl's exec, attach and port-forward (WebSocket, and SPDY tunnelled in it) against the
/// simulator's connect subresources.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_exec_attach_and_port_forward_work_against_the_simulator() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let c = TestCluster::start(true).await;
    let pods = running_pods(&c, "shop", "web-", 3).await;
    let pod = pods[0].as_str();

    let out = c
        .kubectl(&[
            "exec",
            "-n",
            "shop",
            pod,
            "--",
            "sh",
            "-c",
            "hostname; echo bad >&2; exit 5",
        ])
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(5));
    assert_eq!(String::from_utf8_lossy(&out.stdout), format!("{pod}\n"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("bad") && stderr.contains("command terminated with exit code 5"),
        "{stderr}"
    );

    let mut child = c
        .kubectl(&["exec", "-i", "-n", "shop", pod, "--", "sh"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"cat /etc/hostname\nexit\n").await.unwrap();
    drop(stdin);
    let out = tokio::time::timeout(Duration::from_secs(20), child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout), format!("{pod}\n"));

    // attach: the main process's output (the container's log lines as they are written).
    let mut attach = c
        .kubectl(&["attach", "-n", "shop", pod])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(attach.stdout.take().unwrap()).lines();
    let first = tokio::time::timeout(Duration::from_secs(15), lines.next_line())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(
        first.contains("HTTP/1.1"),
        "not an access log line: {first}"
    );
    let _ = attach.kill().await;

    // port-forward to a service (kubectl resolves it to a pod itself).
    let mut pf = c
        .kubectl(&["port-forward", "-n", "shop", "svc/web", ":80"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let addr = forwarding_address(&mut pf).await;
    for i in 0..3 {
        let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
        s.write_all(
            format!("GET /k{i} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n").as_bytes(),
        )
        .await
        .unwrap();
        let mut body = String::new();
        tokio::time::timeout(Duration::from_secs(10), s.read_to_string(&mut body))
            .await
            .unwrap()
            .unwrap();
        assert!(
            body.contains(&format!("container nginx port 80 path /k{i}")),
            "{body}"
        );
    }
    let _ = pf.kill().await;

    // kubectl's plain SPDY (its fallback when the WebSocket tunnel is refused), to a pod.
    let mut pf = c
        .kubectl(&["port-forward", "-n", "shop", &format!("pod/{pod}"), ":80"])
        .env("KUBECTL_PORT_FORWARD_WEBSOCKETS", "false")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let addr = forwarding_address(&mut pf).await;
    let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
    s.write_all(b"GET /bytes/1000000 HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut body = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), s.read_to_end(&mut body))
        .await
        .unwrap()
        .unwrap();
    let at = body.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    assert_eq!(body.len() - at, 1_000_000, "the whole body over SPDY");
    let _ = pf.kill().await;
}

/// `kubectl top` reads the simulator's metrics.k8s.io as metrics-server's; `--no-metrics`
/// (SimOptions::metrics false) leaves it out as a cluster without one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_top_reads_the_simulators_metrics_api() {
    let c = TestCluster::start(false).await;
    let pods = running_pods(&c, "shop", "web-", 3).await;
    let top = c
        .kubectl_ok(&["top", "pod", "-n", "shop", "--no-headers"])
        .await;
    for pod in &pods {
        let line = top
            .lines()
            .find(|l| l.starts_with(pod.as_str()))
            .unwrap_or_else(|| panic!("{pod} not in kubectl top:\n{top}"));
        let cols: Vec<&str> = line.split_whitespace().collect();
        assert!(cols[1].ends_with('m') && cols[2].ends_with("Mi"), "{line}");
    }
    let nodes = c.kubectl_ok(&["top", "node", "--no-headers"]).await;
    assert_eq!(nodes.lines().count(), 5, "{nodes}");
    // The node whose kubelet stopped has no metrics: kubectl says <unknown>, as with
    // metrics-server; the others have usage and a share.
    for l in nodes.lines() {
        let share = l.split_whitespace().nth(2).unwrap_or_default();
        if l.starts_with("kx-worker-4") {
            assert_eq!(share, "<unknown>", "{nodes}");
        } else {
            assert!(share.ends_with('%'), "{nodes}");
        }
    }

    let bare = TestCluster::start_with(kx::sim::SimOptions {
        metrics: false,
        ..Default::default()
    })
    .await;
    let out = bare
        .kubectl(&["top", "pod", "-n", "shop"])
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("Metrics API not available"));
}
