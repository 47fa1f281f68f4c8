//! Shells, commands and port-forwards through kx's own code (the `kx shell` binary, and the
//! forward engine the TUI and `kx port-forward` use) against the simulator: outputs and exit
//! codes, forwards carrying HTTP, following a deployment past the deletion of its pod, a bare
//! pod's end, two forwards at once, bad input, and a failing API server.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::TestCluster;
use kx::remote::forward::{self, Event, ForwardError, Spec};
use kx::remote::ports::{Local, RemotePort};
use std::net::IpAddr;
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::Command;
use tokio::sync::mpsc;

fn kx(c: &TestCluster, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kx"));
    cmd.env("KUBECONFIG", c.kubeconfig())
        .env("NO_COLOR", "1")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    cmd
}

async fn ready(c: &TestCluster, selector: &str, at_least: usize) {
    c.wait_for(
        &["get", "pods", "-n", "shop", "-l", selector, "-o", "jsonpath={range .items[*]}{.status.conditions[?(@.type==\"Ready\")].status}{\"\\n\"}{end}"],
        60,
        |out| out.lines().filter(|l| *l == "True").count() >= at_least,
    )
    .await;
}

fn spec(kind: &str, name: &str, remote: u16) -> Spec {
    Spec {
        namespace: "shop".into(),
        kind: kind.into(),
        name: name.into(),
        remote: RemotePort::Number(remote),
        local: Local::Any,
        address: IpAddr::from([127, 0, 0, 1]),
        patience: Duration::ZERO,
    }
}

