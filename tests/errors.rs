//! Every way of not reaching a cluster, through the real binary: each gets one line that says
//! what happened and what to do, exit code 1, and no chain of repeated causes. One-shot
//! commands give up after `--request-timeout`; following commands say a failure once and
//! then that they are connected again.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests and benches stop at the first surprise

mod common;

use base64::Engine;
use common::TestCluster;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::process::Command;

fn b64(text: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(text)
}

/// A kubeconfig with one context `ctx` (namespace shop) for `server`, its cluster lines and
/// its user lines (YAML, indented under `cluster:` and `user:`).
fn kubeconfig(dir: &Path, name: &str, server: &str, cluster: &str, user: &str) -> PathBuf {
    let path = dir.join(name);
    let yaml = format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: {server}\n{cluster}contexts:\n- name: ctx\n  context:\n    cluster: c\n    user: u\n    namespace: shop\n- name: staging\n  context:\n    cluster: c\n    user: u\ncurrent-context: ctx\nusers:\n- name: u\n  user:\n{user}"
    );
    std::fs::write(&path, yaml).expect("write kubeconfig");
    path
}

/// `kx ARGS` with no kubeconfig of the machine's in sight.
fn kx(home: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kx"));
    cmd.env_remove("KUBECONFIG")
        .env_remove("KUBERNETES_SERVICE_HOST")
        .env("HOME", home)
        .env("NO_COLOR", "1")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    cmd
}

/// Runs to the end (at most 60 s); (exit code, stderr lines, seconds taken).
async fn run(mut cmd: Command) -> (Option<i32>, Vec<String>, f64) {
    let started = Instant::now();
    let out = tokio::time::timeout(Duration::from_secs(60), cmd.output())
        .await
        .expect("kx ends by itself")
        .expect("kx runs");
    let stderr = String::from_utf8_lossy(&out.stderr)
        .lines()
        .map(str::to_string)
        .collect();
    (out.status.code(), stderr, started.elapsed().as_secs_f64())
}

/// The last line kx printed on stderr, after checking it failed with code 1.
async fn failure(cmd: Command) -> String {
    let (code, lines, _) = run(cmd).await;
    assert_eq!(code, Some(1), "exit code 1: {lines:?}");
    let last = lines.last().cloned().unwrap_or_default();
    assert!(
        !last.contains("Caused by") && last.matches("failed to").count() <= 1,
        "one line, no chain: {last}"
    );
    last
}

fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubeconfig_problems_name_the_file_and_the_way_out() {
    let dir = tempfile::tempdir().expect("dir");
    let home = dir.path();
    // No kubeconfig anywhere.
    let line = failure(kx(home, &["changes", "deploy/web"])).await;
    assert_eq!(
        line,
        format!(
            "kx: no kubeconfig found ({}/.kube/config does not exist) and not running in a pod: point --kubeconfig or $KUBECONFIG at one, or try `kx --demo`",
            home.display()
        )
    );
    // A file named with --kubeconfig that is not there.
    let line = failure(kx(
        home,
        &["logs", "web", "--no-follow", "--kubeconfig", "/nonexistent"],
    ))
    .await;
    assert_eq!(
        line,
        "kx: cannot use the kubeconfig /nonexistent: the file does not exist; fix it or point --kubeconfig elsewhere (or try `kx --demo`)"
    );
    // Not YAML.
    let broken = home.join("broken");
    std::fs::write(&broken, "clusters: [unclosed\n").expect("write");
    let line = failure(kx(
        home,
        &[
            "changes",
            "deploy/web",
            "--kubeconfig",
            broken.to_str().unwrap_or_default(),
        ],
    ))
    .await;
    assert!(
        line.starts_with(&format!(
            "kx: cannot use the kubeconfig {}: it is not a valid kubeconfig: ",
            broken.display()
        )),
        "{line}"
    );
    // A context that is not there: the ones that are, closest first.
    let path = kubeconfig(home, "config", "http://127.0.0.1:1", "", "    token: t\n");
    let line = failure(kx(
        home,
        &[
            "changes",
            "deploy/web",
            "--kubeconfig",
            path.to_str().unwrap_or_default(),
            "--context",
            "stagin",
        ],
    ))
    .await;
    assert_eq!(
        line,
        format!(
            "kx: context \"stagin\" is not in {}; pick one with --context or :ctx (there: staging, ctx)",
            path.display()
        )
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_servers_are_named_and_one_shot_commands_give_up_in_time() {
    let dir = tempfile::tempdir().expect("dir");
    let home = dir.path();
    let port = closed_port();
    let refused = kubeconfig(
        home,
        "refused",
        &format!("http://127.0.0.1:{port}"),
        "",
        "    token: t\n",
    );
    let refused = refused.to_str().unwrap_or_default().to_string();
    // Every one-shot command gives up after --request-timeout, with exit code 1.
    for args in [
        vec!["logs", "web", "--no-follow"],
        vec!["logs", "deploy/web", "--no-follow"],
        vec!["changes", "deploy/web"],
        vec!["status", "deploy/web"],
        vec!["trace", "deploy/web"],
        vec!["edit", "deploy/web"],
    ] {
        let mut all = args.clone();
        all.extend(["--kubeconfig", &refused, "--request-timeout", "2s"]);
        let (code, lines, secs) = run(kx(home, &all)).await;
        assert_eq!(code, Some(1), "{args:?}: {lines:?}");
        let last = lines.last().cloned().unwrap_or_default();
        assert!(
            last.ends_with(&format!(
                "gave up after 2 s: cannot reach the API server at http://127.0.0.1:{port}: connection refused; is the cluster running, and is this the right context? (--request-timeout)"
            )),
            "{args:?}: {lines:?}"
        );
        assert!(
            (1.5..15.0).contains(&secs),
            "{args:?} gave up after {secs:.1} s"
        );
        assert!(
            lines.iter().filter(|l| l.contains("retrying")).count() <= 1,
            "a retry is said once: {lines:?}"
        );
    }
    // A name that does not resolve.
    let dns = kubeconfig(
        home,
        "dns",
        "https://kx-nowhere.invalid:6443",
        "",
        "    token: t\n",
    );
    let line = failure(kx(
        home,
        &[
            "changes",
            "deploy/web",
            "--kubeconfig",
            dns.to_str().unwrap_or_default(),
            "--request-timeout",
            "1s",
        ],
    ))
    .await;
    assert!(
        line.contains(
            "cannot reach the API server at https://kx-nowhere.invalid:6443: the host name \"kx-nowhere.invalid\" does not resolve (DNS)"
        ),
        "{line}"
    );
    // A server that accepts connections and never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let silent_port = silent.local_addr().expect("addr").port();
    let slow = kubeconfig(
        home,
        "silent",
        &format!("http://127.0.0.1:{silent_port}"),
        "",
        "    token: t\n",
    );
    let (code, lines, secs) = run(kx(
        home,
        &[
            "logs",
            "web",
            "--no-follow",
            "--kubeconfig",
            slow.to_str().unwrap_or_default(),
            "--request-timeout",
            "2s",
        ],
    ))
    .await;
    assert_eq!(code, Some(1), "{lines:?}");
    assert!(
        lines.last().is_some_and(|l| l.contains(&format!(
            "cannot reach the API server at http://127.0.0.1:{silent_port}: no answer in time"
        ))),
        "{lines:?}"
    );
    assert!(secs < 15.0, "gave up after {secs:.1} s");
    drop(silent);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_and_credential_failures_say_which_one() {
    let c = TestCluster::start(true).await;
    let other = TestCluster::start(true).await;
    let home = c.dir.path();
    let url = c.sim.url();
    let ca = |sim: &TestCluster| {
        format!(
            "    certificate-authority-data: {}\n",
            b64(sim.sim.ca_pem.as_deref().unwrap_or_default())
        )
    };
    let token = format!("    token: {}\n", c.sim.token.clone().unwrap_or_default());
    let changes = |path: &Path| {
        kx(
            home,
            &[
                "changes",
                "deploy/web",
                "--kubeconfig",
                path.to_str().unwrap_or_default(),
            ],
        )
    };
    // Signed by a CA the kubeconfig does not trust.
    let wrong_ca = kubeconfig(home, "wrong-ca", &url, &ca(&other), &token);
    assert_eq!(
        failure(changes(&wrong_ca)).await,
        format!(
            "kx: TLS with the API server at {url} failed: its certificate is signed by an authority the kubeconfig does not trust; check the cluster's certificate-authority(-data)"
        )
    );
    // A certificate for other names than the one kx was told to expect.
    let wrong_host = kubeconfig(
        home,
        "wrong-host",
        &url,
        &format!("{}    tls-server-name: api.example.com\n", ca(&c)),
        &token,
    );
    let line = failure(changes(&wrong_host)).await;
    assert!(
        line.contains("its certificate is for localhost, 127.0.0.1, ::1 but kx connected to api.example.com; fix the server address or set tls-server-name in the kubeconfig"),
        "{line}"
    );
    // An expired client certificate, said before any request.
    let issuer = c.sim.ca.clone().expect("a TLS simulator has a CA");
    let (cert, key) = issuer
        .issue("alice", (2020, 1, 1), (2021, 1, 1))
        .expect("issue");
    let expired = kubeconfig(
        home,
        "expired",
        &url,
        &ca(&c),
        &format!(
            "    client-certificate-data: {}\n    client-key-data: {}\n",
            b64(&cert),
            b64(&key)
        ),
    );
    assert_eq!(
        failure(changes(&expired)).await,
        "kx: the client certificate of user \"u\" in the kubeconfig expired on 2021-01-01 00:00:00 UTC; get a new one (from your cluster admin or your cloud's login command)"
    );
    // A valid one is accepted (the simulator authenticates by certificate like an API server).
    let (cert, key) = issuer
        .issue("alice", (2020, 1, 1), (2999, 1, 1))
        .expect("issue");
    let valid = kubeconfig(
        home,
        "valid",
        &url,
        &ca(&c),
        &format!(
            "    client-certificate-data: {}\n    client-key-data: {}\n",
            b64(&cert),
            b64(&key)
        ),
    );
    c.wait_for(&["get", "pods", "-n", "shop", "-l", "app=web"], 60, |out| {
        out.matches("Running").count() == 3
    })
    .await;
    let (code, lines, _) = run(kx(
        home,
        &[
            "logs",
            "web",
            "--no-follow",
            "--tail",
            "1",
            "--kubeconfig",
            valid.to_str().unwrap_or_default(),
        ],
    ))
    .await;
    assert_eq!(code, Some(0), "a valid client certificate works: {lines:?}");
    // A token the server rejects.
    let bad_token = kubeconfig(home, "bad-token", &url, &ca(&c), "    token: wrong\n");
    assert_eq!(
        failure(changes(&bad_token)).await,
        "kx: the API server rejected kx's credentials (401 Unauthorized): the token or certificate is wrong or has expired; log in again or refresh the kubeconfig"
    );
    // A credential plugin that fails: its own words.
    let plugin = home.join("plugin.sh");
    std::fs::write(
        &plugin,
        "#!/bin/sh\necho 'login expired: run sso-login' >&2\nexit 4\n",
    )
    .expect("write plugin");
    let exec = format!(
        "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: /bin/sh\n      args: [\"{}\"]\n      interactiveMode: Never\n",
        plugin.display()
    );
    let failing = kubeconfig(home, "plugin", &url, &ca(&c), &exec);
    assert_eq!(
        failure(changes(&failing)).await,
        format!(
            "kx: the credential plugin `/bin/sh {}` failed (exit 4): login expired: run sso-login; run its login again or fix the kubeconfig's exec section",
            plugin.display()
        )
    );
    other.sim.stop().await;
    c.sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_rbac_denial_names_the_verb_the_resource_and_the_namespace() {
    let c = TestCluster::start(false).await;
    c.sim
        .cluster
        .faults
        .update(|f| f.forbidden = vec!["list pods".into()]);
    let kubeconfig = c.kubeconfig();
    let path = kubeconfig.to_str().unwrap_or_default();
    let line = failure(kx(
        c.dir.path(),
        &[
            "logs",
            "web",
            "-n",
            "shop",
            "--no-follow",
            "--kubeconfig",
            path,
        ],
    ))
    .await;
    assert_eq!(
        line,
        "kx logs: forbidden: user \"kx-sim\" cannot list pods in namespace shop (RBAC); ask for access or use another context"
    );
    c.sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_following_command_says_a_lost_server_once_and_then_that_it_is_back() {
    let c = TestCluster::start(false).await;
    let kubeconfig = c.kubeconfig();
    let mut child = kx(
        c.dir.path(),
        &[
            "changes",
            "deploy/web",
            "-n",
            "shop",
            "--kubeconfig",
            kubeconfig.to_str().unwrap_or_default(),
        ],
    )
    .spawn()
    .expect("kx changes starts");
    let stdout = common::read_all(child.stdout.take().expect("stdout"));
    let stderr = common::read_all(child.stderr.take().expect("stderr"));
    // The object first, then every request fails for a while.
    tokio::time::sleep(Duration::from_secs(2)).await;
    c.sim.cluster.faults.update(|f| {
        f.error_rate = 1.0;
        f.error_code = 503;
    });
    c.sim.cluster.faults.drop_all_connections();
    tokio::time::sleep(Duration::from_secs(4)).await;
    c.sim.cluster.faults.update(|f| f.error_rate = 0.0);
    c.kubectl_ok(&["scale", "deploy/web", "-n", "shop", "--replicas=4"])
        .await;
    tokio::time::sleep(Duration::from_secs(6)).await;
    common::interrupt(&child);
    let _ = tokio::time::timeout(Duration::from_secs(10), child.wait()).await;
    let out = stdout.await.unwrap_or_default();
    let err = stderr.await.unwrap_or_default();
    let reconnecting: Vec<&str> = err.lines().filter(|l| l.contains("reconnecting")).collect();
    assert_eq!(reconnecting.len(), 1, "said once: {err}");
    assert!(
        reconnecting[0].starts_with("kx: reconnecting: 2 failures since ")
            && reconnecting[0].contains(", next in "),
        "said from the second failure in a row: {err}"
    );
    assert!(
        err.lines()
            .any(|l| l.starts_with("kx: connected again after ")),
        "and that it is back: {err}"
    );
    assert!(
        out.contains("spec.replicas 3→4"),
        "the change made while away arrives: {out}"
    );
    c.sim.stop().await;
}