/// One HTTP GET through the forward; the body (which names the pod that answered).
async fn get(addr: std::net::SocketAddr, path: &str) -> Result<String, String> {
    let mut s = tokio::net::TcpStream::connect(addr)
        .await
        .map_err(|e| e.to_string())?;
    let req = format!("GET {path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n");
    s.write_all(req.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    let mut out = String::new();
    tokio::time::timeout(Duration::from_secs(5), s.read_to_string(&mut out))
        .await
        .map_err(|_| "no answer in 5 s".to_string())?
        .map_err(|e| e.to_string())?;
    if !out.starts_with("HTTP/1.1 200") {
        return Err(format!("not a 200: {out:?}"));
    }
    Ok(out.split("\r\n\r\n").nth(1).unwrap_or_default().to_string())
}

fn pod_of(body: &str) -> String {
    body.split_whitespace()
        .nth(2)
        .and_then(|p| p.split('/').nth(1))
        .unwrap_or_default()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kx_shell_runs_a_command_with_stdout_and_stderr_apart_and_its_exit_code() {
    let c = TestCluster::start(false).await;
    ready(&c, "app=web", 1).await;
    let out = kx(
        &c,
        &[
            "shell",
            "-n",
            "shop",
            "deploy/web",
            "--",
            "sh",
            "-c",
            "hostname; echo oops >&2; exit 3",
        ],
    )
    .output()
    .await
    .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(3), "stderr: {stderr}");
    assert!(
        stdout.starts_with("web-") && stdout.lines().count() == 1,
        "{stdout:?}"
    );
    assert!(stderr.contains("oops"), "{stderr:?}");
    assert!(!stdout.contains("oops"));

    // Input goes in with -i; the end of it ends the shell.
    let mut child = kx(&c, &["shell", "-n", "shop", "-i", "web", "--", "sh"])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"echo typed\nexit 4\n").await.unwrap();
    drop(stdin);
    let out = tokio::time::timeout(Duration::from_secs(20), child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "typed\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kx_shell_says_clearly_what_is_wrong() {
    let c = TestCluster::start(false).await;
    ready(&c, "app=worker", 1).await;
    let said = |out: &std::process::Output| String::from_utf8_lossy(&out.stderr).into_owned();

    // A distroless container: no sh.
    let out = kx(&c, &["shell", "-n", "shop", "worker", "--", "sh"])
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        said(&out).contains("\"sh\": executable file not found"),
        "{}",
        said(&out)
    );

    let out = kx(
        &c,
        &["shell", "-n", "shop", "nothing-like-this", "--", "true"],
    )
    .output()
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        said(&out).contains("no pod matches \"nothing-like-this\" in namespace shop"),
        "{}",
        said(&out)
    );

    let out = kx(&c, &["shell", "-n", "shop", "web("])
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        said(&out).contains("not a valid regex") || said(&out).contains("regex"),
        "{}",
        said(&out)
    );

    // A failing API server: the command still runs (its start is retried).
    c.sim.cluster.faults.update(|f| {
        f.error_rate = 0.5;
        f.error_code = 503;
    });
    for _ in 0..3 {
        let out = kx(&c, &["shell", "-n", "shop", "web", "--", "echo", "through"])
            .output()
            .await
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "through\n",
            "{}",
            said(&out)
        );
    }
    c.sim.cluster.faults.update(|f| f.error_rate = 0.0);

    c.sim
        .cluster
        .faults
        .update(|f| f.forbidden = vec!["create pods/exec".into()]);
    let out = kx(&c, &["shell", "-n", "shop", "web", "--", "true"])
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let line = said(&out);
    assert!(
        line.contains("forbidden: user \"kx-sim\" cannot create the exec of pods/web-"),
        "{line}"
    );
    assert!(line.contains("in namespace shop"), "{line}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forward_to_a_service_carries_http_and_counts_it_and_two_run_at_once() {
    let c = TestCluster::start(false).await;
    ready(&c, "app=web", 1).await;
    ready(&c, "app=api", 1).await;
    let client = c.client().await;
    let (tx, _events) = mpsc::unbounded_channel();
    let web = forward::start(client.clone(), spec("Service", "web", 80), tx.clone())
        .await
        .unwrap();
    // The api service's port 8080 targets the containers' port named http.
    let api = forward::start(client, spec("Service", "api", 8080), tx)
        .await
        .unwrap();
    let body = get(web.local, "/hello").await.unwrap();
    assert!(
        body.contains("container nginx port 80 path /hello"),
        "{body}"
    );
    let body = get(api.local, "/").await.unwrap();
    assert!(body.contains("container api port 8080"), "{body}");
    let body = get(web.local, "/bytes/300000").await.unwrap();
    assert_eq!(body.len(), 300_000);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let s = &web.stats;
    assert_eq!(s.total.load(std::sync::atomic::Ordering::Relaxed), 2);
    assert_eq!(s.open.load(std::sync::atomic::Ordering::Relaxed), 0);
    assert!(s.received.load(std::sync::atomic::Ordering::Relaxed) > 300_000);
    assert!(s.sent.load(std::sync::atomic::Ordering::Relaxed) > 0);
    let (pod, state) = web.stats.status();
    assert_eq!(state, forward::State::Serving);
    assert!(pod.unwrap().starts_with("web-"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forward_to_a_deployment_moves_to_the_next_ready_pod_when_its_pod_is_deleted() {
    let c = TestCluster::start(false).await;
    ready(&c, "app=web", 3).await;
    let (tx, mut events) = mpsc::unbounded_channel();
    let fwd = forward::start(c.client().await, spec("Deployment", "web", 80), tx)
        .await
        .unwrap();
    let first = pod_of(&get(fwd.local, "/").await.unwrap());
    assert!(first.starts_with("web-"), "{first}");
    let deleted = Instant::now();
    c.kubectl_ok(&["delete", "pod", "-n", "shop", &first, "--wait=false"])
        .await;
    // Other replicas are ready already: new connections reach one of them within a second.
    let moved_to = loop {
        if let Ok(body) = get(fwd.local, "/").await
            && pod_of(&body) != first
        {
            break pod_of(&body);
        }
        assert!(
            deleted.elapsed() < Duration::from_secs(5),
            "requests never reached another pod"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    // The other replicas were ready all along: within a second, as the issue asks.
    assert!(
        deleted.elapsed() < Duration::from_secs(1),
        "took {:?}",
        deleted.elapsed()
    );
    let mut saw_move = false;
    while let Ok(e) = events.try_recv() {
        if let Event::Moved { from, to } = e {
            assert_eq!(
                (from.as_str(), to.as_str()),
                (first.as_str(), moved_to.as_str())
            );
            saw_move = true;
        }
    }
    assert!(saw_move, "no Moved event");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forward_to_a_scaled_down_workload_waits_for_its_next_pod() {
    let c = TestCluster::start(false).await;
    c.kubectl_ok(&["scale", "deploy/web", "-n", "shop", "--replicas=1"])
        .await;
    c.wait_for(
        &["get", "pods", "-n", "shop", "-l", "app=web", "-o", "name"],
        30,
        |o| o.lines().count() == 1,
    )
    .await;
    ready(&c, "app=web", 1).await;
    let (tx, _events) = mpsc::unbounded_channel();
    let fwd = forward::start(c.client().await, spec("Deployment", "web", 80), tx)
        .await
        .unwrap();
    let only = pod_of(&get(fwd.local, "/").await.unwrap());
    c.kubectl_ok(&["delete", "pod", "-n", "shop", &only, "--wait=false"])
        .await;
    // The request made while no pod is ready waits for the replacement and then succeeds.
    let body = get_within(fwd.local, Duration::from_secs(40)).await;
    let next = pod_of(&body);
    assert!(next.starts_with("web-") && next != only, "{body}");
}

async fn get_within(addr: std::net::SocketAddr, limit: Duration) -> String {
    let started = Instant::now();
    loop {
        match get(addr, "/").await {
            Ok(b) => return b,
            Err(e) => assert!(started.elapsed() < limit, "no answer in {limit:?}: {e}"),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forward_to_a_bare_pod_says_the_pod_is_gone_and_stops() {
    let c = TestCluster::start(false).await;
    ready(&c, "app=web", 1).await;
    let pod = c
        .jsonpath(
            &["pods", "-n", "shop", "-l", "app=web"],
            "{.items[0].metadata.name}",
        )
        .await;
    let (tx, mut events) = mpsc::unbounded_channel();
    let fwd = forward::start(c.client().await, spec("Pod", &pod, 80), tx)
        .await
        .unwrap();
    assert_eq!(pod_of(&get(fwd.local, "/").await.unwrap()), pod);
    c.kubectl_ok(&["delete", "pod", "-n", "shop", &pod, "--wait=false"])
        .await;
    let stopped = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            match events.recv().await {
                Some(Event::Stopped(why)) => return why,
                Some(_) => {}
                None => panic!("events ended without Stopped"),
            }
        }
    })
    .await
    .expect("Stopped within 20 s");
    assert_eq!(stopped, format!("pod {pod} is gone"));
    assert!(matches!(fwd.stats.status().1, forward::State::Stopped(_)));
    // Nothing listens any more: the port can be taken again.
    let freed = Instant::now();
    while std::net::TcpListener::bind(fwd.local).is_err() {
        assert!(
            freed.elapsed() < Duration::from_secs(3),
            "{} still taken after the pod went",
            fwd.local
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_ports_taken_local_ports_and_no_ready_pod_are_said_and_leave_nothing_listening() {
    let c = TestCluster::start(false).await;
    ready(&c, "app=web", 1).await;
    let client = c.client().await;
    let (tx, _events) = mpsc::unbounded_channel();
    let err = forward::start(client.clone(), spec("Service", "web", 81), tx.clone())
        .await
        .err()
        .unwrap();
    assert_eq!(
        err,
        ForwardError::Target("service web has no port 81 (it has 80/http)".into())
    );
    let mut named = spec("Deployment", "web", 80);
    named.remote = RemotePort::Name("grpc".into());
    let err = forward::start(client.clone(), named, tx.clone())
        .await
        .err()
        .unwrap();
    assert!(
        err.to_string()
            .contains("no container port is named \"grpc\""),
        "{err}"
    );

    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let mut exact = spec("Service", "web", 80);
    exact.local = Local::Exactly(port);
    let err = forward::start(client.clone(), exact, tx.clone())
        .await
        .err()
        .unwrap();
    assert!(
        matches!(err, ForwardError::LocalPort(_))
            && err.to_string().contains("another program has it"),
        "{err}"
    );
    let mut prefer = spec("Service", "web", 80);
    prefer.local = Local::Prefer(port);
    let moved = forward::start(client.clone(), prefer, tx.clone())
        .await
        .unwrap();
    assert_ne!(moved.local.port(), port);
    assert!(moved.notes[0].contains(&format!("local port {port} is not free; listening on")));

    let err = forward::start(client.clone(), spec("Service", "nope", 80), tx.clone())
        .await
        .err()
        .unwrap();
    assert_eq!(err.to_string(), "service nope not found in namespace shop");

    c.kubectl_ok(&["scale", "deploy/worker", "-n", "shop", "--replicas=0"])
        .await;
    c.wait_for(
        &[
            "get",
            "pods",
            "-n",
            "shop",
            "-l",
            "app=worker",
            "-o",
            "name",
        ],
        30,
        |o| o.trim().is_empty(),
    )
    .await;
    let mut nothing = spec("Deployment", "worker", 9999);
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let free_port = free.local_addr().unwrap().port();
    drop(free);
    nothing.local = Local::Exactly(free_port);
    let err = forward::start(client, nothing, tx).await.err().unwrap();
    assert_eq!(
        err,
        ForwardError::NoReadyPod(
            "no ready pod behind deployment worker (0 pods, none ready)".into()
        )
    );
    // Nothing was left listening on the port it would have used.
    assert!(std::net::TcpListener::bind(("127.0.0.1", free_port)).is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forward_keeps_carrying_connections_while_the_api_server_fails_requests_and_drops_connections()
 {
    let c = TestCluster::start(false).await;
    ready(&c, "app=web", 1).await;
    let (tx, _events) = mpsc::unbounded_channel();
    let fwd = forward::start(c.client().await, spec("Service", "web", 80), tx)
        .await
        .unwrap();
    c.sim.cluster.faults.update(|f| {
        f.error_rate = 0.3;
        f.error_code = 503;
    });
    for i in 0..20 {
        let body = get(fwd.local, &format!("/{i}"))
            .await
            .unwrap_or_else(|e| panic!("request {i}: {e}"));
        assert!(body.contains(&format!("path /{i}")));
    }
    c.sim.cluster.faults.update(|f| f.error_rate = 0.0);
    // An API server restart: the pod watch reconnects, and new connections work again.
    c.sim.cluster.faults.drop_all_connections();
    let body = get_within(fwd.local, Duration::from_secs(15)).await;
    assert!(body.contains("container nginx"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_connection_ends_a_command_with_a_clear_message_not_a_hang() {
    let c = TestCluster::start(false).await;
    ready(&c, "app=web", 1).await;
    let child = kx(&c, &["shell", "-n", "shop", "web", "--", "sleep", "60"])
        .spawn()
        .unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    c.sim.cluster.faults.drop_all_connections();
    let out = tokio::time::timeout(Duration::from_secs(15), child.wait_with_output())
        .await
        .expect("kx shell ended within 15 s of the drop")
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("connection to the container was lost"),
        "{said}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_port_nothing_listens_on_is_reported_in_the_kubelets_words() {
    let c = TestCluster::start(false).await;
    ready(&c, "app=web", 1).await;
    let (tx, mut events) = mpsc::unbounded_channel();
    let fwd = forward::start(c.client().await, spec("Deployment", "web", 9999), tx)
        .await
        .unwrap();
    assert!(
        fwd.notes[0].contains("port 9999 is not declared"),
        "{:?}",
        fwd.notes
    );
    assert!(get(fwd.local, "/").await.is_err());
    let failed = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if let Some(Event::ConnectionFailed(why)) = events.recv().await {
                return why;
            }
        }
    })
    .await
    .unwrap();
    assert!(
        failed.contains("port 9999") && failed.contains("connection refused"),
        "{failed}"
    );
}
